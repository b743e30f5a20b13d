// MARK: - An independent ledger of every message, from the event stream alone

/// Something the event stream, or the report set against it, says that cannot be: a message
/// received that is not in its queue, deleted twice, a receive count that skips, a count in the
/// report that the events do not add up to.
public struct LedgerViolation: Sendable, Equatable, CustomStringConvertible {
  /// The event where the stream diverged; nil when the report, read at the end, disagrees.
  public var seq: Int?
  public var queue: String?
  public var topic: String?
  /// The SQS message (or, for a topic, the SNS message) concerned, when there is one.
  public var messageId: String?
  public var expected: String
  public var seen: String

  public init(
    seq: Int?, queue: String? = nil, topic: String? = nil, messageId: String? = nil, expected: String, seen: String
  ) {
    self.seq = seq
    self.queue = queue
    self.topic = topic
    self.messageId = messageId
    self.expected = expected
    self.seen = seen
  }

  /// `queue q, message m, event seq n: expected …; saw …`.
  public var description: String {
    var place: [String] = []
    if let queue { place.append("queue \(queue)") }
    if let topic { place.append("topic \(topic)") }
    if let messageId { place.append("message \(messageId)") }
    place.append(seq.map { "event seq \($0)" } ?? "at the end, against the report")
    return place.joined(separator: ", ") + ": expected \(expected); saw \(seen)"
  }
}

/// One queue's books as the events tell them.
public struct LedgerBooks: Sendable, Equatable {
  public var sent = 0
  public var received = 0
  public var deleted = 0
  public var movedToDLQ = 0
  public var movedIn = 0
  public var expired = 0
  public var purged = 0
  /// Messages a move task took out of this queue (a DLQ redrive).
  public var redriven = 0
  /// Copies at-least-once delivery left in this queue (`sqs.duplicate`): they arrive like sends.
  public var duplicated = 0
  public var visible = 0
  public var inFlight = 0
  public var delayed = 0
  /// Messages still stored: visible, in flight or delayed.
  public var stored: Int { visible + inFlight + delayed }
  public init() {}
}

/// One topic's books as the events tell them.
public struct LedgerTopicBooks: Sendable, Equatable {
  public var published = 0
  /// Deliveries that arrived: an `sqs.send` from the topic, or an `sns.notify`.
  public var delivered = 0
  public var filteredOut = 0
  public var failed = 0
  /// Deliveries SNS announced it would make twice (`sns.duplicate`).
  public var duplicated = 0
  public init() {}
}

/// Keeps the books of every queue and every message from the events an observer receives, and
/// nothing else: not the simulation's counters, not its message storage. For each queue and
/// message ID it follows the message from its send (or its arrival in a dead-letter queue) to its
/// delete, expiry, purge, move to a DLQ or redrive, and its state in between (delayed, visible,
/// in flight), and it flags every sequence that cannot happen. At the end `reconcile` sets its
/// books against the run's JSON report.
///
/// A copy at-least-once delivery left (`sqs.duplicate`) is followed as a message of its own, keyed
/// by its copy number: it must copy a message just received, and it arrives in the books like a
/// send (`duplicated`), so that a duplicate is never taken for a lost or an invented message. A
/// second SNS delivery (`sns.duplicate`) adds one delivery the publish still owes.
///
/// Only the topology's redrive policies are read (configuration, not state): a receive of a
/// message that has reached maxReceiveCount, or a DLQ move before it, is a violation.
///
/// The ledger reads event seqs and IDs, never times.
public final class Ledger {
  /// At most this many violations are kept (all are counted).
  public static let keptViolations = 50

  public private(set) var violations: [LedgerViolation] = []
  public private(set) var violationCount = 0
  /// Every event observed.
  public private(set) var eventsChecked = 0
  /// Distinct SQS message IDs seen sent (a message moved to a DLQ keeps its ID).
  public private(set) var messagesTracked = 0

  public var firstViolation: LedgerViolation? { violations.first }

