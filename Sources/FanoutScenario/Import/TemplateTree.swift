import FanoutSim
import Foundation
import Yams

// MARK: - A template as a tree of located values (YAML with CloudFormation's tags, or JSON)

/// Where a value of an imported file is: its line and column, and its path of keys
/// (`Resources.Orders.Properties.VisibilityTimeout`, `Subscription[0]`), the JSON path.
struct Place: Sendable, Equatable {
  var line: Int
  var column: Int
  var path: String

  static let top = Place(line: 1, column: 1, path: "")

  func key(_ k: String) -> String { path.isEmpty ? k : path + "." + k }
  func index(_ i: Int) -> String { path + "[\(i)]" }
}

/// A value of a template, with its place. Short-form tags (`!Ref X`) are read as the long form
/// (`{"Ref": "X"}`), so YAML and JSON templates reach the same tree.
struct TNode: Sendable {
  indirect enum Value: Sendable {
    case string(String)
    /// A number as written.
    case number(String)
    case bool(Bool)
    case null
    case list([TNode])
    case map([(key: String, value: TNode)])
  }
  var value: Value
  var place: Place
  /// Where the key of this value is, when it is a mapping's value (a problem with the key is
  /// reported there).
  var keyPlace: Place?

  init(_ value: Value, _ place: Place, keyPlace: Place? = nil) {
    self.value = value
    self.place = place
    self.keyPlace = keyPlace
  }

  /// The key's place, else the value's.
  var keyOrPlace: Place { keyPlace ?? place }

  /// A mapping's entries, or nil.
  var entries: [(key: String, value: TNode)]? {
    if case .map(let m) = value { return m }
    return nil
  }
  var items: [TNode]? {
    if case .list(let l) = value { return l }
    return nil
  }
  var string: String? {
    if case .string(let s) = value { return s }
    return nil
  }
  subscript(key: String) -> TNode? { entries?.first { $0.key == key }?.value }

  /// How the value is described in a message.
  var describe: String {
    switch value {
    case .string(let s): return s.isEmpty ? "an empty string" : "'\(s)'"
    case .number(let n): return n
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .list: return "a list"
    case .map: return "a mapping"
    }
  }
}

/// Problems met while importing, each located in its file.
final class ImportLog {
  private(set) var diagnostics: [Diagnostic] = []
  let file: String
  init(file: String) { self.file = file }

  func error(_ place: Place?, _ message: String, file: String? = nil) { add(.error, place, message, file) }
  func warning(_ place: Place?, _ message: String, file: String? = nil) { add(.warning, place, message, file) }
  func add(_ d: Diagnostic) { diagnostics.append(d) }

