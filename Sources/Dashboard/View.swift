import FanoutSim
import TermRender

// MARK: - The view: state and model in, a buffer out

/// The smallest terminal the dashboard draws in.
public let minimumSize = (width: 80, height: 24)

/// Draws the whole dashboard.
public func render(_ s: AppState, _ m: PipelineModel, glyphs g: Glyphs) -> Buffer {
  var buf = Buffer(width: s.width, height: s.height)
  if s.width < minimumSize.width || s.height < minimumSize.height {
    let lines = [
      "Terminal too small: \(s.width)×\(s.height)", "fanout needs at least \(minimumSize.width)×\(minimumSize.height)",
      "(still running; q quits)",
    ]
    for (i, l) in lines.enumerated() {
      let y = s.height / 2 - 1 + i
      buf.put(
        truncate(l, s.width), x: max(0, (s.width - displayWidth(l)) / 2), y: y, style: i == 0 ? .plain.bolded : .plain)
    }
    return g.isASCII ? buf.asciified() : buf
  }
  let full = s.width >= 120 && s.height >= 40
  let lanes =
    mapLanes(m).count + m.layout.topics.reduce(0) { $0 + $1.subscriptions.filter { $0.function != nil }.count }
  let mapHeight = min(3 + max(1, lanes), full ? 10 : 6)
  let area = buf.area
  let parts = area.rows([1, mapHeight, nil, 1])
  drawStatus(&buf, parts[0], s, m, g)
  drawMap(&buf, parts[2 - 1], s, m, g)
  let body = parts[2]
  if full {
    // The widest layout adds a Charts pane on the right.
    var body = body
    if s.width >= 160, s.height >= 48 {
      let split = body.columns([nil, 58])
      body = split[0]
      drawChartsPane(&buf, split[1], s, m, g)
    }
    let rowsOf = body.rows([nil, nil, 8])
    let top = rowsOf[0].columns([body.width / 2 + 6, nil])
    let mid = rowsOf[1].columns([body.width / 2 + 6, nil])
    drawPane(&buf, .queues, top[0], s, m, g)
    drawPane(&buf, .inFlight, top[1], s, m, g)
    drawPane(&buf, .requests, mid[0], s, m, g)
    drawPane(&buf, .s3, mid[1], s, m, g)
    drawPane(&buf, .events, rowsOf[2], s, m, g)
  } else {
    // Compact: a tab strip naming every pane, the focused one below it.
    let strip = body.rows([1, nil])
    var x = strip[0].x
    for p in Pane.allCases {
      let label = " \(p.rawValue + 1) \(p.title) "
      let style = p == s.focus ? Style(fg: .cyan, bold: true, reverse: true) : Style(fg: .gray)
      x = buf.put(label, x: x, y: strip[0].y, style: style) + 1
    }
    drawPane(&buf, s.focus, strip[1], s, m, g)
  }
  // The last message, until the next key; the key hints otherwise.
  if s.message.isEmpty {
    buf.put(
      fit(hintBar(width: s.width), s.width, ellipsis: g.ellipsis), x: 0, y: parts[3].y,
      style: Style(fg: .gray, reverse: true))
  } else {
    buf.put(
      fit(s.message, s.width, ellipsis: g.ellipsis), x: 0, y: parts[3].y, style: Style(fg: .yellow, reverse: true))
  }
  if let d = s.details.last { drawDetail(&buf, d, s, m, g) }
  if let e = s.editor {
    let label: String
    switch e.purpose {
    case .requestID: label = "request ID to inject (Enter: choose where; Esc: cancel): "
    case .message: label = "message (Enter: keep; Esc: cancel): "
    case .attributes: label = "attributes, name=value, … (Enter: keep; Esc: cancel): "
    }
    let line = label + e.text + "█"
    let shown = displayWidth(line) > s.width ? "…" + String(line.suffix(s.width - 1)) : line
    buf.put(fit(shown, s.width), x: 0, y: parts[3].y, style: Style(fg: .yellow, reverse: true))
  }
  return g.isASCII ? buf.asciified() : buf
}

// MARK: Status bar and pipeline map

func clock(_ t: SimTime) -> String { String(t.iso8601Millis.dropFirst(11).dropLast()) }

