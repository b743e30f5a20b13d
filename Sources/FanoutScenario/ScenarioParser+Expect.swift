import FanoutSim
import Yams

// MARK: - Expectations: the promises a run is checked against

extension ScenarioParser {
  func expect(_ node: Node, _ names: Names) -> [Expectation] {
    let keys = [
      "allRequestsComplete", "maxFailedRequests", "maxInDeadLetterQueues", "maxInQueue", "p99LatencyBelow",
      "maxAgeOfOldestMessage",
    ]
    var out: [Expectation] = []
    for (k, v) in r.mapping(node, "expect", keys: keys) ?? [] {
      let p = "expect." + k
      switch k {
      case "allRequestsComplete": if r.bool(v, p) == true { out.append(.allRequestsComplete) }
      case "maxFailedRequests": if let n = r.int(v, p, 0...100_000_000) { out.append(.maxFailedRequests(n)) }
      case "maxInDeadLetterQueues": if let n = r.int(v, p, 0...100_000_000) { out.append(.maxInDeadLetterQueues(n)) }
      case "p99LatencyBelow": if let d = r.duration(v, p) { out.append(.p99LatencyBelow(d)) }
      case "maxInQueue", "maxAgeOfOldestMessage":
        guard case .mapping(let m) = v else {
          r.error(v, p, "expected a mapping of queue names to limits")
          continue
        }
        for (qk, qv) in m {
          guard let q = qk.string else { continue }
          refer(qk, p + "." + q, q, names, .queue)
          if k == "maxInQueue" {
            if let n = r.int(qv, p + "." + q, 0...100_000_000) { out.append(.maxInQueue(q, n)) }
          } else if let d = r.duration(qv, p + "." + q) {
            out.append(.maxAgeOfOldestMessage(q, d))
          }
        }
      default: break
      }
    }
    return out
  }
}
