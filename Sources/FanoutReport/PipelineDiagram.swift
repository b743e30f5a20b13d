import FanoutSim

// MARK: - The pipeline as a diagram
//
// Columns left to right: the functions nothing polls (the entry function first), topics, their
// subscriptions, queues, dead-letter queues, event source mappings, the functions they invoke,
// buckets (an empty column is left out). Within a column, nodes follow what feeds them (a queue
// after the subscription that delivers to it, a mapping after its queue), and each is put level
// with the middle of the nodes feeding it when there is room, else just below the one above.
// Edges that go right are curves; those that go back (a function publishing to a topic, or
// sending to a queue) run below the diagram in lanes of their own. Everything follows topology
// order, so the same pipeline gives the same picture.

/// The pipeline's layout drawn as one `<svg class="diagram">`.
public struct PipelineDiagram {
  public enum Kind: String, Sendable {
    case function, topic, subscription, sink, queue
    case deadLetterQueue = "dlq"
    case mapping, bucket
  }
  /// What an edge stands for (`data-kind`).
  public enum EdgeKind: String, Sendable {
    case publish, subscription, delivery, redrive, poll, invoke, write, send
  }
  public struct Node: Sendable {
    public var kind: Kind
    public var name: String
    public var detail: String
    /// More than the box has room for: its tooltip.
    public var more = ""
    public var column: Int
    public var x = 0.0
    public var y = 0.0
  }
  public struct Edge: Sendable {
    public var kind: EdgeKind
    public var from: Int
    public var to: Int
    public var label: String?
  }

  public private(set) var nodes: [Node] = []
  public private(set) var edges: [Edge] = []
  public private(set) var columnTitles: [String] = []
  public let width: Double
  public private(set) var height = 0.0
  public private(set) var nodeWidth = 0.0
  static let nodeHeight = 36.0
  static let rowGap = 48.0
  static let top = 34.0

