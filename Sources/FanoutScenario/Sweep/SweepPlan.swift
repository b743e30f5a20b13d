import FanoutSim
import Foundation

// MARK: - A sweep: the pipeline, the seeds, the combinations of varied values

/// A problem that stops a sweep before it runs, or a merge.
public struct SweepError: Error, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The pipeline a sweep runs, parsed once, and the fingerprint of what defined it.
public struct SweepPipeline: Sendable {
  public enum Kind: String, Sendable {
    case builtIn = "built-in"
    case scenario, template
  }
  public var kind: Kind
  public var scenario: Scenario
  /// SHA-256 (hex) of what defines the pipeline: a scenario file's text; a template's text with
  /// its overlay's and the import options; for the built-in pipeline, its name.
  public var fingerprint: String

  public init(kind: Kind, scenario: Scenario, fingerprint: String) {
    self.kind = kind
    self.scenario = scenario
    self.fingerprint = fingerprint
  }

  /// The built-in seed pipeline (`fanout run` without --scenario).
  public static func builtIn() -> SweepPipeline {
    let s = Scenario(
      name: "seed-pipeline", description: "", seed: 1, topology: .seedPipeline(), loads: [], timeline: [],
      expectations: [])
    return SweepPipeline(kind: .builtIn, scenario: s, fingerprint: sha256Hex("fanout built-in seed pipeline"))
  }

  /// A scenario file, read and parsed once; the fingerprint is its text's. Nil (with the
  /// problems) when it is not a valid scenario.
  public static func scenarioFile(path: String) -> (SweepPipeline?, [Diagnostic]) {
    switch Scenario.readText(path: path) {
    case .failure(let d): return (nil, [d])
    case .success(let text):
      let (s, diagnostics) = Scenario.parse(text, file: path)
      return (s.map { SweepPipeline(kind: .scenario, scenario: $0, fingerprint: sha256Hex(text)) }, diagnostics)
    }
  }

  /// An imported template; `inputs` are the texts and options that defined it, in a fixed order.
  public static func template(_ scenario: Scenario, inputs: [String]) -> SweepPipeline {
    SweepPipeline(
      kind: .template, scenario: scenario,
      fingerprint: sha256Hex(inputs.map { "\($0.utf8.count):\($0)" }.joined(separator: "\n")))
  }
}

/// Everything that decides a sweep's results and how they print: two shards merge only when
/// their definitions are equal.
public struct SweepDefinition: Sendable, Equatable {
  /// The scenario's name.
  public var scenario: String
  /// `built-in`, `scenario` or `template`.
  public var pipeline: String
  public var fingerprint: String
  public var seedBase: UInt64
  /// Seeds per combination.
  public var seeds: Int
  /// Whether each run fires the constant load `fanout run --requests N --rate R` fires.
  public var fires: Bool
  /// That load's requests and rate when not varied (10 and 100 by default, as `fanout run`).
  public var requests: Int
  public var rate: Double
  /// `--until`, in microseconds of virtual time.
  public var untilMicroseconds: Int64?
  public var axes: [SweepAxis]
  /// The keys of the figures measured, in order.
  public var figures: [String]
  /// The names the figures' components refer to.
  public var queues: [String]
  public var functions: [String]

  public var combinationCount: Int { axes.reduce(1) { $0 * $1.values.count } }
  public var runCount: Int { combinationCount * seeds }

  /// The combination a run belongs to, and its seed: runs go combination by combination, seeds
  /// in order within each.
  public func combination(ofRun r: Int) -> Int { r / seeds }
  public func seed(ofRun r: Int) -> UInt64 { seedBase + UInt64(r % seeds) }

  /// The value index of each axis in combination `c`: the first axis varies slowest.
  public func valueIndices(ofCombination c: Int) -> [Int] {
    var out = Array(repeating: 0, count: axes.count)
    var rest = c
    for i in axes.indices.reversed() {
      out[i] = rest % axes[i].values.count
      rest /= axes[i].values.count
    }
    return out
  }

  /// `key=value` of each axis in combination `c`.
  public func assignments(ofCombination c: Int) -> [(key: String, value: String)] {
    zip(axes, valueIndices(ofCombination: c)).map { ($0.key, $0.values[$1]) }
  }

  /// The runs of shard `k` of `n` (1-based): every n-th run from run k − 1, so that each shard
  /// gets its share of every combination (a slow combination does not land on one shard).
  public func runs(ofShard k: Int, of n: Int) -> [Int] { Array(stride(from: k - 1, to: runCount, by: n)) }

  /// The names of the components of a figure's kind.
  public func names(_ kind: SweepComponentKind) -> [String] { kind == .queue ? queues : functions }
}

/// A sweep ready to run: its definition and each combination's run settings.
public struct SweepPlan: Sendable {
  public let definition: SweepDefinition
  /// Each combination's settings, in combination order.
  public let configs: [SweepRunConfig]
  /// AWS's recommendations a combination ignores that the pipeline as written does not, each with
  /// the first combination that does.
  public let warnings: [String]
  public let figures: [SweepFigure]