  private enum Place: UInt8 {
    case delayed, visible, inFlight, deleted, expired, purged, movedToDLQ, redriven

    var stored: Bool { self == .delayed || self == .visible || self == .inFlight }

    var words: String {
      switch self {
      case .delayed: return "delayed"
      case .visible: return "visible"
      case .inFlight: return "in flight"
      case .deleted: return "deleted"
      case .expired: return "expired"
      case .purged: return "purged"
      case .movedToDLQ: return "moved to its dead-letter queue"
      case .redriven: return "redriven out of the queue"
      }
    }
  }

  private struct Key: Hashable {
    var queue: Int32
    var id: UUID128
    /// 0 for the message as sent; from 1, a copy at-least-once delivery left (`sqs.duplicate`).
    var copy: UInt16 = 0
  }

  private struct Entry {
    var place: Place
    var receiveCount: Int
    /// The event that last changed the message.
    var seq: Int
  }

  private struct Delivery: Hashable {
    var topic: Int32
    var id: UUID128
    var endpoint: String
  }

  /// An outstanding publish delivery, and the publish it came from.
  private struct Outstanding {
    var count: Int
    var seq: Int
  }

  /// A send from a move task, waiting for its `sqs.redrive` (the very next event).
  private struct PendingRedrive {
    var seq: Int
    var queue: String
    var id: UUID128
    var from: String
  }

  private var queueIndex: [String: Int32] = [:]
  private var queueNames: [String] = []
  private var books: [LedgerBooks] = []
  private var topicIndex: [String: Int32] = [:]
  private var topicNames: [String] = []
  private var topicBooks: [LedgerTopicBooks] = []
  private var messages: [Key: Entry] = [:]
  private var usedIDs = Set<UUID128>()
  private var publishes = Set<Delivery>()
  private var outstanding: [Delivery: Outstanding] = [:]
  private var pendingRedrive: PendingRedrive?
  /// Messages redriven by each running move task.
  private var tasks: [Int: Int] = [:]
  private var lastSeq = 0
  /// Redrive policies by queue name: the DLQ's name and maxReceiveCount.
  private let policies: [String: (deadLetterQueue: String, maxReceiveCount: Int)]
  private let knowsTopology: Bool

  /// A ledger; with a topology it also holds receives and DLQ moves to its redrive policies.
  public init(topology: Topology? = nil) {
    var p: [String: (deadLetterQueue: String, maxReceiveCount: Int)] = [:]
    for q in topology?.queues ?? [] { if let r = q.redrive { p[q.name] = r } }
    policies = p
    knowsTopology = topology != nil
  }

  /// The books of a queue (empty books for a queue no event named).
  public func books(queue name: String) -> LedgerBooks { queueIndex[name].map { books[Int($0)] } ?? LedgerBooks() }

  /// The books of a topic.
  public func books(topic name: String) -> LedgerTopicBooks {
    topicIndex[name].map { topicBooks[Int($0)] } ?? LedgerTopicBooks()
  }

  // MARK: Events

