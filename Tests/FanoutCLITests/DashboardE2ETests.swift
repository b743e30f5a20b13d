import Foundation
import Testing

/// Drives the real `fanout` binary in tmux, as a person would: keys in, screen text out.
final class TmuxSession {
  /// A server of its own: a session never meets the previous one's server while that one exits.
  let socket = "fanout-e2e-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
  let name = "e2e"
  let sttyFile = tempPath("stty.txt")

  init(width: Int, height: Int, command: String) throws {
    try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command], capture: false)
  }

  deinit { _ = try? tmux(["kill-server"], capture: false) }

  /// Runs a tmux client through the C library (`system`, `popen`): Foundation's Process does not
  /// notice the exit of a tmux client whose server it started.
  @discardableResult
  func tmux(_ args: [String], capture: Bool = true) throws -> String {
    let line = (["tmux", "-L", socket] + args).map(shellQuote).joined(separator: " ")
    guard capture else {
      _ = system(line + " >/dev/null 2>&1 </dev/null")
      return ""
    }
    guard let f = popen(line + " 2>/dev/null </dev/null", "r") else { return "" }
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 4_096)
    while true {
      let n = fread(&buf, 1, buf.count, f)
      if n <= 0 { break }
      out += buf[0..<n]
    }
    pclose(f)
    return String(decoding: out, as: UTF8.self)
  }

  func screen() -> String { (try? tmux(["capture-pane", "-p", "-t", name])) ?? "" }
  func keys(_ k: String...) throws { try tmux(["send-keys", "-t", name] + k, capture: false) }
  func resize(_ w: Int, _ h: Int) throws {
    try tmux(["resize-window", "-t", name, "-x", "\(w)", "-y", "\(h)"], capture: false)
  }

  /// Polls the screen (this is wall time: the real binary runs at ×1) until `test` holds.
  func waitFor(_ what: String, seconds: Double = 20, _ test: (String) -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
      if test(screen()) { return true }
      Thread.sleep(forTimeInterval: 0.1)
    }
    Issue.record("timed out waiting for \(what); screen:\n\(screen())")
    return false
  }
}

func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

func tmuxAvailable() -> Bool {
  FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
    || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/tmux")
}

/// The map line of a queue, e.g. "│→ service01  visible    5 in flight …".
func mapLine(_ screen: String, _ queue: String) -> String {
  screen.split(separator: "\n").first { $0.contains("→ \(queue) ") && $0.contains("visible") }.map(String.init) ?? ""
}

func visible(_ screen: String, _ queue: String) -> Int? {
  let line = mapLine(screen, queue)
  guard let r = line.range(of: "visible") else { return nil }
  return Int(line[r.upperBound...].split(separator: " ").first ?? "")
}

