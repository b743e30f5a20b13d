// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so that `swift test` on fanout never builds them.
let package = Package(
  name: "fanout-benchmarks",
  dependencies: [
    .package(name: "fanout", path: ".."),
    .package(url: "https://github.com/google/swift-benchmark", from: "0.1.2"),
  ],
  targets: [
    .executableTarget(
      name: "FanoutBenchmarks",
      dependencies: [
        .product(name: "FanoutSim", package: "fanout"),
        .product(name: "Benchmark", package: "swift-benchmark"),
      ],
      swiftSettings: [.swiftLanguageMode(.v5)]
    ),
    .executableTarget(
      name: "MemoryBenchmark",
      dependencies: [.product(name: "FanoutSim", package: "fanout")]
    ),
  ]
)
