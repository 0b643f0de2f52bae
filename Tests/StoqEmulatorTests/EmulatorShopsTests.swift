import HTTPTypes
import StoqEmulator
import StoqWire
import Testing

/// Two shops: "eu" with plan "EU plan" and a tee, "us" with plan "US plan" and a coat.
let twoShops = """
    {"shops": {
      "eu": {"stoq_token": "stoq-eu-secret", "shopify_token": "shpat_eu_secret", "shopify_domain": "acme-eu.myshopify.com",
             "state": {"shop_id": 11, "plans": [{"id": "eu-1", "name": "EU plan"}],
                       "products": [{"id": 100, "handle": "eu-tee", "title": "EU Tee", "variants": [{"id": 10001, "sku": "EU-TEE"}]}]}},
      "us": {"stoq_token": "stoq-us-secret", "shopify_token": "shpat_us_secret", "shopify_domain": "acme-us.myshopify.com",
             "state": {"shop_id": 22, "plans": [{"id": "us-1", "name": "US plan"}, {"id": "us-2", "name": "US other"}],
                       "products": [{"id": 200, "handle": "us-coat", "title": "US Coat", "variants": [{"id": 20001, "sku": "US-COAT"}]}]}}
    }}
    """

/// A driver for ``EmulatorShops``.
struct Shops {
    let shops: EmulatorShops

    init(_ state: String = twoShops, configure: (inout EmulatorConfiguration) -> Void = { _ in }) throws {
        var configuration = EmulatorConfiguration()
        configure(&configuration)
        shops = try EmulatorShops(stateBytes: Array(state.utf8), configuration: configuration, clock: VirtualClock())
    }

    func get(_ path: String, token: String?) async throws -> (status: Int, body: JSONValue, response: WireResponse) {
        var headers: HTTPFields = [:]
        if let token { headers[.xAuthToken] = token }
        let r = try #require(await shops.respond(WireRequest(method: .get, path: path, headers: headers)))
        return (r.status.code, (try? JSONValue.parse(r.body)) ?? .null, r)
    }

    func graphQL(_ query: String, token: String?) async throws -> (status: Int, body: JSONValue, response: WireResponse) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.xShopifyAccessToken] = token }
        var body = ""
        JSONValue.escape(query, into: &body)
        let request = WireRequest(
            method: .post, path: "/admin/api/2026-10/graphql.json", headers: headers, body: Array(#"{"query": \#(body)}"#.utf8))
        let r = try #require(await shops.respond(request))
        return (r.status.code, (try? JSONValue.parse(r.body)) ?? .null, r)
    }

    /// The load error's text for `state`.
    static func loadError(_ state: String) -> String? {
        do {
            _ = try EmulatorShops(stateBytes: Array(state.utf8), configuration: EmulatorConfiguration())
            return nil
        } catch {
            return "\(error)"
        }
    }
}

@Suite("Emulator: several shops in one process, told apart by their tokens")
struct EmulatorShopsTests {
    @Test("a STOQ token reaches its own shop: its plans, its shop_id, its request log")
    func tokenPicksShop() async throws {
        let s = try Shops()
        #expect(s.shops.names == ["eu", "us"])
        #expect(s.shops.single == nil)
        let eu = try await s.get("/preorders", token: "stoq-eu-secret")
        #expect(eu.status == 200)
        #expect(eu.body["selling_plans"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["EU plan"])
        let us = try await s.get("/api/v1/external/preorders", token: "stoq-us-secret")
        #expect(us.body["selling_plans"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["US plan", "US other"])
        #expect(try await s.get("/preorders/us-1", token: "stoq-us-secret").body["shop_id"] == .integer(22))
        #expect(try await s.get("/preorders/us-1", token: "stoq-eu-secret").status == 404, "eu does not see us's plan")
        #expect(await s.shops.shop(named: "eu")?.requestLog.count == 2)
        #expect(await s.shops.shop(named: "us")?.requestLog.count == 2)
        #expect(s.shops.shop(named: "nope") == nil)
    }