@Suite("The dashboard end to end, in tmux", .serialized)
struct DashboardE2ETests {
  @Test("A scenario's timeline pauses service01: the map says PAUSED, and one press of 1 resumes it")
  func timelinePauseOnePress() throws {
    try #require(tmuxAvailable(), "tmux is needed: apt-get install -y tmux")
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    let binary = root.appendingPathComponent(".build/debug/fanout").path
    // The seed pipeline, paused by its own timeline before five requests arrive.
    let seed = try String(contentsOf: root.appendingPathComponent("config/seed-pipeline.yaml"), encoding: .utf8)
    let pipeline = String(seed[..<seed.range(of: "load:")!.lowerBound])
    let file = tempPath("timeline-pause.yaml")
    try
      (pipeline + """
        timeline:
          - { at: 500ms, pause: service01 }
          - { at: 1s, fire: 5 }

        """).write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let t = try TmuxSession(
      width: 120, height: 40,
      command:
        "SWIFT_BACKTRACE=interactive=no \(binary) --scenario \(file) --log /dev/null; echo EXITED rc=$?; sleep 60")
    #expect(
      t.waitFor("service01 paused by the timeline, holding five") {
        mapLine($0, "service01").contains("PAUSED") && visible($0, "service01") == 5 && $0.contains("done 0")
      })
    // One press: the dashboard knows the timeline paused it, so 1 resumes (it used to pause again).
    try t.keys("1")
    #expect(t.waitFor("service01 resumed and drained") { visible($0, "service01") == 0 && $0.contains("done 5") })
    #expect(!mapLine(t.screen(), "service01").contains("PAUSED"))
    try t.keys("q")
    #expect(t.waitFor("exit") { $0.contains("EXITED rc=0") })
  }

  @Test("Fire, pause a service and watch its backlog, resume, resize, quit with the terminal restored")
  func session() throws {
    try #require(tmuxAvailable(), "tmux is needed: apt-get install -y tmux")
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    let binary = root.appendingPathComponent(".build/debug/fanout").path
    let stty = tempPath("stty.txt")
    defer { try? FileManager.default.removeItem(atPath: stty) }
    let t = try TmuxSession(
      width: 120, height: 40,
      command:
        "SWIFT_BACKTRACE=interactive=no \(binary) --log /dev/null; echo EXITED rc=$?; stty -a > \(stty); sleep 60")
    #expect(t.waitFor("the dashboard") { $0.contains("fanout  seed 1") && $0.contains("Pipeline") })

    // Fire one request: its ID appears, every stage finishes, four S3 keys are written.
    try t.keys("p")
    #expect(t.waitFor("one completed request") { $0.contains("done 1") && $0.contains("S3 4") })
    let s = t.screen()
    let row = s.split(separator: "\n").first { $0.contains("✓ done") }.map(String.init) ?? ""
    let id = String(row.drop { $0 == "│" }.prefix(10))
    #expect(id.count == 10 && id.allSatisfy(\.isHexDigit), "request ID in: \(row)")
    let prefix = String(id.prefix(5))
    for folder in ["preprocessor", "service01", "service02", "service03"] {
      #expect(s.contains("/\(folder)/\(prefix)"), "S3 key under \(folder)")
    }

    // Pause service01 and fire five: its queue holds five while the others finish them.
    try t.keys("1")
    for _ in 0..<5 { try t.keys("p") }
    #expect(
      t.waitFor("service01 holding five") {
        visible($0, "service01") == 5 && $0.contains("PAUSED") && $0.contains("S3 19")
      })
    #expect(visible(t.screen(), "service02") == 0)
    #expect(t.screen().contains("done 1 "), "nothing completes while service01 is paused")

    // Resume: the backlog drains and all six complete.
    try t.keys("1")
    #expect(t.waitFor("service01 drained") { visible($0, "service01") == 0 && $0.contains("done 6") })

    // Below 80x24 and back.
    try t.resize(70, 20)
    #expect(t.waitFor("the too-small message") { $0.contains("Terminal too small: 70×20") })
    try t.resize(120, 40)
    #expect(t.waitFor("the dashboard again") { $0.contains("fanout  seed 1") && $0.contains("done 6") })

    // w without --record: nothing to write to, and the dashboard says so.
    try t.keys("w")
    #expect(t.waitFor("the message about --record") { $0.contains("no --record FILE given") })

    // Quit: the shell gets its terminal back (canonical mode and echo on).
    try t.keys("q")
    #expect(t.waitFor("exit") { $0.contains("EXITED rc=0") })
    #expect(
      t.waitFor("stty") { _ in ((try? String(contentsOfFile: stty, encoding: .utf8)) ?? "").contains("icanon") })
    let modes = (try? String(contentsOfFile: stty, encoding: .utf8)) ?? ""
    #expect(modes.contains(" icanon") && modes.contains(" echo ") && !modes.contains("-icanon"))
  }

  @Test("Trace a request, inject it at service02 only, quit; the recorded session replays headless to identical events")
  func traceInjectReplay() throws {
    try #require(tmuxAvailable(), "tmux is needed: apt-get install -y tmux")
    let binary = repoPath(".build/debug/fanout")
    let events = tempPath("live.jsonl")
    let replayed = tempPath("replayed.jsonl")
    let record = tempPath("session.jsonl")
    defer { for p in [events, replayed, record] { try? FileManager.default.removeItem(atPath: p) } }
    let t = try TmuxSession(
      width: 120, height: 40,
      command:
        "SWIFT_BACKTRACE=interactive=no \(binary) --seed 4 --events \(events) --record \(record); echo EXITED rc=$?; sleep 60"
    )
    #expect(t.waitFor("the dashboard") { $0.contains("fanout  seed 4") })
    try t.keys("p")
    #expect(t.waitFor("one completed request") { $0.contains("done 1") && $0.contains("notified 3") })
    // The trace: Enter on the request shows every hop and the exact event received.
    try t.keys("Tab", "Tab", "Enter")
    #expect(t.waitFor("the request's trace") { $0.contains("timeline") && $0.contains("event record:") })
    try t.keys("Escape")
    // Inject it at service02's queue only: topics first, then queues; service02 is the fifth target.
    try t.keys("i")
    #expect(t.waitFor("the inject chooser") { $0.contains("queue service02 only") })
    for _ in 0..<4 { try t.keys("j") }
    try t.keys("Enter")
    #expect(
      t.waitFor("the injected request processed") {
        $0.contains("injected ") && $0.contains("at queue service02") && $0.contains("notified 4")
      })
    #expect(t.screen().contains("S3 4"), "service02 rewrote the same key")
    // w writes the session so far, before quitting, and says where.
    #expect(!FileManager.default.fileExists(atPath: record))
    try t.keys("w")
    #expect(t.waitFor("the written message") { $0.contains("session written to \(record)") })
    let written = (try? String(contentsOfFile: record, encoding: .utf8)) ?? ""
    #expect(written.contains("\"seed\":4") && written.contains("service02"), "\(written)")
    try t.keys("q")
    #expect(t.waitFor("exit") { $0.contains("EXITED rc=0") })
    let r = try runFanout(["run", "--replay", record, "--events", replayed])
    #expect(r.status == 0, "\(r.err)")
    let live = try Data(contentsOf: URL(fileURLWithPath: events))
    let again = try Data(contentsOf: URL(fileURLWithPath: replayed))
    #expect(live.count > 1_000)
    #expect(live == again, "the replay differs from the live session")
  }

  @Test("SIGTERM restores the terminal too")
  func sigterm() throws {
    try #require(tmuxAvailable(), "tmux is needed: apt-get install -y tmux")
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    let binary = root.appendingPathComponent(".build/debug/fanout").path
    let pidFile = tempPath("pid.txt")
    defer { try? FileManager.default.removeItem(atPath: pidFile) }
    let t = try TmuxSession(
      width: 100, height: 30,
      command:
        "sh -c 'echo $$ > \(pidFile); exec env SWIFT_BACKTRACE=interactive=no \(binary)'; echo EXITED rc=$?; stty -a; sleep 60"
    )
    #expect(t.waitFor("the dashboard") { $0.contains("Pipeline") })
    let pid = Int32(
      (try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines))!
    kill(pid, SIGTERM)
    #expect(t.waitFor("exit") { $0.contains("EXITED rc=143") })
    #expect(t.waitFor("restored modes") { $0.contains(" icanon") && !$0.contains("-icanon") })
  }

  @Test("No terminal: a clear message and exit status 2")
  func notATerminal() throws {
    let r = try runFanout([])
    #expect(r.status == 2)
    #expect(r.err.contains("needs a terminal"))
  }
}
