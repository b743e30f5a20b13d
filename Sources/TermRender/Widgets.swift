// MARK: - Widgets: each draws itself into an area of a buffer

/// A bordered box with a title; returns the inner area.
@discardableResult
public func drawBlock(
  _ buf: inout Buffer, _ r: Rect, title: String, focused: Bool = false, glyphs g: Glyphs, style: Style = .plain
) -> Rect {
  guard r.width >= 2, r.height >= 2 else { return Rect(x: r.x, y: r.y, width: 0, height: 0) }
  var border = focused ? Style(fg: .cyan, bold: true) : Style(fg: .gray)
  if style != .plain { border = style }
  buf.put(g.topLeft + String(repeating: g.horizontal, count: r.width - 2) + g.topRight, x: r.x, y: r.y, style: border)
  for yy in (r.y + 1)..<(r.maxY - 1) {
    buf.put(g.vertical, x: r.x, y: yy, style: border)
    buf.put(g.vertical, x: r.maxX - 1, y: yy, style: border)
  }
  buf.put(
    g.bottomLeft + String(repeating: g.horizontal, count: r.width - 2) + g.bottomRight, x: r.x, y: r.maxY - 1,
    style: border)
  if !title.isEmpty, r.width > 4 {
    buf.put(" " + truncate(title, r.width - 4, ellipsis: g.ellipsis) + " ", x: r.x + 1, y: r.y, style: border.bolded)
  }
  return r.inset(1)
}

/// A column of a table.
public struct Column: Sendable {
  public var title: String
  public var width: Int?
  public var right: Bool
  public init(_ title: String, _ width: Int? = nil, right: Bool = false) {
    self.title = title
    self.width = width
    self.right = right
  }
}

/// A table row: its cells, and an optional style for the whole row.
public struct Row: Sendable {
  public var cells: [String]
  public var style: Style
  public init(_ cells: [String], style: Style = .plain) {
    self.cells = cells
    self.style = style
  }
}

/// Draws a header and rows; scrolls so that `selected` stays visible and highlights it.
public func drawTable(
  _ buf: inout Buffer, _ r: Rect, columns: [Column], rows: [Row], selected: Int?, focused: Bool, glyphs g: Glyphs
) {
  guard r.height >= 1, r.width >= 1 else { return }
  buf.fill(r)
  let widths = r.columns(columns.flatMap { [$0.width, 1] }.dropLast()).enumerated().filter { $0.offset % 2 == 0 }
    .map(\.element.width)
  var x = r.x
  for (i, c) in columns.enumerated() {
    buf.put(
      fit(c.title, widths[i], right: c.right, ellipsis: g.ellipsis), x: x, y: r.y,
      style: Style(bold: true, underline: true), clip: r)
    x += widths[i] + 1
  }
  let visible = r.height - 1
  guard visible > 0 else { return }
  var first = 0
  if let s = selected, s >= visible { first = s - visible + 1 }
  for (line, index) in (first..<min(rows.count, first + visible)).enumerated() {
    let row = rows[index]
    var style = row.style
    if index == selected { style.reverse = true }
    if !focused, index == selected { style.bold = true }
    let yy = r.y + 1 + line
    if index == selected { buf.fill(Rect(x: r.x, y: yy, width: r.width, height: 1), Cell(" ", style)) }
    var xx = r.x
    for (i, c) in columns.enumerated() {
      let text = i < row.cells.count ? row.cells[i] : ""
      buf.put(fit(text, widths[i], right: c.right, ellipsis: g.ellipsis), x: xx, y: yy, style: style, clip: r)
      xx += widths[i] + 1
    }
  }
}

/// A sparkline's bars as text: one cell for each of the last `width` values (fewer when there
/// are fewer values), scaled to the largest of them; zero and below is blank. A table cell takes
/// it as it is; `drawSparkline` right-aligns it in an area.
public func sparklineText(_ values: [Int], width: Int, glyphs g: Glyphs) -> String {
  guard width > 0 else { return "" }
  let shown = values.suffix(width)
  let peak = max(1, shown.max() ?? 1)
  let levels = g.bars.count - 1
  return shown.map { v in g.bars[v <= 0 ? 0 : max(1, Int((Double(v) / Double(peak) * Double(levels)).rounded()))] }
    .joined()
}

/// A sparkline of the last values that fit, scaled to the largest of them, on the area's bottom
/// row, the newest at the right.
public func drawSparkline(_ buf: inout Buffer, _ r: Rect, values: [Int], style: Style = .fg(.green), glyphs g: Glyphs) {
  guard r.width > 0, r.height > 0 else { return }
  let text = sparklineText(values, width: r.width, glyphs: g)
  buf.put(text, x: r.x + r.width - displayWidth(text), y: r.maxY - 1, style: style)
}

/// A gauge as text: `width` cells, the first filled in proportion to `fraction` (clamped to 0…1),
/// the rest shaded.
public func gaugeText(fraction: Double, width: Int, glyphs g: Glyphs) -> String {
  guard width > 0 else { return "" }
  let full = Int((max(0, min(1, fraction)) * Double(width)).rounded())
  return String(repeating: g.fullBlock, count: full) + String(repeating: g.lightShade, count: width - full)
}

/// A horizontal bar filled to `fraction` (0…1).
public func drawGauge(_ buf: inout Buffer, x: Int, y: Int, width: Int, fraction: Double, style: Style, glyphs g: Glyphs)
{
  guard width > 0 else { return }
  buf.put(gaugeText(fraction: fraction, width: width, glyphs: g), x: x, y: y, style: style)
}
