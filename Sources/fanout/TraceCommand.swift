import ArgumentParser
import FanoutSim
import Foundation

/// `fanout trace REQUEST_ID --events FILE`: one request across every hop of a recorded run.
struct TraceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trace",
    abstract: "Follow one request through an events file: every hop in time order, with the exact events received."
  )

  @Argument(help: "The request ID (or its first 6 or more hex digits).")
  var requestID: String

  @Option(name: .long, help: "An events file written by `fanout run --events` or the dashboard's --events.")
  var events: String

  @Flag(name: .long, help: "Print one JSON object: the request ID, its fires and its events as logged.")
  var json = false

  func run() throws {
    guard let data = FileManager.default.contents(atPath: events) else {
      throw CLIFailure(message: "cannot read \(events)")
    }
    let text = String(decoding: data, as: UTF8.self)
    do {
      let trace = try traceRequest(lines: text.split(separator: "\n").lazy.map(String.init), id: requestID)
      print(json ? trace.json : trace.text)
    } catch let e as TraceError {
      throw CLIFailure(message: e.description)
    }
  }
}