  private func add(_ s: Diagnostic.Severity, _ place: Place?, _ message: String, _ f: String?) {
    let p = place ?? .top
    diagnostics.append(
      Diagnostic(severity: s, file: f ?? file, line: p.line, column: p.column, path: p.path, message: message))
  }
  var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Largest file `fanout import` reads (CloudFormation takes templates up to 1 MB; a Terraform
/// plan of a large configuration can be several).
let maxImportBytes = 16 * 1_048_576
/// Most values walked in one file (a guard against alias bombs and pathological nesting).
let maxImportNodes = 2_000_000

/// CloudFormation's YAML short forms and the function each stands for.
let shortFormTags: [String: String] = [
  "!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join",
  "!Select": "Fn::Select", "!Split": "Fn::Split", "!If": "Fn::If", "!Equals": "Fn::Equals", "!And": "Fn::And",
  "!Or": "Fn::Or", "!Not": "Fn::Not", "!FindInMap": "Fn::FindInMap", "!Base64": "Fn::Base64",
  "!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue", "!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform",
  "!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
]

enum TemplateReader {
  /// Reads a file as a tree: JSON when it is `.json` or starts with `{`, else YAML.
  static func read(path: String, log: ImportLog) -> TNode? {
    guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
      log.error(nil, "cannot read the file")
      return nil
    }
    if let size = attrs[.size] as? Int, size > maxImportBytes {
      log.error(nil, "the file is \(size) bytes; fanout imports files of at most \(maxImportBytes)")
      return nil
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      log.error(nil, "cannot read the file")
      return nil
    }
    guard let text = String(data: data, encoding: .utf8) else {
      log.error(nil, "the file is not UTF-8 text")
      return nil
    }
    return parse(text, json: path.lowercased().hasSuffix(".json"), log: log)
  }

  static func parse(_ text: String, json: Bool, log: ImportLog) -> TNode? {
    let first = text.unicodeScalars.first { !$0.properties.isWhitespace }
    if json || first == "{" || first == "[" {
      var p = LocatedJSONParser(text, log: log)
      return p.document()
    }
    return yaml(text, log: log)
  }

  static func yaml(_ text: String, log: ImportLog) -> TNode? {
    let root: Node
    do {
      guard let n = try Yams.compose(yaml: text) else {
        log.error(nil, "the file is empty")
        return nil
      }
      root = n
    } catch let e as YamlError {
      let (line, column, message) = Scenario.locate(e)
      log.error(Place(line: line, column: column, path: ""), message)
      return nil
    } catch {
      log.error(nil, "not YAML: \(error)")
      return nil
    }
    var budget = maxImportNodes
    return convert(
      root, Place(line: root.mark?.line ?? 1, column: root.mark?.column ?? 1, path: ""), log, &budget, depth: 0)
  }

  private static func place(_ n: Node, _ path: String) -> Place {
    Place(line: n.mark?.line ?? 1, column: n.mark?.column ?? 1, path: path)
  }

  /// A Yams node as a tree; a short-form tag becomes its one-key mapping.
  private static func convert(_ node: Node, _ at: Place, _ log: ImportLog, _ budget: inout Int, depth: Int) -> TNode? {
    guard depth < 256 else {
      log.error(at, "nested more than 256 deep")
      return nil
    }
    budget -= 1
    if budget < 0 {
      if budget == -1 {
        log.error(at, "the document expands to more than \(maxImportNodes) values (aliases?); not read further")
      }
      return nil
    }
    let tag = node.tag.description
    if tag.hasPrefix("!"), !tag.hasPrefix("!!") {
      guard let function = shortFormTags[tag] else {
        var m = "unknown tag \(tag)"
        if let s = suggestion(tag, shortFormTags.keys.sorted()) { m += " (did you mean \(s)?)" }
        log.error(at, m + "; CloudFormation's short forms are " + shortFormTags.keys.sorted().joined(separator: ", "))
        return nil
      }
      let inner: TNode?
      switch node {
      case .scalar(let s):
        inner = TNode(.string(s.string), Place(line: at.line, column: at.column, path: at.key(function)))
      case .sequence, .mapping:
        inner = convert(
          untagged(node), Place(line: at.line, column: at.column, path: at.key(function)), log, &budget,
          depth: depth + 1)
      case .alias: inner = nil
      }
      guard let inner else { return nil }
      return TNode(.map([(function, inner)]), at)
    }
    switch node {
    case .scalar(let s):
      if s.style == .plain || s.style == .any {
        switch tag {
        case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float": return TNode(.number(s.string), at)
        case "tag:yaml.org,2002:bool":
          return TNode(.bool(["true", "yes", "on", "y"].contains(s.string.lowercased())), at)
        case "tag:yaml.org,2002:null": return TNode(.null, at)
        default: break
        }
      }
      return TNode(.string(s.string), at)
    case .sequence(let seq):
      var out: [TNode] = []
      for (i, item) in seq.enumerated() {
        guard let c = convert(item, place(item, at.index(i)), log, &budget, depth: depth + 1) else { return nil }
        out.append(c)
      }
      return TNode(.list(out), at)
    case .mapping(let m):
      var out: [(key: String, value: TNode)] = []
      for (k, v) in m {
        guard let key = k.string else {
          log.error(place(k, at.path), "a key must be a string")
          return nil
        }
        guard var c = convert(v, place(v, at.key(key)), log, &budget, depth: depth + 1) else { return nil }
        c.keyPlace = place(k, at.key(key))
        out.append((key, c))
      }
      return TNode(.map(out), at)
    case .alias:
      log.error(at, "an alias that does not resolve")
      return nil
    }
  }

  private static func untagged(_ node: Node) -> Node {
    switch node {
    case .sequence(var s):
      s.tag = .implicit
      return .sequence(s)
    case .mapping(var m):
      m.tag = .implicit
      return .mapping(m)
    default: return node
    }
  }
}

/// A JSON parser that keeps each value's line, column and path, and the order of keys.
struct LocatedJSONParser {
  let bytes: [UInt8]
  let log: ImportLog
  var i = 0
  var line = 1
  var lineStart = 0
  var nodes = 0
  var failed = false

