// MARK: - The queue of scheduled jobs

/// The scheduler's priority queue: jobs come out in (time, sequence) order.
///
/// A binary min-heap in memory it owns (no copy-on-write or bounds checks on the hot path).
/// The order is one 128-bit key per job, time above sequence, kept apart from the jobs so that a
/// comparison reads 16 bytes and compiles without branches. Taking the minimum goes bottom-up:
/// the hole at the root walks down to a leaf along the smaller children (one branch-free
/// comparison a level), then the last job climbs back from there; it usually belongs near the
/// bottom. (A min-max heap, which this replaced, spent several mispredicted comparisons a level
/// keeping a maximum nobody asks for.)
final class JobHeap {
  struct Entry {
    var job: Job
    var keepsAlive: Bool
  }

  private var keys: UnsafeMutablePointer<UInt128>
  private var entries: UnsafeMutablePointer<Entry>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int = 256) {
    self.capacity = capacity
    keys = .allocate(capacity: capacity)
    entries = .allocate(capacity: capacity)
  }

  deinit {
    entries.deinitialize(count: count)
    entries.deallocate()
    keys.deallocate()
  }

  @inline(__always)
  static func key(time: SimTime, seq: UInt64) -> UInt128 {
    UInt128(UInt64(bitPattern: time.microsecondsSinceEpoch) ^ (1 << 63)) << 64 | UInt128(seq)
  }

  @inline(__always)
  static func time(ofKey key: UInt128) -> SimTime {
    SimTime(microsecondsSinceEpoch: Int64(bitPattern: UInt64(truncatingIfNeeded: key >> 64) ^ (1 << 63)))
  }

  /// The time of the next job.
  var minTime: SimTime? { count > 0 ? JobHeap.time(ofKey: keys[0]) : nil }

  func insert(_ s: Scheduled) {
    if count == capacity { grow() }
    // Locals, so that the stores below cannot make the compiler reload the pointers.
    let keys = self.keys
    let entries = self.entries
    let i = count
    count += 1
    JobHeap.climb(
      JobHeap.key(time: s.time, seq: s.seq), Entry(job: s.job, keepsAlive: s.keepsAlive), from: i, keys, entries)
  }

  /// Places a job, starting at the hole `i`, after moving down every parent that comes later.
  @inline(__always)
  private static func climb(
    _ key: UInt128, _ entry: Entry, from hole: Int, _ keys: UnsafeMutablePointer<UInt128>,
    _ entries: UnsafeMutablePointer<Entry>
  ) {
    var i = hole
    while i > 0 {
      let p = (i - 1) >> 1
      guard key < keys[p] else { break }
      keys[i] = keys[p]
      (entries + i).initialize(to: (entries + p).move())
      i = p
    }
    keys[i] = key
    (entries + i).initialize(to: entry)
  }

  @inline(__always)
  func popMin() -> Scheduled? {
    guard count > 0 else { return nil }
    let keys = self.keys
    let entries = self.entries
    let topKey = keys[0]
    let top = entries.move()
    let n = count - 1
    count = n
    if n > 0 {
      let lastKey = keys[n]
      let last = (entries + n).move()
      // Walk the hole down to a leaf along the smaller children.
      var i = 0
      while true {
        var c = 2 * i + 1
        if c >= n { break }
        if c + 1 < n { c &+= keys[c + 1] < keys[c] ? 1 : 0 }
        keys[i] = keys[c]
        (entries + i).initialize(to: (entries + c).move())
        i = c
      }
      // Then let the last job climb to its place.
      JobHeap.climb(lastKey, last, from: i, keys, entries)
    }
    let time = JobHeap.time(ofKey: topKey)
    return Scheduled(time: time, seq: UInt64(truncatingIfNeeded: topKey), job: top.job, keepsAlive: top.keepsAlive)
  }

  private func grow() {
    let biggerKeys = UnsafeMutablePointer<UInt128>.allocate(capacity: capacity * 2)
    biggerKeys.update(from: keys, count: count)
    keys.deallocate()
    keys = biggerKeys
    let biggerEntries = UnsafeMutablePointer<Entry>.allocate(capacity: capacity * 2)
    biggerEntries.moveInitialize(from: entries, count: count)
    entries.deallocate()
    entries = biggerEntries
    capacity *= 2
  }
}