  public init(layout: PipelineLayout, width: Double = 1160) {
    self.width = width
    // Which functions a mapping invokes.
    let polled = Set(layout.mappings.map(\.function))
    let entryFunctions =
      (layout.entryFunction.map { [$0] } ?? [])
      + layout.functions.indices.filter { !polled.contains($0) && $0 != layout.entryFunction }
    let isDLQ = layout.queues.map(\.isDeadLetterQueue)

    // Order within columns: after what feeds each node.
    var queueOrder: [Int] = []
    func addQueue(_ q: Int) { if !isDLQ[q], !queueOrder.contains(q) { queueOrder.append(q) } }
    for t in layout.topics { for s in t.subscriptions { if let q = s.queue { addQueue(q) } } }
    for f in entryFunctions { layout.functions[f].outputs.queues.forEach(addQueue) }
    for f in layout.functions { f.outputs.queues.forEach(addQueue) }
    layout.queues.indices.forEach(addQueue)
    var dlqOrder: [Int] = []
    func addDLQ(_ q: Int) { if isDLQ[q], !dlqOrder.contains(q) { dlqOrder.append(q) } }
    // Breadth first: a DLQ after its source (a DLQ's own DLQ after it).
    var frontier = queueOrder
    while !frontier.isEmpty {
      var next: [Int] = []
      for q in frontier {
        if let d = layout.queues[q].deadLetterQueue, isDLQ[d], !dlqOrder.contains(d) {
          addDLQ(d)
          next.append(d)
        }
      }
      frontier = next
    }
    layout.queues.indices.forEach(addDLQ)
    let queueSequence = queueOrder + dlqOrder
    let mappingOrder = layout.mappings.indices.sorted {
      let a = queueSequence.firstIndex(of: layout.mappings[$0].queue) ?? 0
      let b = queueSequence.firstIndex(of: layout.mappings[$1].queue) ?? 0
      return (a, $0) < (b, $1)
    }
    var functionOrder: [Int] = []
    for m in mappingOrder where !functionOrder.contains(layout.mappings[m].function) {
      functionOrder.append(layout.mappings[m].function)
    }
    var bucketOrder: [Int] = []
    for f in entryFunctions + functionOrder {
      for b in layout.functions[f].outputs.buckets where !bucketOrder.contains(b) { bucketOrder.append(b) }
    }
    for b in layout.buckets.indices where !bucketOrder.contains(b) { bucketOrder.append(b) }

    // Nodes, column by column.
    var columns: [(title: String, nodes: [Node])] = []
    columns.append(
      (
        "entry",
        entryFunctions.map { f in
          Node(
            kind: .function, name: layout.functions[f].name,
            detail: Self.functionDetail(layout.functions[f].spec, entry: f == layout.entryFunction),
            more: "timeout " + formatSpan(layout.functions[f].spec.timeout), column: 0)
        }
      ))
    columns.append(("topics", layout.topics.map { Node(kind: .topic, name: $0.name, detail: "SNS topic", column: 0) }))
    var subscriptionNodes: [Node] = []
    for t in layout.topics {
      for s in t.subscriptions {
        var flags: [String] = []
        if s.rawMessageDelivery { flags.append("raw") }
        if s.hasFilterPolicy { flags.append("filter") }
        let detail =
          (s.queue == nil ? "endpoint" : "sqs") + (flags.isEmpty ? "" : " · " + flags.joined(separator: ", "))
        subscriptionNodes.append(
          Node(kind: s.queue == nil ? .sink : .subscription, name: s.endpointName, detail: detail, column: 0))
      }
    }
    columns.append(("subscriptions", subscriptionNodes))
    columns.append(
      (
        "queues",
        queueOrder.map {
          Node(
            kind: .queue, name: layout.queues[$0].name,
            detail: layout.queues[$0].spec.redrive.map { "maxReceiveCount \($0.maxReceiveCount)" } ?? "SQS queue",
            more: Self.queueMore(layout.queues[$0].spec), column: 0)
        }
      ))
    columns.append(
      (
        "dead-letter queues",
        dlqOrder.map {
          Node(
            kind: .deadLetterQueue, name: layout.queues[$0].name,
            detail: layout.queues[$0].spec.redrive.map { "DLQ · maxReceiveCount \($0.maxReceiveCount)" }
              ?? "dead-letter queue",
            more: Self.queueMore(layout.queues[$0].spec), column: 0)
        }
      ))
    columns.append(
      (
        "mappings",
        mappingOrder.map { m in
          let spec = layout.mappings[m].spec
          var detail = "batch \(spec.batchSize)"
          if spec.maximumBatchingWindow > .zero { detail += " · window " + formatSpan(spec.maximumBatchingWindow) }
          if let c = spec.maximumConcurrency { detail += " · max \(c)" }
          if !spec.enabled { detail += " · disabled" }
          return Node(kind: .mapping, name: layout.mappings[m].name, detail: detail, column: 0)
        }
      ))
    columns.append(
      (
        "functions",
        functionOrder.map {
          Node(
            kind: .function, name: layout.functions[$0].name,
            detail: Self.functionDetail(layout.functions[$0].spec, entry: false),
            more: "timeout " + formatSpan(layout.functions[$0].spec.timeout), column: 0)
        }
      ))
    columns.append(
      ("buckets", bucketOrder.map { Node(kind: .bucket, name: layout.buckets[$0], detail: "S3 bucket", column: 0) }))

    // Index of each component's node.
    var at: [String: Int] = [:]
    func key(_ kind: String, _ i: Int) -> String { kind + "/" + String(i) }
    var ids: [[String]] = [
      entryFunctions.map { key("f", $0) }, layout.topics.indices.map { key("t", $0) }, [],
      queueOrder.map { key("q", $0) }, dlqOrder.map { key("q", $0) }, mappingOrder.map { key("m", $0) },
      functionOrder.map { key("f", $0) }, bucketOrder.map { key("b", $0) },
    ]
    var s = 0
    for t in layout.topics.indices {
      for _ in layout.topics[t].subscriptions {
        ids[2].append(key("s", s))
        s += 1
      }
    }
    var column = 0
    for (c, col) in columns.enumerated() where !col.nodes.isEmpty {
      columnTitles.append(col.title)
      for (i, var n) in col.nodes.enumerated() {
        n.column = column
        at[ids[c][i]] = nodes.count
        nodes.append(n)
      }
      column += 1
    }

    // Edges, in topology order.
    func edge(_ kind: EdgeKind, _ a: String, _ b: String, _ label: String? = nil) {
      if let x = at[a], let y = at[b] { edges.append(Edge(kind: kind, from: x, to: y, label: label)) }
    }
    for f in entryFunctions + functionOrder {
      let o = layout.functions[f].outputs
      for t in o.topics { edge(.publish, key("f", f), key("t", t)) }
      for q in o.queues { edge(.send, key("f", f), key("q", q)) }
      for b in o.buckets { edge(.write, key("f", f), key("b", b)) }
    }
    s = 0
    for (t, topic) in layout.topics.enumerated() {
      for sub in topic.subscriptions {
        edge(.subscription, key("t", t), key("s", s))
        if let q = sub.queue { edge(.delivery, key("s", s), key("q", q)) }
        s += 1
      }
    }
    for (q, queue) in layout.queues.enumerated() {
      if let d = queue.deadLetterQueue {
        let count = queue.spec.redrive?.maxReceiveCount
        edge(.redrive, key("q", q), key("q", d), count.map { "maxReceiveCount \($0)" })
      }
    }
    for m in mappingOrder {
      edge(.poll, key("q", layout.mappings[m].queue), key("m", m))
      edge(.invoke, key("m", m), key("f", layout.mappings[m].function))
    }
    place()
  }

