// MARK: - S3

/// An S3 error, named as S3 names it.
public enum S3Error: Error, Equatable, CustomStringConvertible {
  case noSuchKey(String)
  case preconditionFailed(String)
  case keyTooLong(Int)
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .noSuchKey(let k): return "NoSuchKey: The specified key does not exist. (\(k))"
    case .preconditionFailed(let k):
      return "PreconditionFailed: At least one of the pre-conditions you specified did not hold (\(k))"
    case .keyTooLong(let n):
      return "KeyTooLongError: Your key is too long (\(n) bytes; at most \(Limits.S3.maxKeyBytes))"
    case .invalidArgument(let m): return "InvalidArgument: \(m)"
    }
  }
}

/// A text compared and hashed as its UTF-8 bytes, as S3 compares keys (and bodies are bytes):
/// Swift's `String ==` and hashing use canonical equivalence, which S3 does not.
struct UTF8Key: Hashable {
  let text: String
  init(_ text: String) { self.text = text }
  static func == (a: UTF8Key, b: UTF8Key) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
  func hash(into h: inout Hasher) {
    var t = text
    t.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
  }
}

/// One object's metadata; the body is interned in the bucket.
public struct S3ObjectInfo: Equatable, Sendable {
  public var key: String
  public var size: Int
  public var etag: String
  public var lastModified: SimTime
}

/// A page of ListObjectsV2.
public struct S3ListPage: Equatable, Sendable {
  public var contents: [S3ObjectInfo]
  public var commonPrefixes: [String]
  public var isTruncated: Bool
  public var nextContinuationToken: String?
  public var keyCount: Int
}

/// An S3 bucket with strong read-after-write consistency. Identical bodies are stored once.
public final class S3Bucket {
  struct Stored {
    var lastModified: SimTime
    var body: Int32
  }

  /// The objects: keys with an ID in an `IDTable`, other keys in a dictionary.
  struct ObjectStore {
    private var byID = IDTable<Stored>(placeholder: Stored(lastModified: .epoch, body: 0))
    private var byText: [UTF8Key: Stored] = [:]
    mutating func reserve(_ n: Int) { byID.reserve(n) }

    var count: Int { byID.count + byText.count }

    func prefetch(_ key: Key) {
      if case .id(let f, let hi, let lo) = key { byID.prefetch(tag: UInt32(f), hi: hi, lo: lo) }
    }

    subscript(key: Key) -> Stored? {
      switch key {
      case .id(let f, let hi, let lo): return byID[UInt32(f), hi, lo]
      case .text(let t): return byText[UTF8Key(t)]
      }
    }

    mutating func updateValue(_ v: Stored, forKey key: Key) -> Stored? {
      switch key {
      case .id(let f, let hi, let lo): return byID.update(v, tag: UInt32(f), hi: hi, lo: lo)
      case .text(let t): return byText.updateValue(v, forKey: UTF8Key(t))
      }
    }

    mutating func removeValue(forKey key: Key) -> Stored? {
      switch key {
      case .id(let f, let hi, let lo): return byID.remove(tag: UInt32(f), hi: hi, lo: lo)
      case .text(let t): return byText.removeValue(forKey: UTF8Key(t))
      }
    }

    var keys: [Key] {
      byID.all.map { Key.id(folder: Int32($0.tag), hi: $0.hi, lo: $0.lo) } + byText.keys.map { Key.text($0.text) }
    }
  }

  /// A key. `<folder>/<32 lower-case hex digits>.json` — every key the seed pipeline writes — is
  /// kept as the folder's number and the 16-byte ID, without building its text; any other key
  /// (upper-case hex among them: a different key) as its text. Both spellings of one key are the
  /// same key. Text keys compare as UTF-8 bytes, as S3 compares them: case-sensitive, and with no
  /// Unicode normalisation ("é" precomposed and "e" + U+0301 are two keys), where Swift's
  /// `String ==` would call them equal.
  /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: "The object key name
  /// consists of a sequence of Unicode characters encoded in UTF-8, with a maximum length of 1,024
  /// bytes"; "Object key names are case sensitive.")
  enum Key: Hashable {
    case id(folder: Int32, hi: UInt64, lo: UInt64)
    case text(String)

