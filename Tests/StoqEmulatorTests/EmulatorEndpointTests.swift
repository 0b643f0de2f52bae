import HTTPTypes
import StoqEmulator
import StoqWire
import Testing

@Suite("Emulator endpoints: documented shapes, success and error paths")
struct EmulatorEndpointTests {
    @Test("create returns the full plan with defaults; get returns it bare")
    func createAndGet() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "Fall", "internal_name": "fall", "pricing_percentage": 10"#)
        let r = try await shop.send("GET", "/preorders/\(id)")
        #expect(r.status == 200)
        #expect(r.body["internal_name"] == .string("fall"))
        #expect(r.body["pricing_percentage"] == .number("10.0"), "decimals echo with a fraction")
        #expect(r.body["billing_type"] == .string("no_remaining_balance"))
        #expect(r.body["ongoing_job"] == .bool(false))
        #expect(r.body["markets_enabled"] == nil, "write-only fields are not returned")
        #expect(r.body["selling_plan"] == nil, "the object is bare")
        let keys = r.body.objectValue?.map(\.0) ?? []
        #expect(keys.first == "id" && keys.last == "shopify_variant_ids")
        #expect(r.response.header(.xRateLimitLimit) == "360")
    }

    @Test("internal_name defaults to name; datetimes echo in UTC with milliseconds")
    func defaultsAndDatetimes() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "Only name", "billing_type": "exact_time", "billing_at": "2026-10-01T11:00:00+02:00""#)
        let r = try await shop.send("GET", "/preorders/\(id)")
        #expect(r.body["internal_name"] == .string("Only name"))
        #expect(r.body["billing_at"] == .string("2026-10-01T09:00:00.000Z"))
        // Before year 1, as Rails writes it: a sign and four digits.
        let early = try await shop.create(#""name": "Early", "billing_type": "exact_time", "billing_at": "0000-01-01T00:00:00+01:00""#)
        #expect(try await shop.send("GET", "/preorders/\(early)").body["billing_at"] == .string("-0001-12-31T23:00:00.000Z"))
    }

    @Test("the rate limit window rolls by default: points come back as old charges leave it; fixed restarts it")
    func rollingWindow() async throws {
        let clock = VirtualClock()
        for kind in RateLimitWindowKind.allCases {
            var configuration = EmulatorConfiguration()
            configuration.rateLimitPoints = 3
            configuration.rateLimitWindow = 10
            configuration.rateLimitWindowKind = kind
            let emulator = try Emulator(configuration: configuration, clock: clock)
            func get() async -> WireResponse? {
                await emulator.respond(WireRequest(method: .get, path: "/preorders", headers: [.xAuthToken: "t"]))
            }
            _ = await get()
            clock.advance(by: .seconds(4))
            _ = await get()
            _ = await get()
            let refused = await get()
            #expect(refused?.status == 429)
            // Rolling: the first charge leaves the window 6 s from now; fixed: the window ends then too.
            #expect(refused?.header(.retryAfter) == "6")
            clock.advance(by: .seconds(6.5))
            let afterFirst = await get()
            #expect(afterFirst?.status == 200)
            let next = await get()
            // Rolling: the two charges at t0 + 4 are still in the window; fixed: a new window began.
            #expect(next?.status == (kind == .rolling ? 429 : 200), "\(kind)")
            clock.advance(by: .seconds(20))
        }
    }

    @Test("create and update refuse bad input with 400 and Rails-style 422")
    func validation() async throws {
        let shop = try Shop()
        #expect(try await shop.send("POST", "/preorders", json: #"{"name": "no wrapper"}"#).status == 400)
        #expect(try await shop.send("POST", "/preorders", json: "{not json").status == 400)
        let bad = try await shop.send("POST", "/preorders", json: #"{"selling_plan": {"billing_type": "someday", "enabled": "yes"}}"#)
        #expect(bad.status == 422)
        #expect(bad.body["errors"]?["billing_type"] == .array([.string("is not included in the list")]))
        #expect(bad.body["errors"]?["enabled"] == .array([.string("must be true or false")]))
        #expect(try await shop.send("PUT", "/preorders/nope", json: #"{"selling_plan": {}}"#).status == 404)
    }

    @Test("update is partial; null clears a nullable field and is refused on others")
    func partialUpdate() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "A", "billing_checkout_charge_amount": 5, "shipping_text": "Soon""#)
        let r = try await shop.send(
            "PUT", "/preorders/\(id)", json: #"{"selling_plan": {"name": "B", "billing_checkout_charge_amount": null}}"#)
        #expect(r.status == 200)
        #expect(r.body["name"] == .string("B"))
        #expect(r.body["shipping_text"] == .string("Soon"), "omitted fields are untouched")
        #expect(r.body["billing_checkout_charge_amount"] == .null)
        let refused = try await shop.send("PUT", "/preorders/\(id)", json: #"{"selling_plan": {"name": null}}"#)
        #expect(refused.status == 422)
        #expect(refused.body["errors"]?["name"] == .array([.string("can't be blank")]))
    }

    @Test("delete is soft: the plan disappears from reads and the list; a second delete is 404")
    func delete() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "Gone""#)
        let r = try await shop.send("DELETE", "/preorders/\(id)")
        #expect(r.status == 200)
        #expect(r.body == .object([("success", .bool(true)), ("message", .string("Selling plan deleted successfully"))]))
        #expect(try await shop.send("GET", "/preorders/\(id)").status == 404)
        #expect(try await shop.send("DELETE", "/preorders/\(id)").status == 404)
        #expect(try await shop.send("GET", "/preorders").body["meta"]?["total_count"] == .integer(0))
        #expect(await shop.emulator.stateJSON().contains("\"discarded_at\": \"20"))
    }

    @Test("list pages with meta, caps per_page at 250, filters by name, refuses page 0")
    func list() async throws {
        let shop = try Shop()
        for i in 0..<30 { _ = try await shop.create(#""name": "Plan \#(i)", "internal_name": "plan-\#(i)""#) }
        let first = try await shop.send("GET", "/preorders")
        #expect(first.body["selling_plans"]?.arrayValue?.count == 25)
        #expect(
            first.body["meta"]
                == .object([("total_count", .integer(30)), ("page", .integer(1)), ("per_page", .integer(25)), ("total_pages", .integer(2))])
        )
        let second = try await shop.send("GET", "/preorders", query: [("page", "2")])
        #expect(second.body["selling_plans"]?.arrayValue?.count == 5)
        let capped = try await shop.send("GET", "/preorders", query: [("per_page", "1000")])
        #expect(capped.body["meta"]?["per_page"] == .integer(250))
        let named = try await shop.send("GET", "/preorders", query: [("name", "PLAN-2")])
        #expect(named.body["meta"]?["total_count"] == .integer(1 + 10), "plan-2 and plan-20…29")
        #expect(try await shop.send("GET", "/preorders", query: [("page", "0")]).status == 400)
        let item = try #require(first.body["selling_plans"]?.arrayValue?.first)
        #expect(
            item.objectValue?.map(\.0) == [
                "id", "name", "internal_name", "enabled", "selling_plan_product_variants_count", "created_at", "updated_at",
                "shopify_variant_ids",
            ])
    }

    @Test("add_variant: success, 400, 404, 422 with existing_variants (all-or-nothing), 422 for non-custom plans and too many ids")
    func addVariant() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "A""#)
        let ok = try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [11, 12]}"#)
        #expect(ok.status == 200)
        #expect(ok.body["variants_added"] == .array([.integer(11), .integer(12)]))
        #expect(try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": []}"#).status == 400)
        #expect(try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{}"#).status == 400)
        #expect(try await shop.send("POST", "/preorders/nope/add_variant", json: #"{"shopify_variant_ids": [1]}"#).status == 404)
        let dup = try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [12, 13]}"#)
        #expect(dup.status == 422)
        #expect(dup.body["existing_variants"] == .array([.integer(12)]))
        #expect(try await shop.send("GET", "/preorders/\(id)").body["shopify_variant_ids"] == .array([.integer(11), .integer(12)]))
        let all = try await shop.create(#""name": "All", "product_variants_source": "all""#)
        #expect(try await shop.send("POST", "/preorders/\(all)/add_variant", json: #"{"shopify_variant_ids": [1]}"#).status == 422)
        let many = "[" + (1...251).map(String.init).joined(separator: ",") + "]"
        #expect(try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": \#(many)}"#).status == 422)
    }

    @Test("remove_variant takes comma-separated ids in the query and sets a policy inline")
    func removeVariant() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "A""#)
        try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [11, 12, 13]}"#)
        let r = try await shop.send(
            "DELETE", "/preorders/\(id)/remove_variant", query: [("shopify_variant_ids", "11,13,99"), ("inventory_policy", "DENY")])
        #expect(r.status == 200)
        #expect(r.body["variants_removed"] == .array([.integer(11), .integer(13)]))
        #expect(await shop.emulator.inventoryPolicy(of: 11) == "DENY")
        #expect(await shop.emulator.inventoryPolicy(of: 99) == "DENY")
        #expect(try await shop.send("DELETE", "/preorders/\(id)/remove_variant").status == 400)
        #expect(try await shop.send("DELETE", "/preorders/\(id)/remove_variant", query: [("shopify_variant_ids", "1,x")]).status == 400)
        #expect(
            try await shop.send(
                "DELETE", "/preorders/\(id)/remove_variant", query: [("shopify_variant_ids", "12"), ("inventory_policy", "MAYBE")]
            ).status == 422)
        #expect(try await shop.send("DELETE", "/preorders/nope/remove_variant", query: [("shopify_variant_ids", "12")]).status == 404)
    }

    @Test("product_variants: the documented shape, a single object per variant, 400 for both filters, 404 for a non-member")
    func productVariants() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "A", "shipping_text": "Soon""#)
        try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [4390091001050, 4390091001099]}"#)
        let all = try await shop.send("GET", "/preorders/\(id)/product_variants")
        #expect(all.body["product_variants"]?.arrayValue?.count == 2)
        #expect(all.body["meta"] == .object([("total_variants", .integer(2)), ("total_units_sold", .integer(0))]))
        let one = try await shop.send("GET", "/preorders/\(id)/product_variants", query: [("shopify_variant_id", "4390091001099")])
        #expect(one.body["shopify_variant_id"] == .integer(4390091001099))
        #expect(one.body["shipping_text"] == .string("Soon"))
        #expect(
            try await shop.send(
                "GET", "/preorders/\(id)/product_variants", query: [("shopify_variant_id", "1"), ("shopify_product_id", "2")]
            ).status == 400)
        #expect(try await shop.send("GET", "/preorders/\(id)/product_variants", query: [("shopify_variant_id", "5")]).status == 404)
    }

    @Test("bulk toggle runs as a job: ongoing_job, 409 for membership calls meanwhile, policies flip when it ends")
    func toggleJob() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "A""#)
        try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [11, 12]}"#)
        let r = try await shop.send(
            "POST", "/preorders/\(id)/bulk_toggle_inventory_policy",
            json: #"{"shopify_variant_ids": [11, 12], "inventory_policy": "CONTINUE"}"#)
        #expect(r.status == 200)
        #expect(r.body["variants_queued"] == .array([.integer(11), .integer(12)]))
        #expect(try await shop.send("GET", "/preorders/\(id)").body["ongoing_job"] == .bool(true))
        #expect(await shop.emulator.inventoryPolicy(of: 11) == "DENY", "not yet applied")
        let busy = try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [13]}"#)
        #expect(busy.status == 409)
        #expect(busy.body["error"]?.stringValue?.contains("job is in progress") == true)
        #expect(
            try await shop.send("PUT", "/preorders/\(id)", json: #"{"selling_plan": {"name": "B"}}"#).status == 200, "PUT is not blocked")
        shop.clock.advance(by: .seconds(2.5))
        #expect(try await shop.send("GET", "/preorders/\(id)").body["ongoing_job"] == .bool(false))
        #expect(await shop.emulator.inventoryPolicy(of: 11) == "CONTINUE")
        #expect(
            try await shop.send("POST", "/preorders/\(id)/bulk_toggle_inventory_policy", json: #"{"shopify_variant_ids": [11]}"#).status
                == 400)
        #expect(
            try await shop.send(
                "POST", "/preorders/\(id)/bulk_toggle_inventory_policy",
                json: #"{"shopify_variant_ids": [11], "inventory_policy": "SOMETIMES"}"#
            ).status == 422)
        #expect(
            try await shop.send(
                "POST", "/preorders/nope/bulk_toggle_inventory_policy", json: #"{"shopify_variant_ids": [11], "inventory_policy": "DENY"}"#
            ).status == 404)
    }

    @Test("a missing, empty or wrong token is 401; unknown routes are 404")
    func authAndRoutes() async throws {
        let shop = try Shop { $0.token = "secret" }
        #expect(try await shop.send("GET", "/preorders", token: nil).status == 401)
        #expect(try await shop.send("GET", "/preorders", token: "").status == 401)
        #expect(try await shop.send("GET", "/preorders", token: "wrong").body == .object([("error", .string("Unauthorized"))]))
        #expect(try await shop.send("GET", "/preorders", token: "secret").status == 200)
        #expect(try await shop.send("GET", "/preorders/x/nothing", token: "secret").status == 404)
        #expect(try await shop.send("GET", "/api/v1/external/preorders", token: "secret").status == 200, "the base path is accepted")
    }
}