  static func functionDetail(_ spec: FunctionSpec, entry: Bool) -> String {
    var d = entry ? "Lambda · entry" : "Lambda"
    if let r = spec.reservedConcurrency { d += " · reserved \(r)" }
    return d
  }

  static func queueMore(_ spec: QueueSpec) -> String {
    var d =
      "visibility timeout " + formatSpan(spec.visibilityTimeout) + ", retention "
      + formatSpan(spec.messageRetentionPeriod)
    if let r = spec.redrive { d += ", redrive to \(r.deadLetterQueue) after \(r.maxReceiveCount) receives" }
    return d
  }

  /// A font size (at most `size`, at least 8) at which `text` fits `width`, and the text, cut
  /// short when it does not fit even at 8.
  static func fit(_ text: String, width: Double, size: Double) -> (size: Double, text: String) {
    let perChar = 0.6
    let n = Double(text.count)
    if n * perChar * size <= width { return (size, text) }
    let s = Swift.max(8, width / (n * perChar))
    return (s, truncated(text, Swift.max(4, Int(width / (perChar * s)))))
  }

  /// Whether an edge skips two columns or more: it runs above the diagram.
  func isLong(_ e: Edge) -> Bool { nodes[e.to].column - nodes[e.from].column >= 3 }
  /// Whether an edge goes back (or stays in its column, other than a redrive): it runs below.
  func isBack(_ e: Edge) -> Bool {
    nodes[e.to].column < nodes[e.from].column || (nodes[e.to].column == nodes[e.from].column && e.kind != .redrive)
  }

