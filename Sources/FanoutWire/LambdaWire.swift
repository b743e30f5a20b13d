import FanoutSim

// MARK: - Lambda: the REST-JSON protocol (API version 2015-03-31)
//
// https://docs.aws.amazon.com/lambda/latest/api/welcome.html; shapes from botocore's Lambda model
// (data/lambda/2015-03-31/service-2.json). Operations:
//
// - ListFunctions (`GET /2015-03-31/functions`): each function's FunctionConfiguration;
// - Invoke (`POST /2015-03-31/functions/{name}/invocations`,
//   https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): `X-Amz-Invocation-Type`
//   RequestResponse waits, in virtual time, for the invocation to end and answers 200 with the
//   function's result (fanout's handlers return `null`) or, for a function error or timeout,
//   `X-Amz-Function-Error: Unhandled` and `{"errorMessage", "errorType", …}`; Event answers 202
//   once the event is in the function's asynchronous queue; DryRun answers 204. A synchronous
//   payload is at most 6 MB, an asynchronous one 1 MB (413 RequestEntityTooLargeException);
// - Create/List/Get/UpdateEventSourceMapping (`/2015-03-31/event-source-mappings/…`) for SQS
//   queues; `Enabled: false` pauses the pollers as the dashboard's `1` key does.
//
// Errors are Lambda's: the status, the `x-amzn-ErrorType` header and `{"Type":"User","message":…}`
// (`Message` for ResourceNotFoundException, as the model names it), which botocore reads into the
// exception of that name.

/// Lambda's REST-JSON wire protocol.
public struct LambdaWire: WireService {
  public init() {}

  static let prefix = "/2015-03-31/"
  /// The longest a client waits for a synchronous invocation beyond its function's timeout: a
  /// cold start's init (Lambda bounds init at 10 s; fanout's never reach a minute).
  static let initAllowance = SimDuration.seconds(60)

  public func accepts(_ r: WireRequest) -> Bool {
    if let service = sigV4Service(r) { return service == "lambda" }
    return r.path.hasPrefix(LambdaWire.prefix + "functions")
      || r.path.hasPrefix(LambdaWire.prefix + "event-source-mappings")
  }

  public func answer(_ r: WireRequest, _ sim: Simulation) -> WireAnswer {
    var ctx = LambdaContext(requestId: sim.externalRequestUUID().text)
    guard let pathBytes = percentDecodedBytes(r.path.utf8, plusIsSpace: false),
      let path = String(validating: pathBytes, as: UTF8.self), let query = parseQuery(r.query)
    else {
      return .now(ctx.error(400, "InvalidParameterValueException", "The request URI could not be parsed."))
    }
    ctx.query = query
    var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    // ["", "2015-03-31", resource, …], a trailing "/" ignored.
    if parts.count > 3, parts.last == "" { parts.removeLast() }
    guard parts.count >= 3, parts[0].isEmpty, parts[1] == "2015-03-31" else { return .now(ctx.unknownOperation()) }
    switch (r.method, parts[2], parts.count) {
    case ("GET", "functions", 3):
      return .now(listFunctions(&ctx, sim))
    case ("POST", "functions", 5) where parts[4] == "invocations":
      return invoke(&ctx, r, sim, name: parts[3])
    case ("GET", "event-source-mappings", 3):
      return .now(listMappings(&ctx, sim))
    case ("POST", "event-source-mappings", 3):
      return .now(createMapping(&ctx, r, sim))
    case ("GET", "event-source-mappings", 4):
      guard let m = sim.mapping(uuid: parts[3]) else { return .now(ctx.mappingNotFound()) }
      return .now(ctx.json(200, mappingJSON(m, sim, state: nil)))
    case ("PUT", "event-source-mappings", 4):
      return .now(updateMapping(&ctx, r, sim, uuid: parts[3]))
    default:
      return .now(ctx.unknownOperation())
    }
  }

  // MARK: Functions

