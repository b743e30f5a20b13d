import FanoutSim

// MARK: - S3: the REST protocol, path-style and virtual-hosted-style
//
// https://docs.aws.amazon.com/AmazonS3/latest/API/Welcome.html. A request names its bucket in
// the host (`bucket.s3.us-east-1.amazonaws.com`, `bucket.localhost:4747`: virtual-hosted-style)
// or as the path's first segment (`/bucket/key`: path-style,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html); the rest of the
// path, percent-decoded, is the key's bytes (`+` is a plus sign in a path, not a space). The
// operations are the bucket model's (`FanoutSim/S3`) at the current virtual time; the answers are
// S3's XML (namespace `http://s3.amazonaws.com/doc/2006-03-01/`) and headers, and errors S3's
// `<Error>` document with its codes and statuses
// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). A HEAD's error has no
// body. Shapes checked against botocore's S3 model (data/s3/2006-03-01/service-2.json), whose
// own parser reads them in the tests.
//
// Not modelled: object metadata (`x-amz-meta-*`, Content-Type: every object answers
// `binary/octet-stream`), versions, ACLs and policies, multipart uploads, DeleteBucket, and bodies
// that are not UTF-8 text (the bucket model stores text; such a PUT is refused with
// `NotImplemented`).

/// S3's REST wire protocol.
public struct S3Wire: WireService {
  public init() {}

