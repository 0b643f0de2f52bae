import HTTPTypes
import StoqEmulator
import StoqWire
import Testing

extension Shop {
    /// POSTs a GraphQL document to the emulator's Shopify endpoint.
    func graphQL(_ query: String, variables: String = "{}", token: String? = "shpat_test", version: String = "2026-10") async throws
        -> (status: Int, body: JSONValue, response: WireResponse)
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.xShopifyAccessToken] = token }
        var body = ""
        JSONValue.escape(query, into: &body)
        let request = WireRequest(
            method: .post, path: "/admin/api/\(version)/graphql.json", headers: headers,
            body: Array(#"{"query": \#(body), "variables": \#(variables)}"#.utf8))
        guard case .response(let r) = await emulator.handle(request) else {
            Issue.record("connection dropped")
            return (0, .null, WireResponse(status: 0))
        }
        return (r.status.code, (try? JSONValue.parse(r.body)) ?? .null, r)
    }

    /// `["gid://shopify/ProductVariant/1", …]`.
    static func gids(_ ids: [Int64]) -> String {
        "[" + ids.map { #""gid://shopify/ProductVariant/\#($0)""# }.joined(separator: ", ") + "]"
    }

    /// `{"ids": [...]}`.
    static func ids(_ ids: [Int64]) -> String { #"{"ids": \#(gids(ids))}"# }
}

let policyQuery = "query P($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id inventoryPolicy } } }"

let policyState = """
    {"plans": [{"id": "p1", "name": "P", "product_variants_source": "custom", "shopify_variant_ids": [10, 11]}],
     "variant_policies": {"10": "CONTINUE", "12": "DENY"}}
    """

@Suite("Emulator: Shopify's Admin GraphQL query for inventory policies")
struct ShopifyGraphQLTests {
    @Test("nodes(ids:) answers in Shopify's shape: policies, DENY for a member without an entry, null for an unknown id, cost extensions")
    func shape() async throws {
        let shop = try Shop(state: policyState)
        let r = try await shop.graphQL(policyQuery, variables: Shop.ids([10, 11, 12, 13]))
        #expect(r.status == 200)
        let nodes = try #require(r.body["data"]?["nodes"]?.arrayValue)
        #expect(nodes.count == 4)
        #expect(nodes[0] == .object([("id", .string("gid://shopify/ProductVariant/10")), ("inventoryPolicy", .string("CONTINUE"))]))
        #expect(nodes[1]["inventoryPolicy"] == .string("DENY"), "a member without an entry reads as DENY, Shopify's default")
        #expect(nodes[2]["inventoryPolicy"] == .string("DENY"))
        #expect(nodes[3] == .null, "an id Shopify does not know")
        let cost = try #require(r.body["extensions"]?["cost"])
        #expect(cost["requestedQueryCost"] == .integer(4))
        #expect(cost["actualQueryCost"] == .integer(3), "null nodes are refunded")
        #expect(cost["throttleStatus"]?["maximumAvailable"] == .number("2000.0"))
        #expect(cost["throttleStatus"]?["currentlyAvailable"] == .integer(1997))
        #expect(cost["throttleStatus"]?["restoreRate"] == .number("100.0"))
        #expect(r.response.header(.xRateLimitLimit) == nil, "Shopify's budget, not STOQ's")
        let stoq = try await shop.send("GET", "/preorders")
        #expect(stoq.response.header(.xRateLimitRemaining) == "359", "the GraphQL query cost no STOQ points")
        let log = await shop.emulator.requestLog
        #expect(log.first?.shopify == true && log.first?.cost == 0)
    }

    @Test("aliases, __typename, inline id literals and a Node fragment are answered")
    func otherSelections() async throws {
        let shop = try Shop(state: policyState)
        let r = try await shop.graphQL(
            #"{ a: nodes(ids: ["gid://shopify/ProductVariant/10"]) { __typename ... on ProductVariant { policy: inventoryPolicy } } __typename }"#
        )
        #expect(r.body["data"]?["a"] == .array([.object([("__typename", .string("ProductVariant")), ("policy", .string("CONTINUE"))])]))
        let other = try await shop.graphQL(#"{ nodes(ids: ["gid://shopify/Order/10"]) { id } }"#)
        #expect(other.body["data"]?["nodes"] == .array([.null]), "a global id of another type is no variant here")
    }

    @Test("the cost bucket runs out: THROTTLED (HTTP 200), nothing charged, and it refills at the restore rate")
    func throttling() async throws {
        let known = (1...250).map { "\"\($0)\": \"DENY\"" }.joined(separator: ", ")
        let shop = try Shop(state: #"{"variant_policies": {\#(known)}}"#) {
            $0.shopifyBucketSize = 300
            $0.shopifyRestoreRate = 10
        }
        let big = Shop.ids((1...250).map { Int64($0) })
        let first = try await shop.graphQL(policyQuery, variables: big)
        #expect(first.body["data"] != nil)
        #expect(first.body["extensions"]?["cost"]?["throttleStatus"]?["currentlyAvailable"] == .integer(50), "250 known nodes charged")
        let throttled = try await shop.graphQL(policyQuery, variables: big)
        #expect(throttled.status == 200)
        #expect(throttled.body["errors"]?.arrayValue?.dropFirst(0).first?["message"] == .string("Throttled"))
        #expect(throttled.body["errors"]?.arrayValue?.dropFirst(0).first?["extensions"]?["code"] == .string("THROTTLED"))
        #expect(throttled.body["extensions"]?["cost"]?["requestedQueryCost"] == .integer(250))
        #expect(throttled.body["extensions"]?["cost"]?["actualQueryCost"] == .null)
        #expect(throttled.body["data"] == nil)
        shop.clock.advance(by: .seconds(20))
        let refilled = try await shop.graphQL(policyQuery, variables: big)
        #expect(refilled.body["data"] != nil, "250 points after 20 s at 10 points/s")
    }

    @Test("Shopify's limits and errors: 250 ids, single-query cost, syntax, unknown fields, variables, ids, token, body")
    func errors() async throws {
        let shop = try Shop(state: policyState)
        func error(_ query: String, _ variables: String = "{}") async throws -> (String?, String?, JSONValue?) {
            let r = try await shop.graphQL(query, variables: variables)
            #expect(r.status == 200)
            #expect(r.body["data"] == nil)
            let e = r.body["errors"]?.arrayValue?.first
            return (e?["message"]?.stringValue, e?["extensions"]?["code"]?.stringValue, e?["locations"])
        }
        let tooMany = try await error(policyQuery, Shop.ids((1...251).map { Int64($0) }))
        #expect(tooMany.0 == "The input array size of 251 is greater than the maximum allowed of 250.")
        #expect(tooMany.1 == "MAX_INPUT_SIZE_EXCEEDED")
        let full = Shop.gids((1...250).map { Int64($0) })
        let costly = try await error(
            "query($a: [ID!]!, $b: [ID!]!, $c: [ID!]!, $d: [ID!]!, $e: [ID!]!) { a: nodes(ids: $a) { id } b: nodes(ids: $b) { id } c: nodes(ids: $c) { id } d: nodes(ids: $d) { id } e: nodes(ids: $e) { id } }",
            #"{"a": \#(full), "b": \#(full), "c": \#(full), "d": \#(full), "e": \#(Shop.gids((1...10).map { Int64($0) }))}"#)
        #expect(costly.1 == "MAX_COST_EXCEEDED")
        let syntax = try await error("query P($ids: [ID!]!) { nodes(ids: $ids) { id }")
        #expect(syntax.0 == "Parse error on \"end of file\" at [1, 48]")
        #expect(syntax.2 == .array([.object([("line", .integer(1)), ("column", .integer(48))])]))
        let field = try await error("query P($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id price } } }", Shop.ids([10]))
        #expect(field.0 == "Field 'price' doesn't exist on type 'ProductVariant'")
        #expect(field.1 == "undefinedField")
        let root = try await error("{ orders(first: 1) { nodes { id } } }")
        #expect(root.0 == "Field 'orders' doesn't exist on type 'QueryRoot'")
        let variable = try await error(policyQuery)
        #expect(variable.0 == "Variable $ids of type [ID!]! was provided invalid value")
        let gid = try await error(policyQuery, #"{"ids": ["10"]}"#)
        #expect(gid.0 == "Invalid global id '10'")
        let mutation = try await error("mutation { bulkOperationRunQuery(query: \"x\") { userErrors { message } } }")
        #expect(mutation.0 == "this emulator serves queries only, not mutations")
        #expect(try await shop.graphQL(policyQuery, variables: Shop.ids([10]), token: nil).status == 401)
        let notJSON = await shop.emulator.handle(
            WireRequest(
                method: .post, path: "/admin/api/2026-10/graphql.json", headers: [.xShopifyAccessToken: "t"],
                body: Array("nope".utf8)))
        guard case .response(let r) = notJSON else { return }
        #expect(r.status == 400)
    }

    @Test("a policy job changes Shopify's answer only when it finishes")
    func jobsFinishFirst() async throws {
        let shop = try Shop(state: policyState)
        let toggle = try await shop.send(
            "POST", "/preorders/p1/bulk_toggle_inventory_policy", json: #"{"shopify_variant_ids": [10, 11], "inventory_policy": "DENY"}"#)
        #expect(toggle.status == 200)
        let during = try await shop.graphQL(policyQuery, variables: Shop.ids([10, 11]))
        #expect(
            during.body["data"]?["nodes"]?.arrayValue?.dropFirst(0).first?["inventoryPolicy"] == .string("CONTINUE"),
            "the job is still running")
        shop.clock.advance(by: .seconds(2.5))
        let after = try await shop.graphQL(policyQuery, variables: Shop.ids([10, 11]))
        #expect(after.body["data"]?["nodes"]?.arrayValue?.dropFirst(0).first?["inventoryPolicy"] == .string("DENY"))
        #expect(after.body["data"]?["nodes"]?.arrayValue?.dropFirst(1).first?["inventoryPolicy"] == .string("DENY"))
    }

    @Test("faults apply to Shopify as to STOQ: 5xx, dropped connections, 429 bursts as THROTTLED, a job that skips variants")
    func faults() async throws {
        let failing = try Shop(state: policyState) { $0.faults = try! FaultSpec(parsing: "5xx=1") }
        #expect([500, 502, 503].contains(try await failing.graphQL(policyQuery, variables: Shop.ids([10])).status))
        let bursting = try Shop(state: policyState) { $0.faults = try! FaultSpec(parsing: "429=1,burst=1") }
        let throttled = try await bursting.graphQL(policyQuery, variables: Shop.ids([10]))
        #expect(throttled.body["errors"]?.arrayValue?.dropFirst(0).first?["extensions"]?["code"] == .string("THROTTLED"))
        let dropping = try Shop(state: policyState) { $0.faults = try! FaultSpec(parsing: "drop=1") }
        let request = WireRequest(method: .post, path: "/admin/api/2026-10/graphql.json", headers: [.xShopifyAccessToken: "t"])
        guard case .dropped = await dropping.emulator.handle(request) else {
            Issue.record("expected a dropped connection")
            return
        }
        let skipping = try Shop(state: policyState) { $0.faults = try! FaultSpec(parsing: "jobfail=1") }
        try await skipping.send(
            "POST", "/preorders/p1/bulk_toggle_inventory_policy", json: #"{"shopify_variant_ids": [10], "inventory_policy": "DENY"}"#)
        skipping.clock.advance(by: .seconds(3))
        #expect(await skipping.emulator.inventoryPolicy(of: 10) == "CONTINUE", "the job left the variant as it was")
    }
}
