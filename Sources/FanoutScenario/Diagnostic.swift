import FanoutSim

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

/// A diagnostic can stop reading a file.
extension Diagnostic: Error {}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo: the
/// simulation's own did-you-mean, so a scenario and a step program suggest alike.
func suggestion(_ word: String, _ candidates: [String]) -> String? { closestName(word, candidates) }
