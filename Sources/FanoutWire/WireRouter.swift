import FanoutSim

// MARK: - Which service a request is for

/// Chooses the service that answers a request, the first in `services` that accepts it:
/// - `X-Amz-Target: AmazonSQS.<Op>` → SQS (JSON protocol);
/// - a form body (or, for GET, query string) with `Version=2012-11-05` → SQS (query protocol),
///   with `Version=2010-03-31` → SNS;
/// - the services registered after them: Lambda's REST paths (`/2015-03-31/…`), and S3, which
///   takes everything else, so it comes last.
/// A request no service takes gets an error in the shape its headers suggest, never a crash.
public final class WireRouter {
  public private(set) var services: [any WireService]
  let sqs: SQSWire
  let sns: SNSWire
  var refused: UInt64 = 0

  /// The services, in the order they are asked. S3Wire and LambdaWire are added here (Lambda
  /// before S3: S3 accepts every path): `WireRouter(extra: [LambdaWire(), S3Wire()])`.
  public init(extra: [any WireService] = []) {
    sqs = SQSWire()
    sns = SNSWire()
    services = [sqs, sns] + extra
  }

  /// Every service fanout speaks: SQS, SNS, Lambda and S3 (what `fanout serve` and `--listen`
  /// answer, and what a recorded session's requests are replayed against).
  public static func all() -> WireRouter { WireRouter(extra: [LambdaWire(), S3Wire()]) }

  /// Adds a service after those already registered.
  public func register(_ s: any WireService) { services.append(s) }

  /// The answer to a request a process function's code made, its invocation known: what the code
  /// publishes is credited to the request it handles.
  public func answer(_ r: WireRequest, _ sim: Simulation, caller: Int?) -> WireAnswer {
    sim.wireCaller = caller
    defer { sim.wireCaller = nil }
    return answer(r, sim)
  }

  public func answer(_ r: WireRequest, _ sim: Simulation) -> WireAnswer {
    for s in services where s.accepts(r) { return s.answer(r, sim) }
    return .now(unrouted(r))
  }

  /// The error for a request whose body is larger than the server takes (HTTP 413), in the shape
  /// of the protocol the request's headers name.
  public func tooLarge(_ r: WireRequest, limit: Int) -> WireResponse {
    let e = WireError(
      "RequestEntityTooLarge", "The request body is larger than the \(limit) bytes fanout serve accepts.", status: 413)
    if r.header("x-amz-target")?.hasPrefix("AmazonSQS.") == true { return sqs.refusal(e, for: r) }
    if r.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true {
      return sqs.refusal(e, for: r)
    }
    return plain(e)
  }

  func unrouted(_ r: WireRequest) -> WireResponse {
    if let t = r.header("x-amz-target") {
      let op = t.split(separator: ".").last.map(String.init) ?? t
      return sqs.refusal(
        WireError("UnknownOperationException", code: "InvalidAction", "The operation \(op) is not served by fanout."),
        for: r)
    }
    let isForm = r.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true
    if isForm || r.method == "POST" {
      guard let form = WireRouter.form(r) else {
        return sqs.refusal(WireError("MalformedQueryString", "The request's form encoding is malformed."), for: r)
      }
      let p = Params(form: form)
      guard let action = p.string("Action") else {
        return sqs.refusal(WireError("MissingAction", "The request must contain the parameter Action."), for: r)
      }
      let version = p.string("Version") ?? ""
      return sqs.refusal(
        WireError("InvalidAction", "The action \(action) (Version \(version)) is not valid for this web service."),
        for: r)
    }
    return plain(WireError("InvalidRequest", "fanout serve does not serve \(r.method) \(r.path).", status: 400))
  }

  func plain(_ e: WireError) -> WireResponse {
    refused &+= 1
    let rid = "fanout-" + requestId(refused)
    let x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(xmlEscape(e.code))</Code><Message>\(xmlEscape(e.message))</Message><RequestId>\(rid)</RequestId></Error>"
    return .xml(x, status: e.status, requestId: rid)
  }

  /// A query-protocol request's parameters: the form body of a POST, or the URL's query of a GET;
  /// nil when the encoding is broken.
  static func form(_ r: WireRequest) -> [(String, String)]? {
    if r.method == "GET" || r.body.isEmpty { return decodeForm(Array(r.query.utf8)) }
    return decodeForm(r.body)
  }

  /// The `Version` of a query-protocol request (nil when there is none or the form is broken).
  static func formVersion(_ r: WireRequest) -> String? {
    if let ct = r.header("content-type"), !ct.hasPrefix("application/x-www-form-urlencoded"), !r.body.isEmpty {
      return nil
    }
    guard let form = form(r) else { return nil }
    return form.first { $0.0 == "Version" }?.1
  }
}

// MARK: - SigV4: parsed, never verified

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
/// header. fanout reads it (the access key and region, for logs) and never verifies the
/// signature: any credentials are accepted, and a missing or malformed header is no error.
public struct SigV4: Equatable, Sendable {
  public var accessKey: String
  public var date: String
  public var region: String
  public var service: String
  public var signedHeaders: [String]
  public var signature: String

  /// The header's parts; nil when it is not a SigV4 header.
  public init?(authorization: String) {
    let prefix = "AWS4-HMAC-SHA256 "
    guard authorization.hasPrefix(prefix) else { return nil }
    var fields: [(String, String)] = []
    for part in authorization.dropFirst(prefix.count).split(separator: ",") {
      let kv = part.trimmingBlanks.split(separator: "=", maxSplits: 1)
      guard kv.count == 2 else { return nil }
      fields.append((String(kv[0]), String(kv[1])))
    }
    guard let cred = fields.first(where: { $0.0 == "Credential" })?.1 else { return nil }
    let c = cred.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard c.count == 5, c[4] == "aws4_request" else { return nil }
    accessKey = c[0]
    date = c[1]
    region = c[2]
    service = c[3]
    signedHeaders = (fields.first { $0.0 == "SignedHeaders" }?.1 ?? "").split(separator: ";").map(String.init)
    signature = fields.first { $0.0 == "Signature" }?.1 ?? ""
  }
}