func drawStatus(_ buf: inout Buffer, _ r: Rect, _ s: AppState, _ m: PipelineModel, _ g: Glyphs) {
  let t = m.snapshot
  let speed = s.speed < 1 ? String(s.speed) : String(Int(s.speed))
  let wide = r.width >= 120
  let sep = wide ? "  " : " "
  var text = (wide ? "fanout  seed \(s.seed)  " : "seed \(s.seed) ") + "\(clock(m.now))\(sep)×\(speed)\(sep)"
  text += s.paused ? "\(g.pause) paused" : (wide ? "▶ running" : "▶")
  if s.lagging, !s.paused { text += wide ? " (can't keep up at ×\(speed))" : " LAG" }
  if let live = s.live { text += wide ? "\(sep)live \(live)" : " live" }
  let inFlight = m.queueCounts.reduce(0) { $0 + $1.inFlight }
  text += "\(sep)fired \(t.fired)\(sep)done \(t.completed)\(sep)failed \(t.failed)\(sep)"
  text += "\(wide ? "in flight" : "flight") \(inFlight)\(sep)S3 \(t.buckets.reduce(0) { $0 + $1.objects })"
  if wide { text += "  notified \(m.notifications)" }
  // What the run has cost so far, and its rate an hour of virtual time when there is room.
  text += "\(sep)\(formatUSD(t.costUSD))"
  if wide, let rate = t.costPerHourUSD {
    let withRate = text + " (\(formatUSD(rate))/h)"
    if displayWidth(withRate) <= r.width { text = withRate }
  }
  if t.collisions > 0 { text += "\(sep)collisions \(t.collisions)" }
  buf.fill(r, Cell(" ", Style(reverse: true)))
  buf.put(
    truncate(text, r.width, ellipsis: g.ellipsis), x: r.x, y: r.y, style: Style(reverse: true, underline: false).bolded)
}

/// One lane of the map: a queue, the topic that feeds it (if any), the function its trigger
/// invokes (if any).
struct MapLane: Equatable {
  var topic: Int?
  var queue: Int
  var mapping: Int?
}

/// The map's lanes, for any topology: every queue a topic delivers to, in topic and subscription
/// order, then every other queue a trigger reads; dead-letter queues show in their source's lane.
func mapLanes(_ m: PipelineModel) -> [MapLane] {
  let l = m.layout
  var lanes: [MapLane] = []
  var seen = Set<Int>()
  func mapping(of q: Int) -> Int? { l.queues[q].mappings.first }
  for (ti, t) in l.topics.enumerated() {
    for sub in t.subscriptions {
      guard let q = sub.queue, !seen.contains(q) else { continue }
      seen.insert(q)
      lanes.append(MapLane(topic: ti, queue: q, mapping: mapping(of: q)))
    }
  }
  for (qi, q) in l.queues.enumerated() where !seen.contains(qi) && !q.mappings.isEmpty {
    seen.insert(qi)
    lanes.append(MapLane(topic: nil, queue: qi, mapping: q.mappings.first))
  }
  return lanes
}

/// Where a function's handler sends its results, for the map: topics and queues by name.
func outputNames(_ f: PipelineLayout.Function, _ l: PipelineLayout) -> [String] {
  f.outputs.topics.map { l.topics[$0].name } + f.outputs.queues.map { "queue " + l.queues[$0].name }
}

