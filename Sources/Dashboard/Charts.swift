import FanoutSim
import TermRender

// MARK: - Charts over virtual time

/// A history as chart values: a value per virtual second, NaN (no sample) as a gap.
func chartValues(_ s: Series, last n: Int) -> [Double?] {
  s.last(n).map { $0.isFinite ? $0 : nil }
}

/// The charts of one queue and the function its trigger invokes: depth (visible, in flight, in
/// its dead-letter queue), running executions against the pollers' target concurrency,
/// end-to-end latency p50/p99, and the function's errors and throttles per second.
func queueCharts(_ qi: Int, _ m: PipelineModel, limit: Int = 4) -> [LineChart] {
  let l = m.layout
  let q = l.queues[qi]
  let qs = m.queueSeries[qi]
  let n = qs.visible.count
  let start = clock(m.layout.startTime + elapsedBefore(m, n))
  let end = clock(m.now)
  func chart(_ title: String, _ unit: String, _ series: [LineChart.Series]) -> LineChart {
    LineChart(series: series, xStart: start, xEnd: end, yUnit: unit, title: title)
  }
  var depth = [
    LineChart.Series("visible", values: chartValues(qs.visible, last: n), style: .fg(.cyan)),
    LineChart.Series("in flight", values: chartValues(qs.inFlight, last: n), style: .fg(.yellow)),
  ]
  if let d = q.deadLetterQueue {
    let ds = m.queueSeries[d]
    let (v, f, w) = (ds.visible.last(n), ds.inFlight.last(n), ds.delayed.last(n))
    let dlq = v.indices.map { i -> Double? in v[i] + f[i] + w[i] }
    depth.append(LineChart.Series("DLQ", values: dlq, style: .fg(.red)))
  }
  var charts = [chart("\(q.name): messages", "msgs", depth)]
  if let mi = q.mappings.first, limit > 1 {
    let fi = l.mappings[mi].function
    let fs = m.functionSeries[fi]
    let f = l.functions[fi].name
    charts.append(
      chart(
        "λ \(f): executions and the pollers' target", "conc",
        [
          LineChart.Series("running", values: chartValues(fs.running, last: n), style: .fg(.green)),
          LineChart.Series("target", values: chartValues(m.mappingTargetSeries[mi], last: n), style: .fg(.gray)),
        ]))
    if limit > 2 {
      charts.append(
        chart(
          "λ \(f): errors and throttles", "/s",
          [
            LineChart.Series("errors", values: chartValues(fs.errors, last: n), style: .fg(.red)),
            LineChart.Series("throttles", values: chartValues(fs.throttles, last: n), style: .fg(.magenta)),
          ]))
    }
  }
  guard charts.count < limit else { return charts }
  charts.append(
    chart(
      "end-to-end latency", "ms",
      [
        LineChart.Series("p50", values: chartValues(m.latencyP50, last: n), style: .fg(.cyan)),
        LineChart.Series("p99", values: chartValues(m.latencyP99, last: n), style: .fg(.magenta)),
      ]))
  return charts
}

/// The virtual time the oldest of `n` kept samples stands for, from the simulation's start.
func elapsedBefore(_ m: PipelineModel, _ n: Int) -> SimDuration {
  let seconds = max(0, (m.now - m.layout.startTime).microseconds / 1_000_000 - Int64(n))
  return .seconds(seconds)
}

/// Charts in a grid of `columns`, filling the area row by row.
func drawChartGrid(_ buf: inout Buffer, _ r: Rect, _ charts: [LineChart], columns: Int, _ g: Glyphs) {
  guard !charts.isEmpty, r.width > 0, r.height > 0 else { return }
  let cols = max(1, min(columns, charts.count))
  let rows = (charts.count + cols - 1) / cols
  let lines = r.rows(Array(repeating: nil, count: rows))
  for (i, chart) in charts.enumerated() {
    let row = lines[i / cols]
    let cells = row.columns(Array(repeating: nil, count: cols))
    let cell = cells[i % cols]
    // A cell's rightmost column separates it from the next.
    let area = Rect(
      x: cell.x, y: cell.y, width: max(0, cell.width - (i % cols < cols - 1 ? 1 : 0)), height: cell.height)
    drawLineChart(&buf, area, chart: chart, glyphs: g)
  }
}

/// The Charts pane of the widest layout: the selected queue's depth and its function's executions.
func drawChartsPane(_ buf: inout Buffer, _ r: Rect, _ s: AppState, _ m: PipelineModel, _ g: Glyphs) {
  let qi = min(s.selected(.queues), max(0, m.layout.queues.count - 1))
  guard qi < m.layout.queues.count else { return }
  let inner = drawBlock(&buf, r, title: "Charts: \(m.layout.queues[qi].name) (c: all)", glyphs: g)
  drawChartGrid(&buf, inner, queueCharts(qi, m, limit: 2), columns: 1, g)
}