  /// Takes the next event of the stream.
  public func observe(_ e: SimEvent) {
    eventsChecked += 1
    if e.seq != lastSeq + 1 {
      violate(seq: e.seq, expected: "event seq \(lastSeq + 1) next (seqs go up by one)", seen: "seq \(e.seq)")
    }
    lastSeq = e.seq
    if let p = pendingRedrive {
      var matched = false
      if case .sqsRedrive(_, let from, let destination, _, let new, _, _) = e.kind {
        matched = from == p.from && destination == p.queue && new == p.id
      }
      if !matched {
        violate(
          seq: e.seq, queue: p.queue, id: p.id,
          expected: "sqs.redrive from \(p.from) right after its send (seq \(p.seq))", seen: e.kind.type)
      }
      pendingRedrive = nil
    }
    switch e.kind {
    case .sqsSend(let queue, let id, let snsId, let delay, _, _, let source):
      send(e.seq, queue, id, snsId: snsId, delayed: hasDelay(delay), source: source)
    case .sqsReceive(let queue, let id, let count, _, _, let copy):
      receive(e.seq, queue, id, copy: copy, count: count)
    case .sqsVisible(let queue, let id, let reason, let copy):
      visible(e.seq, queue, id, copy: copy, reason: reason)
    case .sqsDelete(let queue, let id, let count, let copy):
      delete(e.seq, queue, id, copy: copy, count: count)
    case .sqsDLQ(let queue, let dlq, let id, let count, _, let copy):
      deadLetter(e.seq, queue, dlq, id, copy: copy, count: count)
    case .sqsExpire(let queue, let id, _, let copy):
      let q = queueNumber(queue)
      books[Int(q)].expired += 1
      take(e.seq, q, id, copy: copy, to: .expired, from: [.delayed, .visible, .inFlight], doing: "sqs.expire")
    case .sqsDuplicate(let queue, let id, let copy, let of, let count):
      duplicate(e.seq, queue, id, copy: copy, of: of, count: count)
    case .sqsPurge(let queue, let count):
      purge(e.seq, queue, count: count)
    case .sqsRedrive(let task, let from, let destination, let old, _, _, let copy):
      redrive(e.seq, task: task, from: from, destination: destination, old: old, copy: copy)
    case .sqsMoveTask(let task, let source, _, let status, let moved, _):
      moveTask(e.seq, task: task, source: source, status: status, moved: moved)
    case .snsPublish(let topic, let id, _, _, _, let matched, let filtered, _, _):
      let t = topicNumber(topic)
      topicBooks[Int(t)].published += 1
      topicBooks[Int(t)].filteredOut += filtered.count
      if !publishes.insert(Delivery(topic: t, id: id, endpoint: "")).inserted {
        violate(seq: e.seq, topic: topic, sns: id, expected: "a new message ID for each publish", seen: "it again")
      }
      for endpoint in matched {
        outstanding[Delivery(topic: t, id: id, endpoint: endpoint), default: Outstanding(count: 0, seq: e.seq)]
          .count += 1
      }
    case .snsNotify(let topic, let endpoint, let id, _, _):
      let t = topicNumber(topic)
      topicBooks[Int(t)].delivered += 1
      arrived(e.seq, t, id, endpoint: endpoint, how: "sns.notify")
    case .snsDeliveryFailed(let topic, let endpoint, let id, _):
      let t = topicNumber(topic)
      topicBooks[Int(t)].failed += 1
      arrived(e.seq, t, id, endpoint: endpoint, how: "sns.delivery_failed")
    case .snsDuplicate(let topic, let endpoint, let id):
      // A second delivery of a publish: one more to arrive, not one invented.
      let t = topicNumber(topic)
      topicBooks[Int(t)].duplicated += 1
      if !publishes.contains(Delivery(topic: t, id: id, endpoint: "")) {
        violate(seq: e.seq, topic: topic, sns: id, expected: "a duplicate of a publish", seen: "an unknown one")
      }
      outstanding[Delivery(topic: t, id: id, endpoint: endpoint), default: Outstanding(count: 0, seq: e.seq)]
        .count += 1
    default:
      break
    }
  }

  /// Whether a send's delay is above zero: the one place the ledger reads a time field.
  private func hasDelay(_ delay: SimDuration) -> Bool { delay > .zero }

