// MARK: - What a run costs
//
// A price table (AWS's public list prices; `PriceTable.usEast1` is the built-in one, the same as
// `prices/us-east-1.json`, and another table can be read with `fanout run --prices FILE`) applied
// to what the run did, counted as AWS bills it:
//
// - Lambda: a request per invocation (every attempt, retries included; throttled and stopped
//   invocations are not billed), and GB-seconds: each invocation's duration rounded up to the
//   millisecond, the init phase of a cold start included — billed since August 1, 2025 for every
//   function (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/) —
//   times the function's MemorySize, at its architecture's rate
//   (https://aws.amazon.com/lambda/pricing/).
// - SQS: every API request, each 64 KB chunk of a payload a request of its own
//   (https://aws.amazon.com/sqs/pricing/): SendMessage (from SNS deliveries, handlers, the API
//   and Lambda's destinations), ReceiveMessage (every call, empty or not, the pollers' idle long
//   polls included), DeleteMessageBatch (one per 10 messages a poller deletes), the API's
//   DeleteMessage, ChangeMessageVisibility and PurgeQueue.
// - SNS: a publish request per 64 KB chunk of message and attributes; deliveries to SQS queues and
//   Lambda functions cost nothing, HTTP/S, e-mail and mobile push deliveries their per-delivery
//   price (https://aws.amazon.com/sns/pricing/); SMS (priced by country) and Firehose are not
//   priced.
// - S3: PUT/COPY/POST/LIST requests, GET/HEAD requests (DELETE is free), and storage in GB-months
//   for the bytes stored over the run's virtual time (https://aws.amazon.com/s3/pricing/).
//
// Free tiers are left out: a run prices its own usage, not an account's month.

/// Prices, in US dollars.
public struct PriceTable: Sendable, Equatable {
  public var region: String
  /// When the prices were read, and from where.
  public var read: String
  public var sources: [String]
  /// Lambda: per request, and per GB-second by architecture.
  public var lambdaRequest: Double
  public var lambdaGBSecondX86: Double
  public var lambdaGBSecondArm: Double
  /// SQS standard queue: per request (64 KB chunk).
  public var sqsRequest: Double
  /// SNS standard topic: per publish request (64 KB chunk), and per delivery by protocol.
  public var snsPublish: Double
  public var snsDeliveryHTTP: Double
  public var snsDeliveryEmail: Double
  public var snsDeliveryMobilePush: Double
  /// S3 Standard: per PUT/COPY/POST/LIST request, per GET/SELECT/HEAD request, per GB-month.
  public var s3Put: Double
  public var s3Get: Double
  public var s3GBMonth: Double

  public init(
    region: String, read: String, sources: [String], lambdaRequest: Double, lambdaGBSecondX86: Double,
    lambdaGBSecondArm: Double, sqsRequest: Double, snsPublish: Double, snsDeliveryHTTP: Double,
    snsDeliveryEmail: Double, snsDeliveryMobilePush: Double, s3Put: Double, s3Get: Double, s3GBMonth: Double
  ) {
    self.region = region
    self.read = read
    self.sources = sources
    self.lambdaRequest = lambdaRequest
    self.lambdaGBSecondX86 = lambdaGBSecondX86
    self.lambdaGBSecondArm = lambdaGBSecondArm
    self.sqsRequest = sqsRequest
    self.snsPublish = snsPublish
    self.snsDeliveryHTTP = snsDeliveryHTTP
    self.snsDeliveryEmail = snsDeliveryEmail
    self.snsDeliveryMobilePush = snsDeliveryMobilePush
    self.s3Put = s3Put
    self.s3Get = s3Get
    self.s3GBMonth = s3GBMonth
  }

  /// AWS's list prices for US East (N. Virginia), the first tier of each (the same as
  /// `prices/us-east-1.json`; a test compares them).
  public static let usEast1 = PriceTable(
    region: "us-east-1", read: "2026-12-01",
    sources: [
      "https://aws.amazon.com/lambda/pricing/", "https://aws.amazon.com/sqs/pricing/",
      "https://aws.amazon.com/sns/pricing/", "https://aws.amazon.com/s3/pricing/",
    ],
    lambdaRequest: 0.20 / 1_000_000, lambdaGBSecondX86: 0.000_016_666_7, lambdaGBSecondArm: 0.000_013_333_4,
    sqsRequest: 0.40 / 1_000_000, snsPublish: 0.50 / 1_000_000, snsDeliveryHTTP: 0.60 / 1_000_000,
    snsDeliveryEmail: 20.00 / 1_000_000, snsDeliveryMobilePush: 0.50 / 1_000_000, s3Put: 0.005 / 1_000,
    s3Get: 0.000_4 / 1_000,
    s3GBMonth: 0.023)
}

/// One line of a bill: what, how many, at what unit price.
public struct CostItem: Sendable, Equatable {
  public var service: String
  /// The function, queue, topic or bucket it is for.
  public var component: String
  public var item: String
  public var quantity: Double
  public var unit: String
  public var unitPrice: Double
  public var usd: Double { quantity * unitPrice }
}

