import ArgumentParser
import Dashboard
import FanoutReport
import FanoutScenario
import FanoutSim
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `fanout run`: the pipeline headless, as fast as the machine goes.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the pipeline headless in virtual time and print a report.",
    discussion: """
      Fires N requests at the preprocessor (R per second of virtual time), runs until all work has \
      drained or the time limit, and prints what every queue, function, topic and the bucket did. \
      The same seed gives the same events, byte for byte. With --template, the imported pipeline \
      runs its overlay's load and timeline; --requests or --rate fire its entry function. With \
      process functions (their own code) or --listen, the clock follows wall time until the work \
      has drained (docs/serve.md); --record keeps what the code and clients did, so that \
      --replay FILE runs it again without them.
      """
  )

  @OptionGroup var pipeline: PipelineOptions

  @OptionGroup var liveOptions: LiveOptions

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Also write process functions' log lines (their stdout and stderr, on stderr as they come) to FILE.",
      valueName: "FILE"))
  var log: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "With --listen or process functions: record the session to FILE (every client request and process result as a command at its point of the run), so that --replay FILE replays it without them.",
      valueName: "FILE"))
  var record: String?

  @Option(name: .long, help: "Requests to fire (0 to 100000000; default 10, or the scenario's load).")
  var requests: Int?

  @Option(name: .long, help: "Requests per second of virtual time (above 0, at most 1000000; default 100).")
  var rate: Double?

  @Option(name: .long, help: "Stop after this much virtual time even if work remains (e.g. 90s, 10m, 2h).")
  var until: String?

  @Option(name: .long, help: "Write every event as a JSON line to FILE.")
  var events: String?

  @Flag(name: .long, help: "Print the report as one JSON object.")
  var json = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write a self-contained HTML page of the run to FILE: the pipeline's diagram, charts over virtual time, the report.",
      valueName: "FILE"))
  var html: String?

  /// Observes the run as the dashboard does (its model takes every event, and a snapshot every
  /// 1,000 jobs), without a terminal: what watching costs, for `Benchmarks/dashboard.sh`.
  @Flag(name: .long, help: .hidden)
  var observe = false

  func validate() throws {
    if pipeline.replay != nil, requests != nil || rate != nil || until != nil {
      throw ValidationError("--requests, --rate and --until cannot be combined with --replay: the recording decides")
    }
    if pipeline.replay != nil, liveOptions.listen != nil || record != nil {
      throw ValidationError(
        "--listen and --record cannot be combined with --replay: a replay runs without clients or function code")
    }
    if pipeline.template != nil, record != nil {
      throw ValidationError(
        "--record needs a scenario file to name: write the template's with fanout import -o FILE, then --scenario FILE")
    }
    if let requests, !(0...100_000_000).contains(requests) {
      throw ValidationError("--requests must be between 0 and 100000000 (got \(requests))")
    }
    if let rate, !(rate.isFinite && rate > 0 && rate <= 1_000_000) {
      throw ValidationError("--rate must be above 0 and at most 1000000 requests per second (got \(rate))")
    }
    if let until {
      guard let span = parseSpan(until), span > .zero else {
        throw ValidationError("--until must be a positive duration such as 90s, 10m or 2h (got '\(until)')")
      }
      guard span <= .days(366) else { throw ValidationError("--until must be at most 366 days (got '\(until)')") }
    }
  }

  func run() throws {
    let prices = try pipeline.priceTable()
    let (sim, loaded, scenarioPath, log) = try pipeline.load()
    // Clients or function code take part: the clock follows wall time (a replay needs neither).
    let live = log == nil && (liveOptions.listen != nil || !processFunctions(sim.topology).isEmpty)
    if record != nil, !live {
      throw CLIFailure(
        message:
          "--record keeps what clients and function code did, and this run has neither: give --listen HOST:PORT, or a scenario with process functions (a run without them replays from its seed alone)"
      )
    }
    if live, html != nil || observe {
      throw CLIFailure(
        message:
          "--html needs a run in virtual time: record the live run (--record FILE), then fanout run --replay FILE --html PAGE"
      )
    }
    // Opened before the run, so that a path that cannot be written fails at once.
    let pageFile = try html.map(PageFile.init(path:))
    var writer: EventFileWriter?
    if let events {
      writer = try EventFileWriter(path: events)
      sim.observer = { [writer] e in writer?.write(e) }
    }
    var model: PipelineModel?
    if observe {
      let m = PipelineModel(sim: sim)
      model = m
      let write = sim.observer
      sim.observer = { e in
        if let write {
          m.apply(copy e)
          write(e)
        } else {
          m.apply(e)
        }
      }
    }
    let limit = until.flatMap(parseSpan).map { sim.now + $0 }
    // Samples for --html: read at boundaries of virtual time, between jobs; the events are the same.
    let sampler = html != nil ? RunSampler(sim: sim, probes: ReportProbe.cost(prices: prices)) : nil
    let clock = ContinuousClock()
    let started = clock.now
    let drained: Bool
    var stopReason: String?
    if let log {
      var player = ReplayPlayer(log: log)
      if let sampler {
        sampler.replay(&player)
      } else {
        _ = player.advance(sim, to: .distantFuture)
      }
      if let n = player.divergedAt {
        let e = log.entries[n]
        printError(
          "fanout: warning: the replay diverged: line \(n + 2) of the session was recorded after \(e.jobs) jobs, and this run has no more than \(sim.jobsExecuted) (another scenario file, or another version of fanout?); the rest of the session was not applied"
        )
      }
      drained = !sim.hasPendingWork
    } else {
      // A template's pipeline has no load of its own: --requests or --rate fire its entry function.
      let fire = pipeline.template != nil ? requests != nil || rate != nil : loaded == nil || requests != nil
      if fire {
        if pipeline.template != nil, sim.topology.entryFunction == nil {
          throw CLIFailure(
            message:
              "--requests and --rate fire the entry function: name it with --entry NAME or in the behaviour overlay (entry: NAME)"
          )
        }
        if !live { sim.startLoad(count: requests ?? 10, rate: rate ?? 100) }
      }
      if live {
        let load = fire ? ControlCommand.startLoad(count: requests ?? 10, rate: rate ?? 100) : nil
        (drained, stopReason) = try runLive(sim, scenarioPath: scenarioPath, limit: limit, load: load)
      } else if let model {
        // A snapshot every 10,000 jobs, about as often as a dashboard's frame at ×1000.
        var jobs = 0
        while sim.hasPendingWork, let t = sim.nextJobTime, limit.map({ t <= $0 }) ?? true {
          sampler?.advance(to: t)
          sim.step()
          jobs += 1
          if jobs % 10_000 == 0 { model.take(sim.snapshot()) }
        }
        drained = sim.runUntilDrained(limit: limit)
        sampler?.finish()
        model.take(sim.snapshot())
      } else if let sampler {
        drained = sampler.runUntilDrained(limit: limit)
      } else {
        drained = sim.runUntilDrained(limit: limit)
      }
    }
    let elapsed = started.duration(to: clock.now)
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    try writer?.close()
    let verdicts = (loaded?.expectations ?? []).map { $0.check(sim) }
    var report = RunReport(
      sim: sim, scenario: loaded?.name ?? "seed-pipeline", drained: drained, wallSeconds: wall,
      expectations: verdicts.map { ($0.text, $0.held) })
    report.prices = prices
    report.stopReason = stopReason
    print(json ? report.json : report.text)
    if let page = pageFile, let sampler { try page.write(RunReportPage.html(report: report, samples: sampler.samples)) }
    if verdicts.contains(where: { !$0.held }) { throw ExitCode(1) }
  }
}

