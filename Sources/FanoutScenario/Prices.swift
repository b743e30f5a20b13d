import FanoutSim
import Yams

// MARK: - A price table file (`prices/us-east-1.json`, `fanout run --prices FILE`)

extension PriceTable {
  /// Reads a price table file (JSON, or YAML with the same keys): every problem located, as a
  /// scenario's are. The built-in table is `PriceTable.usEast1`, the same as
  /// `prices/us-east-1.json` (a test compares them).
  public static func load(path: String) -> (PriceTable?, [Diagnostic]) {
    switch Scenario.readText(path: path) {
    case .success(let text): return parse(text, file: path)
    case .failure(let d): return (nil, [d])
    }
  }

  static let topKeys = ["region", "read", "note", "sources", "lambda", "sqs", "sns", "s3"]

  public static func parse(_ text: String, file: String) -> (PriceTable?, [Diagnostic]) {
    let r = Reader(file: file)
    let root: Node
    do {
      guard let n = try Yams.compose(yaml: text) else {
        r.error(nil, "", "the file is empty: a price table has region, read, lambda, sqs, sns and s3")
        return (nil, r.diagnostics)
      }
      root = n
    } catch let e as YamlError {
      let (line, column, message) = Scenario.locate(e)
      return (nil, [Diagnostic(severity: .error, file: file, line: line, column: column, path: "", message: message)])
    } catch {
      r.error(nil, "", "not JSON: \(error)")
      return (nil, r.diagnostics)
    }
    guard let top = r.mapping(root, "", keys: topKeys) else { return (nil, r.diagnostics) }
    let d = Dictionary(top, uniquingKeysWith: { a, _ in a })
    func section(_ k: String, _ keys: [String]) -> [String: Node] {
      guard let n = d[k] else {
        r.error(root, "", "a price table needs '\(k)'")
        return [:]
      }
      return Dictionary(r.mapping(n, k, keys: keys) ?? [], uniquingKeysWith: { a, _ in a })
    }
    /// A price: a number at least 0, required.
    func price(_ m: [String: Node], _ parent: Node?, _ path: String, _ key: String) -> Double {
      guard let n = m[key] else {
        // A missing section is reported once, not each price in it.
        if let parent { r.error(parent, path, "a price table needs '\(path).\(key)'") }
        return 0
      }
      return r.double(n, path + "." + key, 0...1_000_000) ?? 0
    }
    let region = d["region"].flatMap { r.string($0, "region") } ?? ""
    if d["region"] == nil { r.error(root, "", "a price table needs 'region'") }
    let read = d["read"].flatMap { r.string($0, "read") } ?? ""
    if d["read"] == nil { r.error(root, "", "a price table needs 'read' (the date the prices were read)") }
    let sources = d["sources"].flatMap { r.list($0, "sources") }?.enumerated().compactMap { i, n in
      r.string(n, "sources[\(i)]")
    }
    let lambda = section("lambda", ["requests_per_million", "gb_second"])
    let gb =
      lambda["gb_second"].flatMap { r.mapping($0, "lambda.gb_second", keys: ["x86_64", "arm64"]) }
      .map { Dictionary($0, uniquingKeysWith: { a, _ in a }) } ?? [:]
    if lambda["gb_second"] == nil, d["lambda"] != nil {
      r.error(d["lambda"], "lambda", "a price table needs 'lambda.gb_second'")
    }
    let sqs = section("sqs", ["requests_per_million"])
    let sns = section("sns", ["publishes_per_million", "deliveries_per_million"])
    let deliveries =
      sns["deliveries_per_million"].flatMap {
        r.mapping($0, "sns.deliveries_per_million", keys: ["http", "email", "application"])
      }.map { Dictionary($0, uniquingKeysWith: { a, _ in a }) } ?? [:]
    if sns["deliveries_per_million"] == nil, d["sns"] != nil {
      r.error(d["sns"], "sns", "a price table needs 'sns.deliveries_per_million'")
    }
    let s3 = section("s3", ["put_copy_post_list_per_thousand", "get_select_per_thousand", "storage_gb_month"])
    let table = PriceTable(
      region: region, read: read, sources: sources ?? [],
      lambdaRequest: price(lambda, d["lambda"], "lambda", "requests_per_million") / 1_000_000,
      lambdaGBSecondX86: price(gb, lambda["gb_second"], "lambda.gb_second", "x86_64"),
      lambdaGBSecondArm: price(gb, lambda["gb_second"], "lambda.gb_second", "arm64"),
      sqsRequest: price(sqs, d["sqs"], "sqs", "requests_per_million") / 1_000_000,
      snsPublish: price(sns, d["sns"], "sns", "publishes_per_million") / 1_000_000,
      snsDeliveryHTTP: price(deliveries, sns["deliveries_per_million"], "sns.deliveries_per_million", "http")
        / 1_000_000,
      snsDeliveryEmail: price(deliveries, sns["deliveries_per_million"], "sns.deliveries_per_million", "email")
        / 1_000_000,
      snsDeliveryMobilePush: price(
        deliveries, sns["deliveries_per_million"], "sns.deliveries_per_million", "application") / 1_000_000,
      s3Put: price(s3, d["s3"], "s3", "put_copy_post_list_per_thousand") / 1_000,
      s3Get: price(s3, d["s3"], "s3", "get_select_per_thousand") / 1_000,
      s3GBMonth: price(s3, d["s3"], "s3", "storage_gb_month"))
    return r.hasErrors ? (nil, r.diagnostics) : (table, r.diagnostics)
  }
}
