import CFanoutSupport

// MARK: - A table keyed by digests

/// A hash table whose keys are a 128-bit digest (a request ID) plus a small tag (an S3 folder).
/// Digest bits are already uniform, so the slot comes from them directly: no SipHash per lookup,
/// which costs more than the rest of a lookup. Open addressing with linear probing and
/// backward-shift deletion. The home slot comes from the digest alone, so one ID's keys in every
/// folder share a probe run (and cache lines). The load stays at most 50%: a miss probes about
/// 2.5 slots on average (3.6 at 60%, 13 at 80%), and runs stay short although an ID's keys cluster.
struct IDTable<Value> {
  private struct Entry {
    var hi: UInt64
    var lo: UInt64
    var value: Value
    /// The key's tag plus one; 0 marks an empty slot.
    var tag: UInt32
  }

  private var entries: [Entry] = []
  private let placeholder: Value
  private(set) var count = 0

  /// A table whose empty slots hold `placeholder` (slots are not optionals, which would add a
  /// byte and its padding to every slot).
  init(placeholder: Value) { self.placeholder = placeholder }

  @inline(__always)
  private func home(_ tag: UInt32, _ hi: UInt64, _ lo: UInt64, capacity: Int) -> Int {
    let h = (lo ^ (hi >> 32)) &* 0xBF58_476D_1CE4_E5B9
    return Int(truncatingIfNeeded: h.multipliedFullWidth(by: UInt64(capacity)).high)
  }

  private func find(_ tag: UInt32, _ hi: UInt64, _ lo: UInt64) -> Int? {
    let cap = entries.count
    guard cap > 0 else { return nil }
    var i = home(tag, hi, lo, capacity: cap)
    while entries[i].tag != 0 {
      let e = entries[i]
      if e.lo == lo, e.hi == hi, e.tag == tag &+ 1 { return i }
      i += 1
      if i == cap { i = 0 }
    }
    return nil
  }

  /// Starts loading the slot where a key's probe begins, ahead of a lookup or an update.
  func prefetch(tag: UInt32, hi: UInt64, lo: UInt64) {
    let cap = entries.count
    guard cap > 0 else { return }
    let i = home(tag, hi, lo, capacity: cap)
    entries.withUnsafeBufferPointer { fanout_prefetch($0.baseAddress! + i) }
  }

  /// The value stored for a key.
  subscript(tag: UInt32, hi: UInt64, lo: UInt64) -> Value? {
    guard let i = find(tag, hi, lo) else { return nil }
    return entries[i].value
  }

  /// Stores a value, returning the one it replaced.
  @discardableResult
  mutating func update(_ value: Value, tag: UInt32, hi: UInt64, lo: UInt64) -> Value? {
    if (count + 1) * 2 > entries.count { grow(to: entries.count * 2) }
    // One probe: the key, if present, stands before the first empty slot of its run.
    let cap = entries.count
    var i = home(tag, hi, lo, capacity: cap)
    while entries[i].tag != 0 {
      if entries[i].lo == lo, entries[i].hi == hi, entries[i].tag == tag &+ 1 {
        let old = entries[i].value
        entries[i].value = value
        return old
      }
      i += 1
      if i == cap { i = 0 }
    }
    entries[i] = Entry(hi: hi, lo: lo, value: value, tag: tag &+ 1)
    count += 1
    return nil
  }

  /// Makes room for `n` keys without growing again.
  mutating func reserve(_ n: Int) {
    let needed = n * 2 + 1
    if needed > entries.count { grow(to: needed) }
  }

  /// Removes a key, returning its value.
  @discardableResult
  mutating func remove(tag: UInt32, hi: UInt64, lo: UInt64) -> Value? {
    guard var hole = find(tag, hi, lo) else { return nil }
    let old = entries[hole].value
    entries[hole] = empty
    count -= 1
    // Backward shift: move later entries of the probe run into the hole when that brings them
    // no further from home.
    let cap = entries.count
    var j = hole
    while true {
      j += 1
      if j == cap { j = 0 }
      let e = entries[j]
      if e.tag == 0 { break }
      let h = home(e.tag &- 1, e.hi, e.lo, capacity: cap)
      let distanceHole = (hole - h + cap) % cap
      let distanceJ = (j - h + cap) % cap
      if distanceHole < distanceJ {
        entries[hole] = e
        entries[j] = empty
        hole = j
      }
    }
    return old
  }

  /// Every key and value, in no particular order (callers sort).
  var all: [(tag: UInt32, hi: UInt64, lo: UInt64, value: Value)] {
    entries.filter { $0.tag != 0 }.map { ($0.tag &- 1, $0.hi, $0.lo, $0.value) }
  }

  private var empty: Entry { Entry(hi: 0, lo: 0, value: placeholder, tag: 0) }

  private mutating func place(_ e: Entry) {
    let cap = entries.count
    var i = home(e.tag &- 1, e.hi, e.lo, capacity: cap)
    while entries[i].tag != 0 {
      i += 1
      if i == cap { i = 0 }
    }
    entries[i] = e
  }

  private mutating func grow(to capacity: Int) {
    let old = entries
    entries = Array(repeating: empty, count: max(16, capacity))
    for e in old where e.tag != 0 { place(e) }
  }
}