  /// Columns evenly across the width; each node level with the middle of what feeds it from the
  /// left, pushed down below the node above it when that is taken.
  private mutating func place() {
    let columns = Swift.max(1, columnTitles.count)
    let columnWidth = (width - 20) / Double(columns)
    nodeWidth = Swift.min(170, columnWidth - 24)
    let top = Self.top + Double(edges.filter(isLong).count) * 8
    var bottom = top
    for c in 0..<columns {
      var previous = -Double.infinity
      for i in nodes.indices where nodes[i].column == c {
        let feeders = edges.filter { $0.to == i && nodes[$0.from].column < c }.map { nodes[$0.from].y }
        let wanted = feeders.isEmpty ? top : feeders.reduce(0, +) / Double(feeders.count)
        let y = Swift.max(wanted, previous + Self.rowGap, top)
        nodes[i].x = 10 + Double(c) * columnWidth + (columnWidth - nodeWidth) / 2
        nodes[i].y = y
        previous = y
        bottom = Swift.max(bottom, y + Self.nodeHeight)
      }
    }
    height = bottom + 24 + Double(edges.filter(isBack).count) * 8 + 10
  }

  /// The diagram as one `<svg>` element.
  public func svg() -> String {
    let h = Self.nodeHeight
    var o = "<svg class=\"diagram\" data-chart=\"pipeline\" xmlns=\"http://www.w3.org/2000/svg\""
    o += " viewBox=\"0 0 \(coord(width)) \(coord(height))\" width=\"\(coord(width))\" height=\"\(coord(height))\""
    o += " role=\"img\" font-family=\"sans-serif\">\n<title>The pipeline</title>\n"
    o += "<defs><marker id=\"fanout-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\""
    o += " markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10Z\" fill=\"#666\"/></marker>"
    o += "<marker id=\"fanout-arrow-redrive\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\""
    o += " markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10Z\" fill=\"#c0392b\"/></marker>"
    o += "</defs>\n"
    o +=
      "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(coord(width))\" height=\"\(coord(height))\" fill=\"#ffffff\"/>\n"
    let columnWidth = (width - 20) / Double(Swift.max(1, columnTitles.count))
    for (c, title) in columnTitles.enumerated() {
      o += "<text class=\"column-title\" x=\"\(coord(10 + (Double(c) + 0.5) * columnWidth))\" y=\"18\""
      o += " text-anchor=\"middle\" font-size=\"12\" fill=\"#666\">\(escapeMarkup(title))</text>\n"
    }
    // Edges first, under the nodes.
    var lane = 0
    var upperLane = 0
    let laneTop = height - 10 - Double(edges.filter(isBack).count) * 8
    for e in edges {
      let a = nodes[e.from]
      let b = nodes[e.to]
      let d: String
      if isLong(e) {
        // Over two columns or more: out to the right, along a lane above everything, down the
        // gutter left of the target.
        let y = Self.top - 6 + Double(upperLane) * 8
        let out = a.x + nodeWidth + 6 + Double(upperLane % 4) * 4
        let into = b.x - 8 - Double(upperLane % 4) * 4
        d =
          "M\(coord(a.x + nodeWidth)),\(coord(a.y + h / 2))L\(coord(out)),\(coord(a.y + h / 2))"
          + "L\(coord(out)),\(coord(y))L\(coord(into)),\(coord(y))L\(coord(into)),\(coord(b.y + h / 2))"
          + "L\(coord(b.x)),\(coord(b.y + h / 2))"
        upperLane += 1
      } else if b.column > a.column {
        let (x1, y1) = (a.x + nodeWidth, a.y + h / 2)
        let (x2, y2) = (b.x, b.y + h / 2)
        let bend = Swift.max(24, (x2 - x1) / 2)
        d =
          "M\(coord(x1)),\(coord(y1))C\(coord(x1 + bend)),\(coord(y1)) \(coord(x2 - bend)),\(coord(y2))"
          + " \(coord(x2)),\(coord(y2))"
      } else if b.column == a.column, e.kind == .redrive {
        // A dead-letter queue's own dead-letter queue, below it in the same column.
        let (x1, y1) = (a.x + nodeWidth, a.y + h / 2)
        let (x2, y2) = (b.x + nodeWidth, b.y + h / 2)
        d =
          "M\(coord(x1)),\(coord(y1))C\(coord(x1 + 30)),\(coord(y1)) \(coord(x2 + 30)),\(coord(y2))"
          + " \(coord(x2)),\(coord(y2))"
      } else {
        // Back to an earlier column: out to the right, along a lane below everything, up the
        // gutter left of the target.
        let y = laneTop + Double(lane) * 8
        let out = a.x + nodeWidth + 6 + Double(lane % 4) * 4
        let into = b.x - 8 - Double(lane % 4) * 4
        d =
          "M\(coord(a.x + nodeWidth)),\(coord(a.y + h / 2))L\(coord(out)),\(coord(a.y + h / 2))"
          + "L\(coord(out)),\(coord(y))L\(coord(into)),\(coord(y))L\(coord(into)),\(coord(b.y + h / 2))"
          + "L\(coord(b.x)),\(coord(b.y + h / 2))"
        lane += 1
      }
      let redrive = e.kind == .redrive
      o += "<path class=\"edge\" data-kind=\"\(e.kind.rawValue)\" data-from=\"\(escapeMarkup(a.name))\""
      o += " data-to=\"\(escapeMarkup(b.name))\" d=\"\(d)\" fill=\"none\""
      o += redrive ? " stroke=\"#c0392b\" stroke-dasharray=\"5 3\"" : " stroke=\"#888\""
      o += " stroke-width=\"1.3\" marker-end=\"url(#\(redrive ? "fanout-arrow-redrive" : "fanout-arrow"))\">"
      let about = "\(e.kind.rawValue): \(a.name) → \(b.name)" + (e.label.map { " (\($0))" } ?? "")
      o += "<title>\(escapeMarkup(about))</title></path>\n"
    }
    for n in nodes {
      let (fill, stroke) = Self.colours(n.kind)
      o += "<g class=\"node\" data-kind=\"\(n.kind.rawValue)\" data-name=\"\(escapeMarkup(n.name))\">"
      o += "<title>\(escapeMarkup(n.name + " — " + n.detail + (n.more.isEmpty ? "" : ", " + n.more)))</title>"
      o += "<rect x=\"\(coord(n.x))\" y=\"\(coord(n.y))\" width=\"\(coord(nodeWidth))\" height=\"\(coord(h))\""
      o += " rx=\"5\" fill=\"\(fill)\" stroke=\"\(stroke)\""
      o += (n.kind == .deadLetterQueue || n.kind == .sink ? " stroke-dasharray=\"4 2\"" : "") + "/>"
      let label = Self.fit(n.name, width: nodeWidth - 10, size: 11)
      let detail = Self.fit(n.detail, width: nodeWidth - 10, size: 9)
      o += "<text class=\"label\" x=\"\(coord(n.x + 5))\" y=\"\(coord(n.y + 15))\" font-size=\"\(coord(label.size))\""
      o += " fill=\"#222\">\(escapeMarkup(label.text))</text>"
      o += "<text class=\"detail\" x=\"\(coord(n.x + 5))\" y=\"\(coord(n.y + 29))\" font-size=\"\(coord(detail.size))\""
      o += " fill=\"#555\">\(escapeMarkup(detail.text))</text></g>\n"
    }
    o += "</svg>"
    return o
  }

  static func colours(_ k: Kind) -> (fill: String, stroke: String) {
    switch k {
    case .function: ("#fff3c4", "#b8860b")
    case .topic: ("#fde3c8", "#d9822b")
    case .subscription: ("#fff5e8", "#d9822b")
    case .sink: ("#f4f4f4", "#888888")
    case .queue: ("#e3ecf7", "#4e79a7")
    case .deadLetterQueue: ("#fbe3e3", "#c0392b")
    case .mapping: ("#efefef", "#777777")
    case .bucket: ("#e2f2df", "#59a14f")
    }
  }
}