  /// A function named by its name, its ARN or partial ARN, with `$LATEST` as the only qualifier
  /// fanout has (`name:qualifier`, `…:function:name:qualifier`, or `?Qualifier=`).
  func resolveFunction(_ given: String, qualifier: String?, _ sim: Simulation) -> Result<LambdaFunction, FunctionMiss> {
    var name = Substring(given)
    var q = qualifier
    let parts = given.split(separator: ":", omittingEmptySubsequences: false)
    if given.hasPrefix("arn:") {
      // arn:aws:lambda:region:account:function:name[:qualifier]
      guard parts.count >= 7, parts[2] == "lambda", parts[5] == "function" else { return .failure(.invalid) }
      if parts[3] != Substring(sim.topology.region) || parts[4] != Substring(sim.topology.account) {
        return .failure(.notFound(given))
      }
      name = parts[6]
      if parts.count == 8 { q = String(parts[7]) } else if parts.count > 8 { return .failure(.invalid) }
    } else if parts.count >= 3, parts[1] == "function" {
      name = parts[2]
      if parts.count == 4 { q = String(parts[3]) }
    } else if parts.count == 2 {
      name = parts[0]
      q = String(parts[1])
    } else if parts.count > 2 {
      return .failure(.invalid)
    }
    let arn = "arn:aws:lambda:\(sim.topology.region):\(sim.topology.account):function:\(name)"
    guard let f = sim.function(named: String(name)) else { return .failure(.notFound(arn)) }
    if let q, q != "$LATEST" { return .failure(.notFound(arn + ":" + q)) }
    return .success(f)
  }

  enum FunctionMiss: Error {
    case notFound(String)
    case invalid
  }

  func functionMiss(_ ctx: inout LambdaContext, _ miss: FunctionMiss, given: String) -> WireResponse {
    switch miss {
    case .notFound(let arn): return ctx.error(404, "ResourceNotFoundException", "Function not found: " + arn)
    case .invalid:
      return ctx.error(
        400, "ValidationException",
        "1 validation error detected: Value '\(given)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
      )
    }
  }

  /// ListFunctions: FunctionConfiguration of each function, by name, at most MaxItems (≤ 50) a
  /// page, `NextMarker` for the next.
  func listFunctions(_ ctx: inout LambdaContext, _ sim: Simulation) -> WireResponse {
    let functions = sim.functions.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    guard let (start, size) = page(&ctx, count: functions.count, maxPage: 50) else { return ctx.lastError! }
    let end = min(functions.count, start + size)
    var s = "{\"Functions\":[" + functions[start..<end].map { functionJSON($0, sim) }.joined(separator: ",") + "]"
    s += ",\"NextMarker\":" + (end < functions.count ? jsonString(String(end)) : "null") + "}"
    return ctx.json(200, s)
  }

  /// Marker and MaxItems: the first index and the page size, or nil with the error set.
  func page(_ ctx: inout LambdaContext, count: Int, maxPage: Int) -> (Int, Int)? {
    var start = 0
    var size = maxPage
    if let m = ctx.query.value("Marker") {
      guard let i = Int(m), i >= 0, i <= count else {
        ctx.lastError = ctx.error(400, "InvalidParameterValueException", "Invalid marker: " + m)
        return nil
      }
      start = i
    }
    if let v = ctx.query.value("MaxItems") {
      guard let n = Int(v), (1...10_000).contains(n) else {
        ctx.lastError = ctx.error(
          400, "ValidationException",
          "1 validation error detected: Value '\(v)' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000"
        )
        return nil
      }
      size = min(n, maxPage)
    }
    return (start, size)
  }