func drawMap(_ buf: inout Buffer, _ r: Rect, _ s: AppState, _ m: PipelineModel, _ g: Glyphs) {
  let inner = drawBlock(&buf, r, title: "Pipeline", glyphs: g)
  guard inner.height > 0 else { return }
  let l = m.layout
  let snap = m.snapshot
  var head: String
  var fedByEntry = Set<Int>()
  if let e = l.entryFunction {
    let f = l.functions[e]
    fedByEntry = Set(f.outputs.topics)
    let outs = f.outputs.topics.map { "\(l.topics[$0].name) [\(snap.topics[$0].published) published]" }
    head = "λ \(f.name) ×\(m.running[e]) \(g.arrow) " + (outs.isEmpty ? "(no topic)" : outs.joined(separator: ", "))
  } else {
    head = "(no entry function: requests come from the timeline)"
  }
  // The other topics, with what they did.
  for (ti, t) in l.topics.enumerated() where !fedByEntry.contains(ti) {
    let c = snap.topics[ti]
    let sinks = t.subscriptions.contains { $0.queue == nil && $0.function == nil }
    head +=
      "    \(t.name) [\(c.published) published" + (sinks ? ", \(m.notifications(topic: ti)) notified" : "") + "]"
  }
  buf.put(head, x: inner.x, y: inner.y, clip: inner)
  let lanes = mapLanes(m)
  // Functions a topic invokes asynchronously (protocol lambda): a lane each, after the queues'.
  var asyncLanes: [(topic: Int, function: Int)] = []
  for (ti, t) in l.topics.enumerated() {
    for sub in t.subscriptions {
      if let f = sub.function { asyncLanes.append((ti, f)) }
    }
  }
  // The feeding topic is named when lanes come from more than one place.
  let namesTopic = Set(lanes.map(\.topic) + asyncLanes.map { Optional($0.topic) }).count > 1
  let room = inner.height - 1
  let total = lanes.count + asyncLanes.count
  for (j, a) in asyncLanes.enumerated() where lanes.count + j < room {
    let i = lanes.count + j
    let y = inner.y + 1 + i
    if i == room - 1, total > room {
      buf.put("  … \(total - i) more lanes", x: inner.x, y: y, style: .fg(.gray), clip: inner)
      break
    }
    var x = buf.put(
      "  " + (i == total - 1 ? g.bottomLeft : g.vertical) + g.arrow + " ", x: inner.x, y: y, style: .fg(.gray),
      clip: inner)
    if namesTopic {
      x = buf.put(fit(l.topics[a.topic].name, 10) + " " + g.arrow + " ", x: x, y: y, style: .fg(.gray), clip: inner)
    }
    let f = l.functions[a.function]
    let c = snap.functions[a.function].async
    let failing = m.failing[a.function]
    x = buf.put(
      "λ \(f.name) ×\(m.running[a.function])", x: x, y: y, style: failing ? .fg(.red) : .fg(.green), clip: inner)
    buf.put(
      " async: queued \(pad(c.queued, 4)) retries \(pad(c.retries, 3)) dropped \(pad(c.dropped, 3))", x: x, y: y,
      style: c.dropped > 0 ? .fg(.red) : .plain, clip: inner)
  }
  for (i, lane) in lanes.enumerated() where i < room {
    let y = inner.y + 1 + i
    if i == room - 1, total > room {
      buf.put("  … \(total - i) more lanes", x: inner.x, y: y, style: .fg(.gray), clip: inner)
      break
    }
    let last = i == total - 1
    var x = buf.put(
      "  " + (last ? g.bottomLeft : g.vertical) + g.arrow + " ", x: inner.x, y: y, style: .fg(.gray), clip: inner)
    if namesTopic {
      let from = lane.topic.map { l.topics[$0].name } ?? "sent"
      x = buf.put(fit(from, 10) + " " + g.arrow + " ", x: x, y: y, style: .fg(.gray), clip: inner)
    }
    let q = l.queues[lane.queue]
    let c = m.queueCounts[lane.queue]
    let dlq = q.deadLetterQueue.map { m.queueCounts[$0].depth } ?? 0
    x = buf.put(fit(q.name, 10), x: x, y: y, style: .plain.bolded, clip: inner)
    x = buf.put(
      " visible \(pad(c.visible, 4)) in flight \(pad(c.inFlight, 3)) DLQ \(pad(dlq, 3)) ", x: x, y: y,
      style: dlq > 0 ? .fg(.red) : .plain, clip: inner)
    guard let mi = lane.mapping else {
      buf.put("(no trigger)", x: x, y: y, style: .fg(.gray), clip: inner)
      continue
    }
    x = buf.put(g.arrow + " ", x: x, y: y, style: .fg(.gray), clip: inner)
    let fi = l.mappings[mi].function
    let f = l.functions[fi]
    let paused = !m.mappingEnabled[mi]
    let failing = m.failing[fi]
    x = buf.put(
      "λ \(f.name) ×\(m.running[fi])", x: x, y: y, style: paused ? .fg(.yellow) : (failing ? .fg(.red) : .fg(.green)),
      clip: inner)
    if paused { x = buf.put(" \(g.pause) PAUSED", x: x, y: y, style: Style(fg: .yellow, bold: true), clip: inner) }
    if failing { x = buf.put(" \(g.cross) FAILING", x: x, y: y, style: Style(fg: .red, bold: true), clip: inner) }
    // Where its results go, when that is not the one topic every service publishes to.
    let outs = outputNames(f, l)
    if namesTopic || !f.outputs.queues.isEmpty, !outs.isEmpty {
      buf.put(" \(g.arrow) " + outs.joined(separator: ", "), x: x, y: y, style: .fg(.gray), clip: inner)
    }
  }
}

