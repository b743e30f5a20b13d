import FanoutScenario
import FanoutSim
import Foundation
import Testing

@testable import FanoutReport

/// Chromium, where Debian's package puts it (`CHROMIUM` names another).
let chromium: String? = {
  if let p = ProcessInfo.processInfo.environment["CHROMIUM"], FileManager.default.isExecutableFile(atPath: p) {
    return p
  }
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// A fresh temporary folder.
func temporaryFolder(_ name: String) throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-\(name)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir
}

/// Runs headless Chromium with `arguments` (after its own: a profile of its own in a temporary
/// folder, no first-run or sandbox) and returns what it printed; killed after `timeout` seconds.
func runChromium(_ arguments: [String], in dir: URL, timeout: Double = 60) throws -> (status: Int32, out: Data) {
  let browser = try #require(chromium)
  let profile = dir.appendingPathComponent("profile-\(UUID().uuidString)")
  let outURL = dir.appendingPathComponent("stdout-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
  let out = try FileHandle(forWritingTo: outURL)
  let p = Process()
  p.executableURL = URL(fileURLWithPath: browser)
  p.arguments =
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
      "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars", "--user-data-dir=\(profile.path)",
    ] + arguments
  p.standardOutput = out
  p.standardError = FileHandle.nullDevice
  p.standardInput = FileHandle.nullDevice
  let done = DispatchSemaphore(value: 0)
  p.terminationHandler = { _ in done.signal() }
  try p.run()
  if done.wait(timeout: .now() + timeout) == .timedOut {
    p.terminate()
    if done.wait(timeout: .now() + 5) == .timedOut {
      kill(p.processIdentifier, SIGKILL)
      _ = done.wait(timeout: .now() + 5)
    }
    Issue.record("Chromium did not finish within \(Int(timeout)) s: killed")
  }
  try out.close()
  return (p.terminationStatus, (try? Data(contentsOf: outURL)) ?? Data())
}

