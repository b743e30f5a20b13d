// MARK: - A client's HTTP request, as data
//
// The wire layer (FanoutWire) turns these into what the simulation does; they live here so that a
// recorded session (`ReplayLog`) can hold them as commands and replay them without a client.

/// An HTTP request as the wire layer sees it.
public struct WireRequest: Sendable {
  public var method: String
  /// The request target's path, percent-encoded as sent, without the query.
  public var path: String
  /// The raw query string (after `?`), percent-encoded as sent; empty when there is none.
  public var query: String
  /// Header names lower-cased, in the order received.
  public var headers: [(name: String, value: String)]
  public var body: [UInt8]

  public init(
    method: String, path: String, query: String = "", headers: [(name: String, value: String)] = [], body: [UInt8] = []
  ) {
    self.method = method
    self.path = path
    self.query = query
    self.headers = headers.map { ($0.name.lowercased(), $0.value) }
    self.body = body
  }

  /// The first value of a header (the name in any case).
  public func header(_ name: String) -> String? {
    let n = name.lowercased()
    return headers.first { $0.name == n }?.value
  }
}

extension WireRequest: Equatable {
  public static func == (a: WireRequest, b: WireRequest) -> Bool {
    a.method == b.method && a.path == b.path && a.query == b.query && a.body == b.body
      && a.headers.map { [$0.name, $0.value] } == b.headers.map { [$0.name, $0.value] }
  }
}
