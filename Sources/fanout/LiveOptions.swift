import ArgumentParser
import FanoutServe
import FanoutSim
import Foundation
import TerminalUI

/// What `serve`, `run` and the dashboard share when clients or process functions take part in a
/// run: the endpoint's address, whether a non-loopback one is allowed, the processes' log file.
struct LiveOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Answer AWS's SQS, SNS, S3 and Lambda wire protocols on HOST:PORT (such as 127.0.0.1:4747) while the run goes on; the clock then follows wall time.",
      valueName: "HOST:PORT"))
  var listen: String?

  @Flag(
    name: .long, help: "Allow a listen address that is not loopback (anyone who reaches it can call the endpoints).")
  var allowRemote = false

  func validate() throws {
    if let listen { try Self.check(listen, allowRemote: allowRemote) }
  }

  static func check(_ listen: String, allowRemote: Bool) throws {
    guard let (host, _) = ServeOptions.parseListen(listen) else {
      throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:4747 (got '\(listen)')")
    }
    if !ServeOptions.isLoopback(host), !allowRemote {
      throw ValidationError(
        "--listen \(listen) is not a loopback address: fanout verifies no credentials, so anyone who can reach it could drive the simulation. Give --allow-remote to listen there anyway."
      )
    }
  }
}

/// The functions of a pipeline whose code is a process.
func processFunctions(_ topology: Topology) -> [String] {
  topology.functions.filter {
    if case .process = $0.handler { return true }
    return false
  }.map(\.name)
}

/// `sweep` and `check` run many runs in virtual time as fast as the machine goes: a function whose
/// code is a process needs wall time, so they refuse it, saying what to do instead.
func refuseProcessFunctions(_ topology: Topology, command: String) throws {
  let names = processFunctions(topology)
  guard !names.isEmpty else { return }
  throw CLIFailure(
    message:
      "\(names.joined(separator: ", ")): a handler of type process runs the function's own code, which needs wall time, and fanout \(command) runs its runs in virtual time as fast as the machine goes: give the function a simulated handler (docs/scenarios.md, \"Handlers\"), or run the code with fanout run --record FILE and study the session with --replay"
  )
}

/// A live host for a run: its processes' log lines go to stderr (and `logFile`), the endpoint
/// opens on `listen` (or, with none, on an ephemeral loopback port for the processes alone).
func openLiveHost(
  sim: Simulation, scenarioPath: String?, listen: String?, logFile: String?, record: Bool, signals: Bool
) throws -> (host: LiveHost, endpoint: String) {
  // A long-lived run with outside input: an invariant a request breaks is reported, not a trap.
  sim.trapsOnInvariantViolation = false
  let base =
    scenarioPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
    ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  let host = LiveHost(sim: sim, baseDirectory: base, record: record, scenario: scenarioPath)
  var file: LockedFile?
  if let logFile {
    guard FileManager.default.createFile(atPath: logFile, contents: nil),
      let handle = FileHandle(forWritingAtPath: logFile)
    else { throw CLIFailure(message: "cannot write \(logFile)") }
    file = LockedFile(handle)
  }
  host.invoker.logLine = { [file] line in
    FileHandle.standardError.write(Data((line + "\n").utf8))
    file?.write(line + "\n")
  }
  var options = ServeOptions()
  let (h, p) = ServeOptions.parseListen(listen ?? "127.0.0.1:0")!
  options.host = h
  options.port = p
  do {
    return (host, try host.open(options, signals: signals))
  } catch {
    _ = host.close()
    throw CLIFailure(message: "could not listen on \(listen ?? "127.0.0.1"): \(error)")
  }
}

/// Writes a recorded session.
func writeSession(_ session: ReplayLog?, to path: String?) throws {
  guard let path, let session else { return }
  do {
    try session.text.write(toFile: path, atomically: true, encoding: .utf8)
  } catch {
    throw CLIFailure(message: "cannot write the session to \(path): \(error)")
  }
}

/// A log file written from the processes' reader threads.
final class LockedFile: @unchecked Sendable {
  private let lock = NSLock()
  private let handle: FileHandle
  init(_ handle: FileHandle) { self.handle = handle }
  func write(_ s: String) {
    lock.lock()
    handle.write(Data(s.utf8))
    lock.unlock()
  }
}

/// The dashboard's side of a live host: it drives the simulation on the dashboard's thread and
/// keeps the newest of the processes' log lines for the screen (they all go to stderr, which is
/// the dashboard's `--log FILE`).
final class DashboardLive: LiveDriver, @unchecked Sendable {
  let host: LiveHost
  private let lock = NSLock()
  private var last: String?

  init(host: LiveHost) {
    self.host = host
    host.invoker.logLine = { [weak self] line in
      FileHandle.standardError.write(Data((line + "\n").utf8))
      self?.keep(line)
    }
  }

  private func keep(_ line: String) {
    lock.lock()
    last = line
    lock.unlock()
  }

  func pump(to target: SimTime, keepGoing: () -> Bool) -> Bool { host.live.pump(to: target, keepGoing: keepGoing) }
  func setRecorder(_ record: @escaping (ControlCommand?) -> Void) { host.live.onCommand = { c, _ in record(c) } }
  func takeLastLogLine() -> String? {
    lock.lock()
    defer { lock.unlock() }
    let line = last
    last = nil
    return line
  }
}