  /// A function's FunctionConfiguration, in the key order Lambda writes.
  func functionJSON(_ f: LambdaFunction, _ sim: Simulation) -> String {
    let spec = f.spec
    let account = sim.topology.account
    let codeSha = base64(unhex(md5Hex("code/" + f.name) + md5Hex("sha/" + f.name)))
    var s = "{\"FunctionName\":" + jsonString(f.name) + ",\"FunctionArn\":" + jsonString(f.arn)
    s += ",\"Runtime\":" + jsonString(spec.runtime)
    s += ",\"Role\":" + jsonString("arn:aws:iam::\(account):role/\(f.name)-role")
    s += ",\"Handler\":\"lambda_function.lambda_handler\",\"CodeSize\":0,\"Description\":\"\""
    s += ",\"Timeout\":\(spec.timeout.wholeSeconds),\"MemorySize\":\(spec.memorySize)"
    s += ",\"LastModified\":" + jsonString(lambdaTimestamp(sim.topology.startTime))
    s += ",\"CodeSha256\":" + jsonString(codeSha) + ",\"Version\":\"$LATEST\""
    if let d = spec.deadLetter { s += ",\"DeadLetterConfig\":{\"TargetArn\":" + jsonString(targetArn(d, sim)) + "}" }
    s += ",\"TracingConfig\":{\"Mode\":\"PassThrough\"}"
    s += ",\"RevisionId\":" + jsonString(uuidText(md5Hex("revision/" + f.name)))
    s += ",\"PackageType\":\"Zip\",\"Architectures\":[" + jsonString(spec.architecture.rawValue) + "]"
    s += ",\"EphemeralStorage\":{\"Size\":512},\"SnapStart\":{\"ApplyOn\":\"None\",\"OptimizationStatus\":\"Off\"}"
    s += ",\"LoggingConfig\":{\"LogFormat\":\"Text\",\"LogGroup\":" + jsonString("/aws/lambda/" + f.name) + "}}"
    return s
  }

  func targetArn(_ t: AsyncTarget, _ sim: Simulation) -> String {
    switch t {
    case .queue(let q): return sim.queue(named: q)?.arn ?? q
    case .topic(let n): return sim.topic(named: n)?.arn ?? n
    }
  }

  // MARK: Invoke

