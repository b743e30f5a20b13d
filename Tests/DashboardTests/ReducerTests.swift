import Testing

@testable import Dashboard
@testable import FanoutSim

@Suite("Key bindings and the reducer")
struct ReducerTests {
  func state() -> AppState {
    AppState(
      serviceNames: ["service01", "service02", "service03"], mappingEnabled: [true, true, true],
      failing: [false, false, false], seed: 1)
  }

  func run(_ s: inout AppState, _ a: Action, rows: Int = 5) -> [Command] { reduce(&s, a, rows: { _ in rows }) }

  @Test("Every key in the binding table dispatches an action")
  func tableDispatch() {
    for b in keyBindings {
      for k in b.keys { #expect(action(for: k) != nil, "\(k)") }
    }
    #expect(action(for: .char("p")) == .fire)
    #expect(action(for: .char("P")) == .fireBurst)
    #expect(action(for: .char("3")) == .toggleMapping(3))
    #expect(action(for: .char(" ")) == .togglePause)
    #expect(action(for: .ctrlC) == .quit)
    #expect(action(for: .char("z")) == nil)
    #expect(hintBar(width: 120).contains("p fire"))
  }

  @Test("p fires one request, P a burst of ten")
  func fire() {
    var s = state()
    #expect(run(&s, .fire) == [.fire(1)])
    #expect(run(&s, .fireBurst) == [.fire(10)])
  }

  @Test("1-9 pause and resume service N's trigger; a missing service is refused")
  func pauseService() {
    var s = state()
    #expect(run(&s, .toggleMapping(1)) == [.setMapping(0, enabled: false)])
    #expect(s.mappingEnabled == [false, true, true])
    #expect(run(&s, .toggleMapping(1)) == [.setMapping(0, enabled: true)])
    #expect(run(&s, .toggleMapping(7)) == [])
    #expect(s.message == "no service 7")
  }

  @Test("f then N breaks service N, and again mends it; f then another key cancels")
  func breakService() {
    var s = state()
    #expect(run(&s, .chooseFailure) == [])
    #expect(s.choosingFailure)
    #expect(run(&s, .toggleMapping(2)) == [.setFailure(service: 1, failing: true)])
    #expect(!s.choosingFailure && s.mappingEnabled[1], "the digit broke the service, not its trigger")
    _ = run(&s, .chooseFailure)
    #expect(run(&s, .toggleMapping(2)) == [.setFailure(service: 1, failing: false)])
    _ = run(&s, .chooseFailure)
    #expect(run(&s, .fire) == [])
    #expect(!s.choosingFailure)
  }

  @Test("space pauses the clock; . steps only while paused; +/- change speed within ×0.1…×1000")
  func clock() {
    var s = state()
    #expect(run(&s, .stepEvent) == [])
    _ = run(&s, .togglePause)
    #expect(s.paused)
    #expect(run(&s, .stepEvent) == [.stepEvent])
    for _ in 0..<20 { _ = run(&s, .faster) }
    #expect(s.speed == 1_000)
    for _ in 0..<20 { _ = run(&s, .slower) }
    #expect(s.speed == 0.1)
  }

  @Test("Tab and Shift-Tab cycle focus; arrows move the selection within the pane's rows")
  func focusAndSelection() {
    var s = state()
    _ = run(&s, .focusNext)
    #expect(s.focus == .inFlight)
    _ = run(&s, .focusPrevious)
    _ = run(&s, .focusPrevious)
    #expect(s.focus == .events)
    _ = run(&s, .down, rows: 3)
    _ = run(&s, .down, rows: 3)
    _ = run(&s, .down, rows: 3)
    #expect(s.selected(.events) == 2)
    _ = run(&s, .pageUp, rows: 3)
    #expect(s.selected(.events) == 0)
  }

  @Test("Esc closes the top detail view; ? toggles help; q quits; a resize is remembered")
  func detailsHelpQuit() {
    var s = state()
    s.details = [.queue("service01")]
    _ = run(&s, .help)
    #expect(s.details == [.queue("service01"), .help])
    _ = run(&s, .help)
    _ = run(&s, .back)
    #expect(s.details.isEmpty)
    _ = run(&s, .resize(100, 30))
    #expect(s.width == 100 && s.height == 30)
    _ = run(&s, .quit)
    #expect(s.quit)
  }

  @Test("The dashboard applies commands: pausing service01 makes its queue hold new requests")
  func commandsReachTheSimulation() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 2)
    let d = Dashboard(sim: sim)
    d.handle(.toggleMapping(1))
    d.handle(.fireBurst)
    sim.run(until: sim.now + 5 * Micros.second)
    #expect(sim.queue(named: "service01")!.visibleCount == 10)
    #expect(sim.queue(named: "service02")!.depth == 0)
    d.handle(.chooseFailure)
    d.handle(.toggleMapping(2))
    #expect(sim.function(named: "service02")!.failure.errorRate == 1)
    d.handle(.focusNext)
    d.handle(.focusNext)
    d.handle(.open)
    #expect(d.state.details.count == 1)
  }
}

