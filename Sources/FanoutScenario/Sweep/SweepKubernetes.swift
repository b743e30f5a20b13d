import FanoutSim

// MARK: - A sweep as a Kubernetes Indexed Job

/// The manifest of a Kubernetes Indexed Job that runs a sweep's shards, one pod per shard.
///
/// An Indexed Job (`completionMode: Indexed`) gives each pod a completion index from 0 to
/// `completions − 1` in the `JOB_COMPLETION_INDEX` environment variable
/// (https://kubernetes.io/docs/tasks/job/indexed-parallel-processing-static/); shards count from
/// 1, so the pod's shell computes `$((JOB_COMPLETION_INDEX + 1))`. Kubernetes expands `$(VAR)` in
/// a container's command and arguments and turns `$$` into `$`
/// (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/),
/// so every `$` of the script is written `$$` and reaches the shell as written.
public struct SweepKubernetesJob: Sendable {
  /// The job's (and the ConfigMap's) name.
  public var name: String
  public var image: String
  public var shards: Int
  /// `fanout sweep`'s arguments for every pod, without --shard and --out; files named by their
  /// path under /sweep.
  public var arguments: [String]
  /// The files the pods read, mounted from a ConfigMap at /sweep: their key (file name) and text.
  public var files: [(key: String, text: String)]
  /// The PersistentVolumeClaim the shards are written to, at /results.
  public var resultsClaim: String

  public static let mountPath = "/sweep"
  public static let resultsPath = "/results"

  public init(
    image: String, shards: Int, arguments: [String], files: [(key: String, text: String)],
    resultsClaim: String = "fanout-sweep-results"
  ) {
    self.image = image
    self.shards = shards
    self.arguments = arguments
    self.files = files
    self.resultsClaim = resultsClaim
    let identity = ([image, String(shards)] + arguments + files.flatMap { [$0.key, $0.text] }).joined(separator: "\n")
    name = "fanout-sweep-" + sha256Hex(identity).prefix(10)
  }

  /// A ConfigMap key for a file name: its characters outside [-._a-zA-Z0-9] replaced by '-'.
  public static func key(forFile name: String) -> String {
    let safe = String(
      name.map { c -> Character in
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_") ? c : "-"
      })
    return safe.isEmpty || safe == "." || safe == ".." ? "file" : safe
  }

  /// The shell script each pod runs: its shard from its completion index.
  public var script: String {
    let args = (["fanout", "sweep"] + arguments).map(shellQuote).joined(separator: " ")
    return
      "shard=$((JOB_COMPLETION_INDEX + 1)) && exec \(args) --shard \"$shard/\(shards)\" --out \"\(Self.resultsPath)/shard-$shard.json\""
  }

  /// The manifest: a ConfigMap with the files (when there are any), then the Job.
  public var manifest: String {
    var out: [String] = []
    out.append(
      "# fanout sweep as a Kubernetes Indexed Job: pod K (JOB_COMPLETION_INDEX = K - 1) runs shard K of \(shards)")
    out.append("# and writes \(Self.resultsPath)/shard-K.json to the PersistentVolumeClaim \(resultsClaim);")
    out.append("# then: fanout sweep merge shard-*.json (docs/sweep.md)")
    if !files.isEmpty {
      out.append("apiVersion: v1")
      out.append("kind: ConfigMap")
      out.append("metadata:")
      out.append("  name: \(name)")
      out.append("data:")
      for f in files { out.append("  \(f.key): " + yamlText(f.text, indent: "    ")) }
      out.append("---")
    }
    out.append("apiVersion: batch/v1")
    out.append("kind: Job")
    out.append("metadata:")
    out.append("  name: \(name)")
    out.append("spec:")
    out.append("  completionMode: Indexed")
    out.append("  completions: \(shards)")
    out.append("  parallelism: \(shards)")
    out.append("  backoffLimit: \(max(6, shards))")
    out.append("  template:")
    out.append("    spec:")
    out.append("      restartPolicy: Never")
    out.append("      containers:")
    out.append("        - name: sweep")
    out.append("          image: \(jsonString(image))")
    out.append("          command: [\"/bin/sh\", \"-c\"]")
    out.append("          args:")
    out.append("            - " + jsonString(script.replacingOccurrences(of: "$", with: "$$")))
    out.append("          volumeMounts:")
    if !files.isEmpty {
      out.append("            - name: sweep")
      out.append("              mountPath: \(Self.mountPath)")
      out.append("              readOnly: true")
    }
    out.append("            - name: results")
    out.append("              mountPath: \(Self.resultsPath)")
    out.append("      volumes:")
    if !files.isEmpty {
      out.append("        - name: sweep")
      out.append("          configMap:")
      out.append("            name: \(name)")
    }
    out.append("        - name: results")
    out.append("          persistentVolumeClaim:")
    out.append("            claimName: \(resultsClaim)")
    return out.joined(separator: "\n")
  }
}

/// A shell word: as is when it is safe, else single-quoted.
func shellQuote(_ s: String) -> String {
  let safe =
    !s.isEmpty
    && s.allSatisfy { c in c.isASCII && (c.isLetter || c.isNumber || "-_./=,:@%+".contains(c)) }
  return safe ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Text as a YAML value that reads back byte for byte: a literal block when its lines allow one
/// (printable, no carriage returns, no first line starting with a space), else a double-quoted
/// JSON string.
func yamlText(_ text: String, indent: String) -> String {
  let printable = text.unicodeScalars.allSatisfy { u in
    u == "\n" || u == "\t"
      || (u.value >= 0x20 && u.value != 0x7F && !(0x80...0x9F).contains(u.value))
        && u != "\u{FEFF}" && u != "\u{2028}" && u != "\u{2029}" && u != "\u{85}"
  }
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  let body = text.hasSuffix("\n") ? lines.dropLast() : lines[...]
  guard printable, let first = body.first(where: { !$0.isEmpty }), !first.hasPrefix(" "),
    !body.contains(where: { $0.hasPrefix("\t") })
  else { return jsonString(text) }
  // Chomping: clip keeps one final line break, strip none, keep them all.
  let trailing = text.reversed().prefix { $0 == "\n" }.count
  let indicator = trailing == 1 ? "|" : trailing == 0 ? "|-" : "|+"
  let content = (trailing > 1 ? lines.dropLast() : body).map { $0.isEmpty ? "" : indent + $0 }
  return indicator + "\n" + content.joined(separator: "\n")
}