  static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
  /// PutObject's single-request limit: 5 GB
  /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html).
  static let maxObjectBytes = 5 * 1_024 * 1_024 * 1_024

  public func accepts(_ r: WireRequest) -> Bool {
    if let service = sigV4Service(r) { return service == "s3" }
    if r.header("x-amz-target") != nil { return false }
    if r.path.hasPrefix("/2015-03-31/") || r.path.hasPrefix("/2018-06-01/") { return false }
    if r.query.split(separator: "&").contains(where: { $0.hasPrefix("Action=") }) { return false }
    if r.method == "POST", r.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
    {
      return false
    }
    return true
  }

  public func answer(_ r: WireRequest, _ sim: Simulation) -> WireAnswer {
    .now(respond(r, sim))
  }

  // MARK: Routing

  func respond(_ r: WireRequest, _ sim: Simulation) -> WireResponse {
    var ctx = S3Context(request: r, requestId: sim.externalS3RequestID())
    guard let pathBytes = percentDecodedBytes(r.path.utf8, plusIsSpace: false) else {
      return ctx.error(400, "InvalidURI", "Couldn't parse the specified URI.", [("URI", r.path)])
    }
    guard let query = parseQuery(r.query) else {
      return ctx.error(400, "InvalidURI", "Couldn't parse the specified URI.", [("URI", r.path + "?" + r.query)])
    }
    ctx.query = query
    var bucket: String
    var keyBytes: ArraySlice<UInt8>
    var rest = pathBytes[...]
    if rest.first == UInt8(ascii: "/") { rest = rest.dropFirst() }
    if let vb = virtualHostBucket(r.header("host")) {
      bucket = vb
      keyBytes = rest
    } else {
      let slash = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
      bucket = String(decoding: rest[rest.startIndex..<slash], as: UTF8.self)
      keyBytes = slash < rest.endIndex ? rest[(slash + 1)...] : []
    }
    guard let key = String(validating: keyBytes, as: UTF8.self) else {
      return ctx.error(400, "InvalidURI", "Couldn't parse the specified URI.", [("URI", r.path)])
    }
    ctx.bucket = bucket
    if bucket.isEmpty {
      guard r.method == "GET" else { return ctx.methodNotAllowed("SERVICE") }
      return listBuckets(&ctx, sim)
    }
    if key.isEmpty {
      switch r.method {
      case "PUT": return createBucket(&ctx, sim)
      case "HEAD": return headBucket(&ctx, sim)
      case "GET":
        if query.has("location") { return bucketLocation(&ctx, sim) }
        if let sub = unsupportedSubresource(query) { return ctx.notImplemented(sub) }
        return query.value("list-type") == "2" ? listObjectsV2(&ctx, sim) : listObjectsV1(&ctx, sim)
      case "DELETE": return ctx.notImplemented("DeleteBucket")
      case "POST": return ctx.notImplemented(query.names.first ?? "POST")
      default: return ctx.methodNotAllowed("BUCKET")
      }
    }
    ctx.key = key
    if key.utf8.count > Limits.S3.maxKeyBytes {
      return ctx.error(
        400, "KeyTooLongError", "Your key is too long",
        [("Size", String(key.utf8.count)), ("MaxSizeAllowed", String(Limits.S3.maxKeyBytes))])
    }
    switch r.method {
    case "PUT":
      if let sub = unsupportedSubresource(query) { return ctx.notImplemented(sub) }
      return r.header("x-amz-copy-source") != nil ? copyObject(&ctx, sim) : putObject(&ctx, sim)
    case "GET":
      if let sub = unsupportedSubresource(query) { return ctx.notImplemented(sub) }
      return getObject(&ctx, sim, head: false)
    case "HEAD": return getObject(&ctx, sim, head: true)
    case "DELETE": return deleteObject(&ctx, sim)
    case "POST": return ctx.notImplemented(query.names.first ?? "POST")
    default: return ctx.methodNotAllowed("OBJECT")
    }
  }

  /// Subresources (`?acl`, `?uploads`, …) fanout does not model.
  func unsupportedSubresource(_ q: Query) -> String? {
    let known: Set<String> = [
      "list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type",
      "fetch-owner", "marker", "x-id", "versionId", "partNumber",
    ]
    return q.names.first { !known.contains($0) && !$0.hasPrefix("X-Amz-") && !$0.hasPrefix("response-") }
  }

  // MARK: Service and buckets

  func listBuckets(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    var x = xmlHeader + "<ListAllMyBucketsResult xmlns=\"\(S3Wire.namespace)\">"
    x += "<Owner><ID>\(ownerID(sim))</ID><DisplayName>fanout</DisplayName></Owner><Buckets>"
    let names = sim.buckets.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    for n in names {
      let created = sim.bucketCreationTime(n) ?? sim.topology.startTime
      x +=
        "<Bucket><Name>" + s3XMLEscape(n) + "</Name><CreationDate>" + s3Timestamp(created) + "</CreationDate></Bucket>"
    }
    x += "</Buckets></ListAllMyBucketsResult>"
    return ctx.xml(200, x)
  }

  /// S3's bucket naming rules for general purpose buckets
  /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3–63
  /// characters of lower-case letters, digits, dots and hyphens, beginning and ending with a
  /// letter or digit, no two adjacent dots, not an IP address, not `xn--…`, not `…-s3alias`.
  static func validBucketName(_ n: String) -> Bool {
    let u = Array(n.utf8)
    guard (3...63).contains(u.count) else { return false }
    func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
    guard u.allSatisfy({ alnum($0) || $0 == 0x2E || $0 == 0x2D }), alnum(u.first!), alnum(u.last!) else { return false }
    if n.contains("..") || n.hasPrefix("xn--") || n.hasSuffix("-s3alias") || n.hasSuffix("--ol-s3") { return false }
    let parts = n.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count == 4, parts.allSatisfy({ Int($0) != nil }) { return false }
    return true
  }

  /// CreateBucket. An existing bucket is BucketAlreadyOwnedByYou (409), except in us-east-1,
  /// where S3 answers 200 ("If you create a bucket that already exists in us-east-1 … you get
  /// 200 OK", CreateBucket API reference,
  /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html). A
  /// LocationConstraint must be the endpoint's region (and is absent for us-east-1).
  func createBucket(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    let name = ctx.bucket
    guard S3Wire.validBucketName(name) else {
      return ctx.error(400, "InvalidBucketName", "The specified bucket is not valid.", [("BucketName", name)])
    }
    var constraint = ""
    if !ctx.request.body.allSatisfy(isXMLSpace) {
      guard let doc = XMLElement.parse(ctx.request.body), doc.name == "CreateBucketConfiguration" else {
        return ctx.malformedXML()
      }
      constraint = doc.child("LocationConstraint")?.text ?? ""
    }
    let region = sim.topology.region
    if region == "us-east-1" {
      if constraint == "us-east-1" {
        return ctx.error(400, "InvalidLocationConstraint", "The specified location-constraint is not valid", [])
      }
      if !constraint.isEmpty { return illegalLocation(&ctx, constraint) }
    } else if constraint != region {
      return illegalLocation(&ctx, constraint)
    }
    if !sim.createBucket(name), region != "us-east-1" {
      return ctx.error(
        409, "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.", [("BucketName", name)])
    }
    return ctx.empty(200, [("Location", "/" + name)])
  }

  func illegalLocation(_ ctx: inout S3Context, _ constraint: String) -> WireResponse {
    let what = constraint.isEmpty ? "unspecified" : constraint
    return ctx.error(
      400, "IllegalLocationConstraintException",
      "The \(what) location constraint is incompatible for the region specific endpoint this request was sent to.", [])
  }

  func headBucket(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    guard sim.bucket(named: ctx.bucket) != nil else { return ctx.noSuchBucket() }
    return ctx.empty(200, [("x-amz-bucket-region", sim.topology.region), ("x-amz-access-point-alias", "false")])
  }

  func bucketLocation(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    guard sim.bucket(named: ctx.bucket) != nil else { return ctx.noSuchBucket() }
    let region = sim.topology.region
    let x =
      xmlHeader + "<LocationConstraint xmlns=\"\(S3Wire.namespace)\">" + (region == "us-east-1" ? "" : region)
      + "</LocationConstraint>"
    return ctx.xml(200, x)
  }

  // MARK: Listing

  /// ListObjectsV2 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html): keys
  /// in UTF-8 byte order from `start-after` or the continuation token, at most max-keys (≤ 1,000)
  /// of keys and CommonPrefixes together; with `encoding-type=url` the keys and prefixes are
  /// URL-encoded (botocore asks for it and decodes them).
  func listObjectsV2(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    guard let b = sim.bucket(named: ctx.bucket) else { return ctx.noSuchBucket() }
    let q = ctx.query
    let args: ListArguments
    switch ListArguments.read(ctx) {
    case .success(let a): args = a
    case .failure(let refusal): return refusal.response
    }
    let (maxKeys, prefix, delimiter) = (args.maxKeys, args.prefix, args.delimiter)
    var after: String?
    if let token = q.value("continuation-token") {
      guard let k = decodeContinuationToken(token) else {
        return ctx.invalidArgument("The continuation token provided is incorrect", "continuation-token", token)
      }
      after = k
    } else if let s = q.value("start-after"), !s.isEmpty {
      after = s
    }
    let url = args.url
    let enc = args.encode
    let page = listPage(b, prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, after: after)
    var x = xmlHeader + "<ListBucketResult xmlns=\"\(S3Wire.namespace)\">"
    x += "<Name>" + s3XMLEscape(b.name) + "</Name><Prefix>" + s3XMLEscape(enc(prefix)) + "</Prefix>"
    if let t = q.value("continuation-token") { x += "<ContinuationToken>" + s3XMLEscape(t) + "</ContinuationToken>" }
    if let s = q.value("start-after") { x += "<StartAfter>" + s3XMLEscape(enc(s)) + "</StartAfter>" }
    if let next = page.nextContinuationToken {
      x += "<NextContinuationToken>" + encodeContinuationToken(next) + "</NextContinuationToken>"
    }
    x += "<KeyCount>\(page.keyCount)</KeyCount><MaxKeys>\(maxKeys)</MaxKeys>"
    if let d = delimiter { x += "<Delimiter>" + s3XMLEscape(enc(d)) + "</Delimiter>" }
    if url { x += "<EncodingType>url</EncodingType>" }
    x += "<IsTruncated>\(page.isTruncated)</IsTruncated>"
    let owner = q.value("fetch-owner") == "true" ? ownerXML(sim) : ""
    for o in page.contents { x += contentsXML(o, enc, owner: owner) }
    for p in page.commonPrefixes {
      x += "<CommonPrefixes><Prefix>" + s3XMLEscape(enc(p)) + "</Prefix></CommonPrefixes>"
    }
    x += "</ListBucketResult>"
    return ctx.xml(200, x)
  }

  /// ListObjects (version 1): `marker` in place of the token; NextMarker only with a delimiter
  /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html).
  func listObjectsV1(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    guard let b = sim.bucket(named: ctx.bucket) else { return ctx.noSuchBucket() }
    let q = ctx.query
    let args: ListArguments
    switch ListArguments.read(ctx) {
    case .success(let a): args = a
    case .failure(let refusal): return refusal.response
    }
    let (maxKeys, prefix, delimiter) = (args.maxKeys, args.prefix, args.delimiter)
    let marker = q.value("marker") ?? ""
    let url = args.url
    let enc = args.encode
    let page = listPage(b, prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, after: marker.isEmpty ? nil : marker)
    var x = xmlHeader + "<ListBucketResult xmlns=\"\(S3Wire.namespace)\">"
    x += "<Name>" + s3XMLEscape(b.name) + "</Name><Prefix>" + s3XMLEscape(enc(prefix)) + "</Prefix>"
    x += "<Marker>" + s3XMLEscape(enc(marker)) + "</Marker>"
    if page.isTruncated, delimiter != nil, let next = page.nextContinuationToken {
      x += "<NextMarker>" + s3XMLEscape(enc(next)) + "</NextMarker>"
    }
    x += "<MaxKeys>\(maxKeys)</MaxKeys>"
    if let d = delimiter { x += "<Delimiter>" + s3XMLEscape(enc(d)) + "</Delimiter>" }
    if url { x += "<EncodingType>url</EncodingType>" }
    x += "<IsTruncated>\(page.isTruncated)</IsTruncated>"
    let owner = ownerXML(sim)
    for o in page.contents { x += contentsXML(o, enc, owner: owner) }
    for p in page.commonPrefixes {
      x += "<CommonPrefixes><Prefix>" + s3XMLEscape(enc(p)) + "</Prefix></CommonPrefixes>"
    }
    x += "</ListBucketResult>"
    return ctx.xml(200, x)
  }

  /// What both versions of ListObjects read alike: max-keys, encoding-type, prefix, delimiter.
  struct ListArguments {
    struct Refusal: Error { var response: WireResponse }
    var maxKeys: Int
    var prefix: String
    var delimiter: String?
    /// `encoding-type=url`: keys and prefixes are answered URL-encoded.
    var url: Bool

    func encode(_ s: String) -> String { url ? urlEncode(s) : s }

    static func read(_ ctx: S3Context) -> Result<ListArguments, Refusal> {
      let q = ctx.query
      guard let maxKeys = S3Wire.parseMaxKeys(q.value("max-keys")) else {
        return .failure(
          Refusal(
            response: ctx.invalidArgument(
              "Provided max-keys not an integer or within integer range", "max-keys", q.value("max-keys") ?? "")))
      }
      if let e = q.value("encoding-type"), e != "url" {
        return .failure(
          Refusal(response: ctx.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", e)))
      }
      return .success(
        ListArguments(
          maxKeys: maxKeys, prefix: q.value("prefix") ?? "",
          delimiter: q.value("delimiter").flatMap { $0.isEmpty ? nil : $0 }, url: q.value("encoding-type") == "url"))
    }
  }

  /// A page from the bucket model; max-keys 0 answers nothing and is not truncated.
  func listPage(_ b: S3Bucket, prefix: String, delimiter: String?, maxKeys: Int, after: String?) -> Page {
    if maxKeys == 0 { return Page() }
    // `after` below the prefix starts at the prefix; the model skips keys before it.
    let p = b.list(prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, continuationToken: after)
    return Page(
      contents: p.contents, commonPrefixes: p.commonPrefixes, isTruncated: p.isTruncated,
      nextContinuationToken: p.nextContinuationToken, keyCount: p.keyCount)
  }

  struct Page {
    var contents: [S3ObjectInfo] = []
    var commonPrefixes: [String] = []
    var isTruncated = false
    var nextContinuationToken: String?
    var keyCount = 0
  }

  func contentsXML(_ o: S3ObjectInfo, _ enc: (String) -> String, owner: String) -> String {
    "<Contents><Key>" + s3XMLEscape(enc(o.key)) + "</Key><LastModified>" + s3Timestamp(o.lastModified)
      + "</LastModified><ETag>" + s3XMLEscape(o.etag) + "</ETag><Size>\(o.size)</Size>" + owner
      + "<StorageClass>STANDARD</StorageClass></Contents>"
  }

  static func parseMaxKeys(_ v: String?) -> Int? {
    guard let v else { return Limits.S3.maxKeysPerPage }
    guard let n = Int32(v), n >= 0 else { return nil }
    return min(Int(n), Limits.S3.maxKeysPerPage)
  }

  /// S3's continuation token is opaque: here the base64 of the last key returned.
  func encodeContinuationToken(_ key: String) -> String { base64(Array(key.utf8)) }
  func decodeContinuationToken(_ t: String) -> String? {
    guard let bytes = unbase64(t) else { return nil }
    return String(validating: bytes, as: UTF8.self)
  }

  func ownerID(_ sim: Simulation) -> String {
    md5Hex("owner/" + sim.topology.account) + md5Hex("canonical/" + sim.topology.account)
  }

  func ownerXML(_ sim: Simulation) -> String {
    "<Owner><ID>\(ownerID(sim))</ID><DisplayName>fanout</DisplayName></Owner>"
  }

  // MARK: Objects

  /// PutObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html): conditional
  /// writes `If-None-Match: *` (412 when the key exists) and `If-Match` (404 when it does not,
  /// 412 when its ETag differs), `Content-MD5` checked (InvalidDigest, BadDigest).
  func putObject(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    guard let b = sim.bucket(named: ctx.bucket) else { return ctx.noSuchBucket() }
    let raw: [UInt8]
    switch decodedBody(ctx.request) {
    case .failure(let e): return ctx.error(400, e.code, e.message, [])
    case .success(let body): raw = body
    }
    if raw.count > S3Wire.maxObjectBytes {
      return ctx.error(
        400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
        [("ProposedSize", String(raw.count)), ("MaxSizeAllowed", String(S3Wire.maxObjectBytes))])
    }
    guard let body = String(validating: raw, as: UTF8.self) else {
      return ctx.error(
        501, "NotImplemented", "fanout stores object bodies as UTF-8 text; this body is not valid UTF-8",
        [("Header", "Content-Type")])
    }
    if let md5 = ctx.request.header("content-md5") {
      guard let digest = unbase64(md5), digest.count == 16 else {
        return ctx.error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.", [("Content-MD5", md5)])
      }
      let actual = md5Hex(body)
      if hex(digest) != actual {
        return ctx.error(
          400, "BadDigest", "The Content-MD5 you specified did not match what we received.",
          [("ExpectedDigest", hex(digest)), ("CalculatedDigest", base64(unhex(actual)))])
      }
    }
    let existing = b.info(key: ctx.key)
    if let inm = ctx.request.header("if-none-match") {
      if inm.trimmingBlanks == "*", existing != nil { return ctx.preconditionFailed("If-None-Match") }
    }
    if let im = ctx.request.header("if-match") {
      guard let existing else { return ctx.noSuchKey() }
      if !etagMatches(im, existing.etag) { return ctx.preconditionFailed("If-Match") }
    }
    let put = sim.putObject(bucket: b, key: ctx.key, body: body)
    return ctx.empty(200, [("ETag", put.etag)])
  }

  /// GetObject and HeadObject
  /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html): the preconditions in
  /// RFC 7232's order as S3 applies them — If-Match (412), else If-Unmodified-Since (412);
  /// If-None-Match (304), else If-Modified-Since (304) — and a single byte Range (206, or 416
  /// InvalidRange past the end).
  func getObject(_ ctx: inout S3Context, _ sim: Simulation, head: Bool) -> WireResponse {
    ctx.head = head
    guard let b = sim.bucket(named: ctx.bucket) else { return ctx.noSuchBucket() }
    guard let info = b.info(key: ctx.key) else {
      if head { _ = sim.headObject(bucket: b, key: ctx.key) } else { _ = sim.getObject(bucket: b, key: ctx.key) }
      return ctx.noSuchKey()
    }
    let r = ctx.request
    let modified = info.lastModified.wholeSecond
    let validators = [("ETag", info.etag), ("Last-Modified", httpDate(info.lastModified))]
    if let im = r.header("if-match") {
      if !etagMatches(im, info.etag) { return ctx.preconditionFailed("If-Match") }
    } else if let d = r.header("if-unmodified-since").flatMap(parseHTTPDate), modified > d {
      return ctx.preconditionFailed("If-Unmodified-Since")
    }
    if let inm = r.header("if-none-match") {
      if etagMatches(inm, info.etag) { return ctx.empty(304, validators, contentLength: false) }
    } else if let d = r.header("if-modified-since").flatMap(parseHTTPDate), d <= sim.now, modified <= d {
      return ctx.empty(304, validators, contentLength: false)
    }
    let found: (body: String, info: S3ObjectInfo)?
    if head {
      found = sim.headObject(bucket: b, key: ctx.key).map { ("", $0) }
    } else {
      found = sim.getObject(bucket: b, key: ctx.key)
    }
    guard let found else { return ctx.noSuchKey() }
    var headers = [("Accept-Ranges", "bytes")] + validators
    headers.append(("Content-Type", "binary/octet-stream"))
    let bytes = Array(found.body.utf8)
    if let range = r.header("range") {
      switch parseRange(range, size: info.size) {
      case .none: break
      case .unsatisfiable:
        ctx.extraHeaders = [("Content-Range", "bytes */\(info.size)")]
        return ctx.error(
          416, "InvalidRange", "The requested range is not satisfiable",
          [("RangeRequested", range), ("ActualObjectSize", String(info.size))])
      case .bytes(let lo, let hi):
        headers.append(("Content-Range", "bytes \(lo)-\(hi)/\(info.size)"))
        headers.append(("Content-Length", String(hi - lo + 1)))
        return ctx.raw(206, headers, head ? [] : Array(bytes[lo...hi]))
      }
    }
    headers.append(("Content-Length", String(info.size)))
    return ctx.raw(200, headers, head ? [] : bytes)
  }

  /// DeleteObject: 204 whether or not the key existed
  /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html).
  func deleteObject(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    guard let b = sim.bucket(named: ctx.bucket) else { return ctx.noSuchBucket() }
    sim.deleteObject(bucket: b, key: ctx.key)
    return ctx.empty(204, [], contentLength: false)
  }

  /// CopyObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html):
  /// `x-amz-copy-source: [/]bucket/key` (URL-encoded), its `x-amz-copy-source-if-*` conditions
  /// (412 PreconditionFailed); a copy onto itself without REPLACE is InvalidRequest.
  func copyObject(_ ctx: inout S3Context, _ sim: Simulation) -> WireResponse {
    guard let b = sim.bucket(named: ctx.bucket) else { return ctx.noSuchBucket() }
    let r = ctx.request
    var source = r.header("x-amz-copy-source") ?? ""
    if let q = source.firstIndex(of: "?") { source = String(source[..<q]) }
    guard let decoded = percentDecode(source.utf8, plusIsSpace: false)
    else {
      return ctx.invalidArgument("Invalid copy source encoding", "x-amz-copy-source", source)
    }
    var s = Substring(decoded)
    if s.hasPrefix("/") { s = s.dropFirst() }
    guard let slash = s.firstIndex(of: "/"), s.index(after: slash) < s.endIndex else {
      return ctx.invalidArgument(
        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", source)
    }
    let sourceBucket = String(s[..<slash])
    let sourceKey = String(s[s.index(after: slash)...])
    guard let sb = sim.bucket(named: sourceBucket) else {
      return ctx.error(404, "NoSuchBucket", "The specified bucket does not exist", [("BucketName", sourceBucket)])
    }
    guard let info = sb.info(key: sourceKey) else {
      return ctx.error(404, "NoSuchKey", "The specified key does not exist.", [("Key", sourceKey)])
    }
    let replace = r.header("x-amz-metadata-directive")?.uppercased() == "REPLACE"
    if sourceBucket.utf8.elementsEqual(ctx.bucket.utf8), sourceKey.utf8.elementsEqual(ctx.key.utf8), !replace {
      return ctx.error(
        400, "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        [])
    }
    let modified = info.lastModified.wholeSecond
    if let im = r.header("x-amz-copy-source-if-match"), !etagMatches(im, info.etag) {
      return ctx.preconditionFailed("x-amz-copy-source-If-Match")
    }
    if let inm = r.header("x-amz-copy-source-if-none-match"), etagMatches(inm, info.etag) {
      return ctx.preconditionFailed("x-amz-copy-source-If-None-Match")
    }
    if let d = r.header("x-amz-copy-source-if-unmodified-since").flatMap(parseHTTPDate), modified > d {
      return ctx.preconditionFailed("x-amz-copy-source-If-Unmodified-Since")
    }
    if let d = r.header("x-amz-copy-source-if-modified-since").flatMap(parseHTTPDate), modified <= d {
      return ctx.preconditionFailed("x-amz-copy-source-If-Modified-Since")
    }
    guard let got = sim.getObject(bucket: sb, key: sourceKey) else { return ctx.noSuchKey() }
    let put = sim.putObject(bucket: b, key: ctx.key, body: got.body)
    let x =
      xmlHeader + "<CopyObjectResult xmlns=\"\(S3Wire.namespace)\"><LastModified>" + s3Timestamp(sim.now)
      + "</LastModified><ETag>" + s3XMLEscape(put.etag) + "</ETag></CopyObjectResult>"
    return ctx.xml(200, x)
  }

  // MARK: Bodies

  struct BodyError: Error {
    var code: String
    var message: String
  }

  /// The payload: the body, or its chunks when the SDK streams it `aws-chunked`
  /// (`x-amz-content-sha256: STREAMING-…`; https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html):
  /// `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` … `0…\r\n`, then trailers.
  func decodedBody(_ r: WireRequest) -> Result<[UInt8], BodyError> {
    let sha = r.header("x-amz-content-sha256") ?? ""
    let encoding = r.header("content-encoding") ?? ""
    guard sha.hasPrefix("STREAMING-") || encoding.contains("aws-chunked") else { return .success(r.body) }
    let b = r.body
    var out: [UInt8] = []
    var i = 0
    let bad = BodyError(code: "IncompleteBody", message: "The request body terminated unexpectedly")
    while true {
      guard let eol = crlf(b, from: i) else { return .failure(bad) }
      let line = b[i..<eol]
      let sizeText = line.prefix { $0 != UInt8(ascii: ";") }
      guard let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16), size >= 0 else {
        return .failure(bad)
      }
      i = eol + 2
      if size == 0 { break }
      guard size <= b.count - i else { return .failure(bad) }
      out += b[i..<(i + size)]
      i += size
      guard i + 2 <= b.count, b[i] == 0x0D, b[i + 1] == 0x0A else { return .failure(bad) }
      i += 2
    }
    if let declared = r.header("x-amz-decoded-content-length").flatMap({ Int($0) }), declared != out.count {
      return .failure(bad)
    }
    return .success(out)
  }

  func crlf(_ b: [UInt8], from: Int) -> Int? {
    var j = from
    while j + 1 < b.count {
      if b[j] == 0x0D, b[j + 1] == 0x0A { return j }
      j += 1
    }
    return nil
  }
}

