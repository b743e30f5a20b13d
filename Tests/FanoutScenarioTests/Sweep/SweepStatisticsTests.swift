import Testing

@testable import FanoutScenario

/// The statistics a sweep reports, against values worked out by hand (and, for Student's t,
/// the published tables: NIST TN 1297 Table B.1, and scipy.stats.t.ppf(0.975, ν) to more digits).
@Suite("Sweep statistics: mean, percentiles, Student's t interval")
struct SweepStatisticsTests {
  /// 3, 1, 4, 1, 5, 9, 2, 6 sorted is 1, 1, 2, 3, 4, 5, 6, 9 (n = 8).
  let values: [Double] = [3, 1, 4, 1, 5, 9, 2, 6]

  @Test func testPercentilesInterpolateLinearlyBetweenOrderStatistics() throws {
    let sorted = values.sorted()
    // h = (n − 1)·p: p5 → h = 0.35, between 1 and 1; p50 → h = 3.5, halfway from 3 to 4;
    // p95 → h = 6.65, 65 % of the way from 6 to 9.
    #expect(sweepPercentile(sorted: sorted, 0.05) == 1)
    #expect(sweepPercentile(sorted: sorted, 0.50) == 3.5)
    #expect(abs(sweepPercentile(sorted: sorted, 0.95) - 7.95) < 1e-12)
    #expect(sweepPercentile(sorted: sorted, 0) == 1)
    #expect(sweepPercentile(sorted: sorted, 1) == 9)
    // Two values: p25 is a quarter of the way.
    #expect(sweepPercentile(sorted: [10, 20], 0.25) == 12.5)
    #expect(sweepPercentile(sorted: [7], 0.95) == 7)
  }

  @Test func testStudentTQuantilesMatchThePublishedTables() throws {
    let published: [(Int, Double)] = [
      (1, 12.706204736174694), (2, 4.302652729749462), (3, 3.1824463052837078), (4, 2.7764451051977934),
      (5, 2.5705818356363146), (7, 2.364624251592785), (9, 2.262157162798205), (10, 2.228138851986274),
      (19, 2.0930240544083087), (29, 2.045229642132703), (30, 2.0422724563012378), (60, 2.0002978220142604),
      (120, 1.9799304050824402), (999, 1.9623414611334493),
    ]
    for (nu, t) in published {
      let got = studentTQuantile(0.975, degreesOfFreedom: nu)
      #expect(abs(got - t) < 1e-9, "ν = \(nu): \(got), tables \(t)")
    }
    // NIST TN 1297 Table B.1, 95 %, to two decimals.
    for (nu, t) in [(1, 12.71), (2, 4.30), (5, 2.57), (10, 2.23), (20, 2.09), (50, 2.01)] {
      #expect(abs(studentTQuantile(0.975, degreesOfFreedom: nu) - t) < 0.005, "ν = \(nu)")
    }
  }

  @Test func testConfidenceIntervalIsTheMeanPlusOrMinusTTimesTheStandardError() throws {
    let d = try #require(SweepDistribution(values))
    #expect(d.count == 8)
    #expect(d.mean == 3.875, "31 / 8")
    #expect(d.p5 == 1 && d.p50 == 3.5 && abs(d.p95 - 7.95) < 1e-12)
    // Σ(x − 3.875)² = 52.875, s = √(52.875 / 7); t(0.975, 7) = 2.364624…; half-width t·s/√8.
    let s = (52.875 / 7.0).squareRoot()
    let half = 2.364624251592785 * s / 8.0.squareRoot()
    let ci = try #require(d.ci95)
    #expect(abs(ci.low - (3.875 - half)) < 1e-9 && abs(ci.high - (3.875 + half)) < 1e-9)
    #expect(abs(ci.low - 1.5773000431592457) < 1e-9 && abs(ci.high - 6.172699956840754) < 1e-9)
  }

  @Test func testOneValueHasNoConfidenceIntervalAndEqualValuesAZeroWidthOne() throws {
    let one = try #require(SweepDistribution([42]))
    #expect(one.mean == 42 && one.p5 == 42 && one.p95 == 42 && one.ci95 == nil)
    let same = try #require(SweepDistribution([5, 5, 5]))
    #expect(same.ci95?.low == 5 && same.ci95?.high == 5)
    #expect(SweepDistribution([]) == nil)
  }

  @Test func testFiguresPrintWithFixedDecimalsRoundedHalfAwayFromZero() throws {
    #expect(fixed(2.25, 1) == "2.3")
    #expect(fixed(-2.25, 1) == "-2.3")
    #expect(fixed(-0.04, 1) == "0.0", "no negative zero")
    #expect(fixed(1000, 1) == "1000.0")
    #expect(fixed(0.005, 2) == "0.01")
    #expect(fixed(12.5, 0) == "13")
    #expect(csvField("a,b") == "\"a,b\"" && csvField("say \"hi\"") == "\"say \"\"hi\"\"\"" && csvField("x") == "x")
  }
}
