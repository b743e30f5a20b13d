import FanoutSim
import Foundation
import TermRender

// MARK: - Detail views

/// The lines of a detail view.
public func detailLines(_ d: Detail, _ m: PipelineModel) -> (title: String, lines: [String]) {
  let l = m.layout
  switch d {
  case .inject(let draft):
    let message = draft.message ?? Payload.requestRef(draft.requestID).text
    let attrs = draft.attributes.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
    var lines = [
      "Inject \(message)" + (attrs.isEmpty ? "" : "  attributes \(attrs)")
        + "   ↑↓ choose · Enter send · e message · a attributes · Esc cancel", "",
    ]
    for t in injectTargets(l) { lines.append("  " + t.label) }
    return ("Inject", lines)
  case .help:
    var lines = ["Keys"]
    for b in keyBindings { lines.append("  " + fit(b.label, 8) + b.help) }
    lines += [
      "", "Panes: pipeline map, queues (with DLQs), messages in flight, requests, S3 keys, events.",
      "The clock is virtual: it follows wall time × speed; space pauses it and . steps one event.",
      "Pausing a service disables its trigger (Enabled=false), as in AWS: its queue backs up.",
      "Breaking a service makes every invocation error: its messages come back after the",
      "visibility timeout and, after maxReceiveCount receives, move to its dead-letter queue.",
    ]
    return ("Help", lines)
  case .request(let fire):
    guard let r = m.row(fire: fire) else { return ("Request", ["(no longer kept)"]) }
    var lines = [
      "request   #\(r.fire)  \(r.id?.hex ?? "(no ID yet)")", "fired     \(r.fired.iso8601Millis)",
      "stages    " + zip(m.stages, r.stages).map { "\($0): \(stageWord($1))" }.joined(separator: "  "),
    ]
    if let c = r.completedAt { lines.append("complete  after \(formatSpan(c - r.fired))") }
    if r.collision { lines.append("COLLISION: another request got the same ID (same microsecond)") }
    if let f = r.failed { lines.append("failed    \(f)") }
    lines.append("")
    lines.append("timeline")
    let gone = r.timeline.filter { m.event(seq: $0) == nil }.count
    if gone > 0 {
      lines.append(
        "  (\(gone) earlier events are no longer kept here: `fanout trace` over an --events file has them all)")
    }
    for e in r.timeline.compactMap(m.event(seq:)) {
      for text in timelineLines(e, request: r.id) {
        lines.append("  \(clock(e.time))  +\(formatSpan(e.time - r.fired))  \(text)")
      }
    }
    return ("Request \(r.id.map { String($0.hex.prefix(12)) } ?? "#\(r.fire)")", lines)
  case .message(let id):
    var lines = ["message   \(id.text)"]
    if let f = m.inFlight[id] {
      lines += [
        "queue     \(f.queue)", "request   \(f.requestID?.hex ?? "-")", "receives  \(f.receiveCount)",
        "visible   again at \(f.visibleUntil.iso8601Millis)",
        "held by   \(f.invocation.map { "invocation #\($0)" } ?? "-")",
      ]
    } else {
      lines.append("(no longer in flight)")
    }
    lines.append("")
    lines.append("receives")
    if let r = m.receives(of: id) {
      lines.append("  \(r.count) so far: the first at \(clock(r.first)), the last at \(clock(r.last)) by \(r.consumer)")
      lines.append("  (each receive is in its request's timeline)")
    } else {
      lines.append("  none seen")
    }
    lines.append("")
    lines.append("body")
    for l in (m.body(of: id) ?? "(not seen)").split(separator: "\n", omittingEmptySubsequences: false) {
      lines.append("  " + l)
    }
    return ("Message \(id.text.prefix(8))", lines)
  case .chart(let name):
    return ("Charts: \(name)", [])
  case .queue(let name):
    guard let qi = l.queue(named: name) else { return ("Queue", []) }
    return ("Queue \(name)", queueDetail(qi, m))
  case .object(let bucket, let key):
    guard let row = m.s3.last(where: { $0.bucket == bucket && $0.key == key }) else {
      return ("Object", ["(no longer among the last \(PipelineModel.maxRows) objects written)"])
    }
    var lines = [
      "bucket         \(bucket)", "key            \(key)", "size           \(row.size) B",
      "ETag           \(row.etag)",
      "LastModified   \(row.time.iso8601Millis)", "", "content",
    ]
    for l in row.body.split(separator: "\n", omittingEmptySubsequences: false) { lines.append("  " + l) }
    return ("Object", lines)
  }
}

/// A queue's attributes (from the layout), counters (from the frame's snapshot), move tasks and
/// triggers (from the events).
func queueDetail(_ qi: Int, _ m: PipelineModel) -> [String] {
  let l = m.layout
  let q = l.queues[qi]
  let sp = q.spec
  let snap = m.snapshot.queues[qi]
  let c = snap.counters
  let redrive =
    sp.redrive.map { r in
      let arn = l.queue(named: r.deadLetterQueue).map { l.queues[$0].arn } ?? ""
      return "{\"deadLetterTargetArn\":\"\(arn)\",\"maxReceiveCount\":\(r.maxReceiveCount)}"
    } ?? "none"
  var lines = [
    "QueueArn                               \(q.arn)", "QueueUrl                               \(q.url)",
    "ApproximateNumberOfMessages            \(snap.visible)",
    "ApproximateNumberOfMessagesNotVisible  \(snap.inFlight)",
    "ApproximateNumberOfMessagesDelayed     \(snap.delayed)",
    "ApproximateAgeOfOldestMessage          \(formatSpan(snap.ageOfOldestMessage))",
    "VisibilityTimeout                      \(sp.visibilityTimeout.wholeSeconds) s",
    "DelaySeconds                           \(sp.delay.wholeSeconds) s",
    "MessageRetentionPeriod                 \(sp.messageRetentionPeriod.wholeSeconds) s",
    "MaximumMessageSize                     \(sp.maximumMessageSize) B",
    "ReceiveMessageWaitTimeSeconds          \(sp.receiveMessageWaitTime.wholeSeconds) s",
    "RedrivePolicy                          " + redrive,
    "duplicateRate (fanout)                 " + percentText(snap.duplicateRate),
  ]
  lines += [
    "", "NumberOfMessagesSent                   \(c.sent)",
    "NumberOfMessagesReceived               \(c.received)",
    "NumberOfMessagesDeleted                \(c.deleted)",
    "NumberOfEmptyReceives                  \(snap.emptyReceives)",
    "moved to DLQ / moved in                \(c.movedToDLQ) / \(c.movedIn)",
    "expired / purged                       \(c.expired) / \(c.purged)",
    "copies left (at-least-once)            \(c.duplicated)",
    "largest depth                          \(c.maxDepth)",
  ]
  for t in m.snapshot.moveTasks where t.source == qi {
    lines.append("")
    lines.append(
      "move task \(t.id): \(t.status.rawValue), \(t.moved) of \(t.total) moved to "
        + (t.destination.map { l.queues[$0].name } ?? "their source queues") + " at \(t.rate)/s"
        + (t.maxPerSecond == nil ? " (system optimised)" : ""))
  }
  for mi in q.mappings {
    let mp = l.mappings[mi]
    let ms = m.snapshot.mappings[mi]
    lines += [
      "", "trigger \(mp.name)",
      "  Enabled \(m.mappingEnabled[mi])  BatchSize \(mp.spec.batchSize)  window \(formatSpan(mp.spec.maximumBatchingWindow))",
      "  \(m.mappingTarget[mi]) pollers, \(ms.busy) invoking, \(ms.counters.throttles) throttles"
        + (mp.spec.maximumConcurrency.map { "  MaximumConcurrency \($0)" } ?? "")
        + (mp.spec.provisionedPollers.map { "  provisioned \($0.minimum)–\($0.maximum) pollers" } ?? ""),
      "  \(ms.counters.batches) batches, \(ms.counters.records) records"
        + (ms.counters.batches > 0
          ? String(format: ", %.1f a batch", Double(ms.counters.records) / Double(ms.counters.batches)) : ""),
    ]
  }
  return lines
}

func drawDetail(_ buf: inout Buffer, _ d: Detail, _ s: AppState, _ m: PipelineModel, _ g: Glyphs) {
  let (title, lines) = detailLines(d, m)
  // The whole body, between the status bar and the hint bar: nothing behind it shows through.
  let r = Rect(x: 0, y: 1, width: s.width, height: s.height - 2)
  buf.fill(r)
  if case .chart(let name) = d {
    let inner = drawBlock(&buf, r, title: title + "  (Esc closes)", focused: true, glyphs: g)
    guard let qi = m.layout.queue(named: name) else { return }
    drawChartGrid(&buf, inner, queueCharts(qi, m), columns: inner.width >= 100 ? 2 : 1, g)
    return
  }
  let inner = drawBlock(&buf, r, title: title + "  (Esc closes, ↑↓ scroll)", focused: true, glyphs: g)
  let first = min(s.detailScroll, max(0, lines.count - 1))
  if case .inject = d {
    // A chooser: the whole list, the choice highlighted.
    for (i, l) in lines.prefix(inner.height).enumerated() {
      let chosen = i - 2 == s.detailScroll
      buf.put(
        truncate(chosen ? "▶" + l.dropFirst() : l, inner.width, ellipsis: g.ellipsis), x: inner.x, y: inner.y + i,
        style: chosen ? Style(reverse: true) : .plain, clip: inner)
    }
    return
  }
  // Long lines (an event record, a body) wrap rather than being cut.
  var row = 0
  for l in lines.dropFirst(first) {
    var rest = Substring(l)
    repeat {
      guard row < inner.height else { return }
      var chunk = ""
      var w = 0
      while let c = rest.first, w + displayWidth(c) <= inner.width {
        chunk.append(c)
        w += displayWidth(c)
        rest.removeFirst()
      }
      buf.put(chunk, x: inner.x, y: inner.y + row, clip: inner)
      row += 1
      if !rest.isEmpty { rest = "    " + rest }
    } while !rest.isEmpty && rest.count > 4
  }
}

func stageWord(_ st: StageStatus) -> String {
  switch st {
  case .pending: return "pending"
  case .queued: return "queued"
  case .running: return "running"
  case .retrying: return "retrying"
  case .done: return "done"
  case .deadLetter: return "in DLQ"
  }
}

/// Where a request can be injected: every topic (its subscribers get it), every queue (as its
/// subscription would deliver it).
public func injectTargets(_ l: PipelineLayout) -> [(label: String, topic: String?, queue: String?)] {
  l.topics.map {
    ("topic \($0.name) → " + $0.subscriptions.map(\.endpointName).joined(separator: ", "), $0.name, nil)
  }
    + l.queues.map { ("queue \($0.name) only", nil, $0.name) }
}