// MARK: - A request's context and S3's answers

/// What one request answers with: its request ID, and S3's response shapes.
struct S3Context {
  var request: WireRequest
  var requestId: String
  var query = Query(pairs: [])
  var bucket = ""
  var key = ""
  var head = false
  var extraHeaders: [(name: String, value: String)] = []

  init(request: WireRequest, requestId: String) {
    self.request = request
    self.requestId = requestId
    head = request.method == "HEAD"
  }

  /// `x-amz-id-2`: S3's extended request ID (here derived from the request ID).
  var hostId: String { base64(Array(("fanout/" + requestId).utf8)) }

  var commonHeaders: [(name: String, value: String)] {
    [("x-amz-request-id", requestId), ("x-amz-id-2", hostId), ("Server", "AmazonS3")]
  }

  func raw(_ status: Int, _ headers: [(name: String, value: String)], _ body: [UInt8]) -> WireResponse {
    WireResponse(status: status, headers: commonHeaders + extraHeaders + headers, body: body)
  }

  func xml(_ status: Int, _ text: String) -> WireResponse {
    let body = Array(text.utf8)
    return raw(status, [("Content-Type", "application/xml"), ("Content-Length", String(body.count))], body)
  }

  func empty(_ status: Int, _ headers: [(name: String, value: String)], contentLength: Bool = true) -> WireResponse {
    raw(status, headers + (contentLength ? [("Content-Length", "0")] : []), [])
  }