  init(_ text: String, log: ImportLog) {
    bytes = Array(text.utf8)
    self.log = log
  }

  /// The column last worked out, and where: `i` only moves forward, so each column costs only
  /// the bytes since the last one (a one-line `terraform show -json` can be megabytes long).
  var columnMark = (index: 0, column: 1)

  /// The column of `i`, counting characters, not bytes (UTF-8 continuation bytes are skipped).
  var column: Int {
    mutating get {
      if columnMark.index < lineStart || columnMark.index > i { columnMark = (lineStart, 1) }
      var (j, c) = columnMark
      while j < i {
        if bytes[j] & 0xC0 != 0x80 { c += 1 }
        j += 1
      }
      columnMark = (i, c)
      return c
    }
  }

  mutating func fail(_ message: String, _ path: String) -> TNode? {
    if !failed { log.error(Place(line: line, column: column, path: path), "not valid JSON: " + message) }
    failed = true
    return nil
  }

  mutating func space() {
    while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x09, 0x0D: i += 1
      case 0x0A:
        i += 1
        line += 1
        lineStart = i
      default: return
      }
    }
  }

  mutating func document() -> TNode? {
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      i = 3
      lineStart = 3
    }
    guard let v = value(path: "", depth: 0) else { return nil }
    space()
    guard i == bytes.count else { return fail("unexpected text after the document", "") }
    return v
  }

  mutating func value(path: String, depth: Int) -> TNode? {
    space()
    guard depth < 256 else { return fail("nested more than 256 deep", path) }
    nodes += 1
    guard nodes <= maxImportNodes else { return fail("more than \(maxImportNodes) values", path) }
    guard i < bytes.count else { return fail("the document ends where a value was expected", path) }
    let at = Place(line: line, column: column, path: path)
    switch bytes[i] {
    case UInt8(ascii: "{"):
      i += 1
      var members: [(key: String, value: TNode)] = []
      space()
      if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
        i += 1
        return TNode(.map(members), at)
      }
      while true {
        space()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
          return fail("expected a key in double quotes", path)
        }
        let keyAt = Place(line: line, column: column, path: path)
        guard let key = string(path) else { return nil }
        if members.contains(where: { $0.key == key }) {
          return fail("duplicate key '\(key)'", path.isEmpty ? key : path + "." + key)
        }
        space()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return fail("expected ':' after a key", path) }
        i += 1
        guard var v = value(path: path.isEmpty ? key : path + "." + key, depth: depth + 1) else { return nil }
        v.keyPlace = Place(line: keyAt.line, column: keyAt.column, path: path.isEmpty ? key : path + "." + key)
        members.append((key, v))
        space()
        guard i < bytes.count else { return fail("the document ends inside an object", path) }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        if bytes[i] == UInt8(ascii: "}") {
          i += 1
          return TNode(.map(members), at)
        }
        return fail("expected ',' or '}' in an object", path)
      }
    case UInt8(ascii: "["):
      i += 1
      var items: [TNode] = []
      space()
      if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
        i += 1
        return TNode(.list(items), at)
      }
      while true {
        guard let v = value(path: path + "[\(items.count)]", depth: depth + 1) else { return nil }
        items.append(v)
        space()
        guard i < bytes.count else { return fail("the document ends inside a list", path) }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        if bytes[i] == UInt8(ascii: "]") {
          i += 1
          return TNode(.list(items), at)
        }
        return fail("expected ',' or ']' in a list", path)
      }
    case UInt8(ascii: "\""):
      return string(path).map { TNode(.string($0), at) }
    case UInt8(ascii: "t"): return literal("true", TNode(.bool(true), at), path)
    case UInt8(ascii: "f"): return literal("false", TNode(.bool(false), at), path)
    case UInt8(ascii: "n"): return literal("null", TNode(.null, at), path)
    default:
      let start = i
      if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
      while i < bytes.count, (0x30...0x39).contains(bytes[i]) || [0x2E, 0x65, 0x45, 0x2B, 0x2D].contains(bytes[i]) {
        i += 1
      }
      let text = String(decoding: bytes[start..<i], as: UTF8.self)
      guard !text.isEmpty, isJSONNumber(text) else {
        i = start
        return fail("expected a value", path)
      }
      return TNode(.number(text), at)
    }
  }

  mutating func literal(_ word: String, _ v: TNode, _ path: String) -> TNode? {
    let w = Array(word.utf8)
    guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else {
      return fail("expected a value", path)
    }
    i += w.count
    return v
  }

  mutating func string(_ path: String) -> String? {
    i += 1
    var out: [UInt8] = []
    while i < bytes.count {
      let b = bytes[i]
      if b == UInt8(ascii: "\"") {
        i += 1
        return String(decoding: out, as: UTF8.self)
      }
      if b < 0x20 {
        _ = fail("a control character in a string", path)
        return nil
      }
      if b == UInt8(ascii: "\\") {
        i += 1
        guard i < bytes.count else { break }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "u"):
          guard var u = hex4() else {
            _ = fail("a bad \\u escape", path)
            return nil
          }
          if (0xD800...0xDBFF).contains(u), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
            bytes[i + 1] == UInt8(ascii: "u")
          {
            i += 2
            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else {
              _ = fail("a bad surrogate pair", path)
              return nil
            }
            u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
          }
          let scalar = Unicode.Scalar(u) ?? "\u{FFFD}"
          out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
          guard let b = jsonEscapedByte(e) else {
            _ = fail("a bad escape", path)
            return nil
          }
          out.append(b)
        }
        continue
      }
      out.append(b)
      i += 1
    }
    _ = fail("the document ends inside a string", path)
    return nil
  }

  mutating func hex4() -> UInt32? {
    guard i + 4 <= bytes.count else { return nil }
    var v: UInt32 = 0
    for _ in 0..<4 {
      guard let d = Character(Unicode.Scalar(bytes[i])).hexDigitValue else { return nil }
      v = v * 16 + UInt32(d)
      i += 1
    }
    return v
  }
}

/// RFC 8259's number grammar.
func isJSONNumber(_ s: String) -> Bool {
  var c = Array(s.utf8)[...]
  if c.first == UInt8(ascii: "-") { c = c.dropFirst() }
  func digits(_ c: inout ArraySlice<UInt8>) -> Int {
    var n = 0
    while let f = c.first, (0x30...0x39).contains(f) {
      c = c.dropFirst()
      n += 1
    }
    return n
  }
  guard let f = c.first else { return false }
  if f == UInt8(ascii: "0") {
    c = c.dropFirst()
  } else if digits(&c) == 0 {
    return false
  }
  if c.first == UInt8(ascii: ".") {
    c = c.dropFirst()
    if digits(&c) == 0 { return false }
  }
  if c.first == UInt8(ascii: "e") || c.first == UInt8(ascii: "E") {
    c = c.dropFirst()
    if c.first == UInt8(ascii: "+") || c.first == UInt8(ascii: "-") { c = c.dropFirst() }
    if digits(&c) == 0 { return false }
  }
  return c.isEmpty
}
