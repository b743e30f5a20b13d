// MARK: - Glyphs

/// The characters the dashboard draws with: box drawing and blocks on a UTF-8 terminal, plain
/// ASCII elsewhere.
public struct Glyphs: Sendable {
  public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: String
  public var bars: [String]
  public var fullBlock, lightShade: String
  public var arrow, ellipsis, bullet, check, cross, pause: String

  public static let unicode = Glyphs(
    horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
    bars: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], fullBlock: "█", lightShade: "░", arrow: "→",
    ellipsis: "…", bullet: "●", check: "✓", cross: "✗", pause: "⏸")

  public static let ascii = Glyphs(
    horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
    bars: [" ", ".", ".", ":", ":", "|", "|", "#", "#"], fullBlock: "#", lightShade: ".", arrow: ">",
    ellipsis: "~", bullet: "*", check: "v", cross: "x", pause: "||")
}