  /// S3's error document: Code, Message, the error's own elements, RequestId, HostId. A HEAD's
  /// answer has the status and no body.
  func error(_ status: Int, _ code: String, _ message: String, _ fields: [(String, String)]) -> WireResponse {
    if head { return empty(status, [], contentLength: false) }
    var x = xmlHeader + "<Error><Code>" + code + "</Code><Message>" + s3XMLEscape(message) + "</Message>"
    for (n, v) in fields { x += "<\(n)>" + s3XMLEscape(v) + "</\(n)>" }
    x += "<RequestId>" + requestId + "</RequestId><HostId>" + hostId + "</HostId></Error>"
    return xml(status, x)
  }

  func noSuchBucket() -> WireResponse {
    error(404, "NoSuchBucket", "The specified bucket does not exist", [("BucketName", bucket)])
  }
  func noSuchKey() -> WireResponse { error(404, "NoSuchKey", "The specified key does not exist.", [("Key", key)]) }
  func preconditionFailed(_ condition: String) -> WireResponse {
    error(
      412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
      [("Condition", condition)])
  }
  func invalidArgument(_ message: String, _ name: String, _ value: String) -> WireResponse {
    error(400, "InvalidArgument", message, [("ArgumentName", name), ("ArgumentValue", value)])
  }
  func malformedXML() -> WireResponse {
    error(
      400, "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema", [])
  }
  func methodNotAllowed(_ resource: String) -> WireResponse {
    error(
      405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
      [("Method", request.method), ("ResourceType", resource)])
  }
  func notImplemented(_ what: String) -> WireResponse {
    error(
      501, "NotImplemented", "A header you provided implies functionality that is not implemented",
      [("Header", what)])
  }
}

let xmlHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

// MARK: - Texts: percent-encoding, XML, dates, ETags, ranges

/// A query string's parameters, in order; a name without `=` has the empty value.
struct Query {
  var pairs: [(name: String, value: String)]
  var names: [String] { pairs.map(\.name) }
  func has(_ n: String) -> Bool { pairs.contains { $0.name == n } }
  func value(_ n: String) -> String? { pairs.first { $0.name == n }?.value }
}

/// Parses a query string (`+` is a space there, as in a form); nil on bad percent-encoding or
/// text that is not UTF-8.
func parseQuery(_ q: String) -> Query? {
  var pairs: [(name: String, value: String)] = []
  for part in q.split(separator: "&", omittingEmptySubsequences: true) {
    let eq = part.firstIndex(of: "=")
    let rawName = eq.map { part[..<$0] } ?? part
    let rawValue = eq.map { part[part.index(after: $0)...] } ?? ""
    guard
      let n = percentDecode(rawName.utf8),
      let v = percentDecode(rawValue.utf8)
    else { return nil }
    pairs.append((n, v))
  }
  return Query(pairs: pairs)
}

/// URL-encoding for `encoding-type=url`: every byte but the unreserved ones and `/` as `%XX`.
func urlEncode(_ s: String) -> String {
  let digits = Array("0123456789ABCDEF".utf8)
  var out: [UInt8] = []
  for c in s.utf8 {
    switch c {
    case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E, 0x2F: out.append(c)
    default: out += [0x25, digits[Int(c >> 4)], digits[Int(c & 0xF)]]
    }
  }
  return String(decoding: out, as: UTF8.self)
}

