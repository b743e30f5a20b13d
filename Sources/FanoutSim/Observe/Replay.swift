// MARK: - Commands from a person, and replaying them exactly

/// What a person (or a replay) asks the simulation to do.
public enum ControlCommand: Equatable, Sendable {
  case fire(Int)
  case setMapping(Int, enabled: Bool)
  /// Breaks (every invocation errors) or mends the function behind mapping `service`.
  case setFailure(service: Int, failing: Bool)
  case stepEvent
  /// Starts a redrive of a dead-letter queue, or cancels the one running.
  case redrive(queue: String)
  /// Sends a request's `{"request_id": …}` into the pipeline at a topic or a queue, marked injected.
  /// With `message`, that text is sent instead (an edited body).
  case inject(
    requestID: RequestID, message: String? = nil, attributes: [MessageAttribute] = [], topic: String?, queue: String?)
  /// Switches a queue's at-least-once duplicate rate (0 to 1).
  case setDuplicateRate(queue: String, rate: Double)
  /// Starts a load of `count` requests at `rate` a second (`fanout run --requests --rate`).
  case startLoad(count: Int, rate: Double)
  /// A client's request at the AWS endpoints (`fanout serve`, `--listen`); requests are numbered
  /// from 1 in the order they arrive. `caller`: the invocation whose code made it, when a process
  /// function's made it.
  case wire(WireRequest, caller: Int? = nil)
  /// A waiting request (a long poll, a synchronous Invoke) is answered now if it can be: the wire
  /// layer's `take`, which may change the simulation and still find nothing.
  case wireTake(Int)
  /// A waiting request reached its deadline and gets its empty answer.
  case wireTimeout(Int)
  /// A process function's result for an invocation, as its code gave it.
  case external(invocation: Int, result: ExternalResult)
  /// A cold-started process asked for its event: its init phase ended.
  case externalInit(invocation: Int)
}

/// Replays the wire commands of a recorded session: the wire layer answers each request again,
/// at the same point of the run, and throws the answer away (FanoutWire's `WireReplayer`).
public protocol WireReplaying: AnyObject {
  func replay(_ c: ControlCommand, in sim: Simulation)
}

extension Simulation {
  /// Applies a command; returns a line for people about what it did, if there is one to say.
  @discardableResult
  public func apply(_ c: ControlCommand) -> String? {
    switch c {
    case .fire(let n):
      for _ in 0..<n { fireRequest() }
    case .setMapping(let i, let on):
      setMapping(i, enabled: on)
    case .setFailure(let i, let broken):
      let f = functions[mappings[i].function]
      var spec = f.failure
      spec.errorRate = broken ? 1 : 0
      try? setFailure(function: f.name, spec)
    case .stepEvent:
      step()
    case .inject(let id, let message, let attributes, let topic, let queue):
      do {
        if let topic {
          try publish(
            topic: topic, message: message ?? Payload.requestRef(id).text, attributes: attributes, injected: true)
          return "injected \(id.hex.prefix(8)) at topic \(topic)"
        }
        if let queue {
          try inject(message.map(Payload.from(text:)) ?? .requestRef(id), attributes: attributes, queue: queue)
          return "injected \(id.hex.prefix(8)) at queue \(queue)"
        }
      } catch {
        return "\(error)"
      }
    case .setDuplicateRate(let name, let rate):
      do {
        try setDuplicateRate(queue: name, rate)
        return rate > 0
          ? "\(name): \(percentText(rate)) of receives leave a copy (at-least-once delivery)"
          : "\(name): no duplicates"
      } catch {
        return "\(error)"
      }
    case .startLoad(let count, let rate):
      startLoad(count: count, rate: rate)
    case .wire, .wireTake, .wireTimeout:
      guard let wireReplayer else { return "a client's request needs the wire layer to replay" }
      wireReplayer.replay(c, in: self)
    case .external(let id, let result):
      completeExternal(id, result)
    case .externalInit(let id):
      externalInitEnded(id)
    case .redrive(let name):
      if let running = moveTasks.first(where: { $0.status == .running && queues[$0.source].name == name }) {
        try? cancelMessageMoveTask(running.id)
        return "redrive of \(name) cancelled after \(running.moved) of \(running.total)"
      }
      do {
        let id = try startMessageMoveTask(source: name)
        return "redrive task \(id): \(name) → source queues at the optimised rate"
      } catch {
        return "\(error)"
      }
    }
    return nil
  }
}

