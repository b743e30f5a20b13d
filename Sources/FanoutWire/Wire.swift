import FanoutSim

// MARK: - The AWS wire protocols, as pure translation over a simulation
//
// `fanout serve` (and `--listen`) speak the wire protocols of the services fanout models, so
// that boto3, the AWS CLI and other SDKs work against the simulation unchanged. This target turns
// an HTTP request into what the simulation does and an HTTP response, in each protocol's exact
// shape: it holds no socket, no thread and no clock of its own. Every request is answered on the
// simulation's own thread (the server's `LiveSimulation` runs it there, at the current virtual
// time), so the simulation stays single-threaded and deterministic, and a recorded session
// replays by feeding the same requests back at the same virtual times.

/// An HTTP response.
public struct WireResponse: Sendable, Equatable {
  public var status: Int
  public var headers: [(name: String, value: String)]
  public var body: [UInt8]

  public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
    self.status = status
    self.headers = headers
    self.body = body
  }

  public static func == (a: WireResponse, b: WireResponse) -> Bool {
    a.status == b.status && a.body == b.body
      && a.headers.map { "\($0.name):\($0.value)" }
        == b.headers.map {
          "\($0.name):\($0.value)"
        }
  }
}

/// What a service answers: now, or once something happens in virtual time (a long poll).
public enum WireAnswer {
  case now(WireResponse)
  /// Asked again after every job the simulation runs until it answers; at its deadline (virtual
  /// time) it times out instead. A long-polling ReceiveMessage, an Invoke waiting for its
  /// function.
  case wait(WireWait)
}

/// A request that waits in virtual time. `ready` only reads the simulation; `take` may change it
/// (a receive moves messages) and may still find nothing. A recorded session holds each `take`
/// and each timeout as a command, so that a replay asks at exactly the same points.
public struct WireWait {
  public var deadline: SimTime
  public var ready: (Simulation) -> Bool
  public var take: (Simulation) -> WireResponse?
  public var timeout: (Simulation) -> WireResponse

  public init(
    deadline: SimTime, ready: @escaping (Simulation) -> Bool, take: @escaping (Simulation) -> WireResponse?,
    timeout: @escaping (Simulation) -> WireResponse
  ) {
    self.deadline = deadline
    self.ready = ready
    self.take = take
    self.timeout = timeout
  }

  /// The answer if there is one now.
  public func poll(_ sim: Simulation) -> WireResponse? { ready(sim) ? take(sim) : nil }
}

/// One service's wire protocol.
public protocol WireService {
  /// Whether this service takes the request (by path, headers, or the body's Action).
  func accepts(_ r: WireRequest) -> Bool
  /// The answer, computed on the simulation's thread at its current virtual time.
  func answer(_ r: WireRequest, _ sim: Simulation) -> WireAnswer
}
