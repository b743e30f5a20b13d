import Testing

@testable import FanoutSim

/// The cost model (`Cost.swift`): AWS's billing rules, and a bill worked out by hand.
@Suite("What a run costs")
struct CostTests {
  /// `a` and `b` equal to within floating-point noise.
  func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 + 1e-9 * max(abs(a), abs(b)) }

  @Test("The bill is the counters times the price table, worked out by hand for the seed pipeline")
  func testCostIsTheCountersTimesThePriceTable() throws {
    let sim = try makeSim()
    sim.startLoad(count: 50, rate: 20)
    sim.runUntilDrained()
    sim.run(until: sim.now + .minutes(5))  // idle pollers' long polls count too
    let p = PriceTable.usEast1
    var lambda = 0.0
    for f in sim.functions {
      lambda += Double(f.counters.invocations) * 0.20 / 1_000_000
      lambda += Double(f.counters.billedMilliseconds) / 1_000 * 128 / 1_024 * 0.000_016_666_7
    }
    var sqs = 0.0
    for q in sim.queues {
      let c = q.counters
      // Every message here is under 64 KB: one request a send.
      #expect(c.sendRequests == c.sent)
      let receives = c.receiveCalls + sim.emptyReceives(q) - (c.emptyReceives - c.idleReceives)
      sqs += Double(c.sendRequests + receives + c.deleteRequests + c.otherRequests) * 0.40 / 1_000_000
    }
    var sns = 0.0
    for t in sim.topics { sns += Double(t.counters.published) * 0.50 / 1_000_000 }
    // The notifier's e-mail subscription: $2.00 per 100,000 deliveries.
    sns += Double(sim.sinks.reduce(0) { $0 + $1.received }) * 2.00 / 100_000
    let b = sim.buckets[0]
    let s3 =
      Double(b.puts) * 0.005 / 1_000 + Double(b.gets + b.heads) * 0.000_4 / 1_000
      + b.byteMicroseconds(now: sim.now) / 1_073_741_824 / (30 * 86_400 * 1_000_000) * 0.023
    let c = sim.cost(prices: p)
    #expect(close(c.usd("lambda"), lambda), "lambda \(c.usd("lambda")) vs \(lambda)")
    #expect(close(c.usd("sqs"), sqs), "sqs \(c.usd("sqs")) vs \(sqs)")
    #expect(close(c.usd("sns"), sns), "sns \(c.usd("sns")) vs \(sns)")
    #expect(close(c.usd("s3"), s3), "s3 \(c.usd("s3")) vs \(s3)")
    #expect(close(c.totalUSD, lambda + sqs + sns + s3))
    // The month at this rate.
    let span = Double((sim.now - sim.topology.startTime).microseconds)
    #expect(close(c.monthlyUSD!, c.totalUSD * 30 * 86_400 * 1_000_000 / span))
    // The JSON report carries the same figures.
    let report = RunReport(sim: sim, scenario: "t", drained: true, wallSeconds: 0)
    let v = JSONValue.parse(report.json)
    guard case .number(let total)? = v?["cost"]?["total_usd"] else {
      Issue.record("no cost.total_usd")
      return
    }
    #expect(close(total, c.totalUSD))
    #expect(v?["functions"]?["service01"]?["memory_mb"] == .number(128))
  }

  @Test(
    "Lambda duration is billed rounded up to the millisecond, the init phase included, at the memory and architecture's rate"
  )
  func testLambdaDurationIsBilledPerMillisecondWithInit() throws {
    var t = Topology()
    var f = FunctionSpec(name: "f", handler: .compute)
    f.duration = .fixed(.microseconds(10_200))
    f.perRecord = .fixed(.zero)
    f.coldStart = .fixed(.microseconds(100_500))
    f.memorySize = 1_024
    f.architecture = .arm64
    t.functions = [f]
    t.entryFunction = "f"
    let sim = try Simulation(topology: t, seed: 1)
    sim.fireRequest()
    sim.runUntilDrained()
    sim.run(until: sim.now + .seconds(1))
    sim.fireRequest()
    sim.runUntilDrained()
    let fn = sim.function(named: "f")!
    #expect(fn.counters.coldStarts == 1 && fn.counters.invocations == 2)
    // Cold: 100.5 + 10.2 = 110.7 ms → 111; warm: 10.2 → 11.
    #expect(fn.counters.billedMilliseconds == 122)
    let c = sim.cost()
    let duration = try #require(c.items.first { $0.item.hasPrefix("f duration") })
    #expect(close(duration.quantity, 0.122))
    #expect(duration.unitPrice == PriceTable.usEast1.lambdaGBSecondArm)
    #expect(close(c.usd("lambda"), 2 * 0.20 / 1_000_000 + 0.122 * 0.000_013_333_4))
  }

  @Test("SQS bills each 64 KB chunk of a payload as a request")
  func testSQSPayloadsAreBilledPer64KBChunk() throws {
    #expect(billedRequests(bytes: 1) == 1)
    #expect(billedRequests(bytes: 65_536) == 1)
    #expect(billedRequests(bytes: 65_537) == 2)
    #expect(billedRequests(bytes: 262_144) == 4)
    let sim = try queueSim([QueueSpec(name: "q")])
    try sim.sendMessage(queue: "q", body: String(repeating: "x", count: 100_000))
    try sim.sendMessage(queue: "q", body: "small")
    #expect(sim.queue(named: "q")!.counters.sendRequests == 3)
    let got = try sim.receiveMessages(queue: "q", max: 10, waitTime: .seconds(1))
    for m in got { try sim.deleteMessage(queue: "q", receipt: m.receipt) }
    let c = sim.queue(named: "q")!.counters
    #expect(c.receiveCalls == 1 && c.deleteRequests == got.count)
  }

  @Test("SNS bills a publish per 64 KB chunk; deliveries to SQS queues and Lambda functions are free")
  func testSNSDeliveriesToSQSAndLambdaAreFree() throws {
    var t = Topology()
    t.queues = [QueueSpec(name: "q")]
    t.functions = [FunctionSpec(name: "f", handler: .compute)]
    t.topics = [
      TopicSpec(
        name: "t", subscriptions: [SubscriptionSpec(endpoint: .queue("q")), SubscriptionSpec(endpoint: .function("f"))])
    ]
    let sim = try Simulation(topology: t, seed: 1)
    try sim.publish(topic: "t", message: String(repeating: "y", count: 70_000))
    sim.runUntilDrained()
    #expect(sim.topic(named: "t")!.counters.publishRequests == 2)
    let c = sim.cost()
    #expect(close(c.usd("sns"), 2 * 0.50 / 1_000_000))
    #expect(!c.items.contains { $0.service == "sns" && $0.item.contains("deliveries") })
  }

  @Test("An idle trigger's pollers make billed empty receives: a queue nobody sends to still costs")
  func testIdlePollersEmptyReceivesAreBilled() throws {
    var t = Topology()
    t.queues = [QueueSpec(name: "q")]
    t.functions = [FunctionSpec(name: "f", handler: .compute)]
    t.mappings = [MappingSpec(queue: "q", function: "f")]
    let sim = try Simulation(topology: t, seed: 1)
    sim.run(until: sim.now + .hours(1))
    let c = sim.cost()
    #expect(c.usd("lambda") == 0)
    let receives = try #require(c.items.first { $0.item == "q ReceiveMessage" })
    #expect(receives.quantity == Double(sim.emptyReceives(sim.queue(named: "q")!)))
    // At least the two pollers Lambda keeps, one long poll each 20 s.
    #expect(receives.quantity >= 2 * 180)
    #expect(c.usd("sqs") > 0)
  }

  @Test("S3 storage is billed for the bytes stored over the run's time, in GB-months")
  func testS3StorageIsBilledByGBMonth() throws {
    var t = Topology()
    t.buckets = [BucketSpec(name: "b")]
    let sim = try Simulation(topology: t, seed: 1)
    let b = sim.buckets[0]
    _ = try b.put(key: "k", body: String(repeating: "z", count: 1_000), at: sim.now)
    sim.run(until: sim.now + .hours(10))
    #expect(close(b.byteMicroseconds(now: sim.now), 1_000 * 36_000_000_000))
    let storage = try #require(sim.cost().items.first { $0.item == "b storage" })
    #expect(close(storage.quantity, 1_000 * 36_000.0 / 1_073_741_824 / (30 * 86_400)))
  }

  @Test("Dollars for people: cents from a dollar up, three significant digits below")
  func testFormatUSD() {
    #expect(formatUSD(0) == "$0")
    #expect(formatUSD(12.345) == "$12.35")
    #expect(formatUSD(0.00859) == "$0.00859")
    #expect(formatUSD(0.00002) == "$0.0000200")
    #expect(formatUSD(0.5) == "$0.500")
  }
}
