// MARK: - Message storage

/// A queue's messages in array slots: a key is the slot in its low 32 bits and the slot's reuse
/// count above, so a stale key (a deleted message's) never finds the slot's next message. Unlike a
/// Dictionary, a lookup hashes nothing.
struct MessageSlab {
  /// What a free slot holds: slots are not optionals, so reading a field of a stored message
  /// never copies the whole message out to test it for nil.
  private static let vacant = StoredMessage(
    messageId: UUID128(hi: 0, lo: 0), body: .payload(.text("")), attributes: [], sentTime: .epoch, enqueueTime: .epoch,
    firstReceiveTime: nil, receiveCount: 0, state: .visible, until: .epoch, generation: 0, sender: .api,
    sourceQueue: nil,
    injected: false, serial: 0)

  private var slots: [StoredMessage] = []
  /// The key of each slot's current (or next) message; a slot is in use when its key was handed
  /// out and not yet bumped by `take`.
  private var keys: [Int64] = []
  private var used: [Bool] = []
  private var free: [Int32] = []
  private(set) var count = 0

  subscript(key: Int64) -> StoredMessage? {
    get { slot(key).map { slots[$0] } }
    set {
      guard let s = slot(key) else { return }
      if let v = newValue { slots[s] = v } else { _ = take(key) }
    }
  }

  @inline(__always)
  private func slot(_ key: Int64) -> Int? {
    let s = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
    guard key >= 0, s < keys.count, keys[s] == key, used[s] else { return nil }
    return s
  }

  /// Whether a message is stored under `key`.
  func contains(_ key: Int64) -> Bool { slot(key) != nil }

  /// A message's state and generation, read in place.
  func stateAndGeneration(_ key: Int64) -> (MessageState, UInt32)? {
    guard let s = slot(key) else { return nil }
    return (slots[s].state, slots[s].generation)
  }

  /// A message's ID, read in place.
  func messageId(_ key: Int64) -> UUID128? {
    guard let s = slot(key) else { return nil }
    return slots[s].messageId
  }

  /// What a Lambda event record takes from a stored message, read in place (no copy of it).
  func recordFields(_ key: Int64) -> (
    sent: SimTime, firstReceive: SimTime?, attributes: [MessageAttribute], sender: Sender, sourceQueue: Int?
  )? {
    guard let s = slot(key) else { return nil }
    return (slots[s].sentTime, slots[s].firstReceiveTime, slots[s].attributes, slots[s].sender, slots[s].sourceQueue)
  }

  /// A message's chain of invocations (recursive loop detection), read in place.
  func recursionChain(_ key: Int64) -> RecursionChain? {
    guard let s = slot(key) else { return nil }
    return slots[s].chain
  }

  func receivedAt(_ key: Int64) -> SimTime? {
    guard let s = slot(key) else { return nil }
    return slots[s].receivedAt
  }

  func receiveCount(_ key: Int64) -> Int? {
    guard let s = slot(key) else { return nil }
    return slots[s].receiveCount
  }

  /// Changes a message in place.
  mutating func modify<R>(_ key: Int64, _ change: (inout StoredMessage) -> R) -> R? {
    guard let s = slot(key) else { return nil }
    return change(&slots[s])
  }

  private mutating func release(_ s: Int, _ key: Int64) {
    keys[s] = (((key >> 32) + 1) << 32) | Int64(s)
    used[s] = false
    free.append(Int32(s))
    count -= 1
  }

  /// Removes a message and returns it.
  mutating func take(_ key: Int64) -> StoredMessage? {
    guard let s = slot(key) else { return nil }
    release(s, key)
    var m = MessageSlab.vacant
    swap(&m, &slots[s])
    return m
  }

  /// Removes a message, returning only its state, ID and copy number (no copy of the message).
  mutating func drop(_ key: Int64) -> (MessageState, UUID128, UInt16)? {
    guard let s = slot(key) else { return nil }
    release(s, key)
    let out = (slots[s].state, slots[s].messageId, slots[s].copy)
    slots[s] = MessageSlab.vacant
    return out
  }

  /// Stores a message and returns its key.
  mutating func insert(_ m: StoredMessage) -> Int64 {
    count += 1
    if let s = free.popLast() {
      slots[Int(s)] = m
      used[Int(s)] = true
      return keys[Int(s)]
    }
    slots.append(m)
    used.append(true)
    keys.append(Int64(slots.count - 1))
    return Int64(slots.count - 1)
  }

  /// Removes every message.
  mutating func removeAll() {
    for s in slots.indices where used[s] { _ = take(keys[s]) }
  }

  /// Every message with its key, in the order the messages were stored.
  var all: [(key: Int64, message: StoredMessage)] {
    var out: [(key: Int64, message: StoredMessage)] = []
    for s in slots.indices where used[s] { out.append((keys[s], slots[s])) }
    return out.sorted { $0.message.serial < $1.message.serial }
  }
}