/// A PNG's width and height, from its IHDR chunk; nil when it is not a PNG.
func pngSize(_ d: Data) -> (width: Int, height: Int)? {
  let b = [UInt8](d.prefix(24))
  guard b.count == 24, b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], b[12..<16] == [73, 72, 68, 82]
  else { return nil }
  func be(_ i: Int) -> Int { b[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
  return (be(16), be(20))
}

@Suite(
  "The page in headless Chromium", .serialized,
  .enabled(if: chromium != nil, "needs Chromium (/usr/bin/chromium, Debian's chromium package)"))
struct BrowserTests {
  /// The page of a run of the seed pipeline with a failing service and an oddly named sink.
  func page(in dir: URL) throws -> (URL, Simulation, RunSamples) {
    let (sim, samples, html) = try sampledRun(requests: 120, rate: 40) { t in
      t.functions[1].failure.errorRate = 0.3
      t.topics[1].subscriptions = [SubscriptionSpec(endpoint: .sink("<b>ops</b> & \"on-call\""))]
    }
    let url = dir.appendingPathComponent("report.html")
    try html.write(to: url, atomically: true, encoding: .utf8)
    return (url, sim, samples)
  }

  @Test("Chromium loads the page from a file: every chart, its title, axes and legend are in the DOM")
  func testEveryChartAndLabelIsInTheDOM() throws {
    let dir = try temporaryFolder("browser")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (url, sim, _) = try page(in: dir)
    let r = try runChromium(["--dump-dom", url.absoluteString], in: dir)
    #expect(r.status == 0)
    let dom = String(decoding: r.out, as: UTF8.self)
    #expect(dom.contains("<h1>fanout run — page test, seed 1</h1>"), "\(dom.prefix(500))")
    // Each chart, found by its attributes, with what it must show.
    var expected: [(selector: String, series: [String])] = [
      ("data-chart=\"queue-depth\"", sim.queues.map(\.name)),
      ("data-chart=\"queue-in-flight\"", sim.queues.map(\.name)),
      ("data-chart=\"dlq-depth\"", sim.queues.filter { $0.name.hasSuffix("-dlq") }.map(\.name)),
      ("data-chart=\"invocations\"", sim.functions.map(\.name)),
      ("data-chart=\"failures\"", ["errors", "timeouts", "throttles"]),
      ("data-chart=\"latency\"", ["p50", "p90", "p99"]),
    ]
    for f in sim.functions {
      let pollers = sim.mappings.filter { $0.function == f.index }.map { "pollers of \($0.name)" }
      expected.append(("data-chart=\"concurrency\" data-subject=\"\(f.name)\"", ["concurrent executions"] + pollers))
    }
    let charts = dom.components(separatedBy: "<svg class=\"chart\" ").dropFirst()
    #expect(charts.count == expected.count)
    for (selector, series) in expected {
      let chart = try #require(charts.first { $0.hasPrefix(selector) }, "\(selector)")
      let body = chart.components(separatedBy: "</svg>")[0]
      #expect(body.contains("<text class=\"chart-title\""), "\(selector)")
      #expect(body.contains("<g class=\"axis x-axis\""), "\(selector)")
      #expect(body.contains("<g class=\"axis y-axis\""), "\(selector)")
      #expect(body.contains("virtual time ("), "\(selector)")
      #expect(body.components(separatedBy: "<g class=\"tick\"").count > 3, "\(selector)")
      for s in series {
        #expect(body.contains("<g class=\"series\" data-series=\"\(escapeMarkup(s))\""), "\(selector) \(s)")
        #expect(body.contains("<g class=\"legend-item\" data-series=\"\(escapeMarkup(s))\""), "\(selector) \(s)")
      }
    }
    // The diagram, names labelled; the odd name stayed text (no <b> element was made of it).
    #expect(dom.contains("<svg class=\"diagram\" data-chart=\"pipeline\""))
    for n in ["preprocessor", "connector", "notifier", "service01-dlq", "fanout-bucket"] {
      #expect(dom.contains("data-name=\"\(n)\""), "\(n)")
    }
    #expect(!dom.contains("<b>ops"))
    #expect(dom.contains("&lt;b&gt;ops&lt;/b&gt; &amp;"))
    #expect(dom.contains("<pre class=\"summary\">fanout run — page test, seed 1"))
  }

  @Test("A screenshot at 1280×2400 is a PNG of that size, and not blank")
  func testScreenshotIsNotBlank() throws {
    let dir = try temporaryFolder("browser")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (url, _, _) = try page(in: dir)
    let shot = dir.appendingPathComponent("report.png")
    _ = try runChromium(["--screenshot=\(shot.path)", "--window-size=1280,2400", url.absoluteString], in: dir)
    let png = try Data(contentsOf: shot)
    let size = try #require(pngSize(png))
    #expect(size.width == 1280 && size.height == 2400)
    // A page of one colour compresses to almost nothing: the report's is many times larger.
    let blankPage = dir.appendingPathComponent("blank.html")
    try "<!DOCTYPE html><html><body style=\"background:#fafafa\"></body></html>".write(
      to: blankPage, atomically: true, encoding: .utf8)
    let blankShot = dir.appendingPathComponent("blank.png")
    _ = try runChromium(
      ["--screenshot=\(blankShot.path)", "--window-size=1280,2400", blankPage.absoluteString], in: dir)
    let blank = try Data(contentsOf: blankShot)
    #expect(pngSize(blank)?.width == 1280)
    #expect(png.count > 5 * blank.count, "report \(png.count) bytes, blank \(blank.count) bytes")
  }

  @Test("Chromium loads a sweep's page: every figure's chart with its spread in the DOM; its screenshot is not blank")
  func testSweepPageChartsAreInTheDOMAndItsScreenshotIsNotBlank() throws {
    let dir = try temporaryFolder("browser-sweep")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (report, _, html) = try sweepPage(seeds: 3, requests: 20, vary: ["rate=50,100,200,400"])
    let url = dir.appendingPathComponent("sweep.html")
    try html.write(to: url, atomically: true, encoding: .utf8)
    let r = try runChromium(["--dump-dom", url.absoluteString], in: dir)
    #expect(r.status == 0)
    let dom = String(decoding: r.out, as: UTF8.self)
    #expect(dom.contains("<h1>fanout sweep — seed-pipeline</h1>"), "\(dom.prefix(500))")
    let charts = dom.components(separatedBy: "<svg class=\"chart\" ").dropFirst()
    #expect(charts.count == SweepFigure.all.count)
    for f in SweepFigure.all {
      let chart = try #require(
        charts.first { $0.hasPrefix("data-chart=\"\(f.key)\" data-subject=\"rate\"") }, "\(f.key)")
      let body = chart.components(separatedBy: "</svg>")[0]
      #expect(body.contains("\(escapeMarkup(f.title)) by rate</text>"), "\(f.key)")
      #expect(body.contains("rate (requests/s)</text>"), "\(f.key)")
      #expect(body.contains("<g class=\"band\" data-series=\"p5–p95\" data-points=\"4\">"), "\(f.key)")
      #expect(body.contains("<g class=\"interval\" data-series=\"95 % CI of the mean\" data-points=\"4\">"))
      for s in ["mean", "p50"] {
        #expect(body.contains("<g class=\"series\" data-series=\"\(s)\" data-points=\"4\">"), "\(f.key) \(s)")
        #expect(body.contains("<g class=\"legend-item\" data-series=\"\(s)\">"), "\(f.key) \(s)")
      }
    }
    #expect(dom.contains("<td>\(report.definition.fingerprint)</td>"))
    #expect(dom.contains("<pre class=\"summary\">fanout sweep — seed-pipeline (the built-in pipeline"))

    let shot = dir.appendingPathComponent("sweep.png")
    _ = try runChromium(["--screenshot=\(shot.path)", "--window-size=1280,2400", url.absoluteString], in: dir)
    let png = try Data(contentsOf: shot)
    #expect(pngSize(png)?.width == 1280 && pngSize(png)?.height == 2400)
    let blankPage = dir.appendingPathComponent("blank.html")
    try "<!DOCTYPE html><html><body style=\"background:#fafafa\"></body></html>".write(
      to: blankPage, atomically: true, encoding: .utf8)
    let blankShot = dir.appendingPathComponent("blank.png")
    _ = try runChromium(
      ["--screenshot=\(blankShot.path)", "--window-size=1280,2400", blankPage.absoluteString], in: dir)
    let blank = try Data(contentsOf: blankShot)
    #expect(png.count > 5 * blank.count, "sweep page \(png.count) bytes, blank \(blank.count) bytes")
  }
}
