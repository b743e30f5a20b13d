import Benchmark
import FanoutSim

// Throughput of the seed pipeline with the events file off: what `fanout run` does, without the
// report. Each iteration fires the requests at 1,000 per second of virtual time and drains.
for requests in [10_000, 100_000] {
  benchmark("seed pipeline, \(requests) requests") {
    let sim = try! Simulation(topology: .seedPipeline(), seed: 1)
    sim.startLoad(count: requests, rate: 1_000)
    sim.runUntilDrained()
    precondition(sim.tracker.completed + sim.tracker.failedCount == requests)
  }
}

// The event queue alone: the same number of scheduled jobs without any AWS semantics.
benchmark("one event: fire a request into an idle pipeline and drain it") {
  let sim = try! Simulation(topology: .seedPipeline(), seed: 1)
  sim.fireRequest()
  sim.runUntilDrained()
}

Benchmark.main()
