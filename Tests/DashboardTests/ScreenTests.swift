import Testing

@testable import Dashboard
@testable import FanoutSim
@testable import TermRender

@Suite("Whole-screen snapshots of a scripted run (seed 1)")
struct ScreenTests {
  @Test("120x40: every pane at once; service01 paused with its backlog of ten")
  func full() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    try assertSnapshot(d.screen(glyphs: .unicode), "overview-120x40")
  }

  @Test("80x24: the compact layout with a tab per pane")
  func compact() throws {
    let d = try scriptedDashboard(width: 80, height: 24)
    try assertSnapshot(d.screen(glyphs: .unicode), "overview-80x24")
    d.handle(.focusNext)
    d.handle(.focusNext)
    try assertSnapshot(d.screen(glyphs: .unicode), "requests-80x24")
  }

  @Test("ASCII glyphs when the terminal is not UTF-8")
  func ascii() throws {
    let d = try scriptedDashboard(width: 80, height: 24)
    let lines = d.screen(glyphs: .ascii).lines
    #expect(lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
  }

  @Test("A request's timeline: every hop in time order")
  func requestDetail() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    d.handle(.focusNext)
    d.handle(.focusNext)
    for _ in 0..<12 { d.handle(.down) }
    d.handle(.open)
    #expect(d.state.details == [.request(fire: 1)])
    try assertSnapshot(d.screen(glyphs: .unicode), "request-detail-120x40")
  }

  @Test("Help overlay lists every binding")
  func help() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    d.handle(.help)
    let text = d.screen(glyphs: .unicode).lines.joined(separator: "\n")
    for b in keyBindings { #expect(text.contains(b.help), "\(b.label)") }
    try assertSnapshot(d.screen(glyphs: .unicode), "help-120x40")
  }

  @Test("Below 80x24: a centred message with the current and needed size")
  func tooSmall() throws {
    let d = try scriptedDashboard(width: 60, height: 10)
    try assertSnapshot(d.screen(glyphs: .unicode), "too-small-60x10")
  }
}
