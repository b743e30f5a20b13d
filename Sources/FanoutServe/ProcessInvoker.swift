import FanoutSim
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - Process functions: the Lambda Runtime API and one process per execution environment

/// Runs the code of `handler: { type: process }` functions as Lambda does with a custom runtime
/// or a runtime interface client (`awslambdaric`): one process per execution environment, which
/// asks for its invocations through the Lambda Runtime API
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
/// `GET /2018-06-01/runtime/invocation/next` answers the event with the headers
/// `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
/// `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id`;
/// `POST …/invocation/{id}/response` is the handler's result, `POST …/invocation/{id}/error` its
/// error (Lambda's error JSON: `errorType`, `errorMessage`), and `POST …/init/error` an error
/// during init. Each environment has its own listener on 127.0.0.1 (an ephemeral port), named to
/// the process by `AWS_LAMBDA_RUNTIME_API`.
///
/// A cold start starts a process; a warm invocation reuses an idle process of the function; a
/// timeout kills the process (SIGKILL) and discards it; a process that exits before it answers is
/// a crash with its exit status (Lambda's `Runtime.ExitError`); an init error fails the
/// invocation and discards the process. Every result enters the simulation on its thread, at the
/// virtual time it arrives (`LiveSimulation.complete`). Each process's stdout and stderr are the
/// function's log lines: `[function] line` on stderr and in `--log FILE`.
///
/// The variables Lambda sets are those of
/// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
/// (with placeholder credentials and `AWS_ENDPOINT_URL`, so that unmodified boto3 code talks to
/// fanout serve).
public final class ProcessInvoker: ExternalInvoker, @unchecked Sendable {
  /// The folder a relative `cwd` is taken from: the scenario file's.
  public let baseDirectory: URL
  /// Where results go: the simulation's thread.
  public weak var live: LiveSimulation?
  /// Each log line (already prefixed with the function's name).
  public var logLine: @Sendable (String) -> Void = { line in
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  private let lock = NSLock()
  private var environments: [Int: Environment] = [:]
  private var nextEnvironment = 1
  private var stopped = false

  public init(baseDirectory: URL) {
    self.baseDirectory = baseDirectory
  }

  /// Processes running now (started and not yet exited or discarded).
  public var runningProcesses: Int {
    lock.lock()
    defer { lock.unlock() }
    return environments.count
  }

  // MARK: ExternalInvoker (called on the simulation's thread)

  public func start(_ invocation: ExternalInvocation, in sim: Simulation) {
    guard let f = sim.function(named: invocation.function), case .process(let handler) = f.spec.handler
    else {
      live?.complete(invocation.id, .crash(exitStatus: 127))
      return
    }
    // The deadline as wall epoch milliseconds: the live clock follows the wall's.
    let wallNowMs = Int64((Date().timeIntervalSince1970 * 1000).rounded())
    let deadlineMs = wallNowMs + (invocation.deadline - sim.now).microseconds / 1000
    let delivery = Delivery(
      invocation: invocation.id, requestId: invocation.awsRequestId.text, event: invocation.event,
      deadlineMs: deadlineMs, functionArn: invocation.functionArn,
      traceId: Self.traceId(invocation.awsRequestId, epochSeconds: wallNowMs / 1000),
      timeoutMs: invocation.timeout.microseconds / 1000, coldStart: invocation.coldStart)
    lock.lock()
    if stopped {
      lock.unlock()
      return
    }
    // A warm start takes an idle process of the function (the longest idle first).
    if !invocation.coldStart,
      let env = environments.values.filter({ $0.function == invocation.function && $0.idle && !$0.discarded })
        .min(by: { $0.idleSince < $1.idleSince })
    {
      env.idle = false
      let waiter = env.waiter
      env.waiter = nil
      if let waiter {
        env.current = delivery
        lock.unlock()
        waiter.resume(returning: delivery)
      } else {
        env.pending = delivery
        lock.unlock()
      }
      return
    }
    let env = Environment(id: nextEnvironment, function: invocation.function)
    nextEnvironment += 1
    env.pending = delivery
    environments[env.id] = env
    lock.unlock()
    reclaimIdle(invocation.function, keep: f.warmEnvironments(now: sim.now))
    launch(env, spec: f.spec, arn: f.arn, handler: handler)
  }

  /// A cold start while processes of the function sit idle: the simulation's warm pool has fewer
  /// environments than there are idle processes, because Lambda reclaimed the ones idle past their
  /// lifetime. Those processes are stopped, the longest idle first, as Lambda stops them.
  private func reclaimIdle(_ function: String, keep: Int) {
    lock.lock()
    let idle = environments.values.filter { $0.function == function && $0.idle && !$0.discarded }
      .sorted { $0.idleSince < $1.idleSince }
    let extra = Array(idle.prefix(max(0, idle.count - keep)))
    lock.unlock()
    for env in extra {
      logLine("[\(env.function)] environment \(env.id) reclaimed after its idle lifetime: process stopped")
      discard(env)
    }
  }

  public func timedOut(_ invocation: Int, in sim: Simulation) {
    lock.lock()
    let env = environments.values.first { $0.current?.invocation == invocation || $0.pending?.invocation == invocation }
    lock.unlock()
    if let env { discard(env) }
  }

  /// Stops every process (at exit): SIGKILL, and their listeners closed.
  public func stopAll() {
    lock.lock()
    stopped = true
    let all = Array(environments.values)
    lock.unlock()
    for env in all { discard(env) }
    for env in all { env.process?.waitUntilExit() }
  }

  // MARK: Environments

  /// What `/next` hands the process.
  struct Delivery: Sendable {
    var invocation: Int
    var requestId: String
    var event: String
    var deadlineMs: Int64
    var functionArn: String
    var traceId: String
    var timeoutMs: Int64
    var coldStart: Bool
  }

  /// One execution environment: its listener, its process, and the invocation it runs.
  final class Environment: @unchecked Sendable {
    let id: Int
    let function: String
    var process: Process?
    var server: Task<Void, Never>?
    /// An invocation waiting for the process's next `/next`.
    var pending: Delivery?
    /// The invocation the process has taken.
    var current: Delivery?
    /// A `/next` waiting for an invocation.
    var waiter: CheckedContinuation<Delivery?, Never>?
    var idle = false
    var idleSince = 0
    /// Killed or exited: never reused, and its exit is not a crash to report.
    var discarded = false
    init(id: Int, function: String) {
      self.id = id
      self.function = function
    }
  }

  private var idleCounter = 0

  /// Starts the environment's listener, then its process.
  private func launch(_ env: Environment, spec: FunctionSpec, arn: String, handler: ProcessHandler) {
    let ready = DispatchSemaphore(value: 0)
    let portBox = PortBox()
    var logger = Logger(label: "fanout-runtime-api")
    logger.logLevel = .critical
    let app = Application(
      responder: RuntimeResponder(invoker: self, env: env),
      server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
      configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "fanout"),
      onServerRunning: { channel in
        portBox.port = channel.localAddress?.port ?? 0
        ready.signal()
      },
      logger: logger)
    env.server = Task {
      do { try await app.run() } catch { ready.signal() }
    }
    // The listener binds in a few milliseconds; the simulation's thread waits for its port.
    _ = ready.wait(timeout: .now() + 10)
    let port = portBox.port
    guard port > 0 else {
      fail(env, status: 127, note: "could not open the Runtime API listener")
      return
    }
    let p = Process()
    let program = handler.command[0]
    if program.contains("/") {
      p.executableURL = URL(fileURLWithPath: program, relativeTo: baseDirectory)
      p.arguments = Array(handler.command.dropFirst())
    } else {
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = handler.command
    }
    let cwd =
      handler.cwd.map { URL(fileURLWithPath: $0, relativeTo: baseDirectory).standardizedFileURL } ?? baseDirectory
    p.currentDirectoryURL = cwd
    p.environment = environment(spec: spec, arn: arn, handler: handler, cwd: cwd.path, port: port, env: env.id)
    p.standardInput = FileHandle.nullDevice
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    forwardLines(out, function: env.function)
    forwardLines(err, function: env.function)
    p.terminationHandler = { [weak self] proc in
      let status: Int32 =
        proc.terminationReason == .uncaughtSignal ? 128 + proc.terminationStatus : proc.terminationStatus
      self?.exited(env, status: status)
    }
    lock.lock()
    env.process = p
    lock.unlock()
    do {
      try p.run()
    } catch {
      logLine("[\(env.function)] cannot start \(handler.command.joined(separator: " ")): \(error)")
      fail(env, status: 127, note: nil)
    }
  }

