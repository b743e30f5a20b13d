import FanoutSim
import Testing

@testable import FanoutWire

/// A session's client requests, recorded as commands at their points of the run, replay without
/// the clients: the wire layer answers them again and the simulation does the same, event for event.
@Suite("Replaying recorded client requests")
struct WireReplayerTests {
  @Test(
    "A long poll answered by a later send, and one that times out, replay from their recorded commands to the identical events"
  )
  func testLongPollsReplayToTheSameEvents() throws {
    let url = "http://localhost:4747/123456789012/work"
    let receive = SQSSNSWireTests.json("ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"WaitTimeSeconds\":20}")
    let send = SQSSNSWireTests.json("SendMessage", "{\"QueueUrl\":\"\(url)\",\"MessageBody\":\"late\"}")

    // The live side, as LiveSimulation does it: each input recorded just before it is applied.
    let live = try SQSSNSWireTests.simulation()
    var liveEvents: [String] = []
    live.observer = { liveEvents.append($0.jsonLine) }
    let router = WireRouter.all()
    var log = ReplayLog(seed: live.seed, scenario: nil)
    log.record(.wire(receive), live)
    guard case .wait(let first) = router.answer(receive, live) else {
      Issue.record("an empty queue answered a long poll at once")
      return
    }
    live.run(until: live.now + .seconds(3))
    log.record(.wire(send), live)
    _ = router.answer(send, live)
    #expect(first.ready(live))
    log.record(.wireTake(1), live)
    #expect(first.take(live) != nil)
    log.record(.wire(receive), live)
    guard case .wait(let second) = router.answer(receive, live) else {
      Issue.record("expected a wait")
      return
    }
    live.run(until: second.deadline)
    log.record(.wireTimeout(3), live)
    _ = second.timeout(live)
    log.record(nil, live)

    // The replay: the session alone, through its text form.
    let replayed = try ReplayLog.parse(log.text)
    #expect(replayed == log)
    let sim = try SQSSNSWireTests.simulation()
    sim.wireReplayer = WireReplayer()
    var events: [String] = []
    sim.observer = { events.append($0.jsonLine) }
    var player = ReplayPlayer(log: replayed)
    _ = player.advance(sim, to: .distantFuture)
    #expect(player.divergedAt == nil)
    #expect(liveEvents.contains { $0.contains("\"type\":\"sqs.receive\"") })
    #expect(events == liveEvents)
    #expect(sim.queue(named: "work")?.inFlightCount == 1)
  }

  @Test(
    "Every outside command survives the session file: requests with any bytes, takes, timeouts, process results, a load"
  )
  func testOutsideCommandsRoundTripThroughTheSessionFile() throws {
    let sim = try SQSSNSWireTests.simulation()
    var log = ReplayLog(seed: 9, scenario: "x.yaml")
    let body: [UInt8] = [0, 255, 10, 34, 92] + Array("é\"\\".utf8)
    for c: ControlCommand in [
      .startLoad(count: 3, rate: 2.5),
      .wire(
        WireRequest(
          method: "PUT", path: "/b/k%20y", query: "x-id=PutObject",
          headers: [("Host", "h:1"), ("Content-Type", "a\"b")], body: body)),
      .wire(WireRequest(method: "GET", path: "/")),
      .wireTake(1), .wireTimeout(2),
      .external(invocation: 4, result: .success("{\"statusCode\": 200}")),
      .external(invocation: 5, result: .error(type: "KeyError", message: "'request_id'")),
      .external(invocation: 6, result: .initError(type: "Runtime.ImportModuleError", message: "no module")),
      .external(invocation: 7, result: .crash(exitStatus: 137)),
    ] {
      log.record(c, sim)
    }
    log.record(nil, sim)
    #expect(try ReplayLog.parse(log.text) == log)
  }
}
