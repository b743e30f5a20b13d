import FanoutSim

// MARK: - `fanout run --html`: the run's page

/// The page `fanout run --html FILE` writes: the pipeline's diagram, charts of the sampled run,
/// and the summary `fanout run` prints.
public enum RunReportPage {
  /// Colours that mean something: failures red, timeouts orange, throttles purple.
  static let errorColour = "#e15759"
  static let timeoutColour = "#f28e2b"
  static let throttleColour = "#b07aa1"

  /// The whole page. `sections` are added after the charts (another feature's figures).
  public static func html(report: RunReport, samples: RunSamples, sections: [HTMLPage.Section] = []) -> String {
    page(report: report, samples: samples, sections: sections).html()
  }

  public static func page(report: RunReport, samples: RunSamples, sections extra: [HTMLPage.Section] = [])
    -> HTMLPage
  {
    let sim = report.sim
    let layout = sim.layout
    let charts = self.charts(layout: layout, samples: samples)
    func figures(_ ids: Set<String>) -> String {
      charts.filter { ids.contains($0.id) }.map { HTMLPage.figure($0.svg()) }.joined(separator: "\n")
    }
    var sections: [HTMLPage.Section] = []
    sections.append(
      HTMLPage.Section(
        id: "pipeline", title: "Pipeline",
        body: HTMLPage.figure(PipelineDiagram(layout: layout).svg())
          + HTMLPage.paragraph(
            "Left to right: functions nothing polls (the entry function), topics, subscriptions, queues, "
              + "dead-letter queues (a red dashed edge is a redrive policy), event source mappings, the functions "
              + "they invoke, buckets. Edges running above skip columns; those running below go back to an "
              + "earlier column (a function publishing to a topic or sending to a queue). Hover a box or an edge "
              + "for its settings.")))
    sections.append(
      HTMLPage.Section(id: "queues", title: "Queues", body: figures(["queue-depth", "queue-in-flight", "dlq-depth"])))
    sections.append(
      HTMLPage.Section(id: "functions", title: "Functions", body: figures(["concurrency", "invocations", "failures"])))
    sections.append(HTMLPage.Section(id: "latency", title: "Latency", body: figures(["latency"])))
    let own: Set<String> = [
      "queue-depth", "queue-in-flight", "dlq-depth", "concurrency", "invocations", "failures", "latency",
    ]
    let more = charts.filter { !own.contains($0.id) }
    if !more.isEmpty {
      sections.append(
        HTMLPage.Section(
          id: "more", title: "More series", body: more.map { HTMLPage.figure($0.svg()) }.joined(separator: "\n")))
    }
    sections += extra
    sections.append(
      HTMLPage.Section(
        id: "summary", title: "Summary",
        body: HTMLPage.preformatted(report.text)
          + HTMLPage.paragraph("The figures fanout run prints for the same run (wall time is this machine's).")))
    let points = samples.times.count
    return HTMLPage(
      title: "fanout run — \(report.scenario), seed \(sim.seed)",
      subtitle: [
        "virtual time \(formatSpan(sim.now - sim.topology.startTime)), "
          + (report.drained ? "drained" : "stopped at the time limit with work pending")
          + " · \(sim.tracker.fired) requests fired, \(sim.tracker.completed) completed, \(sim.tracker.failedCount) failed",
        "sampled every \(formatDuration(seconds: samples.step.seconds)) of virtual time (\(points) points per series)",
      ],
      sections: sections)
  }