  private func send(_ seq: Int, _ queue: String, _ id: UUID128, snsId: UUID128?, delayed: Bool, source: String) {
    let q = queueNumber(queue)
    books[Int(q)].sent += 1
    messagesTracked += 1
    let key = Key(queue: q, id: id)
    if let old = messages[key] {
      violate(
        seq: seq, queue: queue, id: id, expected: "a new message ID for each send",
        seen: "an ID this queue already had (seq \(old.seq), now \(old.place.words))")
      if old.place.stored { leave(q, old.place) }
    } else if !usedIDs.insert(id).inserted {
      violate(
        seq: seq, queue: queue, id: id, expected: "a new message ID for each send", seen: "an ID another queue has")
    }
    messages[key] = Entry(place: delayed ? .delayed : .visible, receiveCount: 0, seq: seq)
    if delayed { books[Int(q)].delayed += 1 } else { books[Int(q)].visible += 1 }
    if source.hasPrefix("sns:") {
      let topic = String(source.dropFirst(4))
      let t = topicNumber(topic)
      topicBooks[Int(t)].delivered += 1
      if let snsId {
        arrived(seq, t, snsId, endpoint: queue, how: "sqs.send to \(queue)")
      } else {
        violate(
          seq: seq, queue: queue, id: id, expected: "the SNS message ID of a delivery from \(topic)", seen: "none")
      }
    } else if source.hasPrefix("redrive:") {
      pendingRedrive = PendingRedrive(seq: seq, queue: queue, id: id, from: String(source.dropFirst(8)))
    }
  }

  private func receive(_ seq: Int, _ queue: String, _ id: UUID128, copy: UInt16, count: Int) {
    let q = queueNumber(queue)
    books[Int(q)].received += 1
    let key = Key(queue: q, id: id, copy: copy)
    guard var m = messages[key], m.place == .visible else {
      notStored(seq, q, id, copy: copy, doing: "sqs.receive", wanted: "visible")
      // Take the stream's word for it, so that one divergence is reported once.
      if let m = messages[key], m.place.stored { leave(q, m.place) }
      messages[key] = Entry(place: .inFlight, receiveCount: count, seq: seq)
      books[Int(q)].inFlight += 1
      return
    }
    if count != m.receiveCount + 1 {
      violate(
        seq: seq, queue: queue, id: id, expected: "receive count \(m.receiveCount + 1) (one more than before)",
        seen: "\(count)")
    }
    if let p = policies[queue], m.receiveCount >= p.maxReceiveCount {
      violate(
        seq: seq, queue: queue, id: id,
        expected:
          "a move to \(p.deadLetterQueue): received \(m.receiveCount) times, maxReceiveCount \(p.maxReceiveCount)",
        seen: "another receive")
    }
    leave(q, .visible)
    m.place = .inFlight
    m.receiveCount = count
    m.seq = seq
    messages[key] = m
    books[Int(q)].inFlight += 1
  }

  /// A receive of copy `of` left copy `copy` visible: the copy must be new, and the message it
  /// copies just received, one receive past the copy's count.
  private func duplicate(_ seq: Int, _ queue: String, _ id: UUID128, copy: UInt16, of: UInt16, count: Int) {
    let q = queueNumber(queue)
    books[Int(q)].duplicated += 1
    if let m = messages[Key(queue: q, id: id, copy: of)], m.place == .inFlight, m.receiveCount == count + 1 {
    } else {
      violate(
        seq: seq, queue: queue, id: id,
        expected: "a copy of a message just received (copy \(of) in flight, receive count \(count + 1))",
        seen: "sqs.duplicate of "
          + (messages[Key(queue: q, id: id, copy: of)].map { $0.place.words } ?? "no such message"))
    }
    let key = Key(queue: q, id: id, copy: copy)
    if let old = messages[key] {
      violate(
        seq: seq, queue: queue, id: id, expected: "a new copy number (\(copy))",
        seen: "one this queue had (seq \(old.seq), \(old.place.words))")
      if old.place.stored { leave(q, old.place) }
    }
    messages[key] = Entry(place: .visible, receiveCount: count, seq: seq)
    books[Int(q)].visible += 1
  }

  private func visible(_ seq: Int, _ queue: String, _ id: UUID128, copy: UInt16, reason: VisibleReason) {
    let q = queueNumber(queue)
    let key = Key(queue: q, id: id, copy: copy)
    let wanted: Place = reason == .delayEnded ? .delayed : .inFlight
    guard var m = messages[key], m.place == wanted else {
      notStored(seq, q, id, copy: copy, doing: "sqs.visible (\(reason.rawValue))", wanted: wanted.words)
      if let m = messages[key], m.place.stored {
        leave(q, m.place)
        messages[key]?.place = .visible
        messages[key]?.seq = seq
        books[Int(q)].visible += 1
      }
      return
    }
    leave(q, wanted)
    m.place = .visible
    m.seq = seq
    messages[key] = m
    books[Int(q)].visible += 1
  }