    static func == (a: Key, b: Key) -> Bool {
      switch (a, b) {
      case (.id(let f, let h, let l), .id(let g, let i, let m)): return f == g && h == i && l == m
      case (.text(let x), .text(let y)): return x.utf8.elementsEqual(y.utf8)
      default: return false
      }
    }

    func hash(into h: inout Hasher) {
      switch self {
      case .id(let f, let hi, let lo):
        h.combine(0)
        h.combine(f)
        h.combine(hi)
        h.combine(lo)
      case .text(let t): h.combine(UTF8Key(t))
      }
    }
  }

  public let name: String
  private var objects = ObjectStore()
  private var folders: [String] = []
  private var folderIndex: [UTF8Key: Int32] = [:]
  private var bodies: [String] = []
  /// Bodies by their bytes: two texts that Swift calls equal but whose bytes differ are two bodies.
  private var bodyIndex: [UTF8Key: Int32] = [:]
  private var lastInterned: Int32 = -1
  private var etags: [String?] = []
  /// Whether a body was ever put (a handler may number a body it then never writes).
  private var everStored: [Bool] = []
  private var sortedKeys: [String]?

  public private(set) var puts = 0
  public private(set) var gets = 0
  public private(set) var getMisses = 0
  public private(set) var heads = 0
  public private(set) var deletes = 0
  public private(set) var lists = 0
  /// Total bytes of the current objects.
  public private(set) var totalBytes = 0 {
    willSet { noteStorage() }
  }
  /// Bytes stored × microseconds, up to `storageClock` (S3 bills storage by GB-month).
  private var storedByteMicros = 0.0
  private var storageClock: SimTime?
  /// The time of the change being made (puts and deletes pass it).
  private var changeTime: SimTime?

  private func noteStorage() {
    guard let t = changeTime else { return }
    if let c = storageClock, t > c { storedByteMicros += Double(totalBytes) * Double((t - c).microseconds) }
    if storageClock == nil || t > storageClock! { storageClock = t }
  }

  /// Bytes stored × microseconds of virtual time up to `now`: the storage a bill counts.
  public func byteMicroseconds(now: SimTime) -> Double {
    guard let c = storageClock, now > c else { return storedByteMicros }
    return storedByteMicros + Double(totalBytes) * Double((now - c).microseconds)
  }

  init(name: String) { self.name = name }

  /// Makes room for `n` more objects keyed by request ID.
  func reserve(objects n: Int) { objects.reserve(objects.count + n) }

  /// Number of objects.
  public var objectCount: Int { objects.count }
  /// Number of distinct bodies actually stored.
  public private(set) var distinctBodies = 0

  /// The number of a folder (the key text before `/<id>.json`).
  func folder(_ text: String) -> Int32 {
    if let f = folderIndex[UTF8Key(text)] { return f }
    let f = Int32(folders.count)
    folders.append(text)
    folderIndex[UTF8Key(text)] = f
    return f
  }

  /// The key for a request ID's object in a folder.
  func key(folder: Int32, id: RequestID) -> Key { .id(folder: folder, hi: id.hi, lo: id.lo) }

  /// The text `<folder>/<name>` (just `name` in the bucket's root folder).
  func keyText(folder: Int32, name: String) -> String {
    let f = folders[Int(folder)]
    return f.isEmpty ? name : f + "/" + name
  }

  /// The canonical key for a key's text: the ID form only for exactly `<folder>/<32 lower-case
  /// hex digits>.json`, whose text it gives back byte for byte.
  func key(_ text: String) -> Key {
    let u = text.utf8
    guard u.count >= 37, u.reversed().starts(with: ".json".utf8.reversed()) else { return .text(text) }
    let hexEnd = u.index(u.endIndex, offsetBy: -5)
    let hexStart = u.index(hexEnd, offsetBy: -32)
    guard let id = RequestID(canonicalHex: Substring(text.utf8[hexStart..<hexEnd])) else { return .text(text) }
    if hexStart == u.startIndex { return .id(folder: folder(""), hi: id.hi, lo: id.lo) }
    let slash = u.index(before: hexStart)
    guard u[slash] == UInt8(ascii: "/"), slash != u.startIndex else { return .text(text) }
    return .id(folder: folder(String(text.utf8[u.startIndex..<slash])!), hi: id.hi, lo: id.lo)
  }

  /// A key's text.
  func text(_ key: Key) -> String { objectKey(key).text }