  func invoke(_ ctx: inout LambdaContext, _ r: WireRequest, _ sim: Simulation, name: String) -> WireAnswer {
    let f: LambdaFunction
    switch resolveFunction(name, qualifier: ctx.query.value("Qualifier"), sim) {
    case .failure(let miss): return .now(functionMiss(&ctx, miss, given: name))
    case .success(let found): f = found
    }
    let type = r.header("x-amz-invocation-type") ?? "RequestResponse"
    guard ["RequestResponse", "Event", "DryRun"].contains(type) else {
      return .now(
        ctx.error(
          400, "ValidationException",
          "1 validation error detected: Value '\(type)' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        ))
    }
    let limit = type == "Event" ? Limits.Lambda.maxAsyncPayloadBytes : Limits.Lambda.maxPayloadBytes
    if r.body.count > limit {
      return .now(
        ctx.error(
          413, "RequestEntityTooLargeException",
          "Request must be smaller than \(limit) bytes for the InvokeFunction operation"))
    }
    let text: String
    if r.body.allSatisfy(isXMLSpace) {
      text = "{}"
    } else {
      guard let t = String(validating: r.body, as: UTF8.self), JSONValue.parse(t) != nil else {
        return .now(
          ctx.error(
            400, "InvalidRequestContentException",
            "Could not parse request body into json: Could not parse payload into json: Unexpected character"))
      }
      text = t
    }
    switch type {
    case "DryRun":
      return .now(ctx.raw(204, [], []))
    case "Event":
      guard let id = try? sim.invokeEvent(function: f.name, payload: text) else {
        return .now(ctx.error(404, "ResourceNotFoundException", "Function not found: " + f.arn))
      }
      ctx.requestId = id.text
      return .now(ctx.raw(202, [("Content-Length", "0")], []))
    default:
      break
    }
    let start: InvokeStart
    do { start = try sim.invoke(function: f.name, payload: text) } catch {
      return .now(ctx.error(404, "ResourceNotFoundException", "Function not found: " + f.arn))
    }
    switch start {
    case .throttled(let reserved):
      return .now(
        ctx.error(
          429, "TooManyRequestsException", "Rate Exceeded.",
          extra: [
            (
              "Reason",
              reserved ? "ReservedFunctionConcurrentInvocationLimitExceeded" : "ConcurrentInvocationLimitExceeded"
            )
          ]))
    case .stopped:
      return .now(
        ctx.error(400, "RecursiveInvocationException", "Lambda detected a recursive loop and stopped the invocation."))
    case .started(let ticket, let requestId):
      let tail = r.header("x-amz-log-type") == "Tail"
      let memory = f.spec.memorySize
      let answered = ctx
      let deadline = sim.now + f.spec.timeout + LambdaWire.initAllowance
      return .wait(
        WireWait(
          deadline: deadline,
          ready: { sim in sim.invokeHasResult(ticket: ticket) },
          take: { sim in
            guard let result = sim.invokeResult(ticket: ticket) else { return nil }
            return LambdaWire.invokeResponse(answered, result, tail: tail, memory: memory)
          },
          timeout: { _ in
            answered.error(500, "ServiceException", "The invocation of request \(requestId.text) did not end in time.")
          }))
    }
  }

  /// The answer of a synchronous invocation that ended.
  static func invokeResponse(_ base: LambdaContext, _ result: InvokeResult, tail: Bool, memory: Int) -> WireResponse {
    var ctx = base
    ctx.requestId = result.requestId.text
    var headers: [(name: String, value: String)] = [("X-Amz-Executed-Version", "$LATEST")]
    let body: String
    switch result.outcome {
    case .success:
      body = result.payload ?? "null"
    case .error:
      headers.append(("X-Amz-Function-Error", "Unhandled"))
      // The Python runtime's error document (json.dumps: ", " and ": ").
      body =
        "{\"errorMessage\": " + jsonString(result.errorMessage) + ", \"errorType\": " + jsonString(result.errorType)
        + ", \"requestId\": " + jsonString(result.requestId.text) + ", \"stackTrace\": []}"
    case .timeout:
      headers.append(("X-Amz-Function-Error", "Unhandled"))
      body =
        "{\"errorMessage\": " + jsonString(result.errorMessage) + ", \"errorType\": " + jsonString(result.errorType)
        + "}"
    }
    if tail {
      let id = result.requestId.text
      let ms = formatMillis(result.duration)
      let billed = (result.duration.microseconds + 999) / 1_000
      var log = "START RequestId: \(id) Version: $LATEST\n"
      if result.outcome != .success, result.outcome != .timeout {
        log += "[ERROR] \(result.errorType): \(result.errorMessage)\n"
      }
      log += "END RequestId: \(id)\n"
      log += "REPORT RequestId: \(id)\tDuration: \(ms) ms\tBilled Duration: \(billed) ms\tMemory Size: \(memory) MB\t\n"
      headers.append(("X-Amz-Log-Result", base64(Array(log.utf8))))
    }
    return ctx.raw(200, headers + [("Content-Type", "application/json")], Array(body.utf8))
  }

  static func formatMillis(_ d: SimDuration) -> String {
    let hundredths = (d.microseconds + 5) / 10
    let frac = hundredths % 100
    return "\(hundredths / 100)." + (frac < 10 ? "0\(frac)" : "\(frac)")
  }

  // MARK: Event source mappings

  /// An EventSourceMappingConfiguration; `state` overrides the settled Enabled/Disabled (a create
  /// answers Creating, an update Enabling, Disabling or Updating, as Lambda does).
  func mappingJSON(_ m: EventSourceMapping, _ sim: Simulation, state: String?) -> String {
    let q = sim.queues[m.queue]
    let f = sim.functions[m.function]
    let uuid = m.uuid.text
    var s = "{\"UUID\":" + jsonString(uuid) + ",\"BatchSize\":\(m.spec.batchSize)"
    s += ",\"MaximumBatchingWindowInSeconds\":\(m.spec.maximumBatchingWindow.wholeSeconds)"
    s += ",\"EventSourceArn\":" + jsonString(q.arn) + ",\"FunctionArn\":" + jsonString(f.arn)
    let modified = sim.mappingLastModified(m.index)
    s += ",\"LastModified\":" + epochSeconds(modified)
    s += ",\"State\":" + jsonString(state ?? (m.enabled ? "Enabled" : "Disabled"))
    s += ",\"StateTransitionReason\":\"USER_INITIATED\""
    s += ",\"FunctionResponseTypes\":[" + (m.spec.reportBatchItemFailures ? "\"ReportBatchItemFailures\"" : "") + "]"
    if let c = m.spec.maximumConcurrency { s += ",\"ScalingConfig\":{\"MaximumConcurrency\":\(c)}" }
    if let p = m.spec.provisionedPollers {
      s += ",\"ProvisionedPollerConfig\":{\"MinimumPollers\":\(p.minimum),\"MaximumPollers\":\(p.maximum)}"
    }
    s +=
      ",\"EventSourceMappingArn\":"
      + jsonString("arn:aws:lambda:\(sim.topology.region):\(sim.topology.account):event-source-mapping:\(uuid)") + "}"
    return s
  }

  func listMappings(_ ctx: inout LambdaContext, _ sim: Simulation) -> WireResponse {
    var all = sim.mappings
    if let arn = ctx.query.value("EventSourceArn") { all = all.filter { sim.queues[$0.queue].arn == arn } }
    if let name = ctx.query.value("FunctionName") {
      switch resolveFunction(name, qualifier: nil, sim) {
      case .failure(let miss): return functionMiss(&ctx, miss, given: name)
      case .success(let f): all = all.filter { $0.function == f.index }
      }
    }
    guard let (start, size) = page(&ctx, count: all.count, maxPage: 100) else { return ctx.lastError! }
    let end = min(all.count, start + size)
    var s = "{"
    if end < all.count { s += "\"NextMarker\":" + jsonString(String(end)) + "," }
    s += "\"EventSourceMappings\":[" + all[start..<end].map { mappingJSON($0, sim, state: nil) }.joined(separator: ",")
    return ctx.json(200, s + "]}")
  }

  /// The JSON object of a request body, or nil with the error set.
  func bodyObject(_ ctx: inout LambdaContext, _ r: WireRequest) -> JSONValue? {
    guard let t = String(validating: r.body, as: UTF8.self), let v = JSONValue.parse(t), case .object = v else {
      ctx.lastError = ctx.error(400, "InvalidRequestContentException", "Could not parse request body into json")
      return nil
    }
    return v
  }

  /// A whole number in a request, or nil with Lambda's SerializationException for another type.
  func integer(_ v: JSONValue?, _ name: String, _ ctx: inout LambdaContext) -> Int?? {
    guard let v else { return .some(nil) }
    guard case .number(let d) = v, d.rounded() == d, abs(d) < 1e9 else {
      ctx.lastError = ctx.error(
        400, "InvalidRequestContentException", "Could not parse request body into json: \(name) must be an integer")
      return nil
    }
    return .some(Int(d))
  }

  /// BatchSize and MaximumBatchingWindowInSeconds against Lambda's rules for SQS: 1–10,000 and
  /// 0–300, and more than 10 records only with a window of at least 1 s
  /// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
  func batchRefusal(batch: Int, window: Int) -> String? {
    if !Limits.Lambda.batchSize.range.contains(Int64(batch)) {
      return
        "1 validation error detected: Value '\(batch)' at 'batchSize' failed to satisfy constraint: Member must have value between 1 and 10000"
    }
    if !Limits.Lambda.maximumBatchingWindow.range.contains(Int64(window)) {
      return
        "1 validation error detected: Value '\(window)' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value between 0 and 300"
    }
    if Int64(batch) > Limits.Lambda.batchSizeWithoutWindow, window < 1 {
      return "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    }
    return nil
  }

  func createMapping(_ ctx: inout LambdaContext, _ r: WireRequest, _ sim: Simulation) -> WireResponse {
    guard let body = bodyObject(&ctx, r) else { return ctx.lastError! }
    guard let arn = body["EventSourceArn"]?.stringValue else {
      return ctx.error(
        400, "InvalidParameterValueException", "Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
    }
    guard let fname = body["FunctionName"]?.stringValue else {
      return ctx.error(
        400, "ValidationException",
        "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null"
      )
    }
    let f: LambdaFunction
    switch resolveFunction(fname, qualifier: nil, sim) {
    case .failure(let miss): return functionMiss(&ctx, miss, given: fname)
    case .success(let found): f = found
    }
    let arnParts = arn.split(separator: ":", omittingEmptySubsequences: false)
    guard arnParts.count == 6, arnParts[0] == "arn", arnParts[2] == "sqs" else {
      return ctx.error(
        400, "InvalidParameterValueException", "Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
    }
    guard let q = sim.queue(named: String(arnParts[5])), q.arn == arn else {
      return ctx.error(
        400, "InvalidParameterValueException",
        "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist or you do not have access to it."
      )
    }
    guard let batchOpt = integer(body["BatchSize"], "BatchSize", &ctx),
      let windowOpt = integer(body["MaximumBatchingWindowInSeconds"], "MaximumBatchingWindowInSeconds", &ctx)
    else { return ctx.lastError! }
    let batch = batchOpt ?? 10
    let window = windowOpt ?? 0
    if let why = batchRefusal(batch: batch, window: window) {
      return ctx.error(
        400, why.hasPrefix("1 validation") ? "ValidationException" : "InvalidParameterValueException", why)
    }
    if let existing = sim.mappings.first(where: { $0.queue == q.index && $0.function == f.index }) {
      return ctx.error(
        409, "ResourceConflictException",
        "An event source mapping with SQS arn (\" \(arn) \") and function (\" \(f.name) \") already exists. Please update or delete the existing mapping with UUID \(existing.uuid.text)"
      )
    }
    var spec = MappingSpec(queue: q.name, function: f.name)
    spec.batchSize = batch
    spec.maximumBatchingWindow = .seconds(window)
    if case .bool(let e)? = body["Enabled"] { spec.enabled = e }
    if case .array(let types)? = body["FunctionResponseTypes"] {
      spec.reportBatchItemFailures = types.contains(.string("ReportBatchItemFailures"))
    }
    if let c = body["ScalingConfig"]?["MaximumConcurrency"] {
      guard case .number(let d) = c, Limits.Lambda.maximumConcurrency.range.contains(Int64(d)) else {
        return ctx.error(
          400, "ValidationException",
          "1 validation error detected: Value at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value between 2 and 1000"
        )
      }
      spec.maximumConcurrency = Int(d)
    }
    guard let m = try? sim.createMapping(spec) else {
      return ctx.error(404, "ResourceNotFoundException", "Function not found: " + f.arn)
    }
    return ctx.json(202, mappingJSON(m, sim, state: "Creating"))
  }

  /// UpdateEventSourceMapping: Enabled (pauses or resumes the pollers) and BatchSize; fanout does
  /// not change a mapping's function, window or scaling at run time (InvalidParameterValueException).
  func updateMapping(_ ctx: inout LambdaContext, _ r: WireRequest, _ sim: Simulation, uuid: String) -> WireResponse {
    guard let m = sim.mapping(uuid: uuid) else { return ctx.mappingNotFound() }
    guard let body = bodyObject(&ctx, r) else { return ctx.lastError! }
    guard let batchOpt = integer(body["BatchSize"], "BatchSize", &ctx) else { return ctx.lastError! }
    if case .object(let members) = body {
      let supported: Set<String> = ["Enabled", "BatchSize", "UUID"]
      if let other = members.map(\.0).first(where: { !supported.contains($0) }) {
        if other == "MaximumBatchingWindowInSeconds", case .number(let d)? = body[other],
          Int64(d) == m.spec.maximumBatchingWindow.wholeSeconds
        {
          // The same window: no change.
        } else if other == "FunctionName", let n = body[other]?.stringValue,
          case .success(let f) = resolveFunction(n, qualifier: nil, sim), f.index == m.function
        {
          // The same function: no change.
        } else {
          return ctx.error(
            400, "InvalidParameterValueException", "fanout does not change \(other) of a mapping at run time")
        }
      }
    }
    if let b = batchOpt {
      if let why = batchRefusal(batch: b, window: Int(m.spec.maximumBatchingWindow.wholeSeconds)) {
        return ctx.error(
          400, why.hasPrefix("1 validation") ? "ValidationException" : "InvalidParameterValueException", why)
      }
      sim.setMappingBatchSize(m.index, b)
    }
    var state = "Updating"
    if case .bool(let e)? = body["Enabled"], e != m.enabled {
      state = e ? "Enabling" : "Disabling"
      sim.setMapping(m.index, enabled: e)
    }
    sim.noteMappingModified(m.index)
    return ctx.json(202, mappingJSON(m, sim, state: state))
  }
}

// MARK: - A request's context and Lambda's answers

struct LambdaContext {
  var requestId: String
  var query = Query(pairs: [])
  /// The error a helper that answers nil set.
  var lastError: WireResponse?

  init(requestId: String) { self.requestId = requestId }

  func raw(_ status: Int, _ headers: [(name: String, value: String)], _ body: [UInt8]) -> WireResponse {
    WireResponse(status: status, headers: [("x-amzn-RequestId", requestId)] + headers, body: body)
  }

  func json(_ status: Int, _ text: String) -> WireResponse {
    let body = Array(text.utf8)
    return raw(status, [("Content-Type", "application/json"), ("Content-Length", String(body.count))], body)
  }

  /// Lambda's error: the status, `x-amzn-ErrorType`, and `{"Type":"User","message":…}` (the
  /// model's `Message` for ResourceNotFoundException; `Reason` and the like before them).
  func error(_ status: Int, _ code: String, _ message: String, extra: [(String, String)] = []) -> WireResponse {
    let key = code == "ResourceNotFoundException" ? "Message" : "message"
    var s = "{"
    for (k, v) in extra { s += jsonString(k) + ":" + jsonString(v) + "," }
    s += "\"Type\":\"" + (status >= 500 ? "Service" : "User") + "\",\"" + key + "\":" + jsonString(message) + "}"
    let body = Array(s.utf8)
    return raw(
      status,
      [("x-amzn-ErrorType", code), ("Content-Type", "application/json"), ("Content-Length", String(body.count))], body)
  }

  func mappingNotFound() -> WireResponse {
    error(404, "ResourceNotFoundException", "The resource you requested does not exist.")
  }

  /// A path no operation has: Lambda's gateway answers UnknownOperationException.
  func unknownOperation() -> WireResponse {
    error(400, "UnknownOperationException", "Unknown operation")
  }
}

/// Lambda's LastModified text: `2026-01-01T00:00:00.000+0000`.
func lambdaTimestamp(_ t: SimTime) -> String {
  String(t.iso8601Millis.dropLast()) + "+0000"
}

/// A timestamp as REST-JSON writes it: epoch seconds (with milliseconds when there are some).
func epochSeconds(_ t: SimTime) -> String {
  let ms = t.microsecondsSinceEpoch / 1_000
  let whole = ms / 1_000
  let frac = ms % 1_000
  if frac == 0 { return String(whole) }
  var f = String(frac)
  while f.count < 3 { f = "0" + f }
  while f.hasSuffix("0") { f.removeLast() }
  return "\(whole).\(f)"
}

/// 32 hex digits as a UUID's 8-4-4-4-12 text.
func uuidText(_ h: String) -> String {
  let u = Array(h.utf8)
  func part(_ a: Int, _ b: Int) -> String { String(decoding: u[a..<b], as: UTF8.self) }
  return [part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32)].joined(separator: "-")
}
