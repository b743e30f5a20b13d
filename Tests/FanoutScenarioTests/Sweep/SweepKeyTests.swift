import Testing

@testable import FanoutScenario
@testable import FanoutSim

/// The built-in pipeline's run settings, for --vary.
func builtInConfig() -> SweepRunConfig { SweepRunConfig(scenario: SweepPipeline.builtIn().scenario) }

/// A --vary argument's error; an issue when it parses.
func varyError(_ argument: String, sourceLocation: SourceLocation = #_sourceLocation) -> SweepArgumentError? {
  do {
    _ = try SweepVariation.parse(argument, base: builtInConfig())
    Issue.record("\(argument) was accepted", sourceLocation: sourceLocation)
    return nil
  } catch {
    return error
  }
}

@Suite("Sweep --vary keys: every key, its values checked as the scenario parser checks them")
struct SweepKeyTests {
  /// Applies one value of a key to the built-in pipeline.
  func applied(_ argument: String) throws -> SweepRunConfig {
    let v = try SweepVariation.parse(argument, base: builtInConfig())
    var c = builtInConfig()
    v.setters[0](&c)
    return c
  }

  @Test func testEveryKeySetsItsAttribute() throws {
    #expect(try applied("rate=250").rate == 250)
    #expect(try applied("requests=7").requests == 7)
    #expect(try applied("accountConcurrency=3000").scenario.topology.accountConcurrency == 3_000)
    func queue(_ c: SweepRunConfig, _ n: String = "service01") -> QueueSpec {
      c.scenario.topology.queues.first { $0.name == n }!
    }
    func mapping(_ c: SweepRunConfig) -> MappingSpec { c.scenario.topology.mappings.first { $0.queue == "service01" }! }
    func function(_ c: SweepRunConfig) -> FunctionSpec {
      c.scenario.topology.functions.first { $0.name == "service01" }!
    }
    #expect(queue(try applied("queue.service01.VisibilityTimeout=90")).visibilityTimeout == .seconds(90))
    #expect(queue(try applied("queue.service01.DelaySeconds=5")).delay == .seconds(5))
    #expect(queue(try applied("queue.service01.MessageRetentionPeriod=600")).messageRetentionPeriod == .seconds(600))
    #expect(
      queue(try applied("queue.service01.ReceiveMessageWaitTimeSeconds=20")).receiveMessageWaitTime == .seconds(20))
    let redrive = try #require(queue(try applied("queue.service01.maxReceiveCount=7")).redrive)
    #expect(redrive.maxReceiveCount == 7 && redrive.deadLetterQueue == "service01-dlq")
    #expect(queue(try applied("queue.service01.duplicateRate=0.25")).duplicateRate == 0.25)
    #expect(queue(try applied("queue.service01.VisibilityTimeout=90"), "service02").visibilityTimeout == .seconds(30))
    #expect(mapping(try applied("mapping.service01.BatchSize=5")).batchSize == 5)
    #expect(
      mapping(try applied("mapping.service01.MaximumBatchingWindowInSeconds=2")).maximumBatchingWindow == .seconds(2))
    #expect(mapping(try applied("mapping.service01.MaximumConcurrency=20")).maximumConcurrency == 20)
    #expect(mapping(try applied("mapping.service01.MaximumConcurrency=none")).maximumConcurrency == nil)
    #expect(function(try applied("function.service01.Timeout=5")).timeout == .seconds(5))
    #expect(function(try applied("function.service01.ReservedConcurrentExecutions=10")).reservedConcurrency == 10)
    #expect(function(try applied("function.service01.ReservedConcurrentExecutions=none")).reservedConcurrency == nil)
    #expect(function(try applied("function.service01.MemorySize=1024")).memorySize == 1_024)
    #expect(function(try applied("function.service01.errorRate=0.1")).failure.errorRate == 0.1)
    #expect(function(try applied("function.service01.timeoutRate=0.2")).failure.timeoutRate == 0.2)
    #expect(function(try applied("function.service01.itemFailureRate=0.3")).failure.itemFailureRate == 0.3)
    // The seed functions' duration has a slow tail: its median moves, the tail's by the same factor.
    guard case .lognormalWithTail(let m, let sigma, let p, let tail, let tailSigma) = function(builtInConfig()).duration
    else {
      Issue.record("the seed function's duration model changed")
      return
    }
    let scaled = function(try applied("function.service01.duration=19ms")).duration
    #expect(
      scaled
        == .lognormalWithTail(
          median: .milliseconds(19), sigma: sigma, tailProbability: p,
          tailMedian: .microseconds(Int64((Double(tail.microseconds) * 19_000 / Double(m.microseconds)).rounded())),
          tailSigma: tailSigma))
    // Every key of the table is one of these: a new key needs a line here.
    #expect(SweepKey.all.count == 19)
  }

  @Test func testDurationKeepsTheModelsShape() throws {
    #expect(DurationModel.fixed(.milliseconds(5)).withMedian(.milliseconds(9)) == .fixed(.milliseconds(9)))
    #expect(
      DurationModel.lognormal(median: .milliseconds(5), sigma: 0.4).withMedian(.milliseconds(50))
        == .lognormal(median: .milliseconds(50), sigma: 0.4))
    #expect(
      DurationModel.uniform(.milliseconds(10), .milliseconds(30)).withMedian(.milliseconds(40))
        == .uniform(.milliseconds(20), .milliseconds(60)))
  }

  @Test(
    "Every --vary error: located in the argument, in the scenario parser's (and AWS's) words, with did-you-mean",
    arguments: [
      ("rat=1,2", 0, 3, "unknown key 'rat' (did you mean 'rate'?)"),
      ("=1", 0, 1, "the key before '=' is missing"),
      ("rate", 0, 4, "no values: expected rate=V1,V2,…"),
      ("rate=", 4, 1, "no values after '='"),
      ("rate=1,,2", 7, 1, "value 2 is empty"),
      ("rate=5,5", 7, 1, "value '5' is listed twice"),
      ("rate=0", 5, 1, "expected a rate above 0 and at most 1000000 requests per second, found '0'"),
      ("rate=fast", 5, 4, "found 'fast'"),
      ("requests=-1", 9, 2, "expected a number from 0 to 100000000, found -1"),
      ("accountConcurrency=0", 19, 1, "expected a number from 1 to 100000, found 0"),
      ("queue", 0, 5, "queue keys are queue.<name>.<attribute> (e.g. queue.service01.VisibilityTimeout)"),
      ("mapping.service01=3", 0, 17, "mapping keys are mapping.<queue>.<attribute>"),
      ("functoin.service01.Timeout=3", 0, 8, "unknown key 'functoin' (did you mean 'function'?)"),
      ("queue.servic01.VisibilityTimeout=30", 6, 8, "queue 'servic01' is not defined (did you mean 'service01'?)"),
      ("queue.orders.VisibilityTimeout=30", 6, 6, "queue 'orders' is not defined; the pipeline's queues: service01"),
      (
        "queue.service01.Visibility=30", 16, 10,
        "unknown queue attribute 'Visibility' (did you mean 'VisibilityTimeout'?)"
      ),
      (
        "queue.service01.VisibilityTimeout=30,50000", 37, 5,
        "value 2, '50000': Invalid value for the parameter VisibilityTimeout. Reason: must be between 0 and 43200 seconds."
      ),
      (
        "queue.service01.DelaySeconds=901", 29, 3,
        "Invalid value for the parameter DelaySeconds. Reason: must be between 0 and 900 seconds."
      ),
      ("queue.service01.maxReceiveCount=0", 32, 1, "Invalid value for the parameter maxReceiveCount."),
      ("queue.service01-dlq.maxReceiveCount=3", 36, 1, "queue 'service01-dlq' has no RedrivePolicy"),
      ("queue.service01.duplicateRate=2", 30, 1, "expected a number from 0.0 to 1.0, found 2"),
      (
        "mapping.preprocessor.BatchSize=5", 8, 12,
        "no event source mapping reads from queue 'preprocessor'; mappings read from: service01, service02, service03"
      ),
      ("mapping.service01.BatchSze=5", 18, 8, "unknown mapping attribute 'BatchSze' (did you mean 'BatchSize'?)"),
      (
        "mapping.service01.BatchSize=20000", 28, 5,
        "1 validation error detected: Value 20000 at 'batchSize' failed to satisfy constraint: Member must have value between 1 and 10000"
      ),
      ("mapping.service01.MaximumBatchingWindowInSeconds=301", 49, 3, "maximumBatchingWindowInSeconds"),
      (
        "mapping.service01.MaximumConcurrency=1", 37, 1,
        "Value 1 at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value between 2 and 1000"
      ),
      ("function.service09.Timeout=3", 9, 9, "function 'service09' is not defined (did you mean 'service01'?)"),
      (
        "function.service01.Timeout=0", 27, 1,
        "1 validation error detected: Value 0 at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900"
      ),
      ("function.service01.ReservedConcurrentExecutions=-1", 48, 2, "expected a number from 0 to 100000, found -1"),
      (
        "function.service01.MemorySize=64", 30, 2,
        "at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240"
      ),
      ("function.service01.errorRate=1.5", 29, 3, "expected a number from 0.0 to 1.0, found 1.5"),
      ("function.service01.timeoutRate=-0.1", 31, 4, "expected a number from 0.0 to 1.0"),
      ("function.service01.itemFailureRate=x", 35, 1, "expected a number, found 'x'"),
      ("function.service01.duration=fast", 28, 4, "expected a duration such as 500ms, 30s, 10m or 2h, found 'fast'"),
      ("function.service01.Timout=3", 19, 6, "unknown function attribute 'Timout' (did you mean 'Timeout'?)"),
    ])
  func testEveryVaryErrorIsLocated(argument: String, start: Int, length: Int, message: String) throws {
    let e = try #require(varyError(argument))
    #expect(e.message.contains(message), "\(argument): \(e.message)")
    #expect(e.start == start && e.length == length, "\(argument): at \(e.start), \(e.length) characters\n\(e)")
    #expect(e.description.hasPrefix("--vary \(argument): "))
    let lines = e.description.split(separator: "\n")
    #expect(lines.count == 3 && lines[1] == "    " + argument, "\(e)")
    #expect(
      lines.last.map(String.init) == "    " + String(repeating: " ", count: start) + "^"
        + String(repeating: "~", count: length - 1))
  }

  @Test func testACombinationAWSWouldRefuseStopsTheSweepBeforeItRuns() throws {
    let p = SweepPipeline.builtIn()
    // BatchSize above 10 needs a batching window; a function timeout above the queue's visibility timeout is refused.
    #expect(throws: SweepError.self) {
      try SweepPlan.make(pipeline: p, seeds: 1, vary: ["mapping.service01.BatchSize=10,100"])
    }
    do {
      _ = try SweepPlan.make(
        pipeline: p, seeds: 1,
        vary: ["mapping.service01.BatchSize=10,100", "mapping.service01.MaximumBatchingWindowInSeconds=0,1"])
      Issue.record("BatchSize 100 with no window was accepted")
    } catch let e as SweepError {
      #expect(
        e.message
          == "the combination mapping.service01.BatchSize=100 mapping.service01.MaximumBatchingWindowInSeconds=0: Invalid request provided: Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10 (event source mapping 1)"
      )
    }
    do {
      _ = try SweepPlan.make(pipeline: p, seeds: 1, vary: ["function.service02.Timeout=3,31"])
      Issue.record("a timeout above the visibility timeout was accepted")
    } catch let e as SweepError {
      #expect(e.message.contains("Queue visibility timeout: 30 seconds is less than Function timeout: 31 seconds"))
    }
    // With the window the combinations are fine; AWS's recommendation is a warning, once.
    let plan = try SweepPlan.make(
      pipeline: p, seeds: 1,
      vary: ["mapping.service01.BatchSize=10,100", "mapping.service01.MaximumBatchingWindowInSeconds=1"])
    #expect(plan.configs.count == 2)
    #expect(plan.warnings.isEmpty, "\(plan.warnings)")
    let warned = try SweepPlan.make(pipeline: p, seeds: 1, vary: ["queue.service01.VisibilityTimeout=3,4"])
    #expect(
      warned.warnings.count == 2
        && warned.warnings[0].hasPrefix("with queue.service01.VisibilityTimeout=3: AWS recommends"))
  }

  @Test func testTheSweepsOwnArgumentsAreChecked() throws {
    let p = SweepPipeline.builtIn()
    func message(_ make: () throws -> SweepPlan) -> String {
      do {
        _ = try make()
        return "accepted"
      } catch {
        return "\(error)"
      }
    }
    #expect(
      message { try SweepPlan.make(pipeline: p, seeds: 0, vary: []) } == "--seeds must be between 1 and 1000000 (got 0)"
    )
    #expect(
      message { try SweepPlan.make(pipeline: p, seeds: 2, seedBase: .max, vary: []) }.contains(
        "goes past the largest seed"))
    #expect(
      message { try SweepPlan.make(pipeline: p, seeds: 1, vary: ["rate=1", "rate=2"]) }
        == "--vary rate=2: rate is already varied (--vary rate=1)")
    #expect(
      message { try SweepPlan.make(pipeline: p, seeds: 1, requests: 5, vary: ["requests=1,2"]) }.contains("give one"))
    #expect(message { try SweepPlan.make(pipeline: p, seeds: 1, rate: 5, vary: ["rate=1,2"]) }.contains("give one"))
    // A scenario's own load has its own rate: a rate alone would change nothing.
    let scenario = SweepPipeline(kind: .scenario, scenario: try loadConfig("slow-consumer.yaml"), fingerprint: "x")
    #expect(
      message { try SweepPlan.make(pipeline: scenario, seeds: 1, vary: ["rate=1,2"]) }.hasPrefix(
        "a rate goes with requests"))
    #expect(try SweepPlan.make(pipeline: scenario, seeds: 1, vary: ["requests=1", "rate=1,2"]).definition.fires)
    #expect(try !SweepPlan.make(pipeline: scenario, seeds: 1, vary: []).definition.fires)
  }
}
