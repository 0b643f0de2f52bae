import StoqCore
import StoqWire
import Testing

@testable import StoqAPI

@Suite("Shopify's throttle status is the server's word, bounded")
struct ThrottleStatusTests {
    @Test("infinite, negative and huge figures are held within 0 to 1e9, so a plan's estimate and JSON never meet one")
    func bounded() throws {
        let json = try JSONValue.parse(
            #"{"extensions": {"cost": {"throttleStatus": {"maximumAvailable": 1e999, "currentlyAvailable": -5, "restoreRate": 1e300}}}}"#)
        let status = try #require(ShopifyClient.throttleStatus(json))
        #expect(status.maximum == 1e9 && status.available == 0 && status.restoreRate == 1e9)
        var plan = Plan(operations: [])
        plan.reads = Plan.Reads(stoqRequests: 1, shopifyPoints: 10, shopifyBucket: status.maximum, shopifyRestoreRate: status.restoreRate)
        #expect(plan.applyEstimate.seconds >= 1)
        #expect(PlanJSON.render(plan).contains("\"shopify_bucket\": 1000000000"))
        let normal = try JSONValue.parse(
            #"{"extensions": {"cost": {"throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}}}}"#
        )
        #expect(try #require(ShopifyClient.throttleStatus(normal)) == (2_000, 1_990, 100))
    }
}
