import Testing

@testable import FanoutSim

@Suite("S3 rules")
struct S3Tests {
  func bucket() throws -> S3Bucket {
    try makeSim().bucket(named: "fanout-bucket")!
  }

  @Test("Read-after-write: a GET right after a PUT sees it; a missing key is NoSuchKey")
  func readAfterWrite() throws {
    let b = try bucket()
    try b.put(key: "a/b.json", body: "{}", at: .epoch)
    #expect(try b.get(key: "a/b.json") == "{}")
    #expect(throws: S3Error.noSuchKey("nope")) { try b.get(key: "nope") }
    #expect(b.getMisses == 1)
  }

  @Test(
    "S3 keys are case-sensitive bytes: upper- and lower-case hex are two keys, é precomposed and decomposed are two")
  func testS3KeysAreCaseSensitiveBytes() throws {
    let b = try bucket()
    let id = md5RequestID("x").hex
    try b.put(key: "f/\(id).json", body: "lower", at: .epoch)
    try b.put(key: "f/\(id.uppercased()).json", body: "upper", at: .epoch)
    #expect(try b.get(key: "f/\(id).json") == "lower")
    #expect(try b.get(key: "f/\(id.uppercased()).json") == "upper")
    let pre = "caf\u{E9}.json"
    let de = "cafe\u{301}.json"
    #expect(pre == de, "Swift's String == uses canonical equivalence")
    try b.put(key: pre, body: "\u{E9}", at: .epoch)
    #expect(throws: S3Error.noSuchKey(de)) { try b.get(key: de) }
    try b.put(key: de, body: "e\u{301}", at: .epoch)
    #expect(b.objectCount == 4)
    #expect(Array(try b.get(key: pre).utf8) == [0xC3, 0xA9])
    #expect(Array(try b.get(key: de).utf8) == [0x65, 0xCC, 0x81], "bodies are bytes too: not the other one's")
    #expect(b.distinctBodies == 4)
    #expect(b.info(key: pre)?.size == 2 && b.info(key: de)?.size == 3)
    // Listing compares bytes: "cafe" is a prefix of the decomposed key only.
    #expect(b.list(prefix: "cafe").contents.map { Array($0.key.utf8) } == [Array(de.utf8)])
    #expect(b.list(prefix: "caf").contents.count == 2)
    b.delete(key: de)
    #expect(b.peek(key: pre) == "\u{E9}")
    #expect(b.objectCount == 3)
  }

  @Test("ETag of a simple PUT is the quoted hex MD5 of the body; sizes in bytes")
  func etag() throws {
    let b = try bucket()
    let (etag, size) = try b.put(key: "k", body: seedPreprocessorBody, at: .epoch)
    #expect(etag == "\"" + md5Hex(seedPreprocessorBody) + "\"")
    #expect(size == 48)
    #expect(b.info(key: "k")?.etag == etag)
  }

  @Test("Identical bodies are stored once")
  func dedup() throws {
    let b = try bucket()
    for i in 0..<100 { try b.put(key: "k\(i)", body: seedPreprocessorBody, at: .epoch) }
    #expect(b.objectCount == 100 && b.distinctBodies == 1)
    #expect(b.totalBytes == 4_800)
  }

  @Test("Keys: at most 1,024 bytes; If-None-Match: * creates only when absent")
  func keysAndConditionalWrites() throws {
    let b = try bucket()
    #expect(throws: S3Error.keyTooLong(1_025)) {
      try b.put(key: String(repeating: "k", count: 1_025), body: "x", at: .epoch)
    }
    try b.put(key: "once", body: "1", at: .epoch, ifNoneMatch: true)
    #expect(throws: S3Error.preconditionFailed("once")) {
      try b.put(key: "once", body: "2", at: .epoch, ifNoneMatch: true)
    }
    #expect(try b.get(key: "once") == "1")
  }

  @Test("ListObjectsV2: byte order, prefix, delimiter to CommonPrefixes, pages of at most 1,000")
  func list() throws {
    let b = try bucket()
    for i in 0..<2_500 { try b.put(key: "p/x/\(String(format4(i))).json", body: "x", at: .epoch) }
    try b.put(key: "p/a.json", body: "x", at: .epoch)
    try b.put(key: "p/Z.json", body: "x", at: .epoch)
    try b.put(key: "q/other", body: "x", at: .epoch)
    var keys: [String] = []
    var token: String?
    var pages = 0
    repeat {
      let page = b.list(prefix: "p/x/", continuationToken: token)
      #expect(page.contents.count <= 1_000)
      keys += page.contents.map(\.key)
      token = page.nextContinuationToken
      pages += 1
      #expect(page.isTruncated == (token != nil))
    } while token != nil
    #expect(pages == 3 && keys.count == 2_500)
    #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    let top = b.list(prefix: "p/", delimiter: "/")
    #expect(top.contents.map(\.key) == ["p/Z.json", "p/a.json"], "byte order puts Z before a")
    #expect(top.commonPrefixes == ["p/x/"])
    #expect(b.list(prefix: "p/", maxKeys: 2).isTruncated)
  }

  func format4(_ i: Int) -> String { String(repeating: "0", count: 4 - String(i).count) + String(i) }
}
