// MARK: - Glyphs

/// The characters the dashboard draws with: box drawing and blocks on a UTF-8 terminal, plain
/// ASCII elsewhere.
public struct Glyphs: Sendable {
  public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: String
  public var bars: [String]
  public var fullBlock, lightShade: String
  public var arrow, ellipsis, bullet, check, cross, pause: String
  public var isASCII = false

  public static let unicode = Glyphs(
    horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
    bars: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], fullBlock: "█", lightShade: "░", arrow: "→",
    ellipsis: "…", bullet: "●", check: "✓", cross: "✗", pause: "‖")

  public static let ascii = Glyphs(
    horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
    bars: [" ", ".", ".", ":", ":", "|", "|", "#", "#"], fullBlock: "#", lightShade: ".", arrow: ">",
    ellipsis: "~", bullet: "*", check: "v", cross: "x", pause: "||", isASCII: true)
}

/// ASCII stand-ins for the characters the dashboard writes in its own text.
private let asciiFallback: [Character: String] = [
  "λ": "L", "×": "x", "▶": ">", "·": ".", "✓": "v", "✗": "x", "…": "~", "↑": "^", "↓": "v", "→": ">", "←": "<",
  "µ": "u", "‖": "=", "●": "*", "─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "█": "#", "░": ".",
]

extension Buffer {
  /// The buffer with every non-ASCII character replaced: known ones by a stand-in, others by `?`.
  /// A wide character's second cell becomes a space.
  public func asciified() -> Buffer {
    var out = self
    for y in 0..<height {
      for x in 0..<width {
        let c = self[x, y]
        if c.text.unicodeScalars.allSatisfy(\.isASCII) { continue }
        if c.text.isEmpty {
          out[x, y] = Cell(" ", c.style)
        } else {
          out[x, y] = Cell(asciiFallback[c.text.first!] ?? "?", c.style)
        }
      }
    }
    return out
  }
}

/// A key as the terminal decodes it.
public enum Key: Hashable, Sendable {
  case char(Character)
  case up, down, pageUp, pageDown, enter, escape, tab, backTab, ctrlC, resize, backspace
}