  /// The process's environment: the handler's variables over Lambda's.
  private func environment(spec: FunctionSpec, arn: String, handler: ProcessHandler, cwd: String, port: Int, env: Int)
    -> [String: String]
  {
    var e = ProcessInfo.processInfo.environment
    // Not the server's own AWS settings: the function gets Lambda's.
    for k in e.keys where k.hasPrefix("AWS_") { e[k] = nil }
    let region = Self.region(ofArn: arn) ?? "us-east-1"
    let lambda: [(String, String)] = [
      ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:\(port)"),
      // The environment's own listener answers AWS's protocols as the main endpoint does, and
      // knows the invocation the code is running: what it publishes is credited to its request.
      ("AWS_ENDPOINT_URL", "http://127.0.0.1:\(port)"),
      ("AWS_ACCESS_KEY_ID", "fanout"),
      ("AWS_SECRET_ACCESS_KEY", "fanout"),
      ("AWS_SESSION_TOKEN", "fanout"),
      ("AWS_REGION", region),
      ("AWS_DEFAULT_REGION", region),
      ("AWS_EXECUTION_ENV", "AWS_Lambda_\(spec.runtime)"),
      ("AWS_LAMBDA_FUNCTION_NAME", spec.name),
      ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", String(spec.memorySize)),
      // Lambda gives the deadline per invocation only; SAM CLI's local emulation also sets this.
      ("AWS_LAMBDA_FUNCTION_TIMEOUT", String(spec.timeout.microseconds / 1_000_000)),
      ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
      ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/\(spec.name)"),
      ("AWS_LAMBDA_LOG_STREAM_NAME", "fanout/[$LATEST]environment-\(env)"),
      ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
      ("LAMBDA_TASK_ROOT", cwd),
      ("LAMBDA_RUNTIME_DIR", cwd),
      ("TZ", ":UTC"),
    ]
    for (k, v) in lambda { e[k] = v }
    if let h = Self.handlerName(handler.command) { e["_HANDLER"] = h }
    for v in handler.environment { e[v.name] = v.value }
    return e
  }