/// What a run cost, by service, with its line items.
public struct CostReport: Sendable, Equatable {
  public var items: [CostItem]
  /// The virtual time the run covered.
  public var span: SimDuration
  public var prices: PriceTable

  public func usd(_ service: String) -> Double {
    items.filter { $0.service == service }.reduce(0) { $0 + $1.usd }
  }
  /// What one function, queue, topic or bucket cost.
  public func usd(component: String) -> Double {
    items.filter { $0.component == component }.reduce(0) { $0 + $1.usd }
  }
  public var totalUSD: Double { items.reduce(0) { $0 + $1.usd } }
  /// The run's cost projected to a 30-day month at its rates (nil for a run of no time).
  public var monthlyUSD: Double? {
    guard span > .zero else { return nil }
    return totalUSD * Double(SimDuration.days(30).microseconds) / Double(span.microseconds)
  }
  /// Dollars per hour of virtual time.
  public var hourlyUSD: Double? {
    guard span > .zero else { return nil }
    return totalUSD * 3_600_000_000 / Double(span.microseconds)
  }
}

/// SQS and SNS bill each 64 KB (65,536-byte) chunk of a payload as a request.
public let billingChunk = 65_536

/// The requests a payload of `bytes` is billed as: one per started 64 KB chunk, at least one.
public func billedRequests(bytes: Int) -> Int { max(1, (bytes + billingChunk - 1) / billingChunk) }

/// The protocol a recording sink stands for, priced by its name: a sink named after a protocol
/// (`https`, `http-2`, `sms`, as `fanout import` names them) is that protocol; any other name is
/// an e-mail subscriber, as the seed's e-mail subscription is.
public func sinkProtocol(_ name: String) -> String {
  for p in ["https", "http", "sms", "application", "firehose", "email-json", "email"] where name.hasPrefix(p) {
    return p
  }
  return "email"
}

extension Simulation {
  /// What the run has cost so far, at `prices`.
  public func cost(prices: PriceTable = .usEast1) -> CostReport {
    var items: [CostItem] = []
    func add(_ service: String, _ item: String, _ q: Double, _ unit: String, _ price: Double) {
      let component = String(item.prefix { $0 != " " })
      items.append(
        CostItem(service: service, component: component, item: item, quantity: q, unit: unit, unitPrice: price))
    }
    for f in functions {
      add("lambda", "\(f.name) requests", Double(f.counters.invocations), "requests", prices.lambdaRequest)
      let gbSeconds = Double(f.counters.billedMilliseconds) / 1_000 * Double(f.spec.memorySize) / 1_024
      let arm = f.spec.architecture == .arm64
      add(
        "lambda", "\(f.name) duration (\(f.spec.memorySize) MB, \(f.spec.architecture.rawValue))", gbSeconds,
        "GB-seconds", arm ? prices.lambdaGBSecondArm : prices.lambdaGBSecondX86)
    }
    for q in queues {
      let c = q.counters
      let receives =
        c.receiveCalls + c.idleReceives + q.mappings.reduce(0) { $0 + mappings[$1].idleEmptyReceives(now: now) }
      add("sqs", "\(q.name) SendMessage", Double(c.sendRequests), "requests", prices.sqsRequest)
      add("sqs", "\(q.name) ReceiveMessage", Double(receives), "requests", prices.sqsRequest)
      add("sqs", "\(q.name) DeleteMessage", Double(c.deleteRequests), "requests", prices.sqsRequest)
      if c.otherRequests > 0 {
        add("sqs", "\(q.name) other requests", Double(c.otherRequests), "requests", prices.sqsRequest)
      }
    }
    for t in topics {
      add("sns", "\(t.name) publishes", Double(t.counters.publishRequests), "requests", prices.snsPublish)
      var byProtocol: [(String, Int)] = []
      for s in t.subscriptions {
        guard let si = s.sink else { continue }
        let p = sinkProtocol(sinks[si].name)
        if let i = byProtocol.firstIndex(where: { $0.0 == p }) {
          byProtocol[i].1 += s.delivered
        } else {
          byProtocol.append((p, s.delivered))
        }
      }
      for (p, n) in byProtocol {
        let price: Double
        switch p {
        case "http", "https": price = prices.snsDeliveryHTTP
        case "application": price = prices.snsDeliveryMobilePush
        case "email", "email-json": price = prices.snsDeliveryEmail
        default: price = 0
        }
        add("sns", "\(t.name) \(p) deliveries", Double(n), "deliveries", price)
      }
    }
    let span = now - topology.startTime
    for b in buckets {
      add("s3", "\(b.name) PUT/LIST requests", Double(b.puts + b.lists), "requests", prices.s3Put)
      add("s3", "\(b.name) GET/HEAD requests", Double(b.gets + b.heads), "requests", prices.s3Get)
      // Bytes × time stored, in GB-months (a month of 30 days, GB = 2^30 bytes).
      let gbMonths = b.byteMicroseconds(now: now) / 1_073_741_824 / Double(SimDuration.days(30).microseconds)
      add("s3", "\(b.name) storage", gbMonths, "GB-months", prices.s3GBMonth)
    }
    return CostReport(items: items, span: span, prices: prices)
  }
}