/// XML text: `& < > "` escaped, and the line breaks and tab S3 writes as character references.
func s3XMLEscape(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.utf8.count)
  for ch in s.unicodeScalars {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "\r": out += "&#13;"
    case "\n": out += "&#10;"
    case "\t": out += "&#9;"
    default: out.unicodeScalars.append(ch)
    }
  }
  return out
}

func isXMLSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

/// The SigV4 credential scope's service (`Credential=AKID/20260101/us-east-1/s3/aws4_request`,
/// in the Authorization header or a presigned URL's `X-Amz-Credential`).
func sigV4Service(_ r: WireRequest) -> String? {
  var credential: Substring?
  if let auth = r.header("authorization"), let range = auth.firstRange(of: "Credential=") {
    credential = auth[range.upperBound...].prefix { $0 != "," && $0 != " " }
  } else if let q = parseQuery(r.query), let c = q.value("X-Amz-Credential") {
    credential = Substring(c)
  }
  guard let parts = credential?.split(separator: "/", omittingEmptySubsequences: false), parts.count >= 5 else {
    return nil
  }
  return String(parts[parts.count - 2])
}

/// The bucket a virtual-hosted-style host names: `bucket.s3.amazonaws.com`,
/// `bucket.s3.<region>.amazonaws.com`, `bucket.s3-<region>.amazonaws.com`, or `bucket.localhost`
/// (any port); nil for a path-style host (`s3.…`, `localhost`, an IP address).
func virtualHostBucket(_ host: String?) -> String? {
  guard var h = host?.lowercased(), !h.isEmpty else { return nil }
  if h.hasPrefix("[") { return nil }
  if let colon = h.lastIndex(of: ":") { h = String(h[..<colon]) }
  if h.hasSuffix(".amazonaws.com") {
    for marker in [".s3.", ".s3-"] {
      if let r = h.firstRange(of: marker) {
        let b = String(h[..<r.lowerBound])
        return b.isEmpty ? nil : b
      }
    }
    return nil
  }
  for suffix in [".localhost", ".localhost.localstack.cloud", ".s3.localhost.localstack.cloud"]
  where h.hasSuffix(suffix) {
    let b = String(h.dropLast(suffix.count))
    if b.isEmpty || b == "s3" { return nil }
    if b.hasSuffix(".s3") { return String(b.dropLast(3)) }
    return b
  }
  return nil
}

