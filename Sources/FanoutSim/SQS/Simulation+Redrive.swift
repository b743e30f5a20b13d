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
  public var maxPerSecond: Int
  public var status: Status
  /// Messages to move: those visible in the DLQ when the task started.
  public var total: Int
  public var moved = 0
  public var started: SimTime
}

extension Simulation {
  /// StartMessageMoveTask: moves the messages visible in a dead-letter queue back to their source
  /// queues (or to `destination`), at most `maxPerSecond` (1–500) a second. Each arrives as a new
  /// message: new MessageId, new enqueue time, receive count 0.
  @discardableResult
  public func startMessageMoveTask(source: String, destination: String? = nil, maxPerSecond: Int = 500) throws -> Int {
    guard let q = queue(named: source) else { throw UnknownName(kind: "queue", name: source) }
    guard queues.contains(where: { $0.deadLetterQueue == q.index }) else {
      throw SQSError.invalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
    }
    if let refusal = Limits.SQS.maxNumberOfMessagesPerSecond.refusal(Int64(maxPerSecond)) {
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
      id: moveTasks.count + 1, source: q.index, destination: dest, maxPerSecond: maxPerSecond, status: .running,
      total: q.visibleCount, started: now)
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

  /// Moves one message, then schedules the next one 1/maxPerSecond later.
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
      schedule(.moveTask(i), at: now + .seconds(1) / t.maxPerSecond)
    }
  }
}
