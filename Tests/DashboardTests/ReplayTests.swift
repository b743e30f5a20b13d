import Testing

@testable import Dashboard
@testable import FanoutSim

@Suite("Replay: a recorded dashboard session plays back byte for byte")
struct ReplayTests {
  @Test("A scripted session, with frames cut short mid-instant, replays headless to the identical event log")
  func identicalEvents() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 5)
    var recorded: [String] = []
    let d = Dashboard(sim: sim, observer: { recorded.append($0.jsonLine) })
    // Frames: advance in uneven chunks, sometimes stopping after a few jobs like a lagging frame,
    // and draw every view between them (each pane, a queue's attributes, its charts, the help):
    // the replay below runs without any dashboard, so the view cannot have changed the run.
    func frame(_ span: SimDuration, jobs: Int? = nil) {
      if let jobs {
        for _ in 0..<jobs { sim.step() }
      } else {
        sim.run(until: sim.now + span)
      }
      var look = d.state
      for detail: Detail? in [nil, .queue("service01"), .chart(queue: "service02"), .help] {
        look.details = detail.map { [$0] } ?? []
        for w in [(120, 40), (80, 24), (170, 50)] {
          (look.width, look.height) = w
          d.refresh()
          _ = render(look, d.model, glyphs: .unicode)
        }
      }
    }
    d.handle(.fire)
    frame(.milliseconds(150))
    d.handle(.fireBurst)
    frame(.zero, jobs: 7)
    d.handle(.toggleMapping(2))
    frame(.seconds(2))
    d.handle(.chooseFailure)
    d.handle(.toggleMapping(3))
    d.handle(.fire)
    frame(.zero, jobs: 3)
    d.handle(.togglePause)
    d.handle(.stepEvent)
    d.handle(.stepEvent)
    d.handle(.togglePause)
    frame(.seconds(40))
    d.handle(.toggleMapping(2))
    frame(.seconds(5))
    let log = d.replayLog()
    #expect(log.entries.count == 9)
    #expect(try ReplayLog.parse(log.text) == log)

    let again = try Simulation(topology: .seedPipeline(), seed: log.seed)
    var replayed: [String] = []
    again.observer = { replayed.append($0.jsonLine) }
    var player = ReplayPlayer(log: log)
    _ = player.advance(again, to: .distantFuture)
    #expect(player.finished)
    #expect(replayed.count == recorded.count)
    #expect(replayed == recorded)
    #expect(again.now == sim.now)

    // The same, played in 33 ms frames as the dashboard plays it.
    let framed = try Simulation(topology: .seedPipeline(), seed: log.seed)
    var framedLines: [String] = []
    framed.observer = { framedLines.append($0.jsonLine) }
    var p2 = ReplayPlayer(log: log)
    var frames = 0
    while !p2.finished {
      _ = p2.advance(framed, to: framed.now + .milliseconds(33))
      frames += 1
    }
    #expect(frames > 100, "played frame by frame")
    #expect(framedLines == recorded)
  }

  @Test("While replaying, keys that would change the pipeline are refused; viewing keys work")
  func replayingBlocksCommands() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 5)
    let d = Dashboard(sim: sim)
    d.state.replaying = true
    #expect(d.handle(.fire).isEmpty)
    #expect(d.state.message.contains("replaying"))
    d.handle(.focusNext)
    #expect(d.state.focus == .inFlight)
    #expect(sim.tracker.fired == 0)
  }

  @Test("A broken replay file is refused with the line at fault")
  func brokenFile() {
    #expect(throws: TraceError.self) { try ReplayLog.parse("not json\n") }
    #expect(throws: TraceError.self) {
      try ReplayLog.parse(
        "{\"fanout_replay\":1,\"seed\":1,\"scenario\":null}\n{\"jobs\":1,\"time_us\":5,\"command\":\"dance\"}\n")
    }
  }
}

