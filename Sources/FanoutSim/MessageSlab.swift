// MARK: - Message storage

/// A queue's messages in array slots: a key is the slot in its low 32 bits and the slot's reuse
/// count above, so a stale key (a deleted message's) never finds the slot's next message. Unlike a
/// Dictionary, a lookup hashes nothing.
struct MessageSlab {
  private var slots: [StoredMessage?] = []
  private var keys: [Int64] = []
  private var free: [Int32] = []
  private(set) var count = 0

  subscript(key: Int64) -> StoredMessage? {
    get {
      let s = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
      guard key >= 0, s < keys.count, keys[s] == key else { return nil }
      return slots[s]
    }
    set {
      let s = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
      guard key >= 0, s < keys.count, keys[s] == key, slots[s] != nil else { return }
      if let v = newValue {
        slots[s] = v
      } else {
        slots[s] = nil
        keys[s] = (((key >> 32) + 1) << 32) | Int64(s)
        free.append(Int32(s))
        count -= 1
      }
    }
  }

  /// Stores a message and returns its key.
  mutating func insert(_ m: StoredMessage) -> Int64 {
    count += 1
    if let s = free.popLast() {
      slots[Int(s)] = m
      return keys[Int(s)]
    }
    slots.append(m)
    keys.append(Int64(slots.count - 1))
    return Int64(slots.count - 1)
  }

  /// Removes every message.
  mutating func removeAll() {
    for s in slots.indices where slots[s] != nil { self[keys[s]] = nil }
  }

  /// Every message with its key, in the order the messages were stored.
  var all: [(key: Int64, message: StoredMessage)] {
    var out: [(key: Int64, message: StoredMessage)] = []
    for s in slots.indices { if let m = slots[s] { out.append((keys[s], m)) } }
    return out.sorted { $0.message.serial < $1.message.serial }
  }
}