  /// The handler a runtime interface client is given: the argument after `awslambdaric` (as in
  /// `python3 -m awslambdaric app.handler`), or after `aws-lambda-ric`.
  static func handlerName(_ command: [String]) -> String? {
    guard
      let i = command.firstIndex(where: {
        $0 == "awslambdaric" || $0.hasSuffix("/awslambdaric") || $0.hasSuffix("aws-lambda-ric")
      }), i + 1 < command.count
    else { return nil }
    return command[i + 1]
  }

  static func region(ofArn arn: String) -> String? {
    let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
    return parts.count > 3 && !parts[3].isEmpty ? String(parts[3]) : nil
  }

  /// An X-Ray trace header (`Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`) drawn from
  /// the request ID, so that it needs no random draw.
  static func traceId(_ id: UUID128, epochSeconds: Int64) -> String {
    func hex(_ v: UInt64, _ n: Int) -> String {
      let s = String(v, radix: 16)
      return String(repeating: "0", count: max(0, n - s.count)) + s.suffix(n)
    }
    return
      "Root=1-\(hex(UInt64(max(0, epochSeconds)), 8))-\(hex(id.hi, 16))\(hex(id.lo >> 32, 8));Parent=\(hex(id.lo, 16));Sampled=0"
  }

  /// Each line the process writes becomes a log line `[function] line`.
  private func forwardLines(_ pipe: Pipe, function: String) {
    let buffer = LineBuffer()
    pipe.fileHandleForReading.readabilityHandler = { [weak self] h in
      let d = h.availableData
      if d.isEmpty {
        h.readabilityHandler = nil
        if let rest = buffer.flush() { self?.logLine("[\(function)] \(rest)") }
        return
      }
      for line in buffer.append(d) { self?.logLine("[\(function)] \(line)") }
    }
  }