  private func delete(_ seq: Int, _ queue: String, _ id: UUID128, copy: UInt16, count: Int) {
    let q = queueNumber(queue)
    books[Int(q)].deleted += 1
    let key = Key(queue: q, id: id, copy: copy)
    guard let m = messages[key], m.place == .inFlight || m.place == .visible else {
      notStored(seq, q, id, copy: copy, doing: "sqs.delete", wanted: "received (in flight or visible again)")
      return
    }
    if m.receiveCount == 0 || count != m.receiveCount {
      violate(
        seq: seq, queue: queue, id: id,
        expected: m.receiveCount == 0
          ? "a receive before the delete" : "the latest receipt (receive count \(m.receiveCount))",
        seen: "a delete with receive count \(count)")
    }
    take(seq, q, id, copy: copy, to: .deleted, from: [m.place], doing: "sqs.delete")
  }

  private func deadLetter(_ seq: Int, _ queue: String, _ dlq: String, _ id: UUID128, copy: UInt16, count: Int) {
    let q = queueNumber(queue)
    let d = queueNumber(dlq)
    books[Int(q)].movedToDLQ += 1
    books[Int(d)].movedIn += 1
    let key = Key(queue: q, id: id, copy: copy)
    var carried = count
    if let m = messages[key], m.place == .visible {
      if count != m.receiveCount {
        violate(
          seq: seq, queue: queue, id: id, expected: "receive count \(m.receiveCount) carried to \(dlq)",
          seen: "\(count)")
      }
      carried = m.receiveCount
    }
    if let p = policies[queue] {
      if p.deadLetterQueue != dlq {
        violate(seq: seq, queue: queue, id: id, expected: "a move to \(p.deadLetterQueue)", seen: "a move to \(dlq)")
      } else if carried < p.maxReceiveCount {
        violate(
          seq: seq, queue: queue, id: id,
          expected: "no move to \(dlq) before \(p.maxReceiveCount) receives", seen: "a move after \(carried)")
      }
    } else if knowsTopology {
      violate(
        seq: seq, queue: queue, id: id, expected: "no move: \(queue) has no redrive policy", seen: "one to \(dlq)")
    }
    take(seq, q, id, copy: copy, to: .movedToDLQ, from: [.visible], doing: "sqs.dlq")
    let into = Key(queue: d, id: id, copy: copy)
    if let old = messages[into] {
      violate(
        seq: seq, queue: dlq, id: id, expected: "a message the dead-letter queue never had",
        seen: "one it had (seq \(old.seq), \(old.place.words))")
      if old.place.stored { leave(d, old.place) }
    }
    messages[into] = Entry(place: .visible, receiveCount: carried, seq: seq)
    books[Int(d)].visible += 1
  }

  private func purge(_ seq: Int, _ queue: String, count: Int) {
    let q = queueNumber(queue)
    books[Int(q)].purged += count
    var first: (Key, Entry)?
    var n = 0
    for (k, m) in messages where k.queue == q && m.place.stored {
      n += 1
      if first.map({ m.seq < $0.1.seq }) ?? true { first = (k, m) }
      messages[k] = Entry(place: .purged, receiveCount: m.receiveCount, seq: seq)
    }
    if n != count {
      violate(
        seq: seq, queue: queue, id: first?.0.id, expected: "a purge of the \(n) messages stored",
        seen: "a purge of \(count)")
    }
    books[Int(q)].visible = 0
    books[Int(q)].inFlight = 0
    books[Int(q)].delayed = 0
  }