/// A recorded session: the scenario and seed, and every command with the exact point of the run
/// it was given at (jobs executed so far, and the virtual clock).
public struct ReplayLog: Equatable, Sendable {
  public struct Entry: Equatable, Sendable {
    public var jobs: Int
    public var time: SimTime
    /// nil marks the end of the session.
    public var command: ControlCommand?
  }

  public var seed: UInt64
  public var scenario: String?
  public var entries: [Entry] = []

  public init(seed: UInt64, scenario: String?) {
    self.seed = seed
    self.scenario = scenario
  }

  /// Records a command about to be applied to `sim`.
  public mutating func record(_ c: ControlCommand?, _ sim: Simulation) {
    entries.append(Entry(jobs: sim.jobsExecuted, time: sim.now, command: c))
  }

  /// JSON lines: a header, then one line per command, the last one `end`.
  public var text: String {
    var header = JSONObjectWriter()
    header.int("fanout_replay", 1)
    header.int("seed", Int64(bitPattern: seed))
    if let scenario { header.string("scenario", scenario) } else { header.null("scenario") }
    var lines = [header.finished()]
    for e in entries {
      var w = JSONObjectWriter()
      w.int("jobs", e.jobs)
      w.int("time_us", e.time.microsecondsSinceEpoch)
      switch e.command {
      case nil: w.string("command", "end")
      case .fire(let n)?:
        w.string("command", "fire")
        w.int("count", n)
      case .setMapping(let i, let on)?:
        w.string("command", "mapping")
        w.int("index", i)
        w.bool("enabled", on)
      case .setFailure(let i, let f)?:
        w.string("command", "failure")
        w.int("service", i)
        w.bool("failing", f)
      case .stepEvent?: w.string("command", "step")
      case .redrive(let q)?:
        w.string("command", "redrive")
        w.string("queue", q)
      case .setDuplicateRate(let q, let rate)?:
        w.string("command", "duplicate_rate")
        w.string("queue", q)
        w.double("rate", rate)
      case .inject(let id, let message, let attributes, let topic, let queue)?:
        w.string("command", "inject")
        w.string("request_id", id.hex)
        if let message { w.string("message", message) }
        if !attributes.isEmpty {
          w.raw(
            "attributes",
            "{" + attributes.map { jsonString($0.name) + ":" + $0.envelopeJSON }.joined(separator: ",") + "}")
        }
        w.optionalString("topic", topic)
        w.optionalString("queue", queue)
      case .startLoad(let count, let rate)?:
        w.string("command", "load")
        w.int("count", count)
        w.double("rate", rate)
      case .wire(let r, let caller)?:
        w.string("command", "wire")
        if let caller { w.int("caller", caller) }
        w.string("method", r.method)
        w.string("path", r.path)
        if !r.query.isEmpty { w.string("query", r.query) }
        w.raw(
          "headers",
          "[" + r.headers.map { "[" + jsonString($0.name) + "," + jsonString($0.value) + "]" }.joined(separator: ",")
            + "]")
        if !r.body.isEmpty { w.string("body_base64", base64Encode(r.body)) }
      case .wireTake(let n)?:
        w.string("command", "wire_take")
        w.int("request", n)
      case .wireTimeout(let n)?:
        w.string("command", "wire_timeout")
        w.int("request", n)
      case .externalInit(let id)?:
        w.string("command", "external_init")
        w.int("invocation", id)
      case .external(let id, let result)?:
        w.string("command", "external")
        w.int("invocation", id)
        switch result {
        case .success(let response):
          w.string("outcome", "success")
          w.string("response", response)
        case .error(let type, let message):
          w.string("outcome", "error")
          w.string("error_type", type)
          w.string("error_message", message)
        case .initError(let type, let message):
          w.string("outcome", "init_error")
          w.string("error_type", type)
          w.string("error_message", message)
        case .crash(let status):
          w.string("outcome", "crash")
          w.int("exit_status", Int(status))
        }
      }
      lines.append(w.finished())
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Reads a replay file.
  public static func parse(_ text: String) throws -> ReplayLog {
    func bad(_ n: Int, _ m: String) -> TraceError { TraceError(description: "replay line \(n): \(m)") }
    var lines = text.split(separator: "\n").map(String.init).enumerated().makeIterator()
    guard let (_, first) = lines.next(), let h = JSONValue.parse(first), h["fanout_replay"] == .number(1),
      case .number(let s)? = h["seed"]
    else { throw bad(1, "not a fanout replay file") }
    var log = ReplayLog(seed: UInt64(bitPattern: Int64(s)), scenario: h["scenario"]?.stringValue)
    while let (i, line) = lines.next() {
      guard let v = JSONValue.parse(line), case .number(let jobs)? = v["jobs"], case .number(let t)? = v["time_us"],
        let name = v["command"]?.stringValue
      else { throw bad(i + 1, "expected jobs, time_us and command") }
      func int(_ k: String) throws -> Int {
        guard case .number(let x)? = v[k] else { throw bad(i + 1, "\(name) needs \(k)") }
        return Int(x)
      }
      func bool(_ k: String) throws -> Bool {
        guard case .bool(let x)? = v[k] else { throw bad(i + 1, "\(name) needs \(k)") }
        return x
      }
      let c: ControlCommand?
      switch name {
      case "end": c = nil
      case "fire": c = .fire(try int("count"))
      case "mapping": c = .setMapping(try int("index"), enabled: try bool("enabled"))
      case "failure": c = .setFailure(service: try int("service"), failing: try bool("failing"))
      case "step": c = .stepEvent
      case "redrive":
        guard let q = v["queue"]?.stringValue else { throw bad(i + 1, "redrive needs queue") }
        c = .redrive(queue: q)
      case "duplicate_rate":
        guard let q = v["queue"]?.stringValue, case .number(let rate)? = v["rate"] else {
          throw bad(i + 1, "duplicate_rate needs queue and rate")
        }
        c = .setDuplicateRate(queue: q, rate: rate)
      case "inject":
        guard let h = v["request_id"]?.stringValue, let id = RequestID(hex: h) else {
          throw bad(i + 1, "inject needs request_id")
        }
        var attributes: [MessageAttribute] = []
        if case .object(let members)? = v["attributes"] {
          for (k, a) in members {
            attributes.append(
              MessageAttribute(
                name: k, dataType: a["Type"]?.stringValue ?? "String", value: a["Value"]?.stringValue ?? ""))
          }
        }
        c = .inject(
          requestID: id, message: v["message"]?.stringValue, attributes: attributes, topic: v["topic"]?.stringValue,
          queue: v["queue"]?.stringValue)
      case "wire":
        guard let method = v["method"]?.stringValue, let path = v["path"]?.stringValue,
          case .array(let hs)? = v["headers"]
        else { throw bad(i + 1, "wire needs method, path and headers") }
        var headers: [(name: String, value: String)] = []
        for h in hs {
          guard case .array(let pair) = h, pair.count == 2, let k = pair[0].stringValue, let x = pair[1].stringValue
          else { throw bad(i + 1, "a wire header is [name, value]") }
          headers.append((k, x))
        }
        var body: [UInt8] = []
        if let b = v["body_base64"]?.stringValue {
          guard let bytes = base64Decode(b) else { throw bad(i + 1, "wire body_base64 is not base64") }
          body = bytes
        }
        var caller: Int?
        if case .number(let x)? = v["caller"] { caller = Int(x) }
        c = .wire(
          WireRequest(method: method, path: path, query: v["query"]?.stringValue ?? "", headers: headers, body: body),
          caller: caller)
      case "load":
        guard case .number(let rate)? = v["rate"] else { throw bad(i + 1, "load needs rate") }
        c = .startLoad(count: try int("count"), rate: rate)
      case "wire_take": c = .wireTake(try int("request"))
      case "wire_timeout": c = .wireTimeout(try int("request"))
      case "external_init": c = .externalInit(invocation: try int("invocation"))
      case "external":
        let id = try int("invocation")
        func text(_ k: String) throws -> String {
          guard let x = v[k]?.stringValue else { throw bad(i + 1, "external needs \(k)") }
          return x
        }
        switch v["outcome"]?.stringValue {
        case "success": c = .external(invocation: id, result: .success(try text("response")))
        case "error":
          c = .external(
            invocation: id, result: .error(type: try text("error_type"), message: try text("error_message")))
        case "init_error":
          c = .external(
            invocation: id, result: .initError(type: try text("error_type"), message: try text("error_message")))
        case "crash": c = .external(invocation: id, result: .crash(exitStatus: Int32(clamping: try int("exit_status"))))
        default: throw bad(i + 1, "external needs outcome: success, error, init_error or crash")
        }
      default: throw bad(i + 1, "unknown command \(name)")
      }
      log.entries.append(Entry(jobs: Int(jobs), time: SimTime(microsecondsSinceEpoch: Int64(t)), command: c))
    }
    return log
  }
}

/// Plays a replay log against a simulation: each command is applied after exactly the same jobs
/// as when it was recorded, at the same virtual time, so the events are the same, byte for byte.
public struct ReplayPlayer {
  public let log: ReplayLog
  public private(set) var next = 0
  /// Set when the run ran out of jobs before a command's recorded point: it is not the run the
  /// session was recorded from (another scenario file, or another version of fanout). The rest of
  /// the session is not applied.
  public private(set) var divergedAt: Int?
  public init(log: ReplayLog) { self.log = log }

  /// Whether the session's end has been reached.
  public var finished: Bool { next >= log.entries.count }

  /// Runs the simulation up to `target` (or the session's end), applying commands on the way.
  /// `keepGoing` is asked between jobs (a real-time loop's budget); false stops early.
  public mutating func advance(_ sim: Simulation, to target: SimTime, keepGoing: () -> Bool = { true }) -> Bool {
    while next < log.entries.count {
      let e = log.entries[next]
      while sim.jobsExecuted < e.jobs {
        guard let t = sim.nextJobTime, t <= target else { return reach(sim, target) }
        sim.step()
        if !keepGoing() { return false }
      }
      guard e.time <= target else { return reach(sim, target) }
      sim.moveClock(to: e.time)
      next += 1
      guard let c = e.command else { return true }
      sim.apply(c)
    }
    return reach(sim, target)
  }

  private mutating func reach(_ sim: Simulation, _ target: SimTime) -> Bool {
    if finished { return true }
    // Stop short of the next command's jobs: run only what comes before it.
    let e = log.entries[next]
    while sim.jobsExecuted < e.jobs, let t = sim.nextJobTime, t <= target { sim.step() }
    if sim.jobsExecuted < e.jobs, sim.nextJobTime == nil {
      divergedAt = next
      next = log.entries.count
      return true
    }
    // Nothing else may run before the next command: the clock goes as far as it may.
    sim.moveClock(to: sim.jobsExecuted < e.jobs ? target : min(target, e.time))
    return true
  }
}

/// A rate as a percentage, with decimals only when it needs them (`1 %`, `0.5 %`).
public func percentText(_ rate: Double) -> String {
  let p = (rate * 1_000).rounded() / 10
  return p == p.rounded() ? "\(Int(p)) %" : "\(p) %"
}
