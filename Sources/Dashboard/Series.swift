// MARK: - Histories: one value per virtual second, bounded

/// The last `capacity` values of something sampled once per virtual second, oldest first.
public struct Series: Sendable, Equatable {
  public let capacity: Int
  private var storage: [Double] = []
  /// Where the oldest value is, once the storage is full.
  private var head = 0

  public init(capacity: Int) { self.capacity = Swift.max(1, capacity) }

  public var count: Int { storage.count }
  public var isEmpty: Bool { storage.isEmpty }

  public mutating func append(_ v: Double) {
    if storage.count < capacity {
      storage.append(v)
    } else {
      storage[head] = v
      head = (head + 1) % capacity
    }
  }

  public mutating func removeAll() {
    storage.removeAll(keepingCapacity: true)
    head = 0
  }

  /// The values, oldest first.
  public var values: [Double] {
    storage.count < capacity ? storage : Array(storage[head...] + storage[..<head])
  }

  /// The last `n` values (fewer when there are fewer), oldest first; copies only those.
  public func last(_ n: Int) -> [Double] {
    let k = Swift.min(Swift.max(0, n), storage.count)
    guard storage.count == capacity else { return Array(storage.suffix(k)) }
    // Full: the oldest is at `head`, the newest just before it.
    var out: [Double] = []
    out.reserveCapacity(k)
    let start = (head + capacity - k) % capacity
    for i in 0..<k { out.append(storage[(start + i) % capacity]) }
    return out
  }

  /// The newest value.
  public var latest: Double? {
    guard !storage.isEmpty else { return nil }
    return storage.count < capacity ? storage.last : storage[(head + capacity - 1) % capacity]
  }
}

/// A bounded queue of the newest values: appending past the bound drops the oldest.
public struct Ring<Element>: RandomAccessCollection, MutableCollection {
  public let capacity: Int
  private var storage: [Element] = []
  private var head = 0

  /// `reserve` elements are allocated at once, so that the first appends do not grow the storage.
  public init(capacity: Int, reserve: Int = 0) {
    self.capacity = Swift.max(1, capacity)
    storage.reserveCapacity(Swift.min(reserve, self.capacity))
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { storage.count }
  public subscript(i: Int) -> Element {
    // In place both ways: reading a field of an element (a request's ID) copies nothing.
    _read { yield storage[(head + i) % storage.count] }
    set { storage[(head + i) % storage.count] = newValue }
    // In place: changing an element (a request's timeline) never copies it.
    _modify { yield &storage[(head + i) % storage.count] }
  }

  public mutating func append(_ e: consuming Element) {
    if storage.count < capacity {
      storage.append(e)
    } else {
      storage[head] = e
      head = (head + 1) % capacity
    }
  }
}

extension Ring: Sendable where Element: Sendable {}
