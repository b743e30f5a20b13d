import FanoutSim

#if canImport(Glibc)
  import Glibc
#endif

/// Maximum resident set size of this process, in bytes.
func maxRSS() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss * 1_024
}

// Runs N requests (default 1,000,000) through the seed pipeline with every S3 object retained and
// reports requests per second and resident memory per request.
let args = CommandLine.arguments.dropFirst()
let requests = args.first.flatMap { Int($0) } ?? 1_000_000
let before = maxRSS()
let clock = ContinuousClock()
let start = clock.now
let sim = try Simulation(topology: .seedPipeline(), seed: 1)
sim.startLoad(count: requests, rate: 1_000)
sim.runUntilDrained()
let elapsed = start.duration(to: clock.now)
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let after = maxRSS()
let objects = sim.buckets.reduce(0) { $0 + $1.objectCount }
print("requests            \(requests)")
print("completed           \(sim.tracker.completed)")
print("s3 objects retained \(objects)")
print("events              \(sim.eventCount)")
print("wall seconds        \(seconds)")
print("requests per second \(Int(Double(requests) / seconds))")
print("events per second   \(Int(Double(sim.eventCount) / seconds))")
print("max RSS             \(after / 1_048_576) MiB")
print("bytes per request   \((after - before) / max(1, requests))")