  /// The length of a key's text in UTF-8 bytes, without building it.
  func keyBytes(_ key: Key) -> Int {
    switch key {
    case .text(let t): return t.utf8.count
    case .id(let f, _, _):
      let n = folders[Int(f)].utf8.count
      return n == 0 ? 37 : n + 38
    }
  }

  /// S3's refusal of a key a call names: longer than 1,024 bytes is `KeyTooLongError`
  /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
  func refusal(_ key: Key) -> S3Error? {
    let n = keyBytes(key)
    return n > Limits.S3.maxKeyBytes ? .keyTooLong(n) : nil
  }

  /// A key as events carry it: a value whose text is made when read.
  func objectKey(_ key: Key) -> S3ObjectKey {
    switch key {
    case .text(let t): return .text(t)
    case .id(let f, let hi, let lo): return .request(folder: folders[Int(f)], id: RequestID(hi: hi, lo: lo))
    }
  }

  /// PutObject. With `ifNoneMatch` (`If-None-Match: *`) it creates only when the key is absent.
  @discardableResult
  public func put(key: String, body: String, at time: SimTime, ifNoneMatch: Bool = false) throws(S3Error) -> (
    etag: String, size: Int
  ) {
    let n = key.utf8.count
    if n > Limits.S3.maxKeyBytes { throw .keyTooLong(n) }
    if n == 0 { throw .invalidArgument("An object key must not be empty") }
    return try put(self.key(key), body: body, at: time, ifNoneMatch: ifNoneMatch)
  }

  func put(_ key: Key, body: String, at time: SimTime, ifNoneMatch: Bool = false) throws(S3Error) -> (
    etag: String, size: Int
  ) {
    if ifNoneMatch, objects[key] != nil { throw .preconditionFailed(text(key)) }
    let b = intern(body)
    return (etag(b), put(key, body: b, at: time))
  }

  /// PutObject of an interned body (see `intern`): its size. Handlers pass bodies by number, so
  /// a put copies, hashes and compares no text.
  func put(_ key: Key, body b: Int32, at time: SimTime) -> Int {
    changeTime = time
    let size = bodies[Int(b)].utf8.count
    if !everStored[Int(b)] {
      everStored[Int(b)] = true
      distinctBodies += 1
    }
    if let old = objects.updateValue(Stored(lastModified: time, body: b), forKey: key) {
      totalBytes -= bodies[Int(old.body)].utf8.count
    } else {
      sortedKeys = nil
    }
    totalBytes += size
    puts += 1
    return size
  }

  /// PutObject of an interned body with `If-None-Match: *`: only when the key is absent, else S3's
  /// 412 PreconditionFailed (the refused call still counts as a PUT).
  func putIfAbsent(_ key: Key, body b: Int32, at time: SimTime) throws(S3Error) -> Int {
    if objects[key] != nil {
      puts += 1
      throw .preconditionFailed(text(key))
    }
    return put(key, body: b, at: time)
  }

  /// Starts loading the place of a key (and of its ID's other keys) ahead of a get or put.
  func prefetch(_ key: Key) { objects.prefetch(key) }

  /// GetObject: the body, or NoSuchKey.
  public func get(key: String) throws(S3Error) -> String { try get(self.key(key)) }

  func get(_ key: Key) throws(S3Error) -> String { bodies[Int(try getBody(key))] }

  /// GetObject, answering the body's number (see `intern`).
  func getBody(_ key: Key) throws(S3Error) -> Int32 {
    gets += 1
    guard let o = objects[key] else {
      getMisses += 1
      throw .noSuchKey(text(key))
    }
    return o.body
  }

  /// The text of an interned body.
  func body(_ b: Int32) -> String { bodies[Int(b)] }

  /// HeadObject without counting a GET.
  public func info(key: String) -> S3ObjectInfo? {
    guard let o = objects[self.key(key)] else { return nil }
    return S3ObjectInfo(
      key: key, size: bodies[Int(o.body)].utf8.count, etag: etag(o.body), lastModified: o.lastModified)
  }

  /// The body without counting a GET (for views and tests).
  public func peek(key: String) -> String? { objects[self.key(key)].map { bodies[Int($0.body)] } }

  /// HeadObject of a key, counted: the object's size and ETag, or nil when there is none.
  func head(_ key: Key) -> (size: Int, etag: String)? {
    heads += 1
    guard let o = objects[key] else { return nil }
    return (bodies[Int(o.body)].utf8.count, etag(o.body))
  }

