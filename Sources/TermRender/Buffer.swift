// MARK: - Cells and the off-screen buffer

/// A terminal colour (the eight ANSI colours, their bright grey, or the terminal's default).
public enum Color: UInt8, Sendable, Equatable {
  case normal, black, red, green, yellow, blue, magenta, cyan, white, gray
}

/// How a cell looks.
public struct Style: Equatable, Hashable, Sendable {
  public var fg: Color
  public var bg: Color
  public var bold: Bool
  public var dim: Bool
  public var reverse: Bool
  public var underline: Bool

  public init(
    fg: Color = .normal, bg: Color = .normal, bold: Bool = false, dim: Bool = false, reverse: Bool = false,
    underline: Bool = false
  ) {
    self.fg = fg
    self.bg = bg
    self.bold = bold
    self.dim = dim
    self.reverse = reverse
    self.underline = underline
  }

  public static let plain = Style()
  public static func fg(_ c: Color) -> Style { Style(fg: c) }
  public var bolded: Style {
    var s = self
    s.bold = true
    return s
  }
}

/// One cell: a grapheme (or "" for the right half of a wide one) and its style.
public struct Cell: Equatable, Sendable {
  public var text: String
  public var style: Style
  public init(_ text: String = " ", _ style: Style = .plain) {
    self.text = text
    self.style = style
  }
}

/// A rectangle of cells.
public struct Rect: Equatable, Sendable {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int
  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = max(0, width)
    self.height = max(0, height)
  }
  public var maxX: Int { x + width }
  public var maxY: Int { y + height }
  public var isEmpty: Bool { width <= 0 || height <= 0 }

  /// The rectangle less `n` cells on every side.
  public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }

  /// Splits top to bottom: fixed heights, with `nil` sharing what is left.
  public func rows(_ heights: [Int?]) -> [Rect] { split(heights, vertical: true) }
  /// Splits left to right: fixed widths, with `nil` sharing what is left.
  public func columns(_ widths: [Int?]) -> [Rect] { split(widths, vertical: false) }

  private func split(_ sizes: [Int?], vertical: Bool) -> [Rect] {
    let total = vertical ? height : width
    let fixed = sizes.compactMap { $0 }.reduce(0, +)
    let flexible = sizes.filter { $0 == nil }.count
    let share = flexible > 0 ? max(0, total - fixed) / flexible : 0
    var extra = flexible > 0 ? max(0, total - fixed) % flexible : 0
    var pos = vertical ? y : x
    var out: [Rect] = []
    for s in sizes {
      var size = s ?? share
      if s == nil, extra > 0 {
        size += 1
        extra -= 1
      }
      let end = vertical ? maxY : maxX
      size = max(0, min(size, end - pos))
      out.append(
        vertical ? Rect(x: x, y: pos, width: width, height: size) : Rect(x: pos, y: y, width: size, height: height))
      pos += size
    }
    return out
  }
}

/// An off-screen grid of cells that views draw into; the terminal sends only what changed.
public struct Buffer: Equatable, Sendable {
  public let width: Int
  public let height: Int
  public private(set) var cells: [Cell]

  public init(width: Int, height: Int, fill: Cell = Cell()) {
    self.width = max(0, width)
    self.height = max(0, height)
    cells = Array(repeating: fill, count: self.width * self.height)
  }

  public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

  public subscript(x: Int, y: Int) -> Cell {
    get { cells[y * width + x] }
    set {
      guard x >= 0, y >= 0, x < width, y < height else { return }
      cells[y * width + x] = newValue
    }
  }

