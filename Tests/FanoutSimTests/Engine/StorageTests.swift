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
        messageId: UUID128(hi: 0, lo: UInt64(serial)), body: .payload(.text("m")), attributes: [], sentTime: .epoch,
        enqueueTime: .epoch, firstReceiveTime: nil, receiveCount: 0, state: .visible, until: .epoch, generation: 0,
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

  @Test("MessageSlab: drop frees a message's slot and answers its state and ID; contains follows")
  func slabDrop() {
    var slab = MessageSlab()
    let m = StoredMessage(
      messageId: UUID128(hi: 7, lo: 9), body: .payload(.text("m")), attributes: [], sentTime: .epoch,
      enqueueTime: .epoch,
      firstReceiveTime: nil, receiveCount: 2, state: .inFlight, until: .epoch, generation: 1, sender: .api,
      sourceQueue: nil, injected: false, serial: 1)
    let k = slab.insert(m)
    #expect(slab.contains(k))
    #expect(slab.receiveCount(k) == 2)
    let dropped = slab.drop(k)
    #expect(dropped?.0 == .inFlight && dropped?.1 == UUID128(hi: 7, lo: 9))
    #expect(!slab.contains(k) && slab.count == 0)
    #expect(slab.drop(k) == nil, "a stale key drops nothing")
    let next = slab.insert(m)
    #expect(next != k && slab.contains(next) && !slab.contains(k))
  }

  @Test("JobHeap gives jobs in (time, sequence) order, ties in sequence order", arguments: [1, 2, 3])
  func jobHeapOrder(seed: Int) {
    var rng = SimRandom(seed: UInt64(seed), stream: "test/jobheap")
    let heap = JobHeap(capacity: 4)
    var reference: [(SimTime, UInt64)] = []
    var seq: UInt64 = 0
    var clock = SimTime(microsecondsSinceEpoch: 1_767_225_600_000_000)
    var out: [(SimTime, UInt64)] = []
    for _ in 0..<20_000 {
      if rng.chance(0.55) || reference.isEmpty {
        seq += 1
        // Few distinct offsets, so many jobs share a time.
        let t = clock + .milliseconds(Int64(rng.next() % 8))
        heap.insert(Scheduled(time: t, seq: seq, job: .load(Int(seq)), keepsAlive: true))
        reference.append((t, seq))
      } else {
        reference.sort { $0 < $1 }
        let expected = reference.removeFirst()
        let got = heap.popMin()!
        #expect(got.time == expected.0 && got.seq == expected.1)
        guard case .load(let n) = got.job, n == Int(got.seq) else {
          Issue.record("job \(got.seq) lost its payload")
          return
        }
        clock = got.time
        out.append((got.time, got.seq))
      }
      #expect(heap.count == reference.count)
    }
    #expect(zip(out, out.dropFirst()).allSatisfy { $0 < $1 })
    #expect(heap.minTime == reference.min { $0 < $1 }?.0)
  }

  @Test("A job taken out and put back comes out first again (the run loops' look-ahead)")
  func jobHeapPutBack() {
    let heap = JobHeap()
    for i in 1...5 {
      heap.insert(
        Scheduled(
          time: SimTime(microsecondsSinceEpoch: 100), seq: UInt64(i), job: .load(i), keepsAlive: i.isMultiple(of: 2)))
    }
    let first = heap.popMin()!
    heap.insert(first)
    let again = heap.popMin()!
    #expect(again.seq == 1 && again.time.microsecondsSinceEpoch == 100 && !again.keepsAlive)
    #expect((0..<4).compactMap { _ in heap.popMin()?.seq } == [2, 3, 4, 5])
    #expect(heap.popMin() == nil && heap.minTime == nil)
  }
}
