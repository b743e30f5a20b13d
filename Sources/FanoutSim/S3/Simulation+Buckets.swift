// MARK: - S3 commands from outside: buckets created at run time, objects put and read by clients
//
// The S3 wire protocol (`FanoutWire/S3Wire.swift`) turns an SDK's requests into these calls. Each
// is the bucket model's own operation at the current virtual time, counted as the handlers' calls
// are and emitted as the same events (`s3.put`, `s3.get`, `s3.head`, `s3.delete`), so the
// dashboard and the ledger see a client's objects as they see the functions'. Nothing here runs
// unless a client calls it: a run without clients makes the same events as before.

extension Simulation {
  /// CreateBucket: a new, empty bucket, created now. False when a bucket of that name exists (S3
  /// answers BucketAlreadyOwnedByYou, or 200 in us-east-1: the wire layer decides).
  @discardableResult
  public func createBucket(_ name: String) -> Bool {
    guard bucketByName[name] == nil else { return false }
    bucketByName[name] = buckets.count
    external.bucketCreated[buckets.count] = now
    buckets.append(S3Bucket(name: name))
    return true
  }

  /// When a bucket was created: the simulation's start for the topology's buckets.
  public func bucketCreationTime(_ name: String) -> SimTime? {
    guard let i = bucketByName[name] else { return nil }
    return external.bucketCreated[i] ?? topology.startTime
  }

  /// PutObject of a client's body: its ETag and size. The caller has checked the key (1–1,024
  /// bytes) and the preconditions.
  @discardableResult
  public func putObject(bucket b: S3Bucket, key: String, body: String) -> (etag: String, size: Int) {
    let k = b.key(key)
    let n = b.intern(body)
    let size = b.put(k, body: n, at: now)
    let etag = b.etag(n)
    emit(.s3Put(bucket: b.name, key: b.objectKey(k), etag: etag, size: size, body: body, requestID: nil))
    return (etag, size)
  }

  /// GetObject, counted: the body and its metadata, or nil (NoSuchKey, counted as a miss).
  public func getObject(bucket b: S3Bucket, key: String) -> (body: String, info: S3ObjectInfo)? {
    let k = b.key(key)
    guard let n = try? b.getBody(k) else {
      emit(.s3Get(bucket: b.name, key: b.objectKey(k), found: false, requestID: nil))
      return nil
    }
    emit(.s3Get(bucket: b.name, key: b.objectKey(k), found: true, requestID: nil))
    guard let info = b.info(key: key) else { return nil }
    return (b.body(n), info)
  }

  /// HeadObject, counted: the metadata, or nil.
  public func headObject(bucket b: S3Bucket, key: String) -> S3ObjectInfo? {
    let k = b.key(key)
    let found = b.head(k) != nil
    emit(.s3Head(bucket: b.name, key: b.objectKey(k), found: found, requestID: nil))
    return found ? b.info(key: key) : nil
  }

  /// DeleteObject, counted: whether an object was there (S3 answers 204 either way).
  @discardableResult
  public func deleteObject(bucket b: S3Bucket, key: String) -> Bool {
    let k = b.key(key)
    let existed = b.delete(k, at: now)
    emit(.s3Delete(bucket: b.name, key: b.objectKey(k), existed: existed, requestID: nil))
    return existed
  }
}
