import Testing

@testable import TermRender

@Suite("Widgets on small buffers")
struct WidgetTests {
  /// A buffer pre-filled with `x`, so that cells a widget should not touch show.
  func filled(_ w: Int, _ h: Int) -> Buffer { Buffer(width: w, height: h, fill: Cell("x")) }

  @Test("Block draws its border and title and returns the inner area")
  func block() {
    var b = filled(10, 4)
    let inner = drawBlock(&b, Rect(x: 0, y: 0, width: 8, height: 3), title: "Q", glyphs: .ascii)
    #expect(b.lines == ["+ Q ---+xx", "|xxxxxx|xx", "+------+xx", "xxxxxxxxxx"])
    #expect(inner == Rect(x: 1, y: 1, width: 6, height: 1))
    var u = filled(6, 3)
    drawBlock(&u, u.area, title: "", glyphs: .unicode)
    #expect(u.lines == ["┌────┐", "│xxxx│", "└────┘"])
  }

  @Test("Text: clipped to its area; wide characters take two cells; truncation ends with an ellipsis")
  func text() {
    var b = filled(6, 1)
    let end = b.put("日本語", x: 0, y: 0)
    #expect(end == 6)
    #expect(b.lines == ["日本語"])
    var c = filled(5, 1)
    c.put("abcdefgh", x: 1, y: 0, clip: Rect(x: 1, y: 0, width: 3, height: 1))
    #expect(c.lines == ["xabcx"])
    #expect(truncate("abcdef", 4) == "abc…")
    #expect(fit("ab", 4, right: true) == "  ab")
    #expect(displayWidth("é") == 1 && displayWidth("日") == 2 && displayWidth("e\u{301}") == 1)
  }

  @Test("Table: header, rows, the selection highlighted and scrolled into view")
  func table() {
    var b = filled(12, 3)
    let rows = (1...5).map { Row(["r\($0)", "\($0 * 10)"]) }
    drawTable(
      &b, b.area, columns: [Column("name"), Column("n", 4, right: true)], rows: rows, selected: 3, focused: true,
      glyphs: .ascii)
    #expect(b.lines == ["name       n", "r3        30", "r4        40"])
    #expect(b[0, 2].style.reverse)
    #expect(!b[0, 1].style.reverse)
  }

  @Test("Sparkline scales to its peak and right-aligns the newest values")
  func sparkline() {
    var b = filled(6, 1)
    drawSparkline(&b, b.area, values: [0, 4, 8, 2], glyphs: .unicode)
    #expect(b.lines == ["xx ▄█▂"])
    var a = filled(3, 1)
    drawSparkline(&a, a.area, values: [1, 2, 3, 4, 8], glyphs: .ascii)
    #expect(a.lines == ["::#"])
  }

  @Test("Sparkline text, as a table cell takes it: the last values that fit, no padding, zero blank")
  func sparklineText() {
    #expect(TermRender.sparklineText([0, 4, 8, 2], width: 8, glyphs: .unicode) == " ▄█▂")
    #expect(TermRender.sparklineText([1, 2, 3, 4, 8], width: 3, glyphs: .ascii) == "::#")
    #expect(TermRender.sparklineText([9, 1, 2, 3, 4, 5, 6, 7, 8], width: 8, glyphs: .unicode) == "▁▂▃▄▅▆▇█")
    #expect(TermRender.sparklineText([1, 2, 3, 4, 5, 6, 7], width: 8, glyphs: .unicode) == "▁▂▃▅▆▇█", "rounded")
    #expect(TermRender.sparklineText([1, 100], width: 8, glyphs: .unicode) == "▁█", "above zero is never blank")
    #expect(TermRender.sparklineText([0, 0, -3], width: 8, glyphs: .unicode) == "   ")
    #expect(TermRender.sparklineText([], width: 8, glyphs: .unicode) == "")
    #expect(TermRender.sparklineText([5], width: 0, glyphs: .unicode) == "")
  }

  @Test("Gauge fills in proportion")
  func gauge() {
    var b = filled(6, 1)
    drawGauge(&b, x: 1, y: 0, width: 4, fraction: 0.5, style: .plain, glyphs: .ascii)
    #expect(b.lines == ["x##..x"])
  }

  @Test("Gauge text, as a table cell takes it: exactly width cells, filled to the clamped fraction")
  func gaugeText() {
    #expect(TermRender.gaugeText(fraction: 0.5, width: 9, glyphs: .unicode) == "█████░░░░")
    #expect(TermRender.gaugeText(fraction: 0.25, width: 4, glyphs: .ascii) == "#...")
    #expect(TermRender.gaugeText(fraction: -1, width: 9, glyphs: .unicode) == "░░░░░░░░░")
    #expect(TermRender.gaugeText(fraction: 3, width: 9, glyphs: .unicode) == "█████████")
    #expect(TermRender.gaugeText(fraction: 0.5, width: 0, glyphs: .unicode) == "")
  }

  @Test("Rect splits share what is left and never overflow")
  func layout() {
    let r = Rect(x: 0, y: 0, width: 10, height: 7)
    #expect(r.rows([1, nil, nil, 1]).map(\.height) == [1, 3, 2, 1])
    #expect(r.columns([4, nil]).map(\.width) == [4, 6])
    #expect(r.columns([8, 8]).map(\.width) == [8, 2])
  }
}