  /// The most combinations, and the most runs, a sweep takes.
  public static let maxCombinations = 100_000
  public static let maxRuns = 100_000_000

  /// Checks and prepares a sweep: every --vary argument, the load rules, and each combination's
  /// topology as the simulation would refuse it.
  public static func make(
    pipeline: SweepPipeline, seeds: Int, seedBase: UInt64 = 1, requests: Int? = nil, rate: Double? = nil,
    until: SimDuration? = nil, vary: [String], figures: [SweepFigure] = SweepFigure.all
  ) throws -> SweepPlan {
    guard (1...1_000_000).contains(seeds) else {
      throw SweepError("--seeds must be between 1 and 1000000 (got \(seeds))")
    }
    guard UInt64.max - seedBase >= UInt64(seeds - 1) else {
      throw SweepError("--seed-base \(seedBase) + --seeds \(seeds) goes past the largest seed, \(UInt64.max)")
    }
    let base = SweepRunConfig(scenario: pipeline.scenario, requests: requests, rate: rate)
    var variations: [SweepVariation] = []
    var combinations = 1
    for argument in vary {
      let v = try SweepVariation.parse(argument, base: base)
      if let earlier = variations.first(where: { $0.axis.key == v.axis.key }) {
        throw SweepError("--vary \(argument): \(v.axis.key) is already varied (--vary \(earlier.axis.text))")
      }
      variations.append(v)
      combinations *= v.setters.count
      guard combinations <= maxCombinations else {
        throw SweepError("the --vary values make more than \(maxCombinations) combinations")
      }
    }
    guard combinations * seeds <= maxRuns else {
      throw SweepError(
        "\(combinations) combinations × \(seeds) seeds is \(combinations * seeds) runs; a sweep runs at most \(maxRuns)"
      )
    }
    let keys = Set(variations.map(\.axis.key))
    if requests != nil, keys.contains("requests") {
      throw SweepError("--requests and --vary requests=… both set the requests each run fires: give one")
    }
    if rate != nil, keys.contains("rate") {
      throw SweepError("--rate and --vary rate=… both set the rate of each run's requests: give one")
    }
    let requestsGiven = requests != nil || keys.contains("requests")
    let rateGiven = rate != nil || keys.contains("rate")
    let fires: Bool
    switch pipeline.kind {
    case .builtIn: fires = true
    case .template: fires = requestsGiven || rateGiven
    case .scenario:
      if rateGiven, !requestsGiven {
        throw SweepError(
          "a rate goes with requests: with a scenario, --requests N (or --vary requests=…) fires N requests at the entry function at that rate, as fanout run does; the scenario's own load keeps its own rate"
        )
      }
      fires = requestsGiven
    }
    if fires, pipeline.scenario.topology.entryFunction == nil {
      throw SweepError(
        "--requests and --rate fire the entry function, and the pipeline has none: set 'entry' in the scenario (or --entry NAME with --template)"
      )
    }

    // Each combination's settings, checked as the simulation checks a topology.
    let baseWarnings = Set(base.scenario.topology.problems().filter { $0.severity == .warning }.map(\.description))
    var configs: [SweepRunConfig] = []
    configs.reserveCapacity(combinations)
    var warnings: [String] = []
    var warned: Set<String> = []
    let axes = variations.map(\.axis)
    for c in 0..<combinations {
      var config = base
      var rest = c
      var indices = Array(repeating: 0, count: variations.count)
      for i in variations.indices.reversed() {
        indices[i] = rest % variations[i].setters.count
        rest /= variations[i].setters.count
      }
      for (v, i) in zip(variations, indices) { v.setters[i](&config) }
      let label = zip(axes, indices).map { "\($0.key)=\($0.values[$1])" }.joined(separator: " ")
      do {
        _ = try config.scenario.simulation(seed: seedBase)
      } catch {
        throw SweepError("the combination \(label): \(error)")
      }
      for p in config.scenario.topology.problems() where p.severity == .warning {
        let text = p.description
        if !baseWarnings.contains(text), warned.insert(text).inserted {
          warnings.append("with \(label): \(text)")
        }
      }
      configs.append(config)
    }
    let t = pipeline.scenario.topology
    let definition = SweepDefinition(
      scenario: pipeline.scenario.name, pipeline: pipeline.kind.rawValue, fingerprint: pipeline.fingerprint,
      seedBase: seedBase, seeds: seeds, fires: fires, requests: requests ?? 10, rate: rate ?? 100,
      untilMicroseconds: until?.microseconds, axes: axes, figures: figures.map(\.key), queues: t.queues.map(\.name),
      functions: t.functions.map(\.name))
    return SweepPlan(definition: definition, configs: configs, warnings: warnings, figures: figures)
  }
}