  /// Writes text from (x, y), clipped to `clip` (the whole buffer by default); wide characters
  /// take two cells. Returns the column after the last cell written.
  @discardableResult
  public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, clip: Rect? = nil) -> Int {
    let c = clip ?? area
    guard y >= c.y, y < c.maxY, y >= 0, y < height else { return x }
    var col = x
    // ASCII, the usual case: one cell a byte, no grapheme breaking.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
      for b in text.utf8 {
        if col + 1 > c.maxX || col + 1 > width { break }
        if col >= c.x, col >= 0 { cells[y * width + col] = Cell(String(UnicodeScalar(b)), style) }
        col += 1
      }
      return col
    }
    // Otherwise by scalars (box drawing, braille, arrows: one scalar a character); a string with
    // combining marks goes by characters.
    func place(_ piece: String, _ w: Int) -> Bool {
      if w == 0 { return true }
      if col + w > c.maxX || col + w > width { return false }
      if col >= c.x, col >= 0 {
        cells[y * width + col] = Cell(piece, style)
        if w == 2 { cells[y * width + col + 1] = Cell("", style) }
      }
      col += w
      return true
    }
    if !text.unicodeScalars.contains(where: {
      (0x300..<0x370).contains($0.value) || (0xFE00...0xFE0F).contains($0.value)
    }) {
      for u in text.unicodeScalars where !place(String(u), displayWidth(scalar: u.value)) { break }
    } else {
      for ch in text where !place(String(ch), displayWidth(ch)) { break }
    }
    return col
  }

  /// Fills a rectangle with one cell.
  public mutating func fill(_ r: Rect, _ cell: Cell = Cell()) {
    for yy in max(0, r.y)..<min(height, r.maxY) {
      for xx in max(0, r.x)..<min(width, r.maxX) { cells[yy * width + xx] = cell }
    }
  }

  /// Sets the style of every cell in a rectangle, keeping the text.
  public mutating func restyle(_ r: Rect, _ change: (inout Style) -> Void) {
    for yy in max(0, r.y)..<min(height, r.maxY) {
      for xx in max(0, r.x)..<min(width, r.maxX) { change(&cells[yy * width + xx].style) }
    }
  }

  /// The text of each row (styles dropped), for snapshots.
  public var lines: [String] {
    (0..<height).map { y in
      var s = ""
      for x in 0..<width { s += cells[y * width + x].text }
      return s
    }
  }
}

// MARK: - Display width

/// Cells a character takes on a terminal: 0 for combining marks and zero-width characters, 2 for
/// East Asian wide and fullwidth characters and emoji, 1 otherwise. A pure table, independent of
/// the C library's locale.
public func displayWidth(_ ch: Character) -> Int {
  if let a = ch.asciiValue { return a < 0x20 || a == 0x7F ? 0 : 1 }
  guard let v = ch.unicodeScalars.first?.value else { return 0 }
  return displayWidth(scalar: v)
}

/// Cells a character starting with this scalar takes.
func displayWidth(scalar v: UInt32) -> Int {
  if v == 0 || (v < 0x20) || (0x7F..<0xA0).contains(v) { return 0 }
  if (0x300..<0x370).contains(v) || (0x200B...0x200F).contains(v) || (0xFE00...0xFE0F).contains(v) { return 0 }
  for r in wideRanges where r.contains(v) { return 2 }
  return 1
}

/// East Asian wide and emoji ranges: two cells.
private let wideRanges: [ClosedRange<UInt32>] = [
  0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
  0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
  0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
]

/// Cells a string takes (ASCII counted by its bytes, without grapheme breaking).
public func displayWidth(_ s: String) -> Int {
  var n = 0
  for b in s.utf8 {
    if b >= 0x80 { return s.reduce(0) { $0 + displayWidth($1) } }
    if b >= 0x20, b != 0x7F { n += 1 }
  }
  return n
}

/// Cuts a string to at most `width` cells, ending with `…` (or `~` in ASCII) when cut.
public func truncate(_ s: String, _ width: Int, ellipsis: String = "…") -> String {
  if displayWidth(s) <= width { return s }
  guard width > 0 else { return "" }
  var out = ""
  var used = 0
  let e = displayWidth(ellipsis)
  for ch in s {
    let w = displayWidth(ch)
    if used + w > width - e { break }
    out.append(ch)
    used += w
  }
  return out + ellipsis
}

/// Pads (or cuts) a string to exactly `width` cells, left-aligned or right-aligned.
public func fit(_ s: String, _ width: Int, right: Bool = false, ellipsis: String = "…") -> String {
  let t = truncate(s, width, ellipsis: ellipsis)
  let pad = String(repeating: " ", count: max(0, width - displayWidth(t)))
  return right ? pad + t : t + pad
}