func pad(_ n: Int, _ w: Int) -> String { fit(String(n), w, right: true) }

// MARK: Panes

/// How many rows a pane has.
public func paneRowCount(_ p: Pane, _ m: PipelineModel) -> Int {
  switch p {
  case .queues: return m.layout.queues.count
  case .inFlight: return m.inFlightCount
  case .requests: return m.requests.count
  case .s3: return m.s3.count
  case .events: return m.eventLineCount
  }
}

/// The first `limit` rows of a pane, newest first where that applies (only what can be seen is
/// built: a frame must stay cheap however long the lists get).
///
/// `width` is the pane's inner width: the Queues pane's depth history fills what its other
/// columns leave.
public func paneRows(_ p: Pane, _ s: AppState, _ m: PipelineModel, _ g: Glyphs, limit: Int = .max, width: Int = 0)
  -> (columns: [Column], rows: [Row])
{
  let l = m.layout
  switch p {
  case .queues:
    let cols = [
      Column("queue", 13), Column("vis", 4, right: true), Column("flight", 6, right: true),
      Column("dly", 3, right: true), Column("oldest", 6, right: true), Column("in/s", 5, right: true),
      Column("rcv/s", 5, right: true), Column("del/s", 5, right: true), Column("depth", nil),
    ]
    // The fixed columns and their separators take 55 cells; the history takes the rest.
    let historyWidth = width > 0 ? max(0, width - 55) : 8
    let rows = l.queues.indices.map { i -> Row in
      let q = l.queues[i]
      let c = m.queueCounts[i]
      let r = m.rates(queue: i)
      let style: Style = q.isDeadLetterQueue ? (c.depth > 0 ? .fg(.red) : .fg(.gray)) : .plain
      return Row(
        [
          q.name, String(c.visible), String(c.inFlight), String(c.delayed),
          c.depth == 0 ? "-" : formatSpan(m.snapshot.queues[i].ageOfOldestMessage), rate(r.sent), rate(r.received),
          rate(r.deleted), sparklineText(m.depthHistory(queue: i, last: historyWidth), width: historyWidth, glyphs: g),
        ], style: style)
    }
    return (cols, rows)
  case .inFlight:
    let cols = [
      Column("queue", 10), Column("message", 8), Column("request", 8), Column("rc", 2, right: true),
      Column("visibility left", 16), Column("λ#", nil),
    ]
    let rows = inFlightList(m).prefix(limit).map { f -> Row in
      let vt = l.queue(named: f.queue).map { l.queues[$0].spec.visibilityTimeout } ?? .microseconds(1)
      let left = max(.zero, f.visibleUntil - m.now)
      let bar =
        gaugeText(fraction: Double(left.microseconds) / Double(max(1, vt.microseconds)), width: 9, glyphs: g) + " "
        + fit(formatSpan(left), 6, right: true)
      return Row(
        [
          f.queue, String(f.messageId.text.prefix(8)), f.requestID.map { String($0.hex.prefix(8)) } ?? "-",
          String(f.receiveCount), bar, f.invocation.map { "#\($0)" } ?? "-",
        ], style: f.receiveCount > 1 ? .fg(.yellow) : .plain)
    }
    return (cols, rows)
  case .requests:
    var cols = [Column("request", 10), Column("fired", 12)]
    for st in m.stages { cols.append(Column(st, 9)) }
    cols += [Column("e2e", 7, right: true), Column("", nil)]
    let rows = m.requests.reversed().prefix(limit).map { r -> Row in
      var cells = [r.id.map { String($0.hex.prefix(10)) } ?? "…", clock(r.fired)]
      cells += r.stages.map { stageText($0, g) }
      cells.append(r.completedAt.map { formatSpan($0 - r.fired) } ?? "")
      var flags = ""
      if r.collision { flags += "COLLISION " }
      if let f = r.failed { flags += "failed: \(f)" }
      cells.append(flags)
      let style: Style =
        r.failed != nil || r.stages.contains(.deadLetter)
        ? .fg(.red) : (r.collision ? .fg(.magenta) : (r.completedAt != nil ? .fg(.green) : .plain))
      return Row(cells, style: style)
    }
    return (cols, rows)
  case .s3:
    let cols = [Column("key", nil), Column("size", 4, right: true), Column("etag", 8), Column("written", 12)]
    let keyWidth = max(8, (s.width >= 120 && s.height >= 40 ? s.width / 2 - 8 : s.width - 2) - 4 - 8 - 12 - 3)
    let rows = m.s3.reversed().prefix(limit).map {
      Row([shortKey($0.key, keyWidth), String($0.size), String($0.etag.dropFirst().prefix(8)), clock($0.time)])
    }
    return (cols, rows)
  case .events:
    let cols = [Column("time", 12), Column("type", 18), Column("", nil)]
    let shown = Swift.min(limit, m.eventLineCount)
    let rows = (0..<shown).map { m.history[m.history.count - 1 - $0] }.map { e -> Row in
      let type = e.kind.type
      let style: Style = eventStyleIsAlarm(e) ? .fg(.red) : (type == "sns.notify" ? .fg(.cyan) : .plain)
      return Row([clock(e.time), type, eventSummary(e)], style: style)
    }
    return (cols, rows)
  }
}

