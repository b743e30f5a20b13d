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

/// An HTTP request as the wire layer sees it.
public struct WireRequest: Sendable {
  public var method: String
  /// The request target's path, percent-encoded as sent, without the query.
  public var path: String
  /// The raw query string (after `?`), percent-encoded as sent; empty when there is none.
  public var query: String
  /// Header names lower-cased, in the order received.
  public var headers: [(name: String, value: String)]
  public var body: [UInt8]

  public init(
    method: String, path: String, query: String = "", headers: [(name: String, value: String)] = [], body: [UInt8] = []
  ) {
    self.method = method
    self.path = path
    self.query = query
    self.headers = headers.map { ($0.name.lowercased(), $0.value) }
    self.body = body
  }

  /// The first value of a header (the name in any case).
  public func header(_ name: String) -> String? {
    let n = name.lowercased()
    return headers.first { $0.name == n }?.value
  }
}

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
  /// Asked again after every job the simulation runs until it answers; at `deadline` (virtual
  /// time) `timeout` answers instead. A long-polling ReceiveMessage, an Invoke waiting for its
  /// invocation to end.
  case wait(deadline: SimTime, poll: (Simulation) -> WireResponse?, timeout: (Simulation) -> WireResponse)
}

/// One service's wire protocol.
public protocol WireService {
  /// Whether this service takes the request (by path, headers, or the body's Action).
  func accepts(_ r: WireRequest) -> Bool
  /// The answer, computed on the simulation's thread at its current virtual time.
  func answer(_ r: WireRequest, _ sim: Simulation) -> WireAnswer
}
