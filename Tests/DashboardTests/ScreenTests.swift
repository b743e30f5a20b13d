import Testing

@testable import Dashboard
@testable import FanoutSim
@testable import TermRender

/// The screen's lines without trailing blanks.
func trimmed(_ b: Buffer) -> [String] {
  b.lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
}

/// The column at which `text` starts on a line (every cell on these lines is one column wide).
func column(of text: String, in line: String) -> Int? {
  line.range(of: text).map { displayWidth(String(line[..<$0.lowerBound])) }
}

@Suite("Whole-screen snapshots of a scripted run (seed 1)")
struct ScreenTests {
  @Test("120x40: every pane at once; service01 paused with its backlog of ten")
  func full() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    let screen = d.screen(glyphs: .unicode)
    let lines = trimmed(screen)
    #expect(lines.count == 40)
    #expect(
      lines[0]
        == "fanout  seed 1  00:00:07.000  ×1  ▶ running  fired 13  done 3  failed 0  in flight 0  S3 42  notified 29  $0.000871"
    )
    // Five panes at once: four in two rows of two, the events below.
    #expect(lines[7].hasPrefix("┌ 1 Queues (6) ─") && lines[7].contains("┐┌ 2 In flight (0) ─"))
    #expect(lines[19].hasPrefix("┌ 3 Requests (13) ─") && lines[19].contains("┐┌ 4 S3 keys (42) ─"))
    #expect(lines[31].hasPrefix("┌ 5 Events (363) ─"))
    // service01 paused: its map lane says so, its queue holds the ten, the others hold nothing.
    #expect(lines[3].hasPrefix("│  │→ service01  visible   10 in flight   0 DLQ   0 → λ service01 ×0 ‖ PAUSED "))
    #expect(!lines[4].contains("PAUSED") && !lines[5].contains("PAUSED"))
    #expect(lines[4].contains("→ service02  visible    0 "))
    #expect(lines[5].contains("└→ service03  visible    0 "))
    #expect(lines[9].hasPrefix("│service01       10      0   0   3.9s "))
    #expect(lines.last == "fired 10 requests", "the last key's message, in place of the hints")
    try assertSnapshot(screen, "overview-120x40")
  }

  @Test("80x24: the compact layout with a tab per pane")
  func compact() throws {
    let d = try scriptedDashboard(width: 80, height: 24)
    let overview = d.screen(glyphs: .unicode)
    let lines = trimmed(overview)
    let tabs = " 1 Queues   2 In flight   3 Requests   4 S3 keys   5 Events"
    #expect(lines[7] == tabs)
    // One pane below the tabs, the focused one, and its tab highlighted.
    #expect(lines[8].hasPrefix("┌ 1 Queues (6) ─"))
    #expect(lines.filter { $0.hasPrefix("┌ ") }.count == 2, "the map and one pane")
    let queuesTab = try #require(column(of: " 1 Queues ", in: lines[7]))
    let requestsTab = try #require(column(of: " 3 Requests ", in: lines[7]))
    #expect(overview[queuesTab + 1, 7].style.reverse && !overview[requestsTab + 1, 7].style.reverse)
    try assertSnapshot(overview, "overview-80x24")
    d.handle(.focusNext)
    d.handle(.focusNext)
    let requests = d.screen(glyphs: .unicode)
    let after = trimmed(requests)
    #expect(after[7] == tabs)
    #expect(after[8].hasPrefix("┌ 3 Requests (13) ─"))
    #expect(!after.contains { $0.hasPrefix("┌ 1 Queues") })
    #expect(requests[requestsTab + 1, 7].style.reverse && !requests[queuesTab + 1, 7].style.reverse)
    try assertSnapshot(requests, "requests-80x24")
  }

  @Test("ASCII glyphs when the terminal is not UTF-8")
  func ascii() throws {
    let d = try scriptedDashboard(width: 80, height: 24)
    let unicode = d.screen(glyphs: .unicode).lines
    let lines = d.screen(glyphs: .ascii).lines
    #expect(lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
    // The same layout, cell for cell: only the glyphs differ.
    #expect(lines.map(displayWidth) == unicode.map(displayWidth))
    #expect(lines[1].hasPrefix("+ Pipeline ---") && lines[1].hasSuffix("-+"))
    #expect(lines[3].hasPrefix("|  |> service01  visible   10 in flight   0 DLQ   0 > L service01 x0 || PAUSED"))
    #expect(lines[5].hasPrefix("|  +> service03  visible    0 "))
    // Rates over the last five whole seconds; the depth history fills the rest of the pane.
    #expect(lines[10].hasPrefix("|service01       10      0   0   3.9s   2.0     0     0    ####  "))
  }

  @Test("A function subscribed to a topic gets a lane of its own: its asynchronous queue, retries and drops")
  func asyncLane() throws {
    var t = Topology.seedPipeline(services: 2)
    let service = t.mappings.removeLast()
    t.queues.removeAll { $0.name == service.queue }
    t.topics[0].subscriptions.removeLast()
    t.topics[0].subscriptions.append(SubscriptionSpec(endpoint: .function(service.function)))
    t.functions[t.functions.firstIndex { $0.name == service.function }!].failure.errorRate = 1
    let sim = try Simulation(topology: t, seed: 1)
    let d = Dashboard(sim: sim)
    d.handle(.resize(120, 40))
    for _ in 0..<3 { d.handle(.fire) }
    sim.run(until: sim.now + .seconds(90))
    let lines = trimmed(d.screen(glyphs: .unicode))
    #expect(lines[3].hasPrefix("│  │→ service01  visible    0 in flight   0 DLQ   0 → λ service01 ×0"), "\(lines[3])")
    #expect(lines[4].hasPrefix("│  └→ λ service02 ×0 async: queued    3 retries   6 dropped   0"), "\(lines[4])")
  }

  @Test("A request's timeline: every hop in time order")
  func requestDetail() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    d.handle(.focusNext)
    d.handle(.focusNext)
    for _ in 0..<12 { d.handle(.down) }
    d.handle(.open)
    #expect(d.state.details == [.request(fire: 1)])
    let screen = d.screen(glyphs: .unicode)
    let lines = trimmed(screen)
    #expect(lines[1].hasPrefix("┌ Request ede6d277fab2  (Esc closes, ↑↓ scroll) ─"))
    #expect(lines[2].hasPrefix("│request   #1  ede6d277fab24b6e044bff6aa667ac8a "))
    #expect(lines[5].hasPrefix("│complete  after 375ms "))

    // The whole timeline, not only what fits: its hops (continuation lines aside), in time order.
    let detail = detailLines(.request(fire: 1), d.model).lines
    let start = try #require(detail.firstIndex(of: "timeline"))
    let hops = detail[(start + 1)...].filter { !$0.hasPrefix("    ") }
    #expect(hops.count == 37)
    let times = hops.map { String($0.dropFirst(2).prefix(12)) }
    #expect(times.allSatisfy { $0.count == 12 && $0.hasPrefix("00:00:00.") }, "\(times)")
    #expect(times == times.sorted(), "hops out of time order")
    // "  00:00:00.375  +375ms  s3.put …": what happened, after the time and the time since the fire.
    let texts = hops.map { hop -> String in
      let rest = hop.dropFirst(16)
      return rest.range(of: "  ").map { String(rest[$0.upperBound...]) } ?? ""
    }
    #expect(texts.first == "fired")
    #expect(texts[1] == "request ID ede6d277fab24b6e044bff6aa667ac8a")
    #expect(texts[2].hasPrefix("s3.put fanout/preprocessor/ede6d277fab24b6e044bff6aa667ac8a.json "))
    #expect(texts[3].hasPrefix("sns.publish connector ") && texts[3].hasSuffix("→ service01, service02, service03"))
    // Each service: its message sent, received, its output written and published, then done, in that order.
    for service in ["service01", "service02", "service03"] {
      let sent = try #require(texts.firstIndex { $0.hasPrefix("sqs.send \(service) ") }, "\(service) send")
      let received = try #require(texts.firstIndex { $0.hasPrefix("sqs.receive \(service) receive #1") })
      let put = try #require(texts.firstIndex { $0.hasPrefix("s3.put fanout/\(service)/ede6d277") })
      let done = try #require(texts.firstIndex { $0.hasPrefix("\(service) done after ") })
      let deleted = try #require(texts.firstIndex { $0 == "sqs.delete \(service)" })
      #expect(sent < received && received < put && put < done && done < deleted, "\(service)")
      #expect(texts[done - 1].hasPrefix("sns.publish notifier "), "\(service) publishes before it is done")
    }
    #expect(texts.filter { $0 == "notified email via notifier" }.count == 3)
    try assertSnapshot(screen, "request-detail-120x40")
  }

  @Test("Help overlay lists every binding")
  func help() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    d.handle(.help)
    let screen = d.screen(glyphs: .unicode)
    let lines = trimmed(screen)
    let text = lines.joined(separator: "\n")
    for b in keyBindings { #expect(text.contains(b.help), "\(b.label)") }
    #expect(lines[1].hasPrefix("┌ Help  (Esc closes, ↑↓ scroll) ─"))
    #expect(lines[2].hasPrefix("│Keys "))
    // One line per binding, in the table's order: its key, then what it does.
    let keyLines = lines[3..<29].map { String($0.dropFirst()) }
    let labels = keyLines.map { $0.dropFirst(2).prefix(8).trimmingCharacters(in: .whitespaces) }
    #expect(
      labels == [
        "p", "P", "1-9", "f N", "r", "d", "i", "I", "e", "a", "c", "w", "space", "+", "-", ".", "Tab", "S-Tab", "↑/k",
        "↓/j",
        "PgUp", "PgDn", "Enter", "Esc", "?", "q",
      ])
    for line in [
      "  p       fire one request at the entry function",
      "  c       charts of the selected queue: depth, executions against the pollers' target, latency, errors",
      "  1-9     pause/resume service N's trigger (Enabled=false: messages wait in its queue)",
      "  f N     break service N (every invocation errors) or mend it",
      "  w       write the session so far to the --record file (for --replay)",
      "  space   pause/resume the clock",
      "  ↑/k     select the previous row (scroll up in a detail)",
      "  PgDn    ten rows down",
      "  Esc     close the detail view",
      "  q       quit (Ctrl-C too)",
      "  d       at-least-once delivery on the selected queue: receives leave a copy 1 % → 10 % → off (duplicateRate)",
    ] {
      #expect(keyLines.contains { $0.hasPrefix(line + " ") }, "\(line)")
    }
    #expect(lines[29] == "│" + String(repeating: " ", count: 118) + "│")
    #expect(
      lines[30].hasPrefix("│Panes: pipeline map, queues (with DLQs), messages in flight, requests, S3 keys, events. "))
    try assertSnapshot(screen, "help-120x40")
  }

  @Test("Below 80x24: a centred message with the current and needed size")
  func tooSmall() throws {
    let d = try scriptedDashboard(width: 60, height: 10)
    let screen = d.screen(glyphs: .unicode)
    let lines = trimmed(screen)
    #expect(lines.count == 10)
    // Rows 4-6 of 10, each centred in the 60 columns; nothing else on the screen.
    #expect(lines[4] == String(repeating: " ", count: 17) + "Terminal too small: 60×10")
    #expect(lines[5] == String(repeating: " ", count: 16) + "fanout needs at least 80×24")
    #expect(lines[6] == String(repeating: " ", count: 18) + "(still running; q quits)")
    #expect(lines.enumerated().allSatisfy { [4, 5, 6].contains($0.offset) || $0.element.isEmpty })
    try assertSnapshot(screen, "too-small-60x10")
    // The size shown is the terminal's: one column short of the minimum is too small as well.
    d.handle(.resize(79, 30))
    let narrow = trimmed(d.screen(glyphs: .unicode))
    #expect(narrow[14] == String(repeating: " ", count: 27) + "Terminal too small: 79×30")
    #expect(narrow[15].hasSuffix("fanout needs at least 80×24"))
    d.handle(.resize(80, 24))
    #expect(!trimmed(d.screen(glyphs: .unicode)).contains { $0.contains("Terminal too small") })
  }
}
