import FanoutSim
import Yams

// MARK: - Expectations: the promises a run is checked against

extension ScenarioParser {
  func expect(_ node: Node, _ names: Names) -> [Expectation] {
    let keys = [
      "allRequestsComplete", "maxFailedRequests", "maxInDeadLetterQueues", "maxInQueue", "minInQueue",
      "p99LatencyBelow",
      "maxAgeOfOldestMessage", "minDuplicateStageCompletions", "maxDuplicateStageCompletions", "maxCostUSD",
      "minCostUSD", "minCostShare",
    ]
    var out: [Expectation] = []
    for (k, v) in r.mapping(node, "expect", keys: keys) ?? [] {
      let p = "expect." + k
      switch k {
      case "allRequestsComplete": if r.bool(v, p) == true { out.append(.allRequestsComplete) }
      case "maxFailedRequests": if let n = r.int(v, p, 0...100_000_000) { out.append(.maxFailedRequests(n)) }
      case "maxInDeadLetterQueues": if let n = r.int(v, p, 0...100_000_000) { out.append(.maxInDeadLetterQueues(n)) }
      case "p99LatencyBelow": if let d = r.duration(v, p) { out.append(.p99LatencyBelow(d)) }
      case "minDuplicateStageCompletions", "maxDuplicateStageCompletions":
        guard case .mapping(let m) = v else {
          r.error(v, p, "expected a mapping of stage names (a seed service's stage) to counts")
          continue
        }
        for (sk, sv) in m {
          guard let stage = sk.string, let n = r.int(sv, p + "." + stage, 0...100_000_000) else { continue }
          out.append(
            k == "minDuplicateStageCompletions"
              ? .minDuplicateStageCompletions(stage, n) : .maxDuplicateStageCompletions(stage, n))
        }
      case "maxInQueue", "minInQueue", "maxAgeOfOldestMessage":
        guard case .mapping(let m) = v else {
          r.error(v, p, "expected a mapping of queue names to limits")
          continue
        }
        for (qk, qv) in m {
          guard let q = qk.string else { continue }
          refer(qk, p + "." + q, q, names, .queue)
          if k == "maxInQueue" || k == "minInQueue" {
            if let n = r.int(qv, p + "." + q, 0...100_000_000) {
              out.append(k == "maxInQueue" ? .maxInQueue(q, n) : .minInQueue(q, n))
            }
          } else if let d = r.duration(qv, p + "." + q) {
            out.append(.maxAgeOfOldestMessage(q, d))
          }
        }
      case "maxCostUSD", "minCostUSD", "minCostShare":
        guard case .mapping(let m) = v else {
          r.error(
            v, p, "expected a mapping of total, a service (lambda, sqs, sns, s3) or a component's name to dollars")
          continue
        }
        let services = ["lambda", "sqs", "sns", "s3"]
        for (ck, cv) in m {
          guard let what = ck.string else { continue }
          let kp = p + "." + what
          if k == "minCostShare" {
            guard services.contains(what) else {
              r.error(ck, kp, "a cost share is a service's: lambda, sqs, sns or s3")
              continue
            }
            if let x = r.double(cv, kp, 0...1) { out.append(.minCostShare(what, x)) }
            continue
          }
          if what != "total", !services.contains(what) {
            let known =
              names.functions.keys.sorted() + names.queues.keys.sorted() + names.topics.keys.sorted()
              + names.buckets.keys.sorted()
            if !known.contains(what) {
              var msg = "'\(what)' is neither total, a service (lambda, sqs, sns, s3) nor a component of the pipeline"
              if let s = suggestion(what, known + ["total"] + services) { msg += " (did you mean '\(s)'?)" }
              r.error(ck, kp, msg)
              continue
            }
          }
          if let x = r.double(cv, kp, 0...1_000_000_000) {
            out.append(k == "maxCostUSD" ? .maxCostUSD(what, x) : .minCostUSD(what, x))
          }
        }
      default: break
      }
    }
    return out
  }
}