@Suite("Injecting from the dashboard")
struct DashboardInjectTests {
  @Test("i on a request opens the targets; ↓ and Enter inject it at the chosen queue; the replay records it")
  func injectKey() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 6)
    let d = Dashboard(sim: sim)
    d.handle(.fire)
    sim.runUntilDrained()
    d.handle(.focusNext)
    d.handle(.focusNext)
    d.handle(.inject)
    guard case .inject? = d.state.details.last else {
      Issue.record("no chooser")
      return
    }
    let targets = injectTargets(sim.layout)
    let service02 = targets.firstIndex { $0.queue == "service02" }!
    for _ in 0..<service02 { d.handle(.down) }
    let commands = d.handle(.open)
    #expect(commands.count == 1)
    #expect(d.state.details.isEmpty)
    sim.runUntilDrained()
    #expect(sim.function(named: "service02")!.counters.invocations == 2)
    #expect(sim.function(named: "service01")!.counters.invocations == 1)
    #expect(
      d.replayLog().entries.contains {
        if case .inject(_, _, _, nil, "service02")? = $0.command { return true }
        return false
      })
    #expect(try ReplayLog.parse(d.replayLog().text) == d.replayLog())
  }
}

@Suite("Typing in the dashboard")
struct EditorTests {
  @Test("I, a typed ID, Enter: the chooser opens for it; e edits the message; Enter sends the edited text")
  func typeIDAndEditMessage() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 8)
    let d = Dashboard(sim: sim)
    d.handle(.resize(120, 40))
    let id = md5RequestID("typed")
    try sim.bucket(named: "fanout-bucket")!.put(
      key: "fanout/preprocessor/\(id.hex).json", body: seedPreprocessorBody, at: sim.now)
    d.handleKey(.char("I"))
    #expect(d.state.editor?.purpose == .requestID)
    for c in id.hex + "x" { d.handleKey(.char(c)) }
    d.handleKey(.backspace)
    #expect(render(d.state, d.model, glyphs: .unicode).lines[39].contains(id.hex))
    d.handleKey(.enter)
    #expect(d.state.details == [.inject(InjectDraft(requestID: id, message: nil))])
    d.handleKey(.char("e"))
    #expect(d.state.editor?.text == "{\"request_id\": \"\(id.hex)\"}")
    for _ in 0..<2 { d.handleKey(.backspace) }
    for c in "\", \"note\": \"edited\"}" { d.handleKey(.char(c)) }
    d.handleKey(.enter)
    let edited = "{\"request_id\": \"\(id.hex)\", \"note\": \"edited\"}"
    #expect(d.state.details == [.inject(InjectDraft(requestID: id, message: edited))])
    let commands = d.handleKey(.enter)
    #expect(commands == [.inject(requestID: id, message: edited, topic: "connector", queue: nil)])
    sim.runUntilDrained()
    #expect(sim.bucket(named: "fanout-bucket")!.objectCount == 4, "every service read the edited message's request_id")
    d.handleKey(.char("I"))
    for c in "nothex" { d.handleKey(.char(c)) }
    d.handleKey(.enter)
    #expect(d.state.message.contains("32 hex digits"))
    d.handleKey(.char("I"))
    d.handleKey(.escape)
    #expect(d.state.editor == nil && d.state.details.isEmpty)
  }
}

@Suite("Inject with attributes")
struct InjectAttributesTests {
  @Test("a in the chooser sets message attributes; they reach the topic's publish and the replay")
  func attributes() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 8)
    var publishes: [[MessageAttribute]] = []
    let d = Dashboard(
      sim: sim,
      observer: {
        if case .snsPublish("connector", _, _, _, let attrs, _, _, _, true) = $0.kind { publishes.append(attrs) }
      })
    d.handleKey(.char("I"))
    for c in md5RequestID("attrs").hex { d.handleKey(.char(c)) }
    d.handleKey(.enter)
    d.handleKey(.char("a"))
    for c in "stage=replayed, attempt=2" { d.handleKey(.char(c)) }
    d.handleKey(.enter)
    d.handleKey(.enter)
    // In the order AWS writes attributes (a Java HashMap's: stage, then attempt).
    #expect(
      publishes == [
        [
          MessageAttribute(name: "stage", value: "replayed"),
          MessageAttribute(name: "attempt", dataType: "Number", value: "2"),
        ]
      ])
    #expect(try ReplayLog.parse(d.replayLog().text) == d.replayLog())
    d.handleKey(.char("I"))
    for c in md5RequestID("attrs").hex { d.handleKey(.char(c)) }
    d.handleKey(.enter)
    d.handleKey(.char("a"))
    for c in "no-equals" { d.handleKey(.char(c)) }
    d.handleKey(.enter)
    #expect(d.state.message.contains("name=value"))
  }
}
