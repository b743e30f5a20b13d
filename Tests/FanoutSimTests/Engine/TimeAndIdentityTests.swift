import Testing

@testable import FanoutSim

@Suite("Virtual time, identifiers, randomness")
struct TimeAndIdentityTests {
  @Test("Timestamps: ISO-8601 with milliseconds and Python's %Y%m%d%H%M%S%f")
  func formats() {
    let t = CivilTime.instant(year: 2022, month: 4, day: 10, hour: 9, minute: 8, second: 7, microsecond: 6_543)
    #expect(t.iso8601Millis == "2022-04-10T09:08:07.006Z")
    #expect(t.pythonCompactTimestamp == "20220410090807006543")
    #expect(CivilTime(t).day == 10)
    #expect(CivilTime.instant(year: 1970, month: 1, day: 1) == .epoch)
    #expect(
      CivilTime.instant(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59).iso8601Millis
        == "2024-02-29T23:59:59.000Z")
    #expect(t.epochMillis == t.microsecondsSinceEpoch / 1_000)
  }

  @Test("Seed request ID: MD5 of the timestamp text, as hashlib.md5(...).hexdigest()")
  func requestIdIsMD5() {
    // The literals are hashlib.md5(b"...").hexdigest(), computed by Python.
    #expect(md5Hex("20220410090807006543") == "362b62f73b8d670cc67c1473b39735d1")
    #expect(md5RequestID("20220410090807006543").hex == "362b62f73b8d670cc67c1473b39735d1")
    #expect(md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e")
    #expect(RequestID(hex: "26d84a1ffe20c326499614a49b48dc8f")?.hex == "26d84a1ffe20c326499614a49b48dc8f")
    #expect(RequestID(hex: "xyz") == nil)
  }

  @Test("Durations parse from the command line forms")
  func spans() {
    #expect(parseSpan("90s") == .seconds(90))
    #expect(parseSpan("10m") == .minutes(10))
    #expect(parseSpan("500ms") == .milliseconds(500))
    #expect(parseSpan("2h") == .hours(2))
    #expect(parseSpan("1.5") == .milliseconds(1_500))
    #expect(parseSpan("-1s") == nil)
    #expect(parseSpan("soon") == nil)
    #expect(formatSpan(.milliseconds(1_500)) == "1.5s")
    #expect(formatSpan(.seconds(65)) == "1m05s")
  }

  @Test("Random streams: same seed and name repeat; other names and seeds differ; UUIDs are version 4")
  func streams() {
    var a = SimRandom(seed: 7, stream: "sqs/a")
    var b = SimRandom(seed: 7, stream: "sqs/a")
    var c = SimRandom(seed: 7, stream: "sqs/b")
    var d = SimRandom(seed: 8, stream: "sqs/a")
    let xs = (0..<5).map { _ in a.next() }
    #expect(xs == (0..<5).map { _ in b.next() })
    #expect(xs != (0..<5).map { _ in c.next() })
    #expect(xs != (0..<5).map { _ in d.next() })
    let u = a.uuid().text
    #expect(u.count == 36)
    #expect(Array(u)[14] == "4")
    #expect("89ab".contains(Array(u)[19]))
  }

  @Test("Normal draws (ziggurat) have the standard normal's moments and tails")
  func normalDistribution() {
    var rng = SimRandom(seed: 11, stream: "test/normal")
    let n = 1_000_000
    var sum = 0.0
    var squares = 0.0
    var beyond1 = 0
    var beyond2 = 0
    var beyond3 = 0
    var beyondBase = 0
    var negative = 0
    for _ in 0..<n {
      let z = rng.normal()
      sum += z
      squares += z * z
      if abs(z) > 1 { beyond1 += 1 }
      if abs(z) > 2 { beyond2 += 1 }
      if abs(z) > 3 { beyond3 += 1 }
      if abs(z) > 3.5 { beyondBase += 1 }
      if z < 0 { negative += 1 }
    }
    let mean = sum / Double(n)
    let variance = squares / Double(n) - mean * mean
    #expect(abs(mean) < 0.005)
    #expect(abs(variance - 1) < 0.01)
    // P(|Z| > k): 0.3173, 0.0455, 0.0027, 0.000465 (the last is beyond the ziggurat's base layer).
    #expect(abs(Double(beyond1) / Double(n) - 0.3173) < 0.003)
    #expect(abs(Double(beyond2) / Double(n) - 0.0455) < 0.001)
    #expect(abs(Double(beyond3) / Double(n) - 0.0027) < 0.0003)
    #expect(abs(Double(beyondBase) / Double(n) - 0.000465) < 0.0001)
    #expect(abs(Double(negative) / Double(n) - 0.5) < 0.003)
  }

  @Test("A log-normal duration has its median, and sigma sets its 84th percentile")
  func lognormalDuration() {
    var rng = SimRandom(seed: 12, stream: "test/lognormal")
    let model = DurationModel.lognormal(median: .milliseconds(100), sigma: 0.5)
    var draws = (0..<200_000).map { _ in model.sample(&rng) }
    draws.sort()
    let median = Double(draws[draws.count / 2].microseconds)
    let p84 = Double(draws[Int(Double(draws.count) * 0.8413)].microseconds)
    #expect(abs(median / 100_000 - 1) < 0.01)
    // exp(0.5) = 1.6487: one sigma above the median.
    #expect(abs(p84 / 100_000 - 1.6487) < 0.02)
  }

  @Test("A log-normal with a tail draws its tail with the tail's probability; quantile inverts cdf")
  func lognormalWithTailDrawsItsTail() {
    let model = DurationModel.lognormalWithTail(
      median: .milliseconds(10), sigma: 0.1, tailProbability: 0.05, tailMedian: .milliseconds(100), tailSigma: 0.1)
    var rng = SimRandom(seed: 3, stream: "test/tail")
    var draws = (0..<200_000).map { _ in model.sample(&rng) }
    draws.sort()
    let slow = draws.filter { $0 > .milliseconds(40) }.count
    #expect(abs(Double(slow) / Double(draws.count) - 0.05) < 0.003)
    // The body and the tail barely overlap, so the 97.5th percentile is the tail's median.
    #expect(abs(model.quantile(0.975).milliseconds - 100) < 0.5)
    #expect(abs(draws[draws.count * 975 / 1000].milliseconds - 100) < 1.5)
    #expect(abs(draws[draws.count / 2].milliseconds - model.median.milliseconds) < 0.1)
    #expect(abs(model.cdf(model.quantile(0.9)) - 0.9) < 0.001)
  }
}
