import Testing

@testable import FanoutSim

/// ApproximateAgeOfOldestMessage's Maximum over a run ("the approximate age of the oldest
/// non-deleted message in the queue",
/// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
/// which `fanout sweep` reports as the oldest message's age.
@Suite("SQS ApproximateAgeOfOldestMessage, its maximum over a run")
struct AgeOfOldestMessageTests {
  @Test func testMaximumAgeOfOldestMessageIsTheLargestAgeBeforeTheOldestLeaves() throws {
    var spec = QueueSpec(name: "q")
    spec.visibilityTimeout = .s(60)
    let sim = try queueSim([spec])
    let queue = sim.queue(named: "q")!
    #expect(queue.maxAgeOfOldestMessage(now: sim.now) == .zero)
    try sim.sendMessage(queue: "q", body: "a")
    sim.run(until: sim.now + .s(10))
    try sim.sendMessage(queue: "q", body: "b")
    sim.run(until: sim.now + .s(5))
    // a is 15 s old when it is deleted; the oldest is then b, 5 s old.
    let got = try sim.receiveMessages(queue: "q", max: 1, waitTime: .s(1))
    #expect(try sim.deleteMessage(queue: "q", receipt: got[0].receipt))
    #expect(queue.ageOfOldestMessage(now: sim.now) == .s(5))
    #expect(queue.maxAgeOfOldestMessage(now: sim.now) == .s(15), "the age before the delete")
    // While b stays, the age it reaches counts once it is past 15 s.
    sim.run(until: sim.now + .s(20))
    #expect(queue.maxAgeOfOldestMessage(now: sim.now) == .s(25))
    // A purge takes everything: the largest age stays the one seen before it.
    try sim.purgeQueue("q")
    #expect(queue.ageOfOldestMessage(now: sim.now) == .zero)
    #expect(queue.maxAgeOfOldestMessage(now: sim.now) == .s(25))
    sim.run(until: sim.now + .s(100))
    #expect(queue.maxAgeOfOldestMessage(now: sim.now) == .s(25), "an empty queue ages nothing")
  }

  @Test func testMaximumAgeOfOldestMessageInADeadLetterQueueCountsFromTheMove() throws {
    var source = QueueSpec(name: "q")
    source.visibilityTimeout = .s(30)
    source.redrive = ("dlq", 1)
    let sim = try queueSim([source, QueueSpec(name: "dlq")])
    try sim.sendMessage(queue: "q", body: "poison")
    #expect(try sim.receiveMessages(queue: "q", waitTime: .s(1)).count == 1)
    sim.run(until: sim.now + .s(40))
    // This receive moves it (its receive count reached maxReceiveCount): 40 s old in q.
    #expect(try sim.receiveMessages(queue: "q", waitTime: .s(1)).isEmpty)
    let q = sim.queue(named: "q")!
    let dlq = sim.queue(named: "dlq")!
    #expect(q.maxAgeOfOldestMessage(now: sim.now) == .s(40))
    sim.run(until: sim.now + .s(7))
    #expect(dlq.maxAgeOfOldestMessage(now: sim.now) == .s(7), "a DLQ's age counts from the move")
  }
}