extension SimTime {
  /// The instant truncated to the second: S3 keeps Last-Modified to the second.
  var wholeSecond: SimTime {
    let us = microsecondsSinceEpoch
    return SimTime(microsecondsSinceEpoch: us - ((us % 1_000_000) + 1_000_000) % 1_000_000)
  }
}

/// S3's timestamps in XML: ISO 8601 with `.000Z` (S3 keeps seconds).
func s3Timestamp(_ t: SimTime) -> String { t.wholeSecond.iso8601Millis }

let weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/// RFC 1123 (RFC 7231's IMF-fixdate): `Thu, 01 Jan 2026 00:00:00 GMT`.
func httpDate(_ t: SimTime) -> String {
  let c = CivilTime(t)
  let days = Int((t.wholeSecond.microsecondsSinceEpoch / 1_000_000).floorDiv(86_400))
  let weekday = ((days % 7) + 7 + 4) % 7
  func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
  return "\(weekdayNames[weekday]), \(two(c.day)) \(monthNames[c.month - 1]) \(c.year) "
    + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
}

extension Int64 {
  func floorDiv(_ d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
}

/// Parses an IMF-fixdate; nil for anything else (S3 then ignores the condition).
func parseHTTPDate(_ s: String) -> SimTime? {
  let parts = s.split(separator: " ")
  guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", let day = Int(parts[1]),
    let month = monthNames.firstIndex(of: String(parts[2])), let year = Int(parts[3])
  else { return nil }
  let hms = parts[4].split(separator: ":")
  guard hms.count == 3, let h = Int(hms[0]), let m = Int(hms[1]), let sec = Int(hms[2]), (1...31).contains(day),
    (0...23).contains(h), (0...59).contains(m), (0...60).contains(sec), (1...9999).contains(year)
  else { return nil }
  return CivilTime.instant(year: year, month: month + 1, day: day, hour: h, minute: m, second: sec)
}

/// Whether an `If-Match`/`If-None-Match` list (`"a", "b"`, `*`, weak `W/"…"`) names the ETag.
func etagMatches(_ header: String, _ etag: String) -> Bool {
  for raw in header.split(separator: ",") {
    var t = raw.trimmingBlanks
    if t == "*" { return true }
    if t.hasPrefix("W/") { t = String(t.dropFirst(2)) }
    if !t.hasPrefix("\"") { t = "\"" + t + "\"" }
    if t == etag { return true }
  }
  return false
}

enum ByteRange: Equatable {
  case none
  case unsatisfiable
  case bytes(Int, Int)
}

/// A `Range: bytes=…` header for one range; anything else (several ranges, other units, bad
/// syntax) is ignored and the whole object answered, as S3 does.
func parseRange(_ header: String, size: Int) -> ByteRange {
  let h = header.trimmingBlanks
  guard h.hasPrefix("bytes=") else { return .none }
  let spec = h.dropFirst(6)
  guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .none }
  let a = spec[..<dash].trimmingBlanks
  let b = spec[spec.index(after: dash)...].trimmingBlanks
  if a.isEmpty {
    guard let n = Int(b), n >= 0 else { return .none }
    if n == 0 || size == 0 { return .unsatisfiable }
    return .bytes(max(0, size - n), size - 1)
  }
  guard let lo = Int(a), lo >= 0 else { return .none }
  var hi = size - 1
  if !b.isEmpty {
    guard let v = Int(b), v >= lo else { return .none }
    hi = min(v, size - 1)
  }
  if lo >= size { return .unsatisfiable }
  return .bytes(lo, hi)
}

// MARK: - Base64 and hex

let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

func base64(_ bytes: [UInt8]) -> String {
  var out: [UInt8] = []
  var i = 0
  while i < bytes.count {
    let n = min(3, bytes.count - i)
    let b0 = bytes[i]
    let b1 = n > 1 ? bytes[i + 1] : 0
    let b2 = n > 2 ? bytes[i + 2] : 0
    out.append(base64Alphabet[Int(b0 >> 2)])
    out.append(base64Alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
    out.append(n > 1 ? base64Alphabet[Int((b1 & 0xF) << 2 | b2 >> 6)] : UInt8(ascii: "="))
    out.append(n > 2 ? base64Alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
    i += 3
  }
  return String(decoding: out, as: UTF8.self)
}

func unbase64(_ s: String) -> [UInt8]? {
  var values: [UInt8] = []
  var padding = 0
  for c in s.utf8 {
    if c == UInt8(ascii: "=") {
      padding += 1
      continue
    }
    guard padding == 0, let v = base64Alphabet.firstIndex(of: c) else { return nil }
    values.append(UInt8(v))
  }
  guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
  var out: [UInt8] = []
  var i = 0
  while i + 1 < values.count {
    out.append(values[i] << 2 | values[i + 1] >> 4)
    if i + 2 < values.count { out.append((values[i + 1] & 0xF) << 4 | values[i + 2] >> 2) }
    if i + 3 < values.count { out.append((values[i + 2] & 3) << 6 | values[i + 3]) }
    i += 4
  }
  return out
}

func hex(_ bytes: [UInt8]) -> String {
  let digits = Array("0123456789abcdef".utf8)
  var out: [UInt8] = []
  for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 0xF)]] }
  return String(decoding: out, as: UTF8.self)
}