    @Test("each shop has its own rate window: eu exhausted, us still answers 200")
    func ownRateWindow() async throws {
        let s = try Shops { $0.rateLimitPoints = 3 }
        for _ in 0..<3 { #expect(try await s.get("/preorders", token: "stoq-eu-secret").status == 200) }
        let refused = try await s.get("/preorders", token: "stoq-eu-secret")
        #expect(refused.status == 429)
        let us = try await s.get("/preorders", token: "stoq-us-secret")
        #expect(us.status == 200)
        #expect(us.response.header(.xRateLimitRemaining) == "2")
    }

    @Test("a token no shop has is 401 in STOQ's or Shopify's shape, charged to no shop and never echoed")
    func wrongToken() async throws {
        let s = try Shops { $0.rateLimitPoints = 1 }
        for token in ["stoq-xx-secret", "shpat_eu_secret", "", nil] as [String?] {
            let r = try await s.get("/preorders", token: token)
            #expect(r.status == 401)
            #expect(r.body == .object([("error", .string("Unauthorized"))]))
        }
        let shopify = try await s.graphQL("{ shop { myshopifyDomain } }", token: "stoq-eu-secret")
        #expect(shopify.status == 401)
        #expect(shopify.body["errors"]?.stringValue?.hasPrefix("[API] Invalid API key") == true)
        #expect(shopify.response.header(.xShopifyAPIVersion) == "2026-10")
        #expect(!String(decoding: shopify.response.body, as: UTF8.self).contains("secret"))
        #expect(await s.shops.unmatchedLog.count == 5)
        #expect(await s.shops.shop(named: "eu")?.requestLog.isEmpty == true)
        #expect(try await s.get("/preorders", token: "stoq-eu-secret").status == 200, "the 401s cost eu nothing")
    }

    @Test("a Shopify token reaches its store's catalogue, and shop answers its domain")
    func shopifyToken() async throws {
        let s = try Shops()
        let query = "{ shop { myshopifyDomain name id } productVariants(first: 5) { nodes { sku } } }"
        let us = try await s.graphQL(query, token: "shpat_us_secret")
        #expect(us.status == 200)
        #expect(us.body["data"]?["shop"]?["myshopifyDomain"] == .string("acme-us.myshopify.com"))
        #expect(us.body["data"]?["shop"]?["name"] == .string("acme-us"))
        #expect(us.body["data"]?["shop"]?["id"] == .string("gid://shopify/Shop/22"))
        #expect(us.body["data"]?["productVariants"]?["nodes"] == .array([.object([("sku", .string("US-COAT"))])]))
        let eu = try await s.graphQL(query, token: "shpat_eu_secret")
        #expect(eu.body["data"]?["shop"]?["myshopifyDomain"] == .string("acme-eu.myshopify.com"))
        #expect(eu.body["data"]?["productVariants"]?["nodes"] == .array([.object([("sku", .string("EU-TEE"))])]))
        #expect(await s.shops.shop(named: "us")?.requestLog.last?.shopify == true)
    }

    @Test("shop costs 1 point as a plain object; a single shop answers the configured domain")
    func shopFieldSingle() async throws {
        let plain = try Shop()
        let r = try await plain.graphQL("{ shop { myshopifyDomain __typename } }")
        #expect(
            r.body["data"]?["shop"] == .object([("myshopifyDomain", .string("emulator.myshopify.com")), ("__typename", .string("Shop"))]))
        #expect(r.body["extensions"]?["cost"]?["requestedQueryCost"] == .integer(1))
        #expect(r.body["extensions"]?["cost"]?["actualQueryCost"] == .integer(1))
        let configured = try Shop { $0.shopifyDomain = "acme.myshopify.com" }
        let withVariants = try await configured.graphQL(
            "{ shop { myshopifyDomain } nodes(ids: [\"gid://shopify/ProductVariant/1\"]) { id } }")
        #expect(withVariants.body["data"]?["shop"]?["myshopifyDomain"] == .string("acme.myshopify.com"))
        #expect(withVariants.body["extensions"]?["cost"]?["requestedQueryCost"] == .integer(2))
        let wrong = try await plain.graphQL("{ shop { email } }")
        #expect(wrong.body["errors"]?.arrayValue?.first?["message"] == .string("Field 'email' doesn't exist on type 'Shop'"))
    }

