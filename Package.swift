// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "fanout",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "fanout", targets: ["fanout"]),
    .library(name: "FanoutSim", targets: ["FanoutSim"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
  ],
  targets: [
    .target(
      name: "FanoutSim",
      dependencies: [
        .product(name: "HeapModule", package: "swift-collections"),
        .product(name: "DequeModule", package: "swift-collections"),
        .product(name: "Crypto", package: "swift-crypto"),
        "CFanoutSupport",
      ],
      // The simulation is single-threaded; dynamic exclusivity checks cost about 12% of a run.
      swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
    ),
    .target(name: "CFanoutSupport"),
    .systemLibrary(
      name: "CNCurses",
      providers: [.apt(["libncurses-dev"])]
    ),
    .target(
      name: "FanoutScenario",
      dependencies: ["FanoutSim", .product(name: "Yams", package: "Yams")]
    ),
    .target(name: "TermRender"),
    // The AWS wire protocols (SQS, SNS, S3, Lambda) as translation over a simulation.
    .target(name: "FanoutWire", dependencies: ["FanoutSim"]),
    // `fanout serve`: the HTTP server over FanoutWire, and the one owner of a live simulation.
    .target(
      name: "FanoutServe",
      dependencies: [
        "FanoutWire", "FanoutSim", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
      ]
    ),
    // The HTML report: a sampler in virtual time, SVG charts, the pipeline's diagram.
    // (FanoutScenario for a sweep's page: its report and distributions.)
    .target(name: "FanoutReport", dependencies: ["FanoutSim", "FanoutScenario"]),
    .target(name: "TerminalUI", dependencies: ["CNCurses", "TermRender", "Dashboard", "FanoutSim"]),
    .target(
      name: "Dashboard", dependencies: ["FanoutSim", "TermRender"],
      // The model takes every event the simulation makes: dynamic exclusivity checks cost ~10 %.
      swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
    ),
    .executableTarget(
      name: "fanout",
      dependencies: [
        "FanoutSim",
        "FanoutScenario",
        "Dashboard",
        "TerminalUI",
        "FanoutReport",
        "FanoutServe",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(
      name: "FanoutSimTests",
      dependencies: ["FanoutSim"]
    ),
    .testTarget(
      name: "FanoutScenarioTests",
      dependencies: ["FanoutScenario", .product(name: "Yams", package: "Yams")]
    ),
    .testTarget(
      name: "DashboardTests",
      dependencies: ["Dashboard", "FanoutScenario"],
      exclude: ["Snapshots"]
    ),
    .testTarget(
      name: "FanoutReportTests",
      dependencies: ["FanoutReport", "FanoutScenario"]
    ),
    .testTarget(
      name: "FanoutWireTests",
      dependencies: ["FanoutWire"]
    ),
    .testTarget(
      name: "TermRenderTests",
      dependencies: ["TermRender"]
    ),
    .testTarget(
      name: "FanoutCLITests",
      dependencies: ["fanout", .product(name: "Yams", package: "Yams")]
    ),
  ],
  swiftLanguageModes: [.v6]
)