  /// Kills the environment's process and closes its listener; its exit is not reported.
  private func discard(_ env: Environment) {
    lock.lock()
    env.discarded = true
    env.idle = false
    environments[env.id] = nil
    let waiter = env.waiter
    env.waiter = nil
    let p = env.process
    lock.unlock()
    waiter?.resume(returning: nil)
    if let p, p.isRunning { kill(p.processIdentifier, SIGKILL) }
    env.server?.cancel()
  }

  /// The environment could not start: its invocation is a crash.
  private func fail(_ env: Environment, status: Int32, note: String?) {
    if let note { logLine("[\(env.function)] \(note)") }
    lock.lock()
    let inv = env.pending?.invocation ?? env.current?.invocation
    lock.unlock()
    discard(env)
    if let inv { live?.complete(inv, .crash(exitStatus: status)) }
  }

  /// The process exited: an invocation it had not answered is a crash with its exit status.
  private func exited(_ env: Environment, status: Int32) {
    lock.lock()
    let reported = !env.discarded
    let inv = env.current?.invocation ?? env.pending?.invocation
    env.current = nil
    env.pending = nil
    lock.unlock()
    guard reported else { return }
    logLine("[\(env.function)] process exited with status \(status)")
    discard(env)
    if let inv { live?.complete(inv, .crash(exitStatus: status)) }
  }

  // MARK: The Runtime API's requests (on the listener's tasks)

  /// `/next`: the pending invocation, or a wait for one (nil: the environment is gone).
  func next(_ env: Environment) async -> Delivery? {
    await withCheckedContinuation { (c: CheckedContinuation<Delivery?, Never>) in
      lock.lock()
      if env.discarded {
        lock.unlock()
        c.resume(returning: nil)
        return
      }
      if var d = env.pending {
        env.pending = nil
        if d.coldStart {
          // The process's init has ended: the handler gets the function's whole timeout from now.
          d.deadlineMs = Int64((Date().timeIntervalSince1970 * 1000).rounded()) + d.timeoutMs
          live?.initEnded(d.invocation)
        }
        env.current = d
        lock.unlock()
        c.resume(returning: d)
        return
      }
      if env.current == nil && !env.idle {
        // The process asks again after answering outside an invocation; it is idle.
        idleCounter += 1
        env.idle = true
        env.idleSince = idleCounter
      }
      let old = env.waiter
      env.waiter = c
      lock.unlock()
      old?.resume(returning: nil)
    }
  }

  /// The invocation the environment's code is running now, if any.
  func currentInvocation(_ env: Environment) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    return env.current?.invocation
  }

  /// `/response` or `/error` for `requestId`: false when it is not the environment's invocation.
  func answer(_ env: Environment, requestId: String, _ result: ExternalResult) -> Bool {
    lock.lock()
    guard let d = env.current, d.requestId == requestId, !env.discarded else {
      lock.unlock()
      return false
    }
    env.current = nil
    idleCounter += 1
    env.idle = true
    env.idleSince = idleCounter
    lock.unlock()
    live?.complete(d.invocation, result)
    return true
  }

  /// `/init/error`: the invocation waiting for the environment fails, and the process is
  /// discarded.
  func initError(_ env: Environment, type: String, message: String) {
    lock.lock()
    let inv = env.pending?.invocation ?? env.current?.invocation
    lock.unlock()
    logLine("[\(env.function)] init error: \(type): \(message)")
    discard(env)
    if let inv { live?.complete(inv, .initError(type: type, message: message)) }
  }
}

/// The port a listener bound, set from its task.
final class PortBox: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  var port: Int {
    get {
      lock.lock()
      defer { lock.unlock() }
      return value
    }
    set {
      lock.lock()
      value = newValue
      lock.unlock()
    }
  }
}

/// Splits a stream into lines.
private final class LineBuffer: @unchecked Sendable {
  private let lock = NSLock()
  private var bytes: [UInt8] = []
  func append(_ d: Data) -> [String] {
    lock.lock()
    defer { lock.unlock() }
    bytes += d
    var lines: [String] = []
    while let nl = bytes.firstIndex(of: 0x0A) {
      // A carriage return separates lines too (awslambdaric joins a traceback's lines with it).
      for part in bytes[..<nl].split(separator: 0x0D) { lines.append(String(decoding: part, as: UTF8.self)) }
      bytes.removeSubrange(...nl)
    }
    return lines
  }
  func flush() -> String? {
    lock.lock()
    defer { lock.unlock() }
    guard !bytes.isEmpty else { return nil }
    let s = String(decoding: bytes, as: UTF8.self)
    bytes = []
    return s
  }
}