@Suite("Small view helpers")
struct ViewHelperTests {
  @Test("Long S3 keys keep their last folder and the start of the name")
  func shortKeys() {
    #expect(shortKey("a/b.json", 20) == "a/b.json")
    #expect(shortKey("fanout/service01/2e69bf235a52df347f8864c0074a47e2.json", 22) == "…/service01/2e69bf235…")
    #expect(shortKey("x/y/z/service01/2e69bf235a.json", 27) == "…/service01/2e69bf235a.json")
  }

  @Test("In flight: the visibility left as a gauge of the queue's timeout, then the time left")
  func inFlightGauge() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 1)
    let d = Dashboard(sim: sim)
    // service01 times out after 3 s; its message stays in flight for the 30 s visibility timeout.
    try sim.setFailure(function: "service01", FailureSpec(timeoutRate: 1))
    d.handle(.fire)
    while !d.model.inFlight.values.contains(where: { $0.queue == "service01" }) { try #require(sim.step()) }
    let received = try #require(inFlightList(d.model).first { $0.queue == "service01" }).receivedAt
    let full = try #require(paneRows(.inFlight, d.state, d.model, .unicode).rows.first { $0.cells[0] == "service01" })
    #expect(full.cells[4] == "█████████  30.0s")
    sim.run(until: received + 15 * Micros.second)
    let half = try #require(paneRows(.inFlight, d.state, d.model, .unicode).rows.first { $0.cells[0] == "service01" })
    #expect(half.cells[4] == "█████░░░░  15.0s")
    sim.run(until: received + 27 * Micros.second)
    let ascii = try #require(paneRows(.inFlight, d.state, d.model, .ascii).rows.first { $0.cells[0] == "service01" })
    #expect(ascii.cells[4] == "#........   3.0s")
  }
}

@Suite("The pipeline model's bounds")
struct ModelBoundsTests {
  @Test("Long sessions stay bounded: request rows, per-message maps and event lines")
  func bounded() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 4)
    let d = Dashboard(sim: sim)
    sim.startLoad(count: 3_000, rate: 200)
    sim.runUntilDrained()
    d.model.sample()
    #expect(d.model.requests.count == PipelineModel.maxRequests)
    #expect(d.model.droppedRequests == 1_000)
    #expect(d.model.trackedMessages == sim.queues.reduce(0) { $0 + $1.depth }, "only stored messages are tracked")
    #expect(d.model.trackedIDs <= PipelineModel.maxRequests)
    #expect(d.model.eventLines.count == PipelineModel.maxRows)
    #expect(d.model.s3.count == PipelineModel.maxRows)
    #expect(d.model.inFlight.isEmpty)
  }
}

@Suite("Redrive from the dashboard")
struct DashboardRedriveTests {
  @Test("r on a selected DLQ starts a move task back to the source queue; r again cancels; elsewhere it explains")
  func redriveKey() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 3)
    let d = Dashboard(sim: sim)
    d.handle(.chooseFailure)
    d.handle(.toggleMapping(1))
    for _ in 0..<3 { d.handle(.fire) }
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01-dlq")!.visibleCount == 3)
    d.handle(.chooseFailure)
    d.handle(.toggleMapping(1))
    d.handle(.focusNext)
    d.handle(.redrive)
    #expect(d.state.message.contains("select a dead-letter queue"))
    d.handle(.focusPrevious)
    d.handle(.down)
    #expect(d.handle(.redrive) == [.redrive(queue: "service01-dlq")])
    #expect(sim.moveTasks.count == 1 && sim.moveTasks[0].status == .running)
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01-dlq")!.depth == 0)
    #expect(sim.tracker.completed == 3)
    #expect(d.model.requests.allSatisfy { $0.timeline.contains { $0.1.contains("redriven from service01-dlq") } })
  }
}