func unhex(_ s: String) -> [UInt8] {
  let u = Array(s.utf8)
  var out: [UInt8] = []
  var i = 0
  func v(_ c: UInt8) -> UInt8 { c >= 0x61 ? c - 0x61 + 10 : c - 0x30 }
  while i + 1 < u.count {
    out.append(v(u[i]) << 4 | v(u[i + 1]))
    i += 2
  }
  return out
}

// MARK: - A small XML reader

/// An element of a well-formed XML document (enough for S3's request bodies): names, attributes
/// skipped, text and children; nil for anything not well-formed.
struct XMLElement {
  var name: String
  var text = ""
  var children: [XMLElement] = []

  func child(_ n: String) -> XMLElement? { children.first { $0.name == n } }

  static func parse(_ bytes: [UInt8]) -> XMLElement? {
    var p = XMLParser(b: bytes)
    p.skipProlog()
    guard let root = p.element(depth: 0) else { return nil }
    p.skipMisc()
    return p.i == bytes.count ? root : nil
  }
}

struct XMLParser {
  let b: [UInt8]
  var i = 0

  mutating func skipSpace() { while i < b.count, isXMLSpace(b[i]) { i += 1 } }

  func starts(_ s: String) -> Bool {
    let u = Array(s.utf8)
    return i + u.count <= b.count && Array(b[i..<(i + u.count)]) == u
  }

  mutating func skip(past s: String) -> Bool {
    let u = Array(s.utf8)
    while i + u.count <= b.count {
      if Array(b[i..<(i + u.count)]) == u {
        i += u.count
        return true
      }
      i += 1
    }
    i = b.count
    return false
  }

  mutating func skipProlog() {
    skipSpace()
    if starts("<?xml") { _ = skip(past: "?>") }
    skipMisc()
  }

  mutating func skipMisc() {
    while true {
      skipSpace()
      if starts("<!--") {
        _ = skip(past: "-->")
      } else if starts("<?") {
        _ = skip(past: "?>")
      } else {
        return
      }
    }
  }

  mutating func name() -> String? {
    let start = i
    while i < b.count, !isXMLSpace(b[i]), b[i] != UInt8(ascii: ">"), b[i] != UInt8(ascii: "/"),
      b[i] != UInt8(ascii: "=")
    {
      i += 1
    }
    guard i > start else { return nil }
    return String(validating: b[start..<i], as: UTF8.self)
  }

  mutating func element(depth: Int) -> XMLElement? {
    guard depth < 32, i < b.count, b[i] == UInt8(ascii: "<") else { return nil }
    i += 1
    guard let n = name() else { return nil }
    // Attributes: name="value" or name='value'.
    while true {
      skipSpace()
      guard i < b.count else { return nil }
      if b[i] == UInt8(ascii: "/") {
        guard i + 1 < b.count, b[i + 1] == UInt8(ascii: ">") else { return nil }
        i += 2
        return XMLElement(name: n)
      }
      if b[i] == UInt8(ascii: ">") {
        i += 1
        break
      }
      guard name() != nil else { return nil }
      skipSpace()
      guard i < b.count, b[i] == UInt8(ascii: "=") else { return nil }
      i += 1
      skipSpace()
      guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else { return nil }
      let q = b[i]
      i += 1
      while i < b.count, b[i] != q { i += 1 }
      guard i < b.count else { return nil }
      i += 1
    }
    var e = XMLElement(name: n)
    var text: [UInt8] = []
    while i < b.count {
      if starts("</") {
        i += 2
        guard let close = name(), close == n else { return nil }
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: ">") else { return nil }
        i += 1
        guard let t = String(validating: text, as: UTF8.self) else { return nil }
        e.text = unescapeXML(t).trimmingCharactersXMLSpace
        return e
      }
      if starts("<!--") {
        guard skip(past: "-->") else { return nil }
        continue
      }
      if b[i] == UInt8(ascii: "<") {
        guard let c = element(depth: depth + 1) else { return nil }
        e.children.append(c)
        continue
      }
      text.append(b[i])
      i += 1
    }
    return nil
  }
}

func unescapeXML(_ s: String) -> String {
  guard s.contains("&") else { return s }
  return s.replacingOccurrences("&lt;", "<").replacingOccurrences("&gt;", ">").replacingOccurrences("&quot;", "\"")
    .replacingOccurrences("&apos;", "'").replacingOccurrences("&amp;", "&")
}

extension String {
  func replacingOccurrences(_ a: String, _ b: String) -> String {
    guard !a.isEmpty else { return self }
    var out = ""
    var rest = Substring(self)
    while let r = rest.firstRange(of: a) {
      out += rest[..<r.lowerBound]
      out += b
      rest = rest[r.upperBound...]
    }
    return out + rest
  }

  var trimmingCharactersXMLSpace: String {
    var s = Substring(self)
    while let f = s.utf8.first, isXMLSpace(f) { s = s.dropFirst() }
    while let l = s.utf8.last, isXMLSpace(l) { s = s.dropLast() }
    return String(s)
  }
}
