import StoqEmulator
import StoqWire
import Testing

@Suite("Emulator: the Shopify catalogue in the state file (loading, validation, round trip, STOQ's titles, shared policies)")
struct CatalogueStateTests {
    @Test("a state file without a catalogue loads and saves exactly as before (no products or collections keys)")
    func oldFilesLoad() async throws {
        let shop = try Shop(state: policyState)
        let saved = await shop.emulator.stateJSON()
        let json = try JSONValue.parse(saved)
        #expect(json.objectValue?.map(\.0) == ["shop_id", "next_id", "plans", "variant_policies"])
        #expect(json["variant_policies"] == .object([("10", .string("CONTINUE")), ("12", .string("DENY"))]))
        let nodes = try await shop.nodes(variantDetailsQuery, [11])
        #expect(nodes.body.nodes("nodes").first?["title"] == .string("Variant 11"))
    }

    @Test("products and collections survive a save and a reload, with the index's lagging values and the policies")
    func roundTrip() async throws {
        let shop = try Shop(state: catalogueState)
        let saved = await shop.emulator.stateJSON()
        let json = try JSONValue.parse(saved)
        let white = json["products"]?.arrayValue?.first?["variants"]?.arrayValue?.last
        #expect(
            white
                == .object([
                    ("id", .integer(43_900_910_010_505)), ("sku", .string("TEE-WHT-S")), ("barcode", .null),
                    ("title", .string("White / S")),
                    ("inventory_policy", .string("DENY")), ("indexed_sku", .string("TEE-OLD-S")),
                ]))
        #expect(json["products"]?.arrayValue?.last?["status"] == .string("DRAFT"))
        #expect(json["collections"]?.arrayValue?.count == 2)
        #expect(
            json["variant_policies"] == .object([("1201", .string("CONTINUE"))]), "a catalogue variant's policy is saved with the variant")
        let reloaded = try Shop(state: saved)
        #expect(await reloaded.emulator.stateJSON() == saved)
        let lagging = try await reloaded.search(variantSearchQuery, #"sku:"TEE-OLD-S""#)
        #expect(lagging.body.nodes("productVariants").first?["sku"] == .string("TEE-WHT-S"))
    }

    @Test("a policy job started through STOQ changes what Shopify reports for a catalogue variant, and the saved state")
    func sharedPolicies() async throws {
        let shop = try Shop(state: catalogueState)
        let before = try await shop.nodes(variantDetailsQuery, [43_900_910_010_504, 43_900_920_010_001])
        #expect(before.body.nodes("nodes").map { $0["inventoryPolicy"] } == [.string("DENY"), .string("DENY")])
        try await shop.send(
            "POST", "/preorders/p1/bulk_toggle_inventory_policy",
            json: #"{"shopify_variant_ids": [43900910010504, 43900920010001], "inventory_policy": "CONTINUE"}"#)
        shop.clock.advance(by: .seconds(3))
        let after = try await shop.nodes(variantDetailsQuery, [43_900_910_010_504, 43_900_920_010_001])
        #expect(after.body.nodes("nodes").map { $0["inventoryPolicy"] } == [.string("CONTINUE"), .string("CONTINUE")])
        await shop.emulator.setInventoryPolicy("DENY", for: [43_900_910_010_503])
        let saved = try JSONValue.parse(await shop.emulator.stateJSON())
        let variants = saved["products"]?.arrayValue?.first?["variants"]?.arrayValue ?? []
        #expect(variants.map { $0["inventory_policy"] } == [.string("DENY"), .string("CONTINUE"), .string("DENY")])
        #expect(saved["products"]?.arrayValue?.last?["variants"]?.arrayValue?.first?["inventory_policy"] == .string("CONTINUE"))
    }

    @Test("STOQ's product_variants uses the catalogue's product and variant titles (null for Default Title) and product id")
    func stoqTitles() async throws {
        let shop = try Shop(state: catalogueState)
        let r = try await shop.send("GET", "/preorders/p1/product_variants")
        let variants = try #require(r.body["product_variants"]?.arrayValue)
        #expect(variants.map { $0["product_title"] } == [.string("Fall Tee"), .string("Winter Coat"), .string("Product 12")])
        #expect(variants.map { $0["variant_title"] } == [.string("Black / S"), .null, .string("Variant 1")])
        #expect(variants.map { $0["shopify_product_id"] } == [.integer(439_009_100), .integer(439_009_200), .integer(12)])
        let byProduct = try await shop.send("GET", "/preorders/p1/product_variants", query: [("shopify_product_id", "439009200")])
        #expect(byProduct.body["product_variants"]?.arrayValue?.map { $0["shopify_variant_id"] } == [.integer(43_900_920_010_001)])
        let one = try await shop.send("GET", "/preorders/p1/product_variants", query: [("shopify_variant_id", "43900910010503")])
        #expect(one.body["product_title"] == .string("Fall Tee"))
    }

    @Test("the catalogue is checked strictly, and each error says where")
    func validation() throws {
        func failure(_ state: String) -> String {
            do {
                _ = try Shop(state: state)
                return "loaded"
            } catch {
                return String(describing: error)
            }
        }
        func product(_ id: Int, _ variants: String, handle: String? = nil, extra: String = "") -> String {
            #"{"id": \#(id), "handle": "\#(handle ?? "h\(id)")", "title": "T"\#(extra), "variants": [\#(variants)]}"#
        }
        let twice = failure(#"{"products": [\#(product(1, #"{"id": 5}"#)), \#(product(2, #"{"id": 6}, {"id": 5}"#))]}"#)
        #expect(twice == "state file: products[1].variants[1].id: variant 5 is also products[0].variants[0]")
        let policy = failure(
            #"{"variant_policies": {"5": "DENY"}, "products": [\#(product(1, #"{"id": 5, "inventory_policy": "CONTINUE"}"#))]}"#)
        #expect(
            policy == #"state file: products[0].variants[0].inventory_policy: variant 5 is CONTINUE here but DENY in "variant_policies""#)
        let agreeing = failure(
            #"{"variant_policies": {"5": "DENY"}, "products": [\#(product(1, #"{"id": 5, "inventory_policy": "DENY"}"#))]}"#)
        #expect(agreeing == "loaded")
        #expect(
            failure(#"{"products": [\#(product(1, #"{"id": 5}"#)), \#(product(1, #"{"id": 6}"#))]}"#)
                == "state file: products[1].id: product 1 is also products[0]")
        #expect(
            failure(#"{"products": [\#(product(1, #"{"id": 5}"#, handle: "a")), \#(product(2, #"{"id": 6}"#, handle: "A"))]}"#)
                == #"state file: products[1].handle: handle "A" is also products[0]'s"#)
        #expect(
            failure(#"{"products": [\#(product(1, #"{"id": 5}"#, extra: #", "status": "LIVE""#))]}"#)
                == #"state file: products[0].status: "LIVE" is not ACTIVE, DRAFT or ARCHIVED"#)
        #expect(
            failure(#"{"products": [\#(product(1, ""))]}"#) == "state file: products[0].variants: a product has 1 to 2048 variants, not 0")
        #expect(failure(bigProductState(count: 2_049)).hasSuffix("a product has 1 to 2048 variants, not 2049"))
        #expect(
            failure(#"{"products": [\#(product(1, #"{"id": 5, "inventoryPolicy": "DENY"}"#))]}"#).hasPrefix(
                #"state file: products[0].variants[0]: unknown key "inventoryPolicy""#))
        #expect(
            failure(#"{"products": [\#(product(1, #"{"id": "5"}"#))]}"#)
                == "state file: products[0].variants[0].id: needs a positive integer id")
        #expect(
            failure(#"{"products": [\#(product(1, #"{"id": 5, "sku": 12}"#))]}"#)
                == "state file: products[0].variants[0].sku: must be a string")
        #expect(
            failure(#"{"products": [{"id": 1, "title": "T", "variants": [{"id": 5}]}]}"#)
                == "state file: products[0].handle: needs a non-empty string")
        #expect(failure(#"{"products": {}}"#) == #"state file: "products" must be an array"#)
        #expect(
            failure(#"{"collections": [{"id": 1, "handle": "a", "title": "A"}, {"id": 1, "handle": "b", "title": "B"}]}"#)
                == "state file: collections[1].id: collection 1 is also collections[0]")
        #expect(failure(#"{"collections": [{"id": 1, "handle": "a"}]}"#) == "state file: collections[0].title: needs a non-empty string")
    }
}