  /// DeleteObject of a key, counted: whether an object was there (S3 answers 204 either way).
  @discardableResult
  func delete(_ key: Key, at time: SimTime) -> Bool {
    changeTime = time
    deletes += 1
    guard let o = objects.removeValue(forKey: key) else { return false }
    totalBytes -= bodies[Int(o.body)].utf8.count
    sortedKeys = nil
    return true
  }

  /// DeleteObject.
  public func delete(key: String, at time: SimTime? = nil) {
    changeTime = time ?? changeTime
    if let o = objects.removeValue(forKey: self.key(key)) {
      totalBytes -= bodies[Int(o.body)].utf8.count
      sortedKeys = nil
    }
  }

  /// ListObjectsV2: keys in UTF-8 byte order, at most `maxKeys` (≤ 1,000) a page; with a
  /// delimiter, keys sharing a prefix up to it are rolled into CommonPrefixes.
  public func list(
    prefix: String = "", delimiter: String? = nil, maxKeys: Int = Limits.S3.maxKeysPerPage,
    continuationToken: String? = nil
  )
    -> S3ListPage
  {
    if sortedKeys == nil {
      sortedKeys = allKeys
    }
    let keys = sortedKeys ?? []
    let limit = max(0, min(maxKeys, Limits.S3.maxKeysPerPage))
    var start = 0
    if let token = continuationToken {
      start = lowerBound(keys, after: token)
    } else if !prefix.isEmpty {
      start = lowerBound(keys, atOrAfter: prefix)
    }
    var contents: [S3ObjectInfo] = []
    var prefixes: [String] = []
    var count = 0
    var i = start
    var lastReturned: String?
    while i < keys.count {
      let k = keys[i]
      if !k.utf8.starts(with: prefix.utf8) {
        if k.utf8.lexicographicallyPrecedes(prefix.utf8) {
          i += 1
          continue
        }
        break
      }
      if count == limit {
        return S3ListPage(
          contents: contents, commonPrefixes: prefixes, isTruncated: true, nextContinuationToken: lastReturned,
          keyCount: count)
      }
      if let d = delimiter, !d.isEmpty, let r = k.utf8.dropFirst(prefix.utf8.count).firstRange(of: d.utf8) {
        let cp = String(k.utf8[k.utf8.startIndex..<r.upperBound])!
        prefixes.append(cp)
        count += 1
        // Skip every key under this common prefix.
        var j = i + 1
        while j < keys.count, keys[j].utf8.starts(with: cp.utf8) { j += 1 }
        lastReturned = keys[j - 1]
        i = j
        continue
      }
      contents.append(info(key: k)!)
      lastReturned = k
      count += 1
      i += 1
    }
    return S3ListPage(
      contents: contents, commonPrefixes: prefixes, isTruncated: false, nextContinuationToken: nil, keyCount: count)
  }

  /// Every key in byte order.
  public var allKeys: [String] {
    objects.keys.map(text).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  private func lowerBound(_ keys: [String], atOrAfter k: String) -> Int {
    var lo = 0
    var hi = keys.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if keys[mid].utf8.lexicographicallyPrecedes(k.utf8) { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  private func lowerBound(_ keys: [String], after k: String) -> Int {
    var i = lowerBound(keys, atOrAfter: k)
    if i < keys.count, keys[i].utf8.elementsEqual(k.utf8) { i += 1 }
    return i
  }

  /// The number of a body: identical bodies are stored once.
  func intern(_ body: String) -> Int32 {
    // Handlers write the same few bodies over and over: the last one saves hashing the text.
    if lastInterned >= 0, bodies[Int(lastInterned)].utf8.elementsEqual(body.utf8) { return lastInterned }
    if let i = bodyIndex[UTF8Key(body)] {
      lastInterned = i
      return i
    }
    let i = Int32(bodies.count)
    bodies.append(body)
    etags.append(nil)
    everStored.append(false)
    bodyIndex[UTF8Key(body)] = i
    return i
  }

  /// The ETag of an interned body: its quoted MD5, computed once.
  func etag(_ b: Int32) -> String {
    if let e = etags[Int(b)] { return e }
    let e = "\"" + md5Hex(bodies[Int(b)]) + "\""
    etags[Int(b)] = e
    return e
  }
}
