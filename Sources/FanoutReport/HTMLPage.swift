// MARK: - A self-contained HTML page
//
// One file: the style sheet is inline, charts are inline SVG, there is no script, no font and no
// address outside the page. A sweep's page (or any other) is made the same way: sections of
// markup, each charts or text.

/// A page of sections, written by `html()`.
public struct HTMLPage: Sendable {
  public struct Section: Sendable {
    /// The section's `id` (the contents links to it).
    public var id: String
    public var title: String
    /// Markup, already escaped (charts' `svg()`, `paragraph(_:)`, `preformatted(_:)`).
    public var body: String
    public init(id: String, title: String, body: String) {
      self.id = id
      self.title = title
      self.body = body
    }
  }

  public var title: String
  /// Lines under the title.
  public var subtitle: [String]
  public var sections: [Section]

  public init(title: String, subtitle: [String] = [], sections: [Section]) {
    self.title = title
    self.subtitle = subtitle
    self.sections = sections
  }

  static let style = """
    body { font-family: sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px 20px 40px; color: #222;
      background: #fafafa; }
    h1 { font-size: 22px; margin: 8px 0 4px; }
    h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
    p.subtitle { margin: 2px 0; color: #555; font-size: 14px; }
    nav { margin: 12px 0; font-size: 14px; }
    nav a { margin-right: 14px; color: #4e79a7; }
    figure { margin: 10px 0 18px; }
    svg.chart, svg.diagram { display: block; max-width: 100%; height: auto; background: #fff;
      border: 1px solid #e2e2e2; }
    pre.summary { background: #fff; border: 1px solid #e2e2e2; padding: 12px; font-size: 12px; overflow-x: auto; }
    p.note { color: #555; font-size: 13px; }
    table.facts { border-collapse: collapse; background: #fff; border: 1px solid #e2e2e2; font-size: 14px; }
    table.facts th, table.facts td { text-align: left; vertical-align: top; padding: 4px 12px;
      border-bottom: 1px solid #eee; }
    table.facts th { color: #555; font-weight: normal; white-space: nowrap; }
    """

  /// The page.
  public func html() -> String {
    var o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    o += "<title>\(escapeMarkup(title))</title>\n<style>\n\(Self.style)\n</style>\n</head>\n<body>\n"
    o += "<header>\n<h1>\(escapeMarkup(title))</h1>\n"
    for line in subtitle { o += "<p class=\"subtitle\">\(escapeMarkup(line))</p>\n" }
    o += "</header>\n<nav>"
    for s in sections { o += "<a href=\"#\(escapeMarkup(s.id))\">\(escapeMarkup(s.title))</a>" }
    o += "</nav>\n"
    for s in sections {
      o += "<section id=\"\(escapeMarkup(s.id))\">\n<h2>\(escapeMarkup(s.title))</h2>\n\(s.body)\n</section>\n"
    }
    o += "</body>\n</html>\n"
    return o
  }

  /// A figure holding one chart or diagram.
  public static func figure(_ svg: String) -> String { "<figure>\n\(svg)\n</figure>" }

  /// A paragraph of text (escaped).
  public static func paragraph(_ text: String, class cls: String = "note") -> String {
    "<p class=\"\(escapeMarkup(cls))\">\(escapeMarkup(text))</p>"
  }

  /// A table of facts, a name and its value a row (both escaped).
  public static func table(_ rows: [(name: String, value: String)], class cls: String = "facts") -> String {
    var o = "<table class=\"\(escapeMarkup(cls))\">\n<tbody>\n"
    for r in rows { o += "<tr><th scope=\"row\">\(escapeMarkup(r.name))</th><td>\(escapeMarkup(r.value))</td></tr>\n" }
    return o + "</tbody>\n</table>"
  }

  /// Text kept as it is, in a fixed-width font (escaped).
  public static func preformatted(_ text: String, class cls: String = "summary") -> String {
    "<pre class=\"\(escapeMarkup(cls))\">\(escapeMarkup(text))</pre>"
  }
}
