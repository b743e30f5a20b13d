import Testing

@testable import FanoutSim

/// The default timings against the published measurements they are calibrated on
/// (docs/TIMINGS.md). Each draws 100,000 samples from a fixed seed and holds fanout's percentiles to
/// the published ones within the tolerance docs/TIMINGS.md states (about the published figure's own
/// sampling error: a p99 from 1,000 requests is known to ±10–25 %, a median to a few per cent).
@Suite("Default timings match published measurements")
struct TimingsTests {
  static let draws = 100_000

  /// Percentiles (nearest rank) of `n` draws, in milliseconds.
  static func percentiles(_ qs: [Double], seed: UInt64 = 1, _ draw: (inout SimRandom) -> SimDuration) -> [Double] {
    var rng = SimRandom(seed: seed, stream: "test/timings")
    var v = (0..<draws).map { _ in draw(&rng).microseconds }
    v.sort()
    return qs.map { q in Double(v[max(0, Int((q * Double(v.count)).rounded(.up)) - 1)]) / 1_000 }
  }

  /// Whether `got` is within `tolerance` (a fraction) of `published`; the message says by how much.
  static func near(_ got: Double, _ published: Double, _ tolerance: Double, _ what: String) {
    let off = got / published - 1
    #expect(
      abs(off) <= tolerance,
      "\(what): fanout \(got) ms, published \(published) ms (\(Int((off * 100).rounded())) %, tolerance ±\(Int(tolerance * 100)) %)"
    )
  }

  // MARK: S3

  /// https://github.com/dvassallo/s3-benchmark (raw data sheet, April 2019, us-west-2, EC2
  /// a1.2xlarge, 1 KB objects, 1 thread, 1,000 GETs): time to last byte p50 9.3 ms, p90 12.3 ms,
  /// p99 53.9 ms.
  @Test("S3 GET of a small object: p50/p90/p99 of s3-benchmark's 1 KB objects")
  func s3SmallObjectGetLatencyMatchesPublishedPercentiles() {
    let model = LatencySpec().s3Get
    let p = Self.percentiles([0.5, 0.9, 0.99]) { model.sample(&$0) }
    Self.near(p[0], 9.3, 0.05, "S3 GET p50")
    Self.near(p[1], 12.3, 0.10, "S3 GET p90")
    Self.near(p[2], 53.9, 0.25, "S3 GET p99")
  }

  /// https://github.com/sirupsen/napkin-math/pull/39 (us-east-1, 128 KiB PUT on one connection):
  /// p50 30 ms, p90 54 ms, p99 88 ms.
  @Test("S3 PUT: p50/p90/p99 of the napkin-math measurement")
  func s3PutLatencyMatchesPublishedPercentiles() {
    let model = LatencySpec().s3Put
    let p = Self.percentiles([0.5, 0.9, 0.99]) { model.sample(&$0) }
    Self.near(p[0], 30, 0.05, "S3 PUT p50")
    Self.near(p[1], 54, 0.10, "S3 PUT p90")
    Self.near(p[2], 88, 0.15, "S3 PUT p99")
  }

  // MARK: SQS and SNS

  /// https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/ (eu-west-1,
  /// September 2022, 1,024 messages): a producer function stamps the time before SendMessage,
  /// the consumer function reads it at the start of its handler (event source mapping, batch
  /// size 1). p10 13.7 ms, p50 16.2 ms, p90 33.8 ms, p99 105 ms. In fanout that path is
  /// `sqsSend` + `pollPickup`.
  @Test("SQS SendMessage → Lambda handler: p10/p50/p90/p99 of the bitesizedserverless measurement")
  func sqsSendMessageToLambdaHandlerLatencyMatchesPublishedPercentiles() {
    let l = LatencySpec()
    let p = Self.percentiles([0.1, 0.5, 0.9, 0.99]) { l.sqsSend.sample(&$0) + l.pollPickup.sample(&$0) }
    Self.near(p[0], 13.7, 0.05, "SendMessage → handler p10")
    Self.near(p[1], 16.2, 0.05, "SendMessage → handler p50")
    Self.near(p[2], 33.8, 0.15, "SendMessage → handler p90")
    Self.near(p[3], 105, 0.20, "SendMessage → handler p99")
  }

  /// The same measurement has no SNS standard → SQS → Lambda row; its SNS FIFO → SQS FIFO → Lambda
  /// row (p10 32.8, p50 40.1, p90 67.8, p99 497 ms) less its SQS FIFO → Lambda row (21.9, 28.1,
  /// 61.2, 645 ms) is the SNS hop, added to the SQS standard row: p10 24.6, p50 28.2, p90 40.4 ms,
  /// an estimate (±20 %). Its p99 lies between the SQS standard path's (105 ms: the SNS path
  /// contains it) and the FIFO one's (497 ms: FIFO is the slower at every percentile measured).
  @Test("SNS Publish → SQS → Lambda handler: the estimate from the bitesizedserverless measurement")
  func snsPublishToLambdaHandlerViaSQSMatchesTheEstimateFromPublishedPercentiles() {
    let l = LatencySpec()
    let p = Self.percentiles([0.1, 0.5, 0.9, 0.99]) {
      l.snsPublish.sample(&$0) + l.snsDelivery.sample(&$0) + l.pollPickup.sample(&$0)
    }
    Self.near(p[0], 24.6, 0.20, "Publish → handler p10")
    Self.near(p[1], 28.2, 0.20, "Publish → handler p50")
    Self.near(p[2], 40.4, 0.20, "Publish → handler p90")
    #expect(p[3] >= 105 && p[3] <= 497, "Publish → handler p99 \(p[3]) ms, outside [105, 497]")
  }

  /// The same measurement's SNS standard → Lambda row (the function subscribed to the topic, an
  /// asynchronous invocation): p10 62 ms, p50 73 ms, p90 125 ms, p99 225 ms. In fanout the path is
  /// `snsPublish` + `snsDelivery` + `asyncPickup` (docs/TIMINGS.md).
  @Test("SNS Publish → Lambda handler (asynchronous invoke): p10/p50/p90/p99 of the bitesizedserverless measurement")
  func snsPublishToLambdaHandlerAsyncMatchesPublishedPercentiles() {
    let l = LatencySpec()
    let p = Self.percentiles([0.1, 0.5, 0.9, 0.99]) {
      l.snsPublish.sample(&$0) + l.snsDelivery.sample(&$0) + l.asyncPickup.sample(&$0)
    }
    Self.near(p[0], 62, 0.05, "SNS → Lambda p10")
    Self.near(p[1], 73, 0.05, "SNS → Lambda p50")
    Self.near(p[2], 125, 0.15, "SNS → Lambda p90")
    Self.near(p[3], 225, 0.20, "SNS → Lambda p99")
  }

  // MARK: Lambda

  /// lambda-perf (https://github.com/maxday/lambda-perf, data/2026-05-28.json … 2026-08-22.json):
  /// the `Init Duration` of every cold start of the zip-packaged, 128 MB, x86_64 hello-world
  /// function, pooled over 86 days: p50, p90, p99 in ms, the number of cold starts, and the half
  /// width (in per cent) of each percentile's 95 % bootstrap interval. `provided.*` are its Go
  /// functions.
  static let publishedColdStarts: [(runtime: String, p50: Double, p90: Double, p99: Double, n: Int, ci: [Double])] = [
    ("python3.9", 78.7, 98.1, 130.4, 761, [1.0, 3.1, 15.6]),
    ("python3.10", 79.0, 96.9, 115.6, 773, [1.0, 2.8, 7.3]),
    ("python3.11", 81.0, 98.5, 136.8, 768, [0.7, 3.9, 10.0]),
    ("python3.12", 87.3, 106.1, 153.4, 762, [0.9, 4.1, 14.2]),
    ("python3.13", 94.4, 121.0, 170.1, 756, [1.8, 3.5, 10.7]),
    ("python3.14", 117.7, 160.8, 273.5, 761, [1.7, 5.8, 7.8]),
    ("nodejs20.x", 145.9, 172.5, 228.8, 774, [0.9, 2.8, 18.7]),
    ("nodejs22.x", 145.5, 174.1, 225.0, 774, [1.2, 2.9, 12.8]),
    ("nodejs24.x", 142.4, 175.5, 231.2, 761, [1.0, 3.4, 13.2]),
    ("java8.al2", 248.9, 305.3, 546.2, 774, [0.9, 3.1, 5.7]),
    ("java11", 282.0, 341.5, 581.0, 768, [0.5, 8.0, 2.5]),
    ("java17", 208.1, 240.5, 333.3, 762, [0.6, 2.0, 55.9]),
    ("java21", 243.4, 279.6, 596.6, 779, [0.6, 4.1, 28.4]),
    ("java25", 195.1, 284.9, 489.6, 768, [1.0, 26.5, 3.8]),
    ("dotnet8", 257.2, 319.7, 640.7, 768, [0.8, 3.9, 9.4]),
    ("dotnet10", 263.2, 580.0, 720.3, 762, [1.9, 28.5, 6.2]),
    ("ruby3.2", 237.7, 396.3, 505.3, 762, [1.9, 4.8, 7.9]),
    ("ruby3.3", 238.9, 396.4, 485.9, 756, [1.9, 1.5, 3.9]),
    ("ruby3.4", 228.6, 392.7, 513.3, 780, [1.9, 1.8, 7.8]),
    ("provided.al2", 50.6, 56.5, 74.1, 762, [0.3, 2.1, 13.1]),
    ("provided.al2023", 50.6, 56.1, 76.1, 774, [0.4, 3.2, 7.4]),
  ]

  /// The tolerance is ±5 % (p50, p90) and ±10 % (p99), or the published percentile's own 95 %
  /// bootstrap half width where that is wider: java25's and dotnet10's p90 fall in the gap of a
  /// two-humped sample, where ~760 cold starts pin it to ±27 % only.
  @Test("Lambda cold start: every runtime's init duration has lambda-perf's p50/p90/p99")
  func lambdaColdStartInitDurationMatchesPublishedPercentilesForEveryRuntime() throws {
    for r in Self.publishedColdStarts {
      let model = try #require(LambdaRuntimes.coldStart(r.runtime), "\(r.runtime) has no cold start")
      let p = Self.percentiles([0.5, 0.9, 0.99]) { model.sample(&$0) }
      Self.near(p[0], r.p50, max(0.05, r.ci[0] / 100), "\(r.runtime) init p50")
      Self.near(p[1], r.p90, max(0.05, r.ci[1] / 100), "\(r.runtime) init p90")
      Self.near(p[2], r.p99, max(0.10, r.ci[2] / 100), "\(r.runtime) init p99")
    }
  }

  @Test("Every runtime of botocore's enum that fanout accepts without coldStart has a cited cold start")
  func everyAcceptedRuntimeHasACitedColdStart() {
    let cited = Set(Self.publishedColdStarts.map(\.runtime))
    var accepted: [String] = []
    for runtime in Limits.Lambda.runtimes {
      var t = Topology.seedPipeline(services: 1)
      t.functions[0].runtime = runtime
      let refused = t.problems().contains {
        $0.severity == .error && $0.place == .function("preprocessor", attribute: "Runtime")
      }
      if refused {
        #expect(!cited.contains(runtime), "\(runtime) has a published cold start but is refused")
      } else {
        accepted.append(runtime)
        #expect(cited.contains(runtime), "\(runtime) is accepted without a published cold start")
      }
    }
    #expect(Set(accepted) == cited)
    #expect(Set(LambdaRuntimes.coldStarts.map(\.runtime)) == cited)
    #expect(cited.isSubset(of: Limits.Lambda.runtimes), "every cited runtime is one of Lambda's")
  }

  /// lambda-perf's Python 3.12 function (128 MB, x86_64): each day's figure is the mean `Duration`
  /// of its ~10 invocations; over 78 days those means have p10 1.84 ms, p50 1.99 ms, p90 3.5 ms.
  /// fanout's handler compute time is compared the same way: means of 10 draws.
  @Test("Handler compute time: means of 10 have lambda-perf's Python 3.12 p10/p50/p90")
  func handlerDurationMatchesLambdaPerfMeanDuration() {
    let model = FunctionSpec(name: "f", handler: .forward(topic: "t", queue: nil)).duration
    let p = Self.percentiles([0.1, 0.5, 0.9]) { rng in
      var sum = SimDuration.zero
      for _ in 0..<10 { sum += model.sample(&rng) }
      return sum / 10
    }
    Self.near(p[0], 1.84, 0.10, "mean Duration p10")
    Self.near(p[1], 1.99, 0.10, "mean Duration p50")
    Self.near(p[2], 3.5, 0.15, "mean Duration p90")
  }

  @Test("An unknown Runtime is refused in CreateFunction's words, with botocore's enum")
  func unknownRuntimeIsRefusedInLambdasWords() {
    var t = Topology.seedPipeline(services: 1)
    t.functions[1].runtime = "python3.99"
    let enumText =
      "nodejs, nodejs4.3, nodejs6.10, nodejs8.10, nodejs10.x, nodejs12.x, nodejs14.x, nodejs16.x, java8, java8.al2, "
      + "java11, python2.7, python3.6, python3.7, python3.8, python3.9, dotnetcore1.0, dotnetcore2.0, dotnetcore2.1, "
      + "dotnetcore3.1, dotnet6, dotnet8, nodejs4.3-edge, go1.x, ruby2.5, ruby2.7, provided, provided.al2, nodejs18.x, "
      + "python3.10, java17, ruby3.2, ruby3.3, ruby3.4, python3.11, nodejs20.x, provided.al2023, python3.12, java21, "
      + "python3.13, nodejs22.x, nodejs24.x, python3.14, java25, dotnet10, ruby4.0"
    let text =
      "Value python3.99 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [\(enumText)] or be a valid ARN"
    #expect(t.problems() == [TopologyProblem(.error, .function("service01", attribute: "Runtime"), text)])
    #expect(throws: TopologyError(text + " (function service01)")) { try Simulation(topology: t, seed: 1) }
    // A runtime version ARN is a valid Runtime; fanout has no cold start for it, so it needs one.
    t.functions[1].runtime =
      "arn:aws:lambda:us-east-1::runtime:0a25e3e7a1cc9ce404bc435eeb2ad358d8fa64338e618d0c224fe509403583ca"
    #expect(
      t.problems().map(\.message) == [
        "fanout has no published cold start for runtime \(t.functions[1].runtime): give coldStart, or use one of \(LambdaRuntimes.listed)"
      ])
    t.functions[1].coldStart = .fixed(.milliseconds(100))
    #expect(t.problems().isEmpty)
  }

  @Test("A function's runtime selects its default cold start; a given coldStart wins")
  func runtimeSelectsTheDefaultColdStart() {
    var f = FunctionSpec(name: "f", handler: .forward(topic: "t", queue: nil))
    #expect(f.runtime == "python3.12")
    #expect(f.coldStart == LambdaRuntimes.coldStart("python3.12"))
    f.runtime = "java21"
    #expect(f.coldStart == LambdaRuntimes.coldStart("java21"))
    #expect(f.coldStart != LambdaRuntimes.coldStart("python3.12"))
    f.coldStart = .fixed(.milliseconds(5))
    #expect(f.coldStart == .fixed(.milliseconds(5)))
    #expect(f.coldStartOverride == .fixed(.milliseconds(5)))
  }
}