    @Test("load errors name the shops: a shared token, a shared shop_id, a bad name, a missing domain")
    func loadErrors() throws {
        func shops(_ eu: String, _ us: String, euName: String = "eu") -> String {
            #"{"shops": {"\#(euName)": {\#(eu)}, "us": {\#(us)}}}"#
        }
        let eu = #""stoq_token": "a-token", "shopify_token": "shpat_a", "shopify_domain": "a.myshopify.com", "state": {"shop_id": 1}"#
        let us = #""stoq_token": "b-token", "shopify_token": "shpat_b", "shopify_domain": "b.myshopify.com", "state": {"shop_id": 2}"#
        #expect(Shops.loadError(shops(eu, us)) == nil)
        let sharedStoq = Shops.loadError(shops(eu, us.replacingOccurrences(of: "b-token", with: "a-token")))
        #expect(sharedStoq == #"state file: shops "eu" and "us" have the same stoq_token"#)
        let sharedShopify = Shops.loadError(shops(eu, us.replacingOccurrences(of: "shpat_b", with: "shpat_a")))
        #expect(sharedShopify == #"state file: shops "eu" and "us" have the same shopify_token"#)
        let sharedID = Shops.loadError(shops(eu, us.replacingOccurrences(of: #""shop_id": 2"#, with: #""shop_id": 1"#)))
        #expect(sharedID == #"state file: shops "eu" and "us" have the same shop_id 1"#)
        let noIDs = Shops.loadError(shops(eu, us).replacingOccurrences(of: #""shop_id": "#, with: #""next_id": "#))
        #expect(noIDs == #"state file: shops "eu" and "us" have the same shop_id 1"#, "shop_id defaults to 1")
        for bad in ["EU", "-eu", "", "e u", String(repeating: "e", count: 41)] {
            let error = Shops.loadError(shops(eu, us, euName: bad))
            #expect(error?.contains("shop name \"\(bad)\" must be 1 to 40 characters") == true, "\(bad)")
        }
        #expect(Shops.loadError(shops(eu, us, euName: "0_e-u")) == nil)
        let noDomain = Shops.loadError(shops(eu, us.replacingOccurrences(of: #""shopify_domain": "b.myshopify.com", "#, with: "")))
        #expect(noDomain?.hasPrefix(#"state file: shop "us": "shopify_domain" is required"#) == true)
        let badDomain = Shops.loadError(shops(eu, us.replacingOccurrences(of: "b.myshopify.com", with: "b.example.com")))
        #expect(badDomain?.hasPrefix(#"state file: shop "us": "shopify_domain" is required"#) == true)
        let noToken = Shops.loadError(shops(eu, us.replacingOccurrences(of: #""stoq_token": "b-token", "#, with: "")))
        #expect(noToken?.hasPrefix(#"state file: shop "us": "stoq_token" is required"#) == true)
        let emptyToken = Shops.loadError(shops(eu.replacingOccurrences(of: "shpat_a", with: ""), us))
        #expect(emptyToken?.hasPrefix(#"state file: shop "eu": "shopify_token" is required"#) == true)
        let badState = Shops.loadError(shops(eu, us.replacingOccurrences(of: #""shop_id": 2"#, with: #""shop_id": 2, "plans": [{}]"#)))
        #expect(badState == #"state file: shop "us": a plan in the state file has no string "id""#)
        #expect(Shops.loadError(#"{"shops": {}}"#) == "state file: \"shops\" names no shop")
        #expect(Shops.loadError(#"{"shops": {}, "plans": []}"#)?.contains("holds only \"shops\"") == true)
        #expect(Shops.loadError(shops(eu, us).replacingOccurrences(of: "\"state\"", with: "\"sate\""))?.contains("unknown key") == true)
        for error in [sharedStoq, sharedShopify, noToken].compactMap({ $0 }) {
            #expect(!error.contains("a-token") && !error.contains("shpat_a"))
        }
    }

    @Test("a plain Emulator refuses a multi-shop file rather than serving (and later overwriting) it as an empty shop")
    func plainEmulatorRefusesShops() {
        #expect(throws: (any Error).self) { try Emulator(stateBytes: Array(twoShops.utf8)) }
    }

    @Test("the state round-trips: load, write, load again gives the same JSON in the file's shop order")
    func roundTrip() async throws {
        let s = try Shops()
        let written = await s.shops.stateJSON()
        let parsed = try JSONValue.parse(Array(written.utf8))
        #expect(parsed["shops"]?.objectValue?.map(\.0) == ["eu", "us"])
        #expect(
            parsed["shops"]?["us"]?.objectValue?.map(\.0) == ["stoq_token", "shopify_token", "shopify_domain", "state"])
        #expect(parsed["shops"]?["us"]?["state"]?["shop_id"] == .integer(22))
        let again = try Shops(written)
        #expect(await again.shops.stateJSON() == written)
        // A change in one shop is written back in that shop only, and counted.
        var headers: HTTPFields = [.xAuthToken: "stoq-us-secret"]
        headers[.contentType] = "application/json"
        let create = WireRequest(
            method: .post, path: "/preorders", headers: headers, body: Array(#"{"selling_plan": {"name": "New US"}}"#.utf8))
        #expect(await again.shops.respond(create)?.status == 200)
        #expect(await again.shops.mutations == 1)
        let changed = try JSONValue.parse(Array(await again.shops.stateJSON().utf8))
        #expect(changed["shops"]?["us"]?["state"]?["plans"]?.arrayValue?.count == 3)
        #expect(changed["shops"]?["eu"] == parsed["shops"]?["eu"])
    }

    @Test("a single-shop file is one unnamed shop: byte-identical state, the configuration's token rules")
    func singleShop() async throws {
        for state in ["", policyState, catalogueState] {
            let plain = try Emulator(stateBytes: Array(state.utf8))
            let s = try Shops(state) { $0.token = "only" }
            #expect(s.shops.names.isEmpty)
            let single = try #require(s.shops.single)
            #expect(await s.shops.stateJSON() == plain.stateJSON())
            #expect(await single.stateJSON() == plain.stateJSON())
            #expect(try await s.get("/preorders", token: "only").status == 200)
            #expect(try await s.get("/preorders", token: "other").status == 401)
            #expect(await single.requestLog.count == 2)
        }
    }
}
