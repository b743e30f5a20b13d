// MARK: - Problems found in a scenario file

/// One problem, located: `file:line:column: error: key.path: message`.
public struct Diagnostic: Equatable, Sendable, CustomStringConvertible {
  public enum Severity: String, Sendable { case error, warning }
  public var severity: Severity
  public var file: String
  public var line: Int
  public var column: Int
  public var path: String
  public var message: String

  public var description: String {
    "\(file):\(line):\(column): \(severity.rawValue): " + (path.isEmpty ? "" : "\(path): ") + message
  }
}

/// Levenshtein distance, for did-you-mean suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
  let x = Array(a.lowercased())
  let y = Array(b.lowercased())
  if x.isEmpty { return y.count }
  if y.isEmpty { return x.count }
  var previous = Array(0...y.count)
  for i in 1...x.count {
    var current = [i] + Array(repeating: 0, count: y.count)
    for j in 1...y.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[y.count]
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
func suggestion(_ word: String, _ candidates: [String]) -> String? {
  let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
  guard let (best, d) = scored, d <= max(2, word.count / 3) else { return nil }
  return best
}