  /// Every chart of a run, in page order.
  public static func charts(layout: PipelineLayout, samples: RunSamples) -> [SVGChart] {
    let perStep = "per " + formatDuration(seconds: samples.step.seconds)
    let stepNote =
      "Each point counts the step ending there (\(formatDuration(seconds: samples.step.seconds))"
      + "; the last may be shorter)."
    var charts: [SVGChart] = []
    let queues = layout.queues.indices
    // A queue has one colour in every chart.
    func queueSeries(_ q: Int, _ values: [Double?]) -> SVGChart.Series {
      SVGChart.Series(
        layout.queues[q].name, points: samples.points(values), color: SVGChart.palette[q % SVGChart.palette.count],
        dashed: q >= SVGChart.palette.count)
    }
    charts.append(
      SVGChart(
        id: "queue-depth", title: "Messages visible per queue", yTitle: "ApproximateNumberOfMessagesVisible",
        yUnit: "messages",
        series: queues.map {
          queueSeries($0, samples.queues[$0].visible)
        },
        counts: true,
        note: "Messages a receive could return, at each sample."))
    charts.append(
      SVGChart(
        id: "queue-in-flight", title: "Messages in flight per queue", yTitle: "ApproximateNumberOfMessagesNotVisible",
        yUnit: "messages",
        series: queues.map {
          queueSeries($0, samples.queues[$0].inFlight)
        },
        counts: true,
        note: "Received and not yet deleted (or back to visible when their visibility timeout ends)."))
    let dlqs = queues.filter { layout.queues[$0].isDeadLetterQueue }
    charts.append(
      SVGChart(
        id: "dlq-depth", title: "Messages in dead-letter queues", yTitle: "messages stored", yUnit: "messages",
        series: dlqs.map { queueSeries($0, samples.queues[$0].depth) },
        counts: true,
        note: dlqs.isEmpty
          ? "No queue's redrive policy names a dead-letter queue."
          : "Every message stored in each dead-letter queue: visible, in flight and delayed."))
    for (f, function) in layout.functions.enumerated() {
      var series = [
        SVGChart.Series(
          "concurrent executions", points: samples.points(samples.functions[f].concurrency), color: "#4e79a7")
      ]
      for (m, mapping) in layout.mappings.enumerated() where mapping.function == f {
        series.append(
          SVGChart.Series(
            "pollers of \(mapping.name)", points: samples.points(samples.mappingPollers[m]),
            color: SVGChart.palette[(1 + series.count) % SVGChart.palette.count], dashed: true))
      }
      if let r = function.spec.reservedConcurrency {
        series.append(
          SVGChart.Series(
            "reserved concurrency", points: samples.times.map { SVGChart.Point(x: $0, y: Double(r)) },
            color: "#79706e", dashed: true))
      }
      let polled = series.count > 1
      charts.append(
        SVGChart(
          id: "concurrency", subject: function.name, title: "Concurrency of \(function.name)",
          yTitle: "executions, pollers", yUnit: "",
          series: series, counts: true,
          note: polled
            ? "The most concurrent executions in each step (ConcurrentExecutions, Maximum) against the pollers "
              + "its mappings run."
            : "The most concurrent executions in each step (ConcurrentExecutions, Maximum); nothing polls for it."))
    }
    charts.append(
      SVGChart(
        id: "invocations", title: "Invocations", yTitle: "invocations", yUnit: perStep,
        series: layout.functions.indices.map {
          SVGChart.Series(layout.functions[$0].name, points: samples.points(samples.functions[$0].invocations))
        },
        counts: true, note: stepNote))
    func total(_ pick: (RunSamples.FunctionSeries) -> [Double?]) -> [Double?] {
      samples.times.indices.map { i in
        i == 0 ? nil : samples.functions.reduce(0.0) { $0 + (pick($1)[i] ?? 0) }
      }
    }
    charts.append(
      SVGChart(
        id: "failures", title: "Errors, timeouts and throttles", yTitle: "count", yUnit: perStep,
        series: [
          SVGChart.Series("errors", points: samples.points(total(\.errors)), color: errorColour),
          SVGChart.Series("timeouts", points: samples.points(total(\.timeouts)), color: timeoutColour),
          SVGChart.Series("throttles", points: samples.points(total(\.throttles)), color: throttleColour),
        ],
        counts: true, note: "Every function's together. " + stepNote))
    charts.append(
      SVGChart(
        id: "latency", title: "End-to-end latency", yTitle: "latency", yUnit: "ms",
        series: [
          SVGChart.Series("p50", points: samples.points(samples.latency.p50), color: "#59a14f"),
          SVGChart.Series("p90", points: samples.points(samples.latency.p90), color: "#edc948"),
          SVGChart.Series("p99", points: samples.points(samples.latency.p99), color: "#e15759"),
        ],
        note: "Percentiles (nearest rank) of the requests completed in each step, fire to last stage; "
          + "a step with none has no point."))
    // Probes: one chart per `chart` name, in the order they were given.
    var order: [String] = []
    for p in samples.probes where !order.contains(p.probe.chart) { order.append(p.probe.chart) }
    for id in order {
      let group = samples.probes.filter { $0.probe.chart == id }
      let first = group[0].probe
      charts.append(
        SVGChart(
          id: id, title: first.chartTitle, yTitle: first.yTitle,
          yUnit: first.kind == .total ? (first.unit.isEmpty ? perStep : "\(first.unit) \(perStep)") : first.unit,
          series: group.map { SVGChart.Series($0.probe.series, points: samples.points($0.values)) }))
    }
    return charts
  }
}