extension RunCommand {
  /// Runs with clients or process functions taking part: the clock follows wall time (×1) until
  /// the work has drained (idle execution environments do not hold it open: their processes are
  /// stopped at the end) or `limit`; SIGINT and SIGTERM end it early, with the report. Returns
  /// whether it drained, and what stopped it when a signal did.
  func runLive(_ sim: Simulation, scenarioPath: String?, limit: SimTime?, load: ControlCommand?) throws -> (
    Bool, String?
  ) {
    let (host, endpoint) = try openLiveHost(
      sim: sim, scenarioPath: scenarioPath, listen: liveOptions.listen, logFile: log,
      record: record != nil, signals: false)
    if liveOptions.listen != nil {
      printError("fanout run: listening on \(endpoint)")
    }
    if let load { host.apply(load, to: sim) }
    let stop = SignalFlag.install()
    // With --listen and --until, clients have until the limit; otherwise the run ends once its
    // work has drained and no client waits for an answer.
    let untilLimit = liveOptions.listen != nil && limit != nil
    host.live.stopWhen = { [live = host.live] sim in
      if stop.raisedBy != nil { return true }
      if let limit, sim.now >= limit { return true }
      return !untilLimit && !sim.hasPendingWork && !live.hasWaitingRequests
    }
    host.live.start()
    host.live.waitUntilFinished()
    let done = host.close()
    try writeSession(host.session, to: record)
    return (!done.hasPendingWork, stop.raisedBy.map { "stopped by \($0)" })
  }
}

/// SIGINT or SIGTERM seen: a live run ends early, with its report, instead of dying.
final class SignalFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var first: String?
  private var sources: [any DispatchSourceSignal] = []

  /// The first of SIGINT and SIGTERM seen, if any.
  var raisedBy: String? {
    lock.lock()
    defer { lock.unlock() }
    return first
  }

  static func install() -> SignalFlag {
    let flag = SignalFlag()
    for s in [SIGINT, SIGTERM] {
      signal(s, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
      source.setEventHandler {
        flag.lock.lock()
        if flag.first == nil { flag.first = s == SIGINT ? "SIGINT" : "SIGTERM" }
        flag.lock.unlock()
      }
      source.resume()
      flag.sources.append(source)
    }
    return flag
  }
}

/// Streams events to a file as JSON lines through a large stdio buffer.
final class EventFileWriter: @unchecked Sendable {
  private var file: UnsafeMutablePointer<FILE>?
  private let path: String

  init(path: String) throws {
    self.path = path
    guard let f = fopen(path, "w") else {
      throw CLIFailure(message: "cannot write events to \(path): \(String(cString: strerror(errno)))")
    }
    setvbuf(f, nil, _IOFBF, 1 << 20)
    file = f
  }

  func write(_ e: SimEvent) {
    guard let file else { return }
    var line = e.jsonLine
    line.append("\n")
    fputs(line, file)
  }

  func close() throws {
    guard let f = file else { return }
    file = nil
    let failed = ferror(f) != 0
    if fclose(f) != 0 || failed {
      throw CLIFailure(message: "could not finish writing events to \(path): \(String(cString: strerror(errno)))")
    }
  }
}

/// The file `--html` writes, opened (and so created) before the run.
final class PageFile {
  private var file: UnsafeMutablePointer<FILE>?
  private let path: String

  init(path: String) throws {
    self.path = path
    guard let f = fopen(path, "w") else {
      throw CLIFailure(message: "cannot write the report to \(path): \(String(cString: strerror(errno)))")
    }
    file = f
  }

  func write(_ page: String) throws {
    guard let f = file else { return }
    file = nil
    let failed = fputs(page, f) < 0 || ferror(f) != 0
    if fclose(f) != 0 || failed {
      throw CLIFailure(message: "could not finish writing the report to \(path): \(String(cString: strerror(errno)))")
    }
  }
}
