import CNCurses
import TermRender

#if canImport(Glibc)
  import Glibc
#endif

/// Why the terminal could not start.
public struct TerminalError: Error, CustomStringConvertible {
  public var description: String
}

/// The ncurses terminal: the only place that calls curses. It keeps the last frame and sends only
/// the cells that changed, with one `doupdate` per frame.
public final class Terminal {
  public let glyphs: Glyphs
  public let colors: Bool
  private var screen: OpaquePointer?
  private var previous: Buffer?
  private var pairs: [UInt16: Int16] = [:]
  private var savedStderr: Int32 = -1
  private var closed = false

  /// Opens the terminal. Fails with a clear message when standard input or output is not a
  /// terminal, or when TERM names no terminal ncurses knows.
  public init(logPath: String?) throws {
    guard isatty(0) == 1, isatty(1) == 1 else {
      throw TerminalError(
        description:
          "the dashboard needs a terminal: standard input and output must be a TTY (for a headless run use `fanout run`)"
      )
    }
    setlocale(LC_ALL, "")
    glyphs = fo_locale_is_utf8() != 0 ? .unicode : .ascii
    let noColor = getenv("NO_COLOR").map { String(cString: $0) } ?? ""
    guard let term = getenv("TERM"), String(cString: term) != "" else {
      throw TerminalError(description: "TERM is not set: the dashboard cannot drive this terminal")
    }
    // Nothing may reach the terminal while curses runs: stderr goes to the log (or nowhere).
    savedStderr = dup(2)
    let target = open(logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
    if target >= 0 {
      dup2(target, 2)
      Glibc.close(target)
    }
    fo_install_handlers()
    guard let s = fo_newterm() else {
      if savedStderr >= 0 {
        dup2(savedStderr, 2)
        Glibc.close(savedStderr)
      }
      throw TerminalError(description: "this terminal (TERM=\(String(cString: term))) is not known to ncurses")
    }
    screen = s
    set_term(s)
    fo_mark_active()
    raw()
    noecho()
    keypad(fo_stdscr(), true)
    set_escdelay(25)
    curs_set(0)
    leaveok(fo_stdscr(), true)
    var useColor = false
    if noColor.isEmpty, has_colors() {
      start_color()
      use_default_colors()
      useColor = true
    }
    colors = useColor
  }

  deinit { close() }

  /// Restores the terminal as it was. Safe to call more than once.
  public func close() {
    guard !closed else { return }
    closed = true
    fo_end()
    if let s = screen { delscreen(s) }
    screen = nil
    restoreStderr()
  }

  private func restoreStderr() {
    if savedStderr >= 0 {
      dup2(savedStderr, 2)
      Glibc.close(savedStderr)
      savedStderr = -1
    }
  }

  /// The terminal's size now.
  public var size: (width: Int, height: Int) { (Int(fo_cols()), Int(fo_lines())) }

  /// Sends a frame: only the cells that differ from the last one (all of them after a resize).
  public func draw(_ buf: Buffer) {
    if let p = previous, p.width != buf.width || p.height != buf.height {
      previous = nil
    }
    if previous == nil { wclear(fo_stdscr()) }
    for y in 0..<buf.height {
      for x in 0..<buf.width {
        let c = buf[x, y]
        if let p = previous, p[x, y] == c { continue }
        if c.text.isEmpty { continue }  // the right half of a wide character
        // The cell's scalars (at most 6) and a terminating 0, on the stack: no array per cell.
        withUnsafeTemporaryAllocation(of: wchar_t.self, capacity: 7) { w in
          var n = 0
          for u in c.text.unicodeScalars where n < 6 {
            w[n] = wchar_t(bitPattern: u.value)
            n += 1
          }
          w[n] = 0
          // The bottom-right cell returns ERR but draws: ignored.
          _ = fo_put(Int32(y), Int32(x), w.baseAddress, attributes(c.style), pair(c.style))
        }
      }
    }
    previous = buf
    wnoutrefresh(fo_stdscr())
    doupdate()
  }

  /// Forces a full redraw at the next frame.
  public func invalidate() { previous = nil }

  /// Waits up to `milliseconds` (forever when negative) for a key.
  public func readKey(milliseconds: Int32) -> Key? {
    wtimeout(fo_stdscr(), milliseconds)
    var ch: Int32 = 0
    let r = fo_get_key(&ch)
    if r == fo_key_code_yes() {
      switch ch {
      case fo_key_up(): return .up
      case fo_key_down(): return .down
      case fo_key_ppage(): return .pageUp
      case fo_key_npage(): return .pageDown
      case fo_key_btab(): return .backTab
      case fo_key_enter(): return .enter
      case fo_key_resize(): return .resize
      case fo_key_backspace(): return .backspace
      default: return nil
      }
    }
    guard r == OK else { return nil }
    switch ch {
    case 3: return .ctrlC
    case 9: return .tab
    case 10, 13: return .enter
    case 27: return .escape
    case 8, 127: return .backspace
    default:
      guard let u = Unicode.Scalar(UInt32(bitPattern: ch)) else { return nil }
      return .char(Character(u))
    }
  }

  private func attributes(_ s: Style) -> attr_t {
    var a: attr_t = 0
    if s.bold { a |= fo_attr_bold() }
    if s.dim { a |= fo_attr_dim() }
    if s.reverse { a |= fo_attr_reverse() }
    if s.underline { a |= fo_attr_underline() }
    return a
  }

  /// A colour pair per (foreground, background), made the first time it is needed.
  private func pair(_ s: Style) -> Int16 {
    guard colors, s.fg != .normal || s.bg != .normal else { return 0 }
    let key = UInt16(s.fg.rawValue) << 8 | UInt16(s.bg.rawValue)
    if let p = pairs[key] { return p }
    let n = Int16(pairs.count + 1)
    guard Int32(n) < fo_color_pairs() else { return 0 }
    init_pair(n, curses(s.fg), curses(s.bg))
    pairs[key] = n
    return n
  }

  private func curses(_ c: Color) -> Int16 {
    switch c {
    case .normal: return -1
    case .black: return Int16(COLOR_BLACK)
    case .red: return Int16(COLOR_RED)
    case .green: return Int16(COLOR_GREEN)
    case .yellow: return Int16(COLOR_YELLOW)
    case .blue: return Int16(COLOR_BLUE)
    case .magenta: return Int16(COLOR_MAGENTA)
    case .cyan: return Int16(COLOR_CYAN)
    case .white: return Int16(COLOR_WHITE)
    case .gray: return fo_colors() >= 16 ? 8 : Int16(COLOR_WHITE)
    }
  }
}