  private func redrive(_ seq: Int, task: Int, from: String, destination: String, old: UUID128, copy: UInt16) {
    let q = queueNumber(from)
    _ = queueNumber(destination)
    books[Int(q)].redriven += 1
    if tasks[task] == nil {
      violate(seq: seq, queue: from, id: old, expected: "a redrive by a running move task", seen: "one by task \(task)")
    }
    tasks[task, default: 0] += 1
    take(seq, q, old, copy: copy, to: .redriven, from: [.visible], doing: "sqs.redrive")
  }

  private func moveTask(_ seq: Int, task: Int, source: String, status: String, moved: Int) {
    _ = queueNumber(source)
    if status == "RUNNING" {
      if tasks[task] != nil || moved != 0 {
        violate(seq: seq, queue: source, expected: "a new task \(task) with nothing moved", seen: "task \(task) again")
      }
      tasks[task] = 0
      return
    }
    guard let done = tasks.removeValue(forKey: task) else {
      violate(seq: seq, queue: source, expected: "task \(task) running before it is \(status)", seen: "no such task")
      return
    }
    if done != moved {
      violate(
        seq: seq, queue: source, expected: "task \(task) \(status) with \(done) moved (its sqs.redrive events)",
        seen: "\(moved) moved")
    }
  }

  /// A publish's delivery to `endpoint` arrived (or failed): one outstanding delivery fewer.
  private func arrived(_ seq: Int, _ t: Int32, _ id: UUID128, endpoint: String, how: String) {
    let d = Delivery(topic: t, id: id, endpoint: endpoint)
    guard let o = outstanding[d] else {
      violate(
        seq: seq, topic: topicNames[Int(t)], sns: id, expected: "a publish that \(endpoint) matched, not yet delivered",
        seen: how)
      return
    }
    if o.count == 1 { outstanding[d] = nil } else { outstanding[d]?.count -= 1 }
  }

  // MARK: Helpers

  /// Moves a message out of the queue's stored states.
  private func take(
    _ seq: Int, _ q: Int32, _ id: UUID128, copy: UInt16, to place: Place, from: [Place], doing: String
  ) {
    let key = Key(queue: q, id: id, copy: copy)
    guard var m = messages[key], from.contains(m.place) else {
      notStored(seq, q, id, copy: copy, doing: doing, wanted: from.map(\.words).joined(separator: " or "))
      if let m = messages[key], m.place.stored {
        leave(q, m.place)
        messages[key]?.place = place
        messages[key]?.seq = seq
      }
      return
    }
    leave(q, m.place)
    m.place = place
    m.seq = seq
    messages[key] = m
  }

  private func leave(_ q: Int32, _ place: Place) {
    switch place {
    case .visible: books[Int(q)].visible -= 1
    case .inFlight: books[Int(q)].inFlight -= 1
    case .delayed: books[Int(q)].delayed -= 1
    default: break
    }
  }

  /// Reports an event about a message that is not where the event needs it.
  private func notStored(_ seq: Int, _ q: Int32, _ id: UUID128, copy: UInt16, doing: String, wanted: String) {
    let queue = queueNames[Int(q)]
    let seen: String
    let doing = copy > 0 ? doing + " (copy \(copy))" : doing
    if let m = messages[Key(queue: q, id: id, copy: copy)] {
      let again = m.place == .deleted && doing.hasPrefix("sqs.delete") ? " (deleted twice)" : ""
      seen = "\(doing) of a message \(m.place.words) since seq \(m.seq)" + again
    } else {
      seen = "\(doing) of a message never sent to or moved into \(queue)"
    }
    violate(seq: seq, queue: queue, id: id, expected: "a message stored \(wanted) in \(queue)", seen: seen)
  }

  /// Records an invariant the simulation found broken after a job (`Simulation.invariantViolation`).
  public func note(_ broken: InvariantViolation) {
    violate(seq: nil, expected: "every invariant to hold after every job", seen: broken.description)
  }

