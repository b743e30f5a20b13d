// MARK: - DLQ redrive: StartMessageMoveTask

/// A message move task, as ListMessageMoveTasks shows it.
public struct MessageMoveTask: Sendable {
  public enum Status: String, Sendable {
    case running = "RUNNING"
    case completed = "COMPLETED"
    case cancelled = "CANCELLED"
  }
  public var id: Int
  public var source: Int
  /// nil: each message goes back to the queue it was dead-lettered from.
  public var destination: Int?
  /// MaxNumberOfMessagesPerSecond as the request gave it; nil when it was left out, as
  /// ListMessageMoveTasks shows it ("If a MaxNumberOfMessagesPerSecond has not been specified in
  /// the StartMessageMoveTask request, this field value will be NULL").
  public var maxPerSecond: Int?
  /// The rate in force for the next move: `maxPerSecond`, or the optimised rate.
  public var rate: Int
  public var status: Status
  /// Messages to move: those visible in the DLQ when the task started.
  public var total: Int
  public var moved = 0
  public var started: SimTime
}

/// The rate a message move task without MaxNumberOfMessagesPerSecond moves at. AWS: "If this
/// field is left blank, the system will optimize the rate based on the queue message backlog size,
/// which may vary throughout the duration of the message movement task" (maximum 500)
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html).
/// AWS does not say how; fanout's model, deterministic and drawing nothing: before each move the
/// rate is set to clear the source queue's visible backlog in about 10 seconds — a tenth of the
/// backlog per second, rounded up — never below 10 a second nor above AWS's 500. So a backlog of
/// 50 moves at 10/s, 2,000 starts at 200/s, 20,000 at 500/s, and the rate falls as it drains.
public enum OptimisedMoveRate {
  /// Seconds the rate aims to clear the backlog in.
  public static let clearSeconds = 10
  public static let floor = 10
  public static var ceiling: Int { Int(Limits.SQS.maxNumberOfMessagesPerSecond.range.upperBound) }

  /// Messages a second for a backlog of `backlog` visible messages.
  public static func rate(backlog: Int) -> Int {
    let wanted = (max(0, backlog) + clearSeconds - 1) / clearSeconds
    return min(ceiling, max(floor, wanted))
  }
}

extension Simulation {
  /// StartMessageMoveTask: moves the messages visible in a dead-letter queue back to their source
  /// queues (or to `destination`), at most `maxPerSecond` (1–500) a second, or, without it, at the
  /// rate the system optimises from the backlog (`OptimisedMoveRate`). Each arrives as a new
  /// message: new MessageId, new enqueue time, receive count 0.
  @discardableResult
  public func startMessageMoveTask(source: String, destination: String? = nil, maxPerSecond: Int? = nil) throws
    -> Int
  {
    guard let q = queue(named: source) else { throw UnknownName(kind: "queue", name: source) }
    guard queues.contains(where: { $0.deadLetterQueue == q.index }) else {
      throw SQSError.invalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
    }
    if let maxPerSecond, let refusal = Limits.SQS.maxNumberOfMessagesPerSecond.refusal(Int64(maxPerSecond)) {
      throw SQSError.invalidParameterValue(refusal)
    }
    if moveTasks.contains(where: { $0.source == q.index && $0.status == .running }) {
      throw SQSError.invalidParameterValue(
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
    }
    var dest: Int?
    if let d = destination {
      guard let dq = queue(named: d) else { throw UnknownName(kind: "queue", name: d) }
      dest = dq.index
    }
    let task = MessageMoveTask(
      id: moveTasks.count + 1, source: q.index, destination: dest, maxPerSecond: maxPerSecond,
      rate: maxPerSecond ?? OptimisedMoveRate.rate(backlog: q.visibleCount), status: .running, total: q.visibleCount,
      started: now)
    moveTasks.append(task)
    emit(
      .sqsMoveTask(
        task: task.id, source: q.name, destination: destination, status: "RUNNING", moved: 0, total: task.total))
    schedule(.moveTask(moveTasks.count - 1), at: now)
    return task.id
  }

  /// CancelMessageMoveTask: stops a running task; messages already moved stay moved.
  public func cancelMessageMoveTask(_ id: Int) throws {
    guard let i = moveTasks.firstIndex(where: { $0.id == id }), moveTasks[i].status == .running else {
      throw SQSError.invalidParameterValue("Task \(id) is not running.")
    }
    moveTasks[i].status = .cancelled
    let t = moveTasks[i]
    emit(
      .sqsMoveTask(
        task: t.id, source: queues[t.source].name, destination: t.destination.map { queues[$0].name },
        status: "CANCELLED", moved: t.moved, total: t.total))
  }

  /// Moves one message, then schedules the next one 1/rate later (the optimised rate is set anew
  /// from the backlog left).
  func moveOne(_ i: Int) {
    guard moveTasks[i].status == .running else { return }
    let t = moveTasks[i]
    let q = queues[t.source]
    var moved = false
    while t.moved < t.total, let (key, gen) = q.visibleOrder.popFirst() {
      guard let (state, g) = q.messages.stateAndGeneration(key), state == .visible, g == gen,
        let m = remove(q, key: key)
      else { continue }
      let target = queues[t.destination ?? m.sourceQueue ?? t.source]
      q.counters.redriven += 1
      let newId = idRng.uuid()
      enqueue(
        target, messageId: newId, body: m.body, attributes: m.attributes, size: bodySize(m.body), delay: .zero,
        sentTime: now, enqueueTime: now, sender: m.sender, injected: m.injected, chain: m.chain,
        source: "redrive:" + q.name)
      emit(
        .sqsRedrive(
          task: t.id, source: q.name, destination: target.name, oldMessageId: m.messageId, newMessageId: newId,
          requestID: m.body.requestID, copy: m.copy))
      moveTasks[i].moved += 1
      moved = true
      break
    }
    let done = !moved || moveTasks[i].moved >= t.total
    if done {
      moveTasks[i].status = .completed
      let u = moveTasks[i]
      emit(
        .sqsMoveTask(
          task: u.id, source: q.name, destination: u.destination.map { queues[$0].name }, status: "COMPLETED",
          moved: u.moved, total: u.total))
    } else {
      let rate = t.maxPerSecond ?? OptimisedMoveRate.rate(backlog: q.visibleCount)
      moveTasks[i].rate = rate
      schedule(.moveTask(i), at: now + .seconds(1) / rate)
    }
  }
}
