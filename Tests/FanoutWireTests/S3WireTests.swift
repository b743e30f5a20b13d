import FanoutSim
import Foundation
import Testing

@testable import FanoutWire

/// The seed pipeline (bucket `fanout-bucket`), optionally in another region.
func wireSim(region: String = "us-east-1", seed: UInt64 = 1) throws -> Simulation {
  var t = Topology.seedPipeline()
  t.region = region
  return try Simulation(topology: t, seed: seed)
}

extension WireResponse {
  var text: String { String(decoding: body, as: UTF8.self) }
  func header(_ n: String) -> String? { headers.first { $0.name.lowercased() == n.lowercased() }?.value }
}

/// Sends one S3 request and answers the response (S3 never waits).
func s3(
  _ sim: Simulation, _ method: String, _ path: String, query: String = "",
  headers: [(name: String, value: String)] = [],
  body: String = ""
) -> WireResponse {
  let r = WireRequest(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
  guard case .now(let resp) = S3Wire().answer(r, sim) else {
    Issue.record("S3 answered later")
    return WireResponse(status: 0)
  }
  return resp
}

/// The XML between `<tag>` and `</tag>`, first occurrence.
func element(_ xml: String, _ tag: String) -> String? {
  guard let a = xml.range(of: "<\(tag)>"), let b = xml.range(of: "</\(tag)>", range: a.upperBound..<xml.endIndex)
  else { return nil }
  return String(xml[a.upperBound..<b.lowerBound])
}

@Suite("S3 wire protocol")
struct S3WireTests {
  @Test("PutObject answers the quoted hex MD5 as ETag; GetObject the bytes, Content-Length and Last-Modified")
  func testPutThenGetAnswersETagLengthAndLastModified() throws {
    let sim = try wireSim()
    sim.run(until: sim.now + .milliseconds(1_500))
    let put = s3(sim, "PUT", "/fanout-bucket/a/b.json", body: "hello")
    #expect(put.status == 200)
    #expect(put.header("ETag") == "\"5d41402abc4b2a76b9719d911017c592\"")
    #expect(put.body.isEmpty)
    let get = s3(sim, "GET", "/fanout-bucket/a/b.json")
    #expect(get.status == 200)
    #expect(get.text == "hello")
    #expect(get.header("Content-Length") == "5")
    #expect(get.header("ETag") == "\"5d41402abc4b2a76b9719d911017c592\"")
    // Virtual time: the topology starts at 2026-01-01T00:00:00Z, a Thursday; S3 keeps seconds.
    #expect(get.header("Last-Modified") == "Thu, 01 Jan 2026 00:00:01 GMT")
    #expect(get.header("x-amz-request-id")?.utf8.count == 16)
    #expect(sim.bucket(named: "fanout-bucket")?.peek(key: "a/b.json") == "hello")
  }

  @Test("Path-style and virtual-hosted-style name the same object")
  func testVirtualHostedStyleNamesTheBucketInTheHost() throws {
    let sim = try wireSim()
    _ = s3(sim, "PUT", "/k", headers: [("Host", "fanout-bucket.s3.us-east-1.amazonaws.com")], body: "v1")
    #expect(sim.bucket(named: "fanout-bucket")?.peek(key: "k") == "v1")
    _ = s3(sim, "PUT", "/k2", headers: [("Host", "fanout-bucket.localhost:4747")], body: "v2")
    #expect(sim.bucket(named: "fanout-bucket")?.peek(key: "k2") == "v2")
    _ = s3(sim, "PUT", "/k3", headers: [("Host", "fanout-bucket.s3.amazonaws.com")], body: "v3")
    #expect(sim.bucket(named: "fanout-bucket")?.peek(key: "k3") == "v3")
    // A path-style host: the bucket is the first segment.
    let get = s3(sim, "GET", "/fanout-bucket/k", headers: [("Host", "127.0.0.1:4747")])
    #expect(get.text == "v1")
    let get2 = s3(sim, "GET", "/fanout-bucket/k2", headers: [("Host", "s3.us-east-1.amazonaws.com")])
    #expect(get2.text == "v2")
  }

  @Test("A plus sign in a path is a plus sign, %20 a space; keys are case-sensitive bytes")
  func testS3KeysArePercentDecodedBytesWithPlusLiteral() throws {
    let sim = try wireSim()
    _ = s3(sim, "PUT", "/fanout-bucket/a+b%20c", body: "x")
    let b = try #require(sim.bucket(named: "fanout-bucket"))
    #expect(b.peek(key: "a+b c") == "x")
    #expect(b.peek(key: "a b c") == nil)
    _ = s3(sim, "PUT", "/fanout-bucket/caf%C3%A9", body: "precomposed")
    #expect(s3(sim, "GET", "/fanout-bucket/cafe%CC%81").status == 404)
    #expect(s3(sim, "GET", "/fanout-bucket/CAF%C3%A9").status == 404)
    #expect(s3(sim, "GET", "/fanout-bucket/caf%C3%A9").text == "precomposed")
  }

  @Test("GetObject of a missing key is S3's NoSuchKey document, byte for byte, with status 404")
  func testNoSuchKeyErrorShape() throws {
    let sim = try wireSim()
    let r = s3(sim, "GET", "/fanout-bucket/missing.json")
    #expect(r.status == 404)
    #expect(r.header("Content-Type") == "application/xml")
    let id = try #require(r.header("x-amz-request-id"))
    let host = try #require(r.header("x-amz-id-2"))
    #expect(
      r.text
        == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>missing.json</Key><RequestId>\(id)</RequestId><HostId>\(host)</HostId></Error>"
    )
  }

  @Test("A missing bucket is NoSuchBucket (404) with its name")
  func testNoSuchBucketErrorShape() throws {
    let sim = try wireSim()
    for (m, p) in [("GET", "/nope/k"), ("PUT", "/nope/k"), ("DELETE", "/nope/k"), ("GET", "/nope")] {
      let r = s3(sim, m, p, query: p == "/nope" ? "list-type=2" : "")
      #expect(r.status == 404)
      #expect(element(r.text, "Code") == "NoSuchBucket")
      #expect(element(r.text, "Message") == "The specified bucket does not exist")
      #expect(element(r.text, "BucketName") == "nope")
    }
  }

  @Test("HEAD errors have the status and no body")
  func testHeadErrorsHaveNoBody() throws {
    let sim = try wireSim()
    let missing = s3(sim, "HEAD", "/fanout-bucket/missing")
    #expect(missing.status == 404)
    #expect(missing.body.isEmpty)
    let noBucket = s3(sim, "HEAD", "/nope")
    #expect(noBucket.status == 404)
    #expect(noBucket.body.isEmpty)
    _ = s3(sim, "PUT", "/fanout-bucket/k", body: "abc")
    let ok = s3(sim, "HEAD", "/fanout-bucket/k")
    #expect(ok.status == 200)
    #expect(ok.body.isEmpty)
    #expect(ok.header("Content-Length") == "3")
    let failed = s3(sim, "HEAD", "/fanout-bucket/k", headers: [("If-Match", "\"other\"")])
    #expect(failed.status == 412)
    #expect(failed.body.isEmpty)
  }

  @Test(
    "CreateBucket creates at run time; in us-east-1 a second create answers 200, elsewhere 409 BucketAlreadyOwnedByYou")
  func testCreateBucketTwiceIsOwnedByYouOutsideUSEast1() throws {
    let sim = try wireSim()
    #expect(s3(sim, "PUT", "/new-bucket").status == 200)
    #expect(sim.bucket(named: "new-bucket") != nil)
    #expect(s3(sim, "PUT", "/new-bucket").status == 200)
    let eu = try wireSim(region: "eu-west-1")
    let config =
      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
    #expect(s3(eu, "PUT", "/new-bucket", body: config).status == 200)
    let again = s3(eu, "PUT", "/new-bucket", body: config)
    #expect(again.status == 409)
    #expect(element(again.text, "Code") == "BucketAlreadyOwnedByYou")
    #expect(
      element(again.text, "Message")
        == "Your previous request to create the named bucket succeeded and you already own it.")
    // Outside us-east-1 a create without the region's LocationConstraint is refused.
    let none = s3(eu, "PUT", "/other-bucket")
    #expect(none.status == 400)
    #expect(element(none.text, "Code") == "IllegalLocationConstraintException")
  }

  @Test("Bucket names follow S3's naming rules: InvalidBucketName (400)")
  func testInvalidBucketNames() throws {
    let sim = try wireSim()
    for bad in ["ab", "Upper", "a..b", "-start", "end-", "192.168.1.1", String(repeating: "a", count: 64), "xn--x"] {
      let r = s3(sim, "PUT", "/" + bad)
      #expect(r.status == 400, "\(bad)")
      #expect(element(r.text, "Code") == "InvalidBucketName", "\(bad)")
    }
    #expect(s3(sim, "PUT", "/a.b-c1").status == 200)
  }

  @Test("CreateBucket with malformed XML is MalformedXML (400), never a crash")
  func testCreateBucketMalformedXML() throws {
    let sim = try wireSim()
    for body in [
      "<CreateBucketConfiguration>", "<a><b></a></b>", "not xml",
      "<CreateBucketConfiguration x=></CreateBucketConfiguration>",
      String(repeating: "<a>", count: 10_000),
    ] {
      let r = s3(sim, "PUT", "/some-bucket", body: body)
      #expect(r.status == 400)
      #expect(element(r.text, "Code") == "MalformedXML")
    }
    #expect(sim.bucket(named: "some-bucket") == nil)
  }

  @Test("ListBuckets lists every bucket in name order, with its creation date in virtual time")
  func testListBucketsShape() throws {
    let sim = try wireSim()
    sim.run(until: sim.now + .seconds(90))
    _ = s3(sim, "PUT", "/alpha-bucket")
    let r = s3(sim, "GET", "/")
    #expect(r.status == 200)
    let owner = try #require(element(r.text, "ID"))
    #expect(
      r.text
        == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>\(owner)</ID><DisplayName>fanout</DisplayName></Owner><Buckets><Bucket><Name>alpha-bucket</Name><CreationDate>2026-01-01T00:01:30.000Z</CreationDate></Bucket><Bucket><Name>fanout-bucket</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"
    )
  }

  @Test("ListObjectsV2: byte order, prefix, delimiter rolls keys into CommonPrefixes")
  func testListObjectsV2PrefixAndDelimiter() throws {
    let sim = try wireSim()
    for k in ["a/1", "a/2", "b/x/1", "b/y", "c"] { _ = s3(sim, "PUT", "/fanout-bucket/" + k, body: k) }
    let r = s3(sim, "GET", "/fanout-bucket", query: "list-type=2&delimiter=%2F")
    #expect(r.status == 200)
    #expect(
      r.text
        == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>fanout-bucket</Name><Prefix></Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated><Contents><Key>c</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;4a8a08f09d37b73795649038408b5f33&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes></ListBucketResult>"
    )
    let b = s3(sim, "GET", "/fanout-bucket/", query: "list-type=2&prefix=b%2F&delimiter=%2F")
    #expect(element(b.text, "Key") == "b/y")
    #expect(b.text.contains("<CommonPrefixes><Prefix>b/x/</Prefix></CommonPrefixes>"))
    #expect(element(b.text, "KeyCount") == "2")
  }

  @Test("ListObjectsV2 pages by max-keys with a continuation token; start-after starts after a key")
  func testListObjectsV2ContinuationAndStartAfter() throws {
    let sim = try wireSim()
    for i in 0..<5 { _ = s3(sim, "PUT", "/fanout-bucket/k\(i)", body: "\(i)") }
    var keys: [String] = []
    var token: String?
    var pages = 0
    repeat {
      var q = "list-type=2&max-keys=2"
      if let t = token { q += "&continuation-token=" + urlEncode(t).replacingOccurrences("+", "%2B") }
      let r = s3(sim, "GET", "/fanout-bucket", query: q)
      #expect(r.status == 200)
      var rest = Substring(r.text)
      while let a = rest.range(of: "<Key>"), let b = rest.range(of: "</Key>") {
        keys.append(String(rest[a.upperBound..<b.lowerBound]))
        rest = rest[b.upperBound...]
      }
      token = element(r.text, "NextContinuationToken")
      #expect((token != nil) == (element(r.text, "IsTruncated") == "true"))
      pages += 1
    } while token != nil && pages < 10
    #expect(keys == ["k0", "k1", "k2", "k3", "k4"])
    #expect(pages == 3)
    let after = s3(sim, "GET", "/fanout-bucket", query: "list-type=2&start-after=k2")
    #expect(after.text.contains("<StartAfter>k2</StartAfter>"))
    #expect(element(after.text, "Key") == "k3")
    #expect(element(after.text, "KeyCount") == "2")
  }

  @Test("ListObjectsV2 with encoding-type=url URL-encodes keys and prefixes, as botocore asks")
  func testListObjectsV2URLEncoding() throws {
    let sim = try wireSim()
    _ = s3(sim, "PUT", "/fanout-bucket/a%20b+c%0A", body: "x")
    let r = s3(sim, "GET", "/fanout-bucket", query: "list-type=2&encoding-type=url")
    #expect(element(r.text, "Key") == "a%20b%2Bc%0A")
    #expect(r.text.contains("<EncodingType>url</EncodingType>"))
    let plain = s3(sim, "GET", "/fanout-bucket", query: "list-type=2")
    #expect(element(plain.text, "Key") == "a b+c&#10;")
  }

  @Test("Bad max-keys, continuation tokens and encoding types are InvalidArgument (400)")
  func testListInvalidArguments() throws {
    let sim = try wireSim()
    for q in [
      "list-type=2&max-keys=abc", "list-type=2&max-keys=-1", "list-type=2&continuation-token=%%%",
      "list-type=2&continuation-token=!!", "list-type=2&encoding-type=base64", "max-keys=9999999999999",
    ] {
      let r = s3(sim, "GET", "/fanout-bucket", query: q)
      if q.contains("%%%") {
        #expect(element(r.text, "Code") == "InvalidURI")
        continue
      }
      #expect(r.status == 400, "\(q)")
      #expect(element(r.text, "Code") == "InvalidArgument", "\(q)")
      #expect(element(r.text, "ArgumentName") != nil, "\(q)")
    }
    let big = s3(sim, "GET", "/fanout-bucket", query: "list-type=2&max-keys=5000")
    #expect(element(big.text, "MaxKeys") == "1000")
  }

  @Test("ListObjects (version 1) answers Marker, and NextMarker with a delimiter")
  func testListObjectsV1Marker() throws {
    let sim = try wireSim()
    for k in ["a/1", "b/1", "c"] { _ = s3(sim, "PUT", "/fanout-bucket/" + k, body: k) }
    let r = s3(sim, "GET", "/fanout-bucket", query: "delimiter=/&max-keys=1")
    #expect(r.text.contains("<Marker></Marker>"))
    #expect(element(r.text, "NextMarker") == "a/1")
    #expect(element(r.text, "IsTruncated") == "true")
    let next = s3(sim, "GET", "/fanout-bucket", query: "delimiter=/&marker=a/1")
    #expect(next.text.contains("<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"))
  }

  @Test("A key over 1,024 bytes is KeyTooLongError (400), a huge one too")
  func testKeyTooLongError() throws {
    let sim = try wireSim()
    let r = s3(sim, "PUT", "/fanout-bucket/" + String(repeating: "k", count: 1_025), body: "x")
    #expect(r.status == 400)
    #expect(element(r.text, "Code") == "KeyTooLongError")
    #expect(element(r.text, "Message") == "Your key is too long")
    #expect(element(r.text, "Size") == "1025")
    #expect(element(r.text, "MaxSizeAllowed") == "1024")
    #expect(s3(sim, "PUT", "/fanout-bucket/" + String(repeating: "k", count: 1_024), body: "x").status == 200)
    let huge = s3(sim, "GET", "/fanout-bucket/" + String(repeating: "%C3%A9", count: 200_000))
    #expect(huge.status == 400)
    #expect(element(huge.text, "Code") == "KeyTooLongError")
  }

  @Test("Bad percent-encoding and keys that are not UTF-8 are InvalidURI (400)")
  func testBadPercentEncodingIsInvalidURI() throws {
    let sim = try wireSim()
    for p in ["/fanout-bucket/a%zz", "/fanout-bucket/a%", "/fanout-bucket/a%4", "/fanout-bucket/%FF%FE"] {
      let r = s3(sim, "GET", p)
      #expect(r.status == 400, "\(p)")
      #expect(element(r.text, "Code") == "InvalidURI", "\(p)")
    }
  }

  @Test("PutObject with If-None-Match: * creates only when the key is absent, else 412 PreconditionFailed")
  func testPutIfNoneMatchStarIsPreconditionFailedWhenTheKeyExists() throws {
    let sim = try wireSim()
    #expect(s3(sim, "PUT", "/fanout-bucket/once", headers: [("If-None-Match", "*")], body: "1").status == 200)
    let again = s3(sim, "PUT", "/fanout-bucket/once", headers: [("If-None-Match", "*")], body: "2")
    #expect(again.status == 412)
    #expect(element(again.text, "Code") == "PreconditionFailed")
    #expect(element(again.text, "Message") == "At least one of the pre-conditions you specified did not hold")
    #expect(element(again.text, "Condition") == "If-None-Match")
    #expect(sim.bucket(named: "fanout-bucket")?.peek(key: "once") == "1")
  }

  @Test("PutObject with If-Match: 404 NoSuchKey when absent, 412 when the ETag differs")
  func testPutIfMatch() throws {
    let sim = try wireSim()
    #expect(s3(sim, "PUT", "/fanout-bucket/m", headers: [("If-Match", "\"x\"")], body: "1").status == 404)
    let put = s3(sim, "PUT", "/fanout-bucket/m", body: "1")
    let etag = try #require(put.header("ETag"))
    #expect(s3(sim, "PUT", "/fanout-bucket/m", headers: [("If-Match", "\"x\"")], body: "2").status == 412)
    #expect(s3(sim, "PUT", "/fanout-bucket/m", headers: [("If-Match", etag)], body: "2").status == 200)
  }

  @Test("GET conditions: If-Match 412, If-None-Match 304, If-Modified-Since 304, If-Unmodified-Since 412")
  func testGetConditionalHeaders() throws {
    let sim = try wireSim()
    sim.run(until: sim.now + .seconds(10))
    let etag = try #require(s3(sim, "PUT", "/fanout-bucket/c", body: "abc").header("ETag"))
    sim.run(until: sim.now + .seconds(60))
    let before = "Thu, 01 Jan 2026 00:00:05 GMT"
    let at = "Thu, 01 Jan 2026 00:00:10 GMT"
    func get(_ h: [(name: String, value: String)]) -> WireResponse { s3(sim, "GET", "/fanout-bucket/c", headers: h) }
    #expect(get([("If-Match", etag)]).status == 200)
    let pf = get([("If-Match", "\"nope\"")])
    #expect(pf.status == 412)
    #expect(element(pf.text, "Condition") == "If-Match")
    let nm = get([("If-None-Match", etag)])
    #expect(nm.status == 304)
    #expect(nm.body.isEmpty)
    #expect(nm.header("ETag") == etag)
    #expect(get([("If-None-Match", "\"nope\"")]).status == 200)
    #expect(get([("If-Modified-Since", at)]).status == 304)
    #expect(get([("If-Modified-Since", before)]).status == 200)
    #expect(get([("If-Unmodified-Since", before)]).status == 412)
    #expect(get([("If-Unmodified-Since", at)]).status == 200)
    // If-Match true and If-Unmodified-Since false: 200 (S3's rule); If-None-Match false and
    // If-Modified-Since true: 304.
    #expect(get([("If-Match", etag), ("If-Unmodified-Since", before)]).status == 200)
    #expect(get([("If-None-Match", etag), ("If-Modified-Since", before)]).status == 304)
    // A date that is not an HTTP date is ignored.
    #expect(get([("If-Modified-Since", "yesterday")]).status == 200)
  }

  @Test("Range: one byte range answers 206 with Content-Range; past the end 416 InvalidRange")
  func testRangeGet() throws {
    let sim = try wireSim()
    _ = s3(sim, "PUT", "/fanout-bucket/r", body: "0123456789")
    let r = s3(sim, "GET", "/fanout-bucket/r", headers: [("Range", "bytes=2-4")])
    #expect(r.status == 206)
    #expect(r.text == "234")
    #expect(r.header("Content-Range") == "bytes 2-4/10")
    #expect(r.header("Content-Length") == "3")
    #expect(s3(sim, "GET", "/fanout-bucket/r", headers: [("Range", "bytes=-3")]).text == "789")
    #expect(s3(sim, "GET", "/fanout-bucket/r", headers: [("Range", "bytes=7-")]).text == "789")
    #expect(s3(sim, "GET", "/fanout-bucket/r", headers: [("Range", "bytes=8-100")]).text == "89")
    let bad = s3(sim, "GET", "/fanout-bucket/r", headers: [("Range", "bytes=10-12")])
    #expect(bad.status == 416)
    #expect(element(bad.text, "Code") == "InvalidRange")
    #expect(bad.header("Content-Range") == "bytes */10")
    #expect(s3(sim, "GET", "/fanout-bucket/r", headers: [("Range", "bytes=x-y")]).status == 200)
  }

  @Test("DeleteObject answers 204 whether or not the key existed")
  func testDeleteObjectIs204Always() throws {
    let sim = try wireSim()
    _ = s3(sim, "PUT", "/fanout-bucket/d", body: "x")
    #expect(s3(sim, "DELETE", "/fanout-bucket/d").status == 204)
    #expect(s3(sim, "DELETE", "/fanout-bucket/d").status == 204)
    #expect(s3(sim, "GET", "/fanout-bucket/d").status == 404)
  }

  @Test("CopyObject copies the body and answers CopyObjectResult; onto itself it is InvalidRequest")
  func testCopyObject() throws {
    let sim = try wireSim()
    let etag = try #require(s3(sim, "PUT", "/fanout-bucket/src%20key", body: "copy me").header("ETag"))
    _ = s3(sim, "PUT", "/other-bucket")
    let r = s3(sim, "PUT", "/other-bucket/dst", headers: [("x-amz-copy-source", "fanout-bucket/src%20key")])
    #expect(r.status == 200)
    #expect(
      r.text
        == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\(etag.replacingOccurrences("\"", "&quot;"))</ETag></CopyObjectResult>"
    )
    #expect(sim.bucket(named: "other-bucket")?.peek(key: "dst") == "copy me")
    let missing = s3(sim, "PUT", "/other-bucket/dst", headers: [("x-amz-copy-source", "/fanout-bucket/none")])
    #expect(missing.status == 404)
    #expect(element(missing.text, "Code") == "NoSuchKey")
    let itself = s3(sim, "PUT", "/other-bucket/dst", headers: [("x-amz-copy-source", "/other-bucket/dst")])
    #expect(itself.status == 400)
    #expect(element(itself.text, "Code") == "InvalidRequest")
    let cond = s3(
      sim, "PUT", "/other-bucket/dst2",
      headers: [("x-amz-copy-source", "fanout-bucket/src%20key"), ("x-amz-copy-source-if-match", "\"no\"")])
    #expect(cond.status == 412)
  }

  @Test("Content-MD5: an invalid one is InvalidDigest, a wrong one BadDigest")
  func testContentMD5() throws {
    let sim = try wireSim()
    let ok = s3(sim, "PUT", "/fanout-bucket/m", headers: [("Content-MD5", "XUFAKrxLKna5cZ2REBfFkg==")], body: "hello")
    #expect(ok.status == 200)
    let invalid = s3(sim, "PUT", "/fanout-bucket/m", headers: [("Content-MD5", "nope")], body: "hello")
    #expect(element(invalid.text, "Code") == "InvalidDigest")
    let wrong = s3(
      sim, "PUT", "/fanout-bucket/m", headers: [("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA==")], body: "hello")
    #expect(wrong.status == 400)
    #expect(element(wrong.text, "Code") == "BadDigest")
  }

  @Test("An aws-chunked body (SDK streaming uploads) is stored as its decoded payload")
  func testAWSChunkedBodyIsDecoded() throws {
    let sim = try wireSim()
    let body = "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    let r = s3(
      sim, "PUT", "/fanout-bucket/chunked",
      headers: [
        ("Content-Encoding", "aws-chunked"), ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-decoded-content-length", "11"),
      ], body: body)
    #expect(r.status == 200)
    #expect(sim.bucket(named: "fanout-bucket")?.peek(key: "chunked") == "hello world")
    let broken = s3(
      sim, "PUT", "/fanout-bucket/chunked2", headers: [("Content-Encoding", "aws-chunked")], body: "ff\r\nshort")
    #expect(broken.status == 400)
  }

  @Test("Wrong methods are MethodNotAllowed (405); unmodelled features NotImplemented (501)")
  func testMethodNotAllowedAndNotImplemented() throws {
    let sim = try wireSim()
    let r = s3(sim, "POST", "/")
    #expect(r.status == 405)
    #expect(element(r.text, "Code") == "MethodNotAllowed")
    #expect(element(r.text, "Method") == "POST")
    #expect(s3(sim, "PATCH", "/fanout-bucket/k").status == 405)
    #expect(s3(sim, "GET", "/fanout-bucket", query: "acl").status == 501)
    #expect(s3(sim, "POST", "/fanout-bucket/k", query: "uploads").status == 501)
  }

  @Test("A wire PutObject and GetObject are the simulation's s3.put and s3.get events")
  func testWireObjectsAreEvents() throws {
    let sim = try wireSim()
    var types: [String] = []
    sim.observer = { types.append($0.kind.type) }
    _ = s3(sim, "PUT", "/fanout-bucket/e", body: "x")
    _ = s3(sim, "GET", "/fanout-bucket/e")
    _ = s3(sim, "HEAD", "/fanout-bucket/e")
    _ = s3(sim, "DELETE", "/fanout-bucket/e")
    #expect(types == ["s3.put", "s3.get", "s3.head", "s3.delete"])
  }

  @Test("Hostile requests never trap: every one gets an HTTP answer")
  func testHostileS3RequestsNeverTrap() throws {
    let sim = try wireSim()
    let paths = [
      "", "/", "//", "///x", "/%", "/%00", "/fanout-bucket/%00", "/fanout-bucket//", "/\u{FFFF}", "/a/b/c/d",
    ]
    let queries = ["", "=", "&&&", "list-type=2&max-keys=", "list-type=2&prefix=%ZZ", "a=b=c", "continuation-token="]
    let headers: [[(name: String, value: String)]] = [
      [], [("Range", "bytes=999999999999999999999-")], [("If-Modified-Since", "Thu, 99 Foo 2026 99:99:99 GMT")],
      [("Host", ".localhost")], [("Host", "[::1]:4747")], [("x-amz-copy-source", "%")],
      [("x-amz-copy-source", "/")], [("Content-Encoding", "aws-chunked")], [("Content-MD5", "====")],
    ]
    for m in ["GET", "PUT", "HEAD", "DELETE", "POST", "OPTIONS"] {
      for p in paths {
        for q in queries {
          for h in headers {
            let r = s3(sim, m, p, query: q, headers: h, body: "<x>")
            #expect((200...599).contains(r.status))
          }
        }
      }
    }
  }

  @Test("S3 takes S3's requests, not Lambda's, SQS's or SNS's")
  func testS3Accepts() {
    let w = S3Wire()
    #expect(w.accepts(WireRequest(method: "GET", path: "/bucket/key")))
    #expect(
      w.accepts(
        WireRequest(
          method: "PUT", path: "/k",
          headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, X=y")])))
    #expect(
      !w.accepts(
        WireRequest(
          method: "POST", path: "/",
          headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request")])))
    #expect(!w.accepts(WireRequest(method: "GET", path: "/2015-03-31/functions/")))
    #expect(!w.accepts(WireRequest(method: "POST", path: "/", headers: [("X-Amz-Target", "AmazonSQS.ListQueues")])))
    #expect(!w.accepts(WireRequest(method: "GET", path: "/", query: "Action=ListTopics")))
  }
}
