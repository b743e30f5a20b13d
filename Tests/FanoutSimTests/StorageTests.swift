import Testing

@testable import FanoutSim

@Suite("Storage structures")
struct StorageTests {
  @Test("IDTable behaves as a Dictionary over random inserts, updates and removals", arguments: [1, 2, 3, 4])
  func idTableMatchesDictionary(seed: Int) {
    var rng = SimRandom(seed: UInt64(seed), stream: "test/idtable")
    var table = IDTable<Int>(placeholder: -1)
    var reference: [RequestID: Int] = [:]
    // Few distinct keys and tags, so probe runs collide and removals shift entries back.
    let keys = (0..<300).map { i in (UInt32(i % 3), RequestID(hi: rng.next(), lo: UInt64(i % 50) << 60)) }
    for step in 0..<20_000 {
      let (tag, id) = keys[Int(rng.next() % UInt64(keys.count))]
      let refKey = RequestID(hi: id.hi ^ UInt64(tag), lo: id.lo)
      if rng.chance(0.35) {
        #expect(table.remove(tag: tag, hi: id.hi, lo: id.lo) == reference.removeValue(forKey: refKey), "step \(step)")
      } else {
        #expect(table.update(step, tag: tag, hi: id.hi, lo: id.lo) == reference.updateValue(step, forKey: refKey))
      }
      #expect(table.count == reference.count)
    }
    for (tag, id) in keys {
      #expect(table[tag, id.hi, id.lo] == reference[RequestID(hi: id.hi ^ UInt64(tag), lo: id.lo)])
    }
    #expect(table.all.count == reference.count)
  }

  @Test("MessageSlab: a deleted message's key never finds the slot's next message")
  func slabKeys() {
    var slab = MessageSlab()
    func message(_ serial: Int64) -> StoredMessage {
      StoredMessage(
        messageId: UUID128(hi: 0, lo: UInt64(serial)), body: .payload(.text("m")), attributes: [], sentTime: 0,
        enqueueTime: 0, firstReceiveTime: nil, receiveCount: 0, state: .visible, until: 0, generation: 0,
        sender: .api, sourceQueue: nil, injected: false, serial: serial)
    }
    let a = slab.insert(message(1))
    slab[a] = nil
    let b = slab.insert(message(2))
    #expect(a != b)
    #expect(slab[a] == nil)
    #expect(slab[b]?.serial == 2)
    let c = slab.insert(message(3))
    #expect(slab.all.map(\.message.serial) == [2, 3])
    slab.removeAll()
    #expect(slab.count == 0 && slab[c] == nil)
  }
}
