import FanoutSim
import Foundation
import Testing

@testable import FanoutWire

/// Runs python3 with `arguments` and `input` on its standard input; nil when it cannot start.
func python(_ arguments: [String], input: Data) -> (status: Int32, out: String, err: String)? {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3"] + arguments
  let stdin = Pipe()
  let out = Pipe()
  let err = Pipe()
  p.standardInput = stdin
  p.standardOutput = out
  p.standardError = err
  do { try p.run() } catch { return nil }
  // Feed the input from another thread so that a full output pipe cannot block the child.
  let writer = stdin.fileHandleForWriting
  let feed = Thread {
    writer.write(input)
    try? writer.close()
  }
  feed.start()
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

let botocoreInstalled = python(["-c", "import botocore"], input: Data())?.status == 0

/// botocore's own response parsers, as boto3 runs them: each case's response parsed against its
/// operation's output shape (errors into Error.Code / Error.Message), printed as JSON.
let botocoreJudge = """
  import base64, datetime, json, sys
  import botocore.session, botocore.parsers
  from botocore.awsrequest import HeadersDict
  session = botocore.session.get_session()
  def plain(v):
      if isinstance(v, dict):
          return {k: plain(x) for k, x in v.items() if k != 'ResponseMetadata'}
      if isinstance(v, list):
          return [plain(x) for x in v]
      if isinstance(v, datetime.datetime):
          return v.isoformat()
      if isinstance(v, bytes):
          return v.decode('utf-8', 'replace')
      return v
  out = []
  for c in json.load(sys.stdin):
      model = session.get_service_model(c['service'])
      op = model.operation_model(c['operation'])
      parser = botocore.parsers.create_parser(model.metadata['protocol'])
      response = {'status_code': c['status'], 'headers': HeadersDict(c['headers']),
                  'body': base64.b64decode(c['body'])}
      out.append(plain(parser.parse(response, op.output_shape)))
  print(json.dumps(out))
  """

struct JudgeCase {
  var service: String
  var operation: String
  var response: WireResponse
}

/// What botocore makes of each response.
func judge(_ cases: [JudgeCase]) throws -> [JSONValue] {
  var list: [[String: Any]] = []
  for c in cases {
    var headers: [String: String] = [:]
    for h in c.response.headers { headers[h.name] = h.value }
    list.append([
      "service": c.service, "operation": c.operation, "status": c.response.status, "headers": headers,
      "body": Data(c.response.body).base64EncodedString(),
    ])
  }
  let input = try JSONSerialization.data(withJSONObject: list)
  let r = try #require(python(["-c", botocoreJudge], input: input))
  #expect(r.status == 0, "\(r.err)")
  guard case .array(let parsed)? = JSONValue.parse(r.out) else {
    Issue.record("botocore's output is not a JSON list: \(r.out) \(r.err)")
    return []
  }
  return parsed
}

@Suite("botocore's parsers judge the wire responses")
struct BotocoreJudgeTests {
  @Test(.enabled(if: botocoreInstalled, "python3 with botocore is not installed: skipped"))
  func testBotocoreParsesS3ResponsesIntoTheExpectedValues() throws {
    let sim = try wireSim()
    sim.run(until: sim.now + .seconds(2))
    let put = s3(sim, "PUT", "/fanout-bucket/dir/a%20b.json", body: "{\"a\": 1}")
    _ = s3(sim, "PUT", "/fanout-bucket/dir/sub/c", body: "c")
    _ = s3(sim, "PUT", "/fanout-bucket/top", body: "t")
    let cases = [
      JudgeCase(service: "s3", operation: "PutObject", response: put),
      JudgeCase(service: "s3", operation: "GetObject", response: s3(sim, "GET", "/fanout-bucket/dir/a%20b.json")),
      JudgeCase(service: "s3", operation: "HeadObject", response: s3(sim, "HEAD", "/fanout-bucket/top")),
      JudgeCase(
        service: "s3", operation: "ListObjectsV2",
        response: s3(sim, "GET", "/fanout-bucket", query: "list-type=2&prefix=dir%2F&delimiter=%2F&encoding-type=url")),
      JudgeCase(service: "s3", operation: "ListBuckets", response: s3(sim, "GET", "/")),
      JudgeCase(
        service: "s3", operation: "CopyObject",
        response: s3(sim, "PUT", "/fanout-bucket/copy", headers: [("x-amz-copy-source", "fanout-bucket/top")])),
      JudgeCase(service: "s3", operation: "GetObject", response: s3(sim, "GET", "/fanout-bucket/missing")),
      JudgeCase(service: "s3", operation: "ListObjectsV2", response: s3(sim, "GET", "/nope", query: "list-type=2")),
      JudgeCase(
        service: "s3", operation: "PutObject",
        response: s3(sim, "PUT", "/fanout-bucket/top", headers: [("If-None-Match", "*")], body: "x")),
      JudgeCase(service: "s3", operation: "HeadObject", response: s3(sim, "HEAD", "/fanout-bucket/missing")),
      JudgeCase(
        service: "s3", operation: "PutObject",
        response: s3(sim, "PUT", "/fanout-bucket/" + String(repeating: "k", count: 1_100), body: "x")),
    ]
    let p = try judge(cases)
    try #require(p.count == cases.count)
    #expect(p[0]["ETag"]?.stringValue == "\"" + md5Hex("{\"a\": 1}") + "\"")
    #expect(p[1]["Body"]?.stringValue == "{\"a\": 1}")
    #expect(p[1]["ContentLength"] == .number(8))
    #expect(p[1]["LastModified"]?.stringValue == "2026-01-01T00:00:02+00:00")
    #expect(p[2]["ContentLength"] == .number(1))
    #expect(p[3]["KeyCount"] == .number(2))
    #expect(p[3]["IsTruncated"] == .bool(false))
    // The parser alone does not URL-decode (botocore's handler does, when it asked for the encoding).
    #expect(p[3]["Contents"]?[0]?["Key"]?.stringValue == "dir/a%20b.json")
    #expect(p[3]["CommonPrefixes"]?[0]?["Prefix"]?.stringValue == "dir/sub/")
    #expect(p[4]["Buckets"]?[0]?["Name"]?.stringValue == "fanout-bucket")
    #expect(p[4]["Buckets"]?[0]?["CreationDate"]?.stringValue == "2026-01-01T00:00:00+00:00")
    #expect(p[5]["CopyObjectResult"]?["ETag"]?.stringValue == "\"" + md5Hex("t") + "\"")
    #expect(p[6]["Error"]?["Code"]?.stringValue == "NoSuchKey")
    #expect(p[6]["Error"]?["Message"]?.stringValue == "The specified key does not exist.")
    #expect(p[7]["Error"]?["Code"]?.stringValue == "NoSuchBucket")
    #expect(p[8]["Error"]?["Code"]?.stringValue == "PreconditionFailed")
    // A HEAD's error has no body: botocore takes the status as the code.
    #expect(p[9]["Error"]?["Code"]?.stringValue == "404")
    #expect(p[10]["Error"]?["Code"]?.stringValue == "KeyTooLongError")
  }

  @Test(.enabled(if: botocoreInstalled, "python3 with botocore is not installed: skipped"))
  func testBotocoreParsesLambdaResponsesIntoTheExpectedValues() throws {
    let sim = try wireSim()
    var failure = FailureSpec()
    failure.errorRate = 1
    try sim.setFailure(function: "service02", failure)
    let uuid = sim.mappings[0].uuid.text
    let cases = [
      JudgeCase(service: "lambda", operation: "ListFunctions", response: lambda(sim, "GET", "/2015-03-31/functions/")),
      JudgeCase(
        service: "lambda", operation: "Invoke",
        response: lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", body: "{}")),
      JudgeCase(
        service: "lambda", operation: "Invoke",
        response: lambda(sim, "POST", "/2015-03-31/functions/service02/invocations", body: "{}")),
      JudgeCase(
        service: "lambda", operation: "Invoke",
        response: lambda(
          sim, "POST", "/2015-03-31/functions/service01/invocations", headers: [("X-Amz-Invocation-Type", "Event")])),
      JudgeCase(
        service: "lambda", operation: "Invoke",
        response: lambda(sim, "POST", "/2015-03-31/functions/nope/invocations")),
      JudgeCase(
        service: "lambda", operation: "ListEventSourceMappings",
        response: lambda(sim, "GET", "/2015-03-31/event-source-mappings/")),
      JudgeCase(
        service: "lambda", operation: "UpdateEventSourceMapping",
        response: lambda(sim, "PUT", "/2015-03-31/event-source-mappings/" + uuid, body: "{\"Enabled\":false}")),
      JudgeCase(
        service: "lambda", operation: "GetEventSourceMapping",
        response: lambda(sim, "GET", "/2015-03-31/event-source-mappings/" + uuid)),
      JudgeCase(
        service: "lambda", operation: "Invoke",
        response: lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", body: "{bad")),
    ]
    let p = try judge(cases)
    try #require(p.count == cases.count)
    #expect(p[0]["Functions"]?[1]?["FunctionName"]?.stringValue == "service01")
    #expect(p[0]["Functions"]?[1]?["Timeout"] == .number(3))
    #expect(p[0]["Functions"]?[1]?["Architectures"] == .array([.string("x86_64")]))
    #expect(p[1]["StatusCode"] == .number(200))
    #expect(p[1]["ExecutedVersion"]?.stringValue == "$LATEST")
    #expect(p[1]["Payload"]?.stringValue == "null")
    #expect(p[2]["FunctionError"]?.stringValue == "Unhandled")
    #expect(JSONValue.parse(p[2]["Payload"]?.stringValue ?? "")?["errorMessage"]?.stringValue == "Injected error")
    #expect(p[3]["StatusCode"] == .number(202))
    #expect(p[4]["Error"]?["Code"]?.stringValue == "ResourceNotFoundException")
    #expect(
      p[4]["Error"]?["Message"]?.stringValue
        == "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")
    #expect(p[5]["EventSourceMappings"]?[0]?["UUID"]?.stringValue == uuid)
    #expect(p[5]["EventSourceMappings"]?[0]?["LastModified"]?.stringValue == "2026-01-01T00:00:00+00:00")
    #expect(p[6]["State"]?.stringValue == "Disabling")
    #expect(p[7]["State"]?.stringValue == "Disabled")
    #expect(p[8]["Error"]?["Code"]?.stringValue == "InvalidRequestContentException")
  }
}

extension JSONValue {
  fileprivate subscript(index: Int) -> JSONValue? {
    if case .array(let items) = self, index < items.count { return items[index] }
    return nil
  }
}
