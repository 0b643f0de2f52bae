import HTTPTypes
import StoqEmulator
import StoqWire
import Testing

@Suite("Emulator: answers as Shopify and STOQ give them in odd cases")
struct ShopifyLikeAnswerTests {
    @Test("a supported API version is echoed in X-Shopify-API-Version; another falls forward to the oldest supported, and says so")
    func versionPath() async throws {
        let shop = try Shop(state: policyState)
        let asked = try await shop.graphQL(policyQuery, variables: Shop.ids([10]), version: "2026-10")
        #expect(asked.status == 200)
        #expect(asked.response.header(.xShopifyAPIVersion) == "2026-10")
        for mistyped in ["2026-11", "2023-01", "latest"] {
            let r = try await shop.graphQL(policyQuery, variables: Shop.ids([10]), version: mistyped)
            #expect(r.status == 200, "\(mistyped)")
            #expect(r.response.header(.xShopifyAPIVersion) == Emulator.shopifyVersions.first, "\(mistyped)")
        }
    }

    @Test("an existing node that is not a variant answers {} to a ProductVariant fragment; an unknown one null")
    func nonVariantNode() async throws {
        let shop = try Shop(state: #"{"plans": [{"id": "p1", "name": "P", "shopify_variant_ids": [10]}]}"#)
        let group = try #require(try await shop.send("GET", "/preorders/p1").body["shopify_selling_plan_group_id"]?.int64Value)
        let r = try await shop.graphQL(
            policyQuery,
            variables:
                #"{"ids": ["gid://shopify/SellingPlanGroup/\#(group)", "gid://shopify/SellingPlanGroup/1", "gid://shopify/ProductVariant/10"]}"#
        )
        let nodes = try #require(r.body["data"]?["nodes"]?.arrayValue)
        #expect(nodes.count == 3)
        #expect(nodes[0] == .object([]), "\(nodes)")
        #expect(nodes[1] == .null)
        #expect(nodes[2]["inventoryPolicy"] == .string("DENY"))
    }

    @Test("a fault-forced THROTTLED reports a bucket that cannot pay for the query")
    func honestThrottle() async throws {
        let shop = try Shop(state: policyState) { $0.faults = try! FaultSpec(parsing: "429=1,burst=1") }
        let r = try await shop.graphQL(policyQuery, variables: Shop.ids([10, 11]))
        #expect(r.body["errors"]?.arrayValue?.first?["extensions"]?["code"] == .string("THROTTLED"))
        let status = try #require(r.body["extensions"]?["cost"]?["throttleStatus"])
        let available = try #require(status["currentlyAvailable"]?.numberText.flatMap(Double.init))
        let requested = try #require(r.body["extensions"]?["cost"]?["requestedQueryCost"]?.numberText.flatMap(Double.init))
        #expect(available < requested, "\(r.body)")
    }

    @Test("PUT with an empty selling_plan is refused as an empty body is: 400, the same message")
    func emptySellingPlan() async throws {
        let shop = try Shop(state: policyState)
        let empty = try await shop.send("PUT", "/preorders/p1", json: "{}")
        let emptyPlan = try await shop.send("PUT", "/preorders/p1", json: #"{"selling_plan": {}}"#)
        #expect(empty.status == 400 && emptyPlan.status == 400)
        #expect(emptyPlan.body == empty.body)
        let create = try await shop.send("POST", "/preorders", json: #"{"selling_plan": {}}"#)
        #expect(create.status == 400 && create.body == empty.body)
    }
}
