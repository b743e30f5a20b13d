import FanoutSim

// MARK: - State, actions, commands

/// The panes, in focus order.
public enum Pane: Int, CaseIterable, Sendable {
  case queues, inFlight, requests, s3, events

  public var title: String {
    switch self {
    case .queues: return "Queues"
    case .inFlight: return "In flight"
    case .requests: return "Requests"
    case .s3: return "S3 keys"
    case .events: return "Events"
    }
  }
}

/// What a detail view shows.
public enum Detail: Equatable, Sendable {
  case request(fire: Int)
  case message(UUID128)
  case queue(String)
  case object(bucket: String, key: String)
  /// Choosing where to inject a request (and, edited, what): the scroll position is the choice.
  case inject(InjectDraft)
  /// Charts over virtual time of a queue (and the function its trigger invokes).
  case chart(queue: String)
  case help
}

/// A request about to be injected: its ID and, when edited, the message to send instead.
public struct InjectDraft: Equatable, Sendable {
  public var requestID: RequestID
  public var message: String?
  public var attributes: [MessageAttribute] = []
}

/// A line being typed: what for, and the text so far.
public struct Editor: Equatable, Sendable {
  public enum Purpose: Equatable, Sendable { case requestID, message, attributes }
  public var purpose: Purpose
  public var text: String
}

/// Everything the view needs besides the pipeline model.
public struct AppState: Equatable, Sendable {
  public static let speeds: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000]

  public var width = 120
  public var height = 40
  public var focus = Pane.queues
  public var selection: [Pane: Int] = [:]
  /// Open detail views; Esc pops the last one.
  public var details: [Detail] = []
  public var detailScroll = 0
  public var speedIndex = 3
  public var paused = false
  /// The clock could not keep up with wall time × speed at the last frame.
  public var lagging = false
  /// Waiting for a service number after `f`.
  public var choosingFailure = false
  public var message = ""
  public var quit = false
  /// Playing a recorded session: commands come from the recording, not from keys.
  public var replaying = false
  /// A line being typed (a request ID, an edited message); keys go to it first.
  public var editor: Editor?
  /// Set by `w`: the terminal loop writes the replay file and clears it.
  public var saveRequested = false
  public var seed: UInt64
  /// Set when clients or process functions take part (their endpoint, or "processes"): the clock
  /// follows wall time, ×1 at most, and the status bar says so.
  public var live: String?

  public init(seed: UInt64) { self.seed = seed }

  public var speed: Double { AppState.speeds[speedIndex] }
  public func selected(_ p: Pane) -> Int { selection[p] ?? 0 }
}

/// What a key press or the loop asks for.
public enum Action: Equatable, Sendable {
  case fire, fireBurst
  case toggleMapping(Int)
  case chooseFailure
  case toggleFailure(Int)
  case togglePause, faster, slower, stepEvent
  case focusNext, focusPrevious, up, down, pageUp, pageDown, open, back
  case redrive
  /// At-least-once delivery on the selected queue: duplicates off → 1 % → 10 % → off.
  case cycleDuplicates
  case inject, injectByID, editMessage, editAttributes
  /// Keys while a line is being typed.
  case editorType(Character)
  case editorErase, editorSubmit, editorCancel
  case chart
  case saveReplay
  case help, quit
  case resize(Int, Int)
}

/// What the reducer asks the simulation to do.
public typealias Command = ControlCommand
