import FanoutSim
import FanoutWire
import Foundation

// MARK: - A simulation with outside participants: its endpoint, its processes, its recording

/// What `fanout serve`, `fanout run` and the dashboard share when clients or process functions
/// take part: the live simulation, the HTTP endpoint speaking AWS's wire protocols, the processes
/// of process functions (each given its environment's own listener as `AWS_ENDPOINT_URL`), and the
/// recorded session (`--record`), which holds every outside input as a command at its point of the run.
public final class LiveHost: @unchecked Sendable {
  public let live: LiveSimulation
  public let invoker: ProcessInvoker
  private let lock = NSLock()
  private var server: Task<Void, Never>?
  private var failure: String?
  private let serverEnded = DispatchSemaphore(value: 0)
  private var recording: ReplayLog?

  /// `baseDirectory` is where a relative `cwd` of a process handler is taken from (the scenario
  /// file's folder). With `record`, every outside input is kept as a command of a session that
  /// names `scenario` (nil: the built-in pipeline) and the simulation's seed.
  public init(sim: Simulation, baseDirectory: URL, record: Bool = false, scenario: String? = nil) {
    live = LiveSimulation(sim: sim, router: .all())
    invoker = ProcessInvoker(baseDirectory: baseDirectory.standardizedFileURL)
    invoker.live = live
    sim.externalInvoker = invoker
    if record {
      recording = ReplayLog(seed: sim.seed, scenario: scenario)
      live.onCommand = { [unowned self] c, sim in self.recording?.record(c, sim) }
    }
  }

  /// The recorded session so far (complete, with its end, after `close()`).
  public var session: ReplayLog? { recording }

  /// Applies a command given by the run itself before its clock starts (`fanout run`'s load),
  /// recorded like the rest.
  public func apply(_ c: ControlCommand, to sim: Simulation) {
    recording?.record(c, sim)
    sim.apply(c)
  }

  /// Opens the endpoint and waits until it listens; the URL processes and clients use. `signals`
  /// lets SIGINT and SIGTERM stop the server (`fanout serve`); without, `close()` stops it.
  public func open(_ options: ServeOptions, signals: Bool) throws -> String {
    let ready = DispatchSemaphore(value: 0)
    let portBox = PortBox()
    let host = options.host
    server = Task { [live, serverEnded] in
      do {
        try await runWireServer(live: live, options: options, signals: signals) { port in
          portBox.port = port
          ready.signal()
        }
      } catch {
        self.setFailure("\(error)")
        ready.signal()
      }
      serverEnded.signal()
    }
    ready.wait()
    if let failure = failureText { throw LiveHostError(message: failure) }
    return "http://\(host.contains(":") ? "[\(host)]" : host):\(portBox.port)"
  }

  /// Blocks until the server stops by itself (a signal), and says why if it failed.
  public func waitForServer() -> String? {
    serverEnded.wait()
    serverEnded.signal()
    return failureText
  }

  /// Stops everything: the simulation's clock (waiting requests get their empty answer, the
  /// recording its end), every process, the endpoint. The simulation goes back to the caller.
  @discardableResult
  public func close() -> Simulation {
    let sim = live.finish()
    invoker.stopAll()
    server?.cancel()
    return sim
  }

  private func setFailure(_ s: String) {
    lock.lock()
    failure = s
    lock.unlock()
  }

  private var failureText: String? {
    lock.lock()
    defer { lock.unlock() }
    return failure
  }
}

public struct LiveHostError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}