  private func violate(
    seq: Int?, queue: String? = nil, topic: String? = nil, id: UUID128? = nil, sns: UUID128? = nil,
    expected: String, seen: String
  ) {
    violationCount += 1
    guard violations.count < Ledger.keptViolations else { return }
    violations.append(
      LedgerViolation(
        seq: seq, queue: queue, topic: topic, messageId: (id ?? sns)?.text, expected: expected, seen: seen))
  }

  private func queueNumber(_ name: String) -> Int32 {
    if let q = queueIndex[name] { return q }
    let q = Int32(queueNames.count)
    queueIndex[name] = q
    queueNames.append(name)
    books.append(LedgerBooks())
    return q
  }

  private func topicNumber(_ name: String) -> Int32 {
    if let t = topicIndex[name] { return t }
    let t = Int32(topicNames.count)
    topicIndex[name] = t
    topicNames.append(name)
    topicBooks.append(LedgerTopicBooks())
    return t
  }

  // MARK: The report

  /// Sets the ledger's books against a run's JSON report (`RunReport.json`): for every queue its
  /// counters, what it still holds (visible, in flight, delayed), and that they balance; every
  /// topic's publishes, deliveries, filtered and failed deliveries; the conservation block. When
  /// the run drained, every publish's deliveries must have arrived. Returns every violation found
  /// so far, in order (the stream's first).
  @discardableResult
  public func reconcile(reportJSON: String, drained: Bool) -> [LedgerViolation] {
    if let p = pendingRedrive {
      violate(
        seq: nil, queue: p.queue, id: p.id, expected: "sqs.redrive from \(p.from) after its send (seq \(p.seq))",
        seen: "the end of the stream")
      pendingRedrive = nil
    }
    guard let report = JSONValue.parse(reportJSON), case .object(let queues)? = report["queues"],
      case .object(let topics)? = report["topics"], let conservation = report["conservation"]
    else {
      violate(seq: nil, expected: "a JSON report with queues, topics and conservation", seen: "something else")
      return violations
    }
    var reported = Set<String>()
    for (name, r) in queues {
      reported.insert(name)
      reconcileQueue(name, r)
    }
    for name in queueNames where !reported.contains(name) {
      violate(seq: nil, queue: name, expected: "the queue in the report", seen: "events of a queue it does not list")
    }
    var reportedTopics = Set<String>()
    for (name, r) in topics {
      reportedTopics.insert(name)
      let b = books(topic: name)
      compare(queue: nil, topic: name, "published", b.published, r)
      compare(queue: nil, topic: name, "delivered", b.delivered, r)
      compare(queue: nil, topic: name, "filtered_out", b.filteredOut, r)
      compare(queue: nil, topic: name, "failed", b.failed, r)
      compare(queue: nil, topic: name, "duplicated", b.duplicated, r, absentIsZero: true)
    }
    for name in topicNames where !reportedTopics.contains(name) {
      violate(seq: nil, topic: name, expected: "the topic in the report", seen: "events of a topic it does not list")
    }
    if drained, let (d, o) = outstanding.min(by: { $0.value.seq < $1.value.seq }) {
      violate(
        seq: nil, topic: topicNames[Int(d.topic)], sns: d.id,
        expected: "its delivery to \(d.endpoint) (published at seq \(o.seq)) once the run drained",
        seen: "no sqs.send, sns.notify or sns.delivery_failed for it")
    }
    if drained, let task = tasks.keys.min() {
      violate(
        seq: nil, expected: "move task \(task) COMPLETED or CANCELLED once the run drained", seen: "still RUNNING")
    }
    let totals = [
      ("created", books.reduce(0) { $0 + $1.sent }), ("duplicated", books.reduce(0) { $0 + $1.duplicated }),
      ("deleted", books.reduce(0) { $0 + $1.deleted }),
      ("expired", books.reduce(0) { $0 + $1.expired }), ("purged", books.reduce(0) { $0 + $1.purged }),
      ("stored", books.reduce(0) { $0 + $1.stored }),
    ]
    for (key, mine) in totals {
      compare(
        queue: nil, topic: nil, key, mine, conservation, block: "conservation", absentIsZero: key == "duplicated")
    }
    if conservation["holds"] != .bool(true) {
      violate(seq: nil, expected: "conservation.holds true", seen: "\(conservation["holds"]?.compact ?? "nothing")")
    }
    return violations
  }

