import FanoutSim
import FanoutWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

// MARK: - The HTTP server of `fanout serve`

/// Where and how `fanout serve` listens.
public struct ServeOptions: Sendable {
  public var host = "127.0.0.1"
  public var port = 4747
  /// Largest request body taken: AWS's largest message (1 MiB) plus its encoding's overhead.
  /// A larger one gets HTTP 413 in the protocol's error shape.
  public var bodyLimit = 2 * 1_048_576
  /// Connections open at once; further ones wait to be accepted.
  public var maxConnections = 512
  public init() {}

  /// Parses `HOST:PORT` (`[::1]:PORT` for IPv6).
  public static func parseListen(_ s: String) -> (host: String, port: Int)? {
    var host: Substring
    var port: Substring
    if s.hasPrefix("[") {
      guard let close = s.firstIndex(of: "]") else { return nil }
      host = s[s.index(after: s.startIndex)..<close]
      let rest = s[s.index(after: close)...]
      guard rest.hasPrefix(":") else { return nil }
      port = rest.dropFirst()
    } else {
      guard let colon = s.lastIndex(of: ":") else { return nil }
      host = s[..<colon]
      port = s[s.index(after: colon)...]
    }
    guard !host.isEmpty, let p = Int(port), (0...65_535).contains(p) else { return nil }
    return (String(host), p)
  }

  /// Whether an address is on this machine only: 127.0.0.0/8, ::1 or localhost.
  public static func isLoopback(_ host: String) -> Bool {
    if host == "localhost" || host == "::1" { return true }
    let parts = host.split(separator: ".")
    return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
  }
}

/// Answers every HTTP request through the live simulation.
struct WireResponder: HTTPResponder {
  typealias Context = BasicRequestContext
  let live: LiveSimulation
  let bodyLimit: Int

  func respond(to request: Request, context: Context) async throws -> Response {
    await Self.answer(request, live: live, bodyLimit: bodyLimit, caller: nil)
  }

  /// A request's answer from the live simulation; `caller` is the invocation whose code sent it
  /// (an execution environment's endpoint knows it), read once the body is in.
  static func answer(_ request: Request, live: LiveSimulation, bodyLimit: Int, caller: @autoclosure () -> Int?) async
    -> Response
  {
    var headers: [(name: String, value: String)] = []
    // HTTP/1.1's Host is the request's authority here, not one of its header fields.
    if let authority = request.head.authority { headers.append(("host", authority)) }
    for field in request.headers { headers.append((field.name.canonicalName, field.value)) }
    var r = WireRequest(
      method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "", headers: headers)
    let declared = request.headers[.contentLength].flatMap { Int($0) } ?? 0
    let answer: WireResponse
    if declared > bodyLimit {
      answer = await live.tooLarge(r, limit: bodyLimit)
    } else {
      var req = request
      do {
        let buffer = try await req.collectBody(upTo: bodyLimit)
        r.body = Array(buffer.readableBytesView)
        answer = await live.handle(r, caller: caller())
      } catch {
        answer = await live.tooLarge(r, limit: bodyLimit)
      }
    }
    var fields = HTTPFields()
    for h in answer.headers {
      if let n = HTTPField.Name(h.name) { fields.append(HTTPField(name: n, value: h.value)) }
    }
    return Response(
      status: HTTPResponse.Status(code: answer.status), headers: fields,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
  }
}

/// Runs the server until SIGINT or SIGTERM (with `signals`; without, until its task is
/// cancelled); `ready` is told the port it listens on.
public func runWireServer(
  live: LiveSimulation, options: ServeOptions, signals: Bool = true, ready: @escaping @Sendable (Int) -> Void
) async throws {
  var logger = Logger(label: "fanout-serve")
  // What goes wrong is thrown (a port in use) or answered (a bad request); closing a connection
  // while the server stops is not worth a line.
  logger.logLevel = .critical
  let app = Application(
    responder: WireResponder(live: live, bodyLimit: options.bodyLimit),
    server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
    configuration: ApplicationConfiguration(
      address: .hostname(options.host, port: options.port), serverName: "fanout",
      availableConnectionsDelegate: MaximumAvailableConnections(options.maxConnections, logger: logger)),
    onServerRunning: { channel in ready(channel.localAddress?.port ?? options.port) },
    logger: logger)
  if signals {
    try await app.runService()
  } else {
    try await app.runService(gracefulShutdownSignals: [])
  }
}

/// Answers `Expect: 100-continue` with an interim `100 Continue`, as an HTTP/1.1 server must
/// (RFC 9110 §10.1.1): botocore sends the header with every PutObject and, without the interim
/// answer, waits a full second before it sends the body.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundOut = HTTPResponsePart

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if case .head(let head) = unwrapInboundIn(data), head.headerFields[.expect]?.lowercased() == "100-continue" {
      context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }
    context.fireChannelRead(data)
  }
}