/// One environment's Runtime API.
struct RuntimeResponder: HTTPResponder {
  typealias Context = BasicRequestContext
  let invoker: ProcessInvoker
  let env: ProcessInvoker.Environment
  static let prefix = "/2018-06-01/runtime/"

  func respond(to request: Request, context: Context) async throws -> Response {
    let path = request.uri.path
    guard path.hasPrefix(Self.prefix) else {
      // The code's own AWS calls (AWS_ENDPOINT_URL names this listener).
      guard let live = invoker.live else { return Self.json(503, error: "ServiceUnavailable", "fanout is stopping") }
      return await WireResponder.answer(
        request, live: live, bodyLimit: ServeOptions().bodyLimit, caller: invoker.currentInvocation(env))
    }
    let parts = path.dropFirst(Self.prefix.count).split(separator: "/").map(String.init)
    switch (request.method, parts.count) {
    case (.get, 2) where parts == ["invocation", "next"]:
      guard let d = await invoker.next(env) else {
        return Self.json(500, error: "Runtime.EnvironmentDiscarded", "the execution environment was discarded")
      }
      var fields = HTTPFields()
      fields[.contentType] = "application/json"
      let headers = [
        ("Lambda-Runtime-Aws-Request-Id", d.requestId), ("Lambda-Runtime-Deadline-Ms", String(d.deadlineMs)),
        ("Lambda-Runtime-Invoked-Function-Arn", d.functionArn), ("Lambda-Runtime-Trace-Id", d.traceId),
      ]
      for (n, v) in headers { if let name = HTTPField.Name(n) { fields[name] = v } }
      return Response(
        status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(d.event.utf8))))
    case (.post, 3) where parts[0] == "invocation" && (parts[2] == "response" || parts[2] == "error"):
      var req = request
      let body = try await req.collectBody(upTo: 6 * 1_048_576)
      let text = String(decoding: body.readableBytesView, as: UTF8.self)
      let result: ExternalResult
      if parts[2] == "response" {
        result = .success(text.isEmpty ? "null" : text)
      } else {
        let (type, message) = Self.lambdaError(
          text, header: request.headers[HTTPField.Name("Lambda-Runtime-Function-Error-Type")!])
        result = .error(type: type, message: message)
      }
      guard invoker.answer(env, requestId: parts[1], result) else {
        return Self.json(400, error: "InvalidRequestID", "no invocation \(parts[1]) is waiting for this environment")
      }
      return Self.accepted
    case (.post, 2) where parts == ["init", "error"]:
      var req = request
      let body = try await req.collectBody(upTo: 1_048_576)
      let (type, message) = Self.lambdaError(
        String(decoding: body.readableBytesView, as: UTF8.self),
        header: request.headers[HTTPField.Name("Lambda-Runtime-Function-Error-Type")!])
      invoker.initError(env, type: type, message: message)
      return Self.accepted
    default:
      return Self.json(404, error: "InvalidRequest", "unknown Runtime API call \(request.method.rawValue) \(path)")
    }
  }

  /// The Runtime API's answer to a response or an error: 202 `{"status":"OK"}`.
  static var accepted: Response {
    var fields = HTTPFields()
    fields[.contentType] = "application/json"
    return Response(
      status: .accepted, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"OK"}"#)))
  }

  static func json(_ status: Int, error: String, _ message: String) -> Response {
    var fields = HTTPFields()
    fields[.contentType] = "application/json"
    let body = try? JSONSerialization.data(withJSONObject: ["errorType": error, "errorMessage": message])
    return Response(
      status: HTTPResponse.Status(code: status), headers: fields,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(body ?? Data()))))
  }

  /// Lambda's error JSON (`errorType`, `errorMessage`); the type falls back to the
  /// `Lambda-Runtime-Function-Error-Type` header, then `Unhandled`.
  static func lambdaError(_ text: String, header: String?) -> (String, String) {
    let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    let type = (object?["errorType"] as? String) ?? header ?? "Unhandled"
    let message = (object?["errorMessage"] as? String) ?? (object == nil ? text : "")
    return (type, message)
  }
}