  private func reconcileQueue(_ name: String, _ r: JSONValue) {
    let b = books(queue: name)
    // What it still holds first: a message left over (or missing) is the one to name.
    for (key, mine) in [("visible", b.visible), ("in_flight", b.inFlight), ("delayed", b.delayed)] {
      guard let theirs = number(r[key]) else {
        violate(seq: nil, queue: name, expected: "queues.\(name).\(key) in the report", seen: "none")
        continue
      }
      guard theirs != mine else { continue }
      let place: Place = key == "visible" ? .visible : key == "in_flight" ? .inFlight : .delayed
      let extra = mine > theirs ? oldest(in: name, place) : nil
      violate(
        seq: nil, queue: name, id: extra?.id,
        expected: "queues.\(name).\(key) \(mine), as the events leave it"
          + (extra.map { " (this message \(place.words) since seq \($0.seq))" } ?? ""),
        seen: "\(theirs) in the report")
    }
    compare(queue: name, topic: nil, "sent", b.sent, r)
    compare(queue: name, topic: nil, "received", b.received, r)
    compare(queue: name, topic: nil, "deleted", b.deleted, r)
    compare(queue: name, topic: nil, "moved_to_dlq", b.movedToDLQ, r)
    compare(queue: name, topic: nil, "moved_in", b.movedIn, r)
    compare(queue: name, topic: nil, "expired", b.expired, r)
    compare(queue: name, topic: nil, "purged", b.purged, r)
    compare(queue: name, topic: nil, "duplicated", b.duplicated, r, absentIsZero: true)
    // The report has no redriven count: what its own numbers leave for it must be the events'.
    let keys = [
      "sent", "moved_in", "duplicated", "deleted", "moved_to_dlq", "expired", "purged", "visible", "in_flight",
      "delayed",
    ]
    let v = keys.map { number(r[$0]) ?? 0 }
    let redriven = v[0] + v[1] + v[2] - v[3] - v[4] - v[5] - v[6] - v[7] - v[8] - v[9]
    if redriven != b.redriven {
      violate(
        seq: nil, queue: name,
        expected: "the report's books to balance with the \(b.redriven) messages redriven out of \(name)",
        seen: "sent + moved_in + duplicated − deleted − moved_to_dlq − expired − purged − stored = \(redriven)")
    }
  }

  /// The stored message of a queue in a state whose last change came first.
  private func oldest(in queue: String, _ place: Place) -> (id: UUID128, seq: Int)? {
    guard let q = queueIndex[queue] else { return nil }
    var best: (id: UUID128, seq: Int)?
    for (k, m) in messages where k.queue == q && m.place == place {
      if best.map({ m.seq < $0.seq }) ?? true { best = (k.id, m.seq) }
    }
    return best
  }

  /// `absentIsZero`: a key the report writes only when it is above zero (the at-least-once copies).
  private func compare(
    queue: String?, topic: String?, _ key: String, _ mine: Int, _ r: JSONValue, block: String? = nil,
    absentIsZero: Bool = false
  ) {
    let path = (block ?? (queue.map { "queues.\($0)" } ?? topic.map { "topics.\($0)" } ?? "")) + "." + key
    guard let theirs = number(r[key]) ?? (absentIsZero && r[key] == nil ? 0 : nil) else {
      violate(seq: nil, queue: queue, topic: topic, expected: "\(path) in the report", seen: "none")
      return
    }
    if theirs != mine {
      violate(seq: nil, queue: queue, topic: topic, expected: "\(path) \(mine), as the events count", seen: "\(theirs)")
    }
  }

  private func number(_ v: JSONValue?) -> Int? {
    guard case .number(let d)? = v, d == d.rounded(), abs(d) < 9e15 else { return nil }
    return Int(d)
  }
}
