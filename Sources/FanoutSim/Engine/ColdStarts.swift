// MARK: - Cold starts by runtime
//
// The init duration of a Lambda cold start, per runtime, calibrated against the lambda-perf daily
// benchmark (https://github.com/maxday/lambda-perf, https://maxday.github.io/lambda-perf/): every
// day it deploys a hello-world function per runtime and invokes it 10 times as cold starts,
// keeping the `Init Duration` of each REPORT line. fanout's figures pool the zip-packaged,
// 128 MB (Lambda's default memory), x86_64 functions of 86 daily runs, 2026-05-28 to 2026-08-22
// (data/2026-05-28.json … data/2026-08-22.json at commit 6070b794, about 760 cold starts per
// runtime). Each model reproduces that sample's p50, p90 and p99 within 2 %; docs/TIMINGS.md lists
// the published and the modelled percentiles side by side.
//
// A hello world imports nothing: a function's own init code (the seed's `import boto3` and client
// construction, say) comes on top, and a scenario that wants it gives `coldStart`.

/// Lambda runtimes and the init duration of a cold start on each.
public enum LambdaRuntimes {
  /// The runtime of the seed pipeline's functions: the article's handlers are Python; its
  /// version is not stated, so the current Python 3 runtime.
  public static let seedRuntime = "python3.12"

  /// The init duration of a cold start on each runtime with a published measurement (lambda-perf,
  /// see above), in the order docs/TIMINGS.md lists them. `provided.al2` and `provided.al2023`
  /// are lambda-perf's Go functions on those custom runtimes.
  public static let coldStarts: [(runtime: String, initDuration: DurationModel)] = [
    ("python3.9", tail(77.7, 0.079, 0.195, 98.0, 0.173)),
    ("python3.10", tail(77.3, 0.077, 0.201, 96.8, 0.108)),
    ("python3.11", tail(80.6, 0.093, 0.166, 98.4, 0.211)),
    ("python3.12", tail(87.3, 0.100, 0.127, 109.7, 0.236)),
    ("python3.13", tail(92.4, 0.142, 0.146, 121.0, 0.229)),
    ("python3.14", tail(115.0, 0.124, 0.156, 176.3, 0.289)),
    ("nodejs20.x", tail(145.2, 0.085, 0.152, 172.4, 0.187)),
    ("nodejs22.x", tail(144.1, 0.082, 0.174, 173.9, 0.162)),
    ("nodejs24.x", tail(139.7, 0.086, 0.270, 163.6, 0.193)),
    ("java8.al2", tail(248.7, 0.079, 0.096, 463.9, 0.130)),
    ("java11", tail(281.3, 0.044, 0.200, 341.7, 0.323)),
    ("java17", tail(208.6, 0.074, 0.138, 240.4, 0.224)),
    ("java21", tail(244.6, 0.077, 0.059, 438.1, 0.322)),
    ("java25", tail(194.7, 0.081, 0.100, 429.6, 0.102)),
    ("dotnet8", tail(259.1, 0.116, 0.067, 462.8, 0.313)),
    ("dotnet10", tail(254.2, 0.082, 0.241, 561.1, 0.143)),
    ("ruby3.2", tail(226.2, 0.108, 0.258, 378.5, 0.164)),
    ("ruby3.3", tail(228.2, 0.097, 0.259, 380.2, 0.138)),
    ("ruby3.4", tail(213.6, 0.095, 0.352, 348.5, 0.203)),
    ("provided.al2", tail(51.0, 0.051, 0.135, 56.4, 0.187)),
    ("provided.al2023", tail(50.7, 0.050, 0.115, 59.2, 0.184)),
  ]

  private static func tail(_ median: Double, _ sigma: Double, _ p: Double, _ tailMedian: Double, _ tailSigma: Double)
    -> DurationModel
  {
    .lognormalWithTail(
      median: .milliseconds(median), sigma: sigma, tailProbability: p, tailMedian: .milliseconds(tailMedian),
      tailSigma: tailSigma)
  }

  private static let byName: [String: DurationModel] = Dictionary(
    coldStarts.map { ($0.runtime, $0.initDuration) }, uniquingKeysWith: { a, _ in a })

  /// The published init duration of a cold start on `runtime`, or nil when fanout has none.
  public static func coldStart(_ runtime: String) -> DurationModel? { byName[runtime] }

  /// The runtimes with a published cold start, as one line for messages.
  public static var listed: String { coldStarts.map(\.runtime).joined(separator: ", ") }
}
