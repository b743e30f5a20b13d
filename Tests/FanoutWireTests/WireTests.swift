import FanoutSim
import Testing

@testable import FanoutWire

@Suite("Wire requests")
struct WireTests {
  @Test("Header names are matched in any case, as HTTP says")
  func testHeaderNamesAreCaseInsensitive() {
    let r = WireRequest(method: "POST", path: "/", headers: [("X-Amz-Target", "AmazonSQS.ListQueues")])
    #expect(r.header("x-amz-target") == "AmazonSQS.ListQueues")
    #expect(r.header("X-AMZ-TARGET") == "AmazonSQS.ListQueues")
    #expect(r.header("content-type") == nil)
  }
}