/// In-flight messages in a stable order: by queue, then receive time, then ID.
public func inFlightList(_ m: PipelineModel) -> [InFlightRow] {
  m.inFlightRows().sorted { ($0.queue, $0.receivedAt, $0.messageId) < ($1.queue, $1.receivedAt, $1.messageId) }
}

func drawPane(_ buf: inout Buffer, _ p: Pane, _ r: Rect, _ s: AppState, _ m: PipelineModel, _ g: Glyphs) {
  let total = paneRowCount(p, m)
  let (cols, rows) = paneRows(p, s, m, g, limit: s.selected(p) + r.height, width: r.width - 2)
  let title = "\(p.rawValue + 1) \(p.title) (\(total))"
  let inner = drawBlock(&buf, r, title: title, focused: s.focus == p, glyphs: g)
  let sel = rows.isEmpty ? nil : min(s.selected(p), rows.count - 1)
  drawTable(
    &buf, inner, columns: cols, rows: rows, selected: s.focus == p ? sel : nil, focused: s.focus == p, glyphs: g)
}

func rate(_ v: Double) -> String { v < 0.05 ? "0" : (v < 10 ? String(Double(Int(v * 10)) / 10) : String(Int(v))) }

func stageText(_ st: StageStatus, _ g: Glyphs) -> String {
  switch st {
  case .pending: return "·"
  case .queued: return "queued"
  case .running: return "λ run"
  case .retrying: return "retry"
  case .done: return g.check + " done"
  case .deadLetter: return "DLQ"
  }
}

/// A key that fits `width` cells: whole when it fits, otherwise without its leading folders
/// (`…/service01/26d84a1f…`), so that the part that differs stays visible.
func shortKey(_ key: String, _ width: Int) -> String {
  if displayWidth(key) <= width { return key }
  let parts = key.split(separator: "/", omittingEmptySubsequences: false)
  guard parts.count > 2 else { return truncate(key, width) }
  // Drop leading folders while the rest does not fit, keeping the last folder and the name.
  var start = 1
  while start < parts.count - 2, displayWidth("…/" + parts[start...].joined(separator: "/")) > width { start += 1 }
  return truncate("…/" + parts[start...].joined(separator: "/"), width)
}
