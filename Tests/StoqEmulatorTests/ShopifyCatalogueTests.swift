import StoqEmulator
import StoqWire
import Testing

@Suite("Emulator: Shopify's catalogue queries (variant, product and collection search; a product's variants; variant details)")
struct ShopifyCatalogueTests {
    static let s = "gid://shopify/ProductVariant/43900910010503"
    static let m = "gid://shopify/ProductVariant/43900910010504"
    static let white = "gid://shopify/ProductVariant/43900910010505"
    static let coat = "gid://shopify/ProductVariant/43900920010001"

    @Test("VariantSearch: OR of sku terms, nodes by id with live sku and barcode, pageInfo, cost 252 requested and 2 + nodes actual")
    func variantSearch() async throws {
        let shop = try Shop(state: catalogueState)
        let r = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S" OR sku:"TEE-BLK-M""#)
        #expect(r.status == 200)
        #expect(
            r.body.nodes("productVariants") == [
                .object([("id", .string(Self.s)), ("sku", .string("TEE-BLK-S")), ("barcode", .string("0123456789012"))]),
                .object([("id", .string(Self.m)), ("sku", .string("TEE-BLK-M")), ("barcode", .string("0123456789013"))]),
            ])
        let pageInfo = try #require(r.body["data"]?["productVariants"]?["pageInfo"])
        #expect(pageInfo["hasNextPage"] == .bool(false))
        #expect(pageInfo["endCursor"]?.stringValue?.isEmpty == false)
        #expect(r.body.costs.requested == 252 && r.body.costs.actual == 4)
        #expect(r.body["extensions"]?["cost"]?["throttleStatus"]?["currentlyAvailable"] == .integer(1996), "the actual cost is charged")
        let barcode = try await shop.search(variantSearchQuery, #"barcode:"0123456789013""#)
        #expect(barcode.body.nodes("productVariants").map { $0["id"] } == [.string(Self.m)])
        let none = try await shop.search(variantSearchQuery, #"sku:"NOPE""#)
        #expect(none.body.nodes("productVariants").isEmpty)
        #expect(none.body["data"]?["productVariants"]?["pageInfo"]?["endCursor"] == .null)
        #expect(none.body.costs.actual == 2)
    }

    @Test("search is tokenised and case-insensitive: a prefix run of tokens is a near miss that matches; part of a token does not")
    func tokenised() async throws {
        let shop = try Shop(state: catalogueState)
        func ids(_ query: String) async throws -> [String] {
            try await shop.search(variantSearchQuery, query).body.nodes("productVariants").compactMap { $0["id"]?.stringValue }
        }
        #expect(try await ids(#"sku:"TEE-BLK""#) == [Self.s, Self.m], "a near miss the client must reject")
        #expect(try await ids(#"sku:"blk""#) == [Self.s, Self.m])
        #expect(try await ids(#"sku:"tee-blk-s""#) == [Self.s])
        #expect(try await ids(#"SKU:"Tee Blk S""#) == [Self.s], "any non-alphanumeric character separates tokens")
        #expect(try await ids(#"sku:"EE-BLK""#) == [], "tokens match whole")
        #expect(try await ids(#"sku:"BLK-TEE""#) == [], "in order")
        #expect(try await ids(#"sku:"-""#) == [], "no tokens, no match")
        #expect(try await ids("sku:TEE-BLK-M") == [Self.m], "an unquoted value")
        #expect(try await ids(#"product_id:439009200"#) == [Self.coat])
        #expect(try await ids(#"sku:"TEE" barcode:"0123456789012""#) == [Self.s], "terms side by side must all match")
    }

    @Test("quoted values keep spaces and colons; \\\" is a quote and \\\\ a backslash")
    func quoting() async throws {
        let shop = try Shop(state: catalogueState)
        let exact = try await shop.search(variantSearchQuery, #"sku:"COAT \"Big\" 1:2 A\\B" OR sku:"TEE-BLK-S""#)
        let nodes = exact.body.nodes("productVariants")
        #expect(nodes.map { $0["id"] } == [.string(Self.s), .string(Self.coat)])
        #expect(nodes.last?["sku"] == .string(#"COAT "Big" 1:2 A\B"#), "read live, unescaped")
        #expect(nodes.last?["barcode"] == .null, "an empty barcode is null")
        let colon = try await shop.search(variantSearchQuery, #"sku:"1:2""#)
        #expect(colon.body.nodes("productVariants").map { $0["id"] } == [.string(Self.coat)])
        let unterminated = try await shop.search(variantSearchQuery, #"sku:"big 1"#)
        #expect(unterminated.body.nodes("productVariants").map { $0["id"] } == [.string(Self.coat)])
    }

    @Test("search reads the index, which may lag: the old SKU finds the variant, and every read returns the live one")
    func indexLag() async throws {
        let shop = try Shop(state: catalogueState)
        let live = try await shop.search(variantSearchQuery, #"sku:"TEE-WHT-S""#)
        #expect(live.body.nodes("productVariants").isEmpty, "the index does not hold the new SKU yet")
        let old = try await shop.search(variantSearchQuery, #"sku:"TEE-OLD-S""#)
        #expect(
            old.body.nodes("productVariants") == [
                .object([("id", .string(Self.white)), ("sku", .string("TEE-WHT-S")), ("barcode", .null)])
            ])
        let details = try await shop.nodes(variantDetailsQuery, [43_900_910_010_505])
        #expect(details.body.nodes("nodes").first?["sku"] == .string("TEE-WHT-S"))
    }

    @Test("ProductSearch and CollectionSearch: tokenised handles, OR, cost 252 requested")
    func productAndCollectionSearch() async throws {
        let shop = try Shop(state: catalogueState)
        let products = try await shop.search(productSearchQuery, #"handle:"fall-tee" OR handle:"winter-coat""#)
        #expect(
            products.body.nodes("products") == [
                .object([("id", .string("gid://shopify/Product/439009100")), ("handle", .string("fall-tee"))]),
                .object([("id", .string("gid://shopify/Product/439009200")), ("handle", .string("winter-coat"))]),
            ])
        #expect(products.body.costs.requested == 252 && products.body.costs.actual == 4)
        let near = try await shop.search(productSearchQuery, #"handle:"FALL""#)
        #expect(near.body.nodes("products").map { $0["handle"] } == [.string("fall-tee")])
        let collections = try await shop.search(collectionSearchQuery, #"handle:"summer""#)
        #expect(
            collections.body.nodes("collections") == [
                .object([("id", .string("gid://shopify/Collection/5001")), ("handle", .string("summer"))]),
                .object([("id", .string("gid://shopify/Collection/5002")), ("handle", .string("summer-sale"))]),
            ])
        #expect(collections.body.costs.requested == 252 && collections.body.costs.actual == 4)
        let sale = try await shop.search(collectionSearchQuery, #"handle:"SALE""#)
        #expect(sale.body.nodes("collections").map { $0["id"] } == [.string("gid://shopify/Collection/5002")], "the handle, not the title")
    }

    @Test("ProductVariants: the product with its variants in position order and live values; cost 253 requested, 1 + 2 + nodes actual")
    func productVariants() async throws {
        let shop = try Shop(state: catalogueState)
        let r = try await shop.graphQL(
            productVariantsQuery, variables: Shop.variables([("id", .string("gid://shopify/Product/439009100")), ("after", .null)]))
        let product = try #require(r.body["data"]?["product"])
        #expect(product["id"] == .string("gid://shopify/Product/439009100"))
        #expect(
            product["handle"] == .string("fall-tee") && product["title"] == .string("Fall Tee") && product["status"] == .string("ACTIVE"))
        let variants = r.body.nodes("product", "variants")
        #expect(variants.map { $0["id"] } == [.string(Self.s), .string(Self.m), .string(Self.white)])
        #expect(
            variants.first
                == .object([
                    ("id", .string(Self.s)), ("sku", .string("TEE-BLK-S")), ("barcode", .string("0123456789012")),
                    ("title", .string("Black / S")), ("displayName", .string("Fall Tee - Black / S")),
                    ("inventoryPolicy", .string("CONTINUE")),
                ]))
        #expect(variants[1]["inventoryPolicy"] == .string("DENY"))
        #expect(variants[2]["sku"] == .string("TEE-WHT-S"), "live, not the index")
        #expect(product["variants"]?["pageInfo"]?["hasNextPage"] == .bool(false))
        #expect(r.body.costs.requested == 253 && r.body.costs.actual == 6)
        let draft = try await shop.graphQL(
            productVariantsQuery, variables: Shop.variables([("id", .string("gid://shopify/Product/439009200")), ("after", .null)]))
        #expect(draft.body["data"]?["product"]?["status"] == .string("DRAFT"))
        #expect(draft.body.nodes("product", "variants").first?["displayName"] == .string("Winter Coat - Default Title"))
    }

    @Test("an unknown product id, or one of another type, is a null product and costs 1")
    func unknownProduct() async throws {
        let shop = try Shop(state: catalogueState)
        // The last is a product's number in a variant's global id.
        for id in ["gid://shopify/Product/1", Self.s, "gid://shopify/ProductVariant/439009100"] {
            let r = try await shop.graphQL(productVariantsQuery, variables: Shop.variables([("id", .string(id)), ("after", .null)]))
            #expect(r.status == 200)
            #expect(r.body["data"]?["product"] == .null, "\(id)")
            #expect(r.body.costs.requested == 253 && r.body.costs.actual == 1)
        }
        let invalid = try await shop.graphQL(productVariantsQuery, variables: Shop.variables([("id", .string("439009100"))]))
        #expect(invalid.body.firstError.message == "Invalid global id '439009100'")
    }

    @Test("VariantDetails: one entry per id (null for unknown), live values, displayName, policies; cost 1 per id, nulls refunded")
    func variantDetails() async throws {
        let shop = try Shop(state: catalogueState)
        let r = try await shop.nodes(variantDetailsQuery, [43_900_910_010_504, 1, 43_900_920_010_001, 1201])
        let nodes = r.body.nodes("nodes")
        #expect(nodes.count == 4)
        #expect(
            nodes[0]
                == .object([
                    ("id", .string(Self.m)), ("sku", .string("TEE-BLK-M")), ("barcode", .string("0123456789013")),
                    ("title", .string("Black / M")), ("displayName", .string("Fall Tee - Black / M")), ("inventoryPolicy", .string("DENY")),
                ]))
        #expect(nodes[1] == .null)
        #expect(nodes[2]["title"] == .string("Default Title") && nodes[2]["barcode"] == .null)
        #expect(
            nodes[3]
                == .object([
                    ("id", .string("gid://shopify/ProductVariant/1201")), ("sku", .null), ("barcode", .null),
                    ("title", .string("Variant 1")),
                    ("displayName", .string("Product 12 - Variant 1")), ("inventoryPolicy", .string("CONTINUE")),
                ]),
            "a variant outside the catalogue reads as STOQ describes it")
        #expect(r.body.costs.requested == 4 && r.body.costs.actual == 3)
    }

    @Test("VariantIdentity: each variant with its product; cost 2 per id")
    func variantIdentity() async throws {
        let shop = try Shop(state: catalogueState)
        let r = try await shop.nodes(variantIdentityQuery, [43_900_910_010_503, 43_900_920_010_001, 5])
        let nodes = r.body.nodes("nodes")
        #expect(
            nodes[0]
                == .object([
                    ("id", .string(Self.s)), ("sku", .string("TEE-BLK-S")), ("barcode", .string("0123456789012")),
                    ("product", .object([("id", .string("gid://shopify/Product/439009100")), ("handle", .string("fall-tee"))])),
                ]))
        #expect(nodes[1]["product"]?["handle"] == .string("winter-coat"))
        #expect(nodes[2] == .null)
        #expect(r.body.costs.requested == 6 && r.body.costs.actual == 4)
    }

    @Test("nodes answers a Product gid with the Product fragment and a Collection gid with its own; legacyResourceId and __typename")
    func productNodes() async throws {
        let shop = try Shop(state: catalogueState)
        let r = try await shop.graphQL(
            #"{ nodes(ids: ["gid://shopify/Product/439009100", "gid://shopify/ProductVariant/43900910010503", "gid://shopify/Collection/5001", "gid://shopify/Product/9"]) { __typename ... on ProductVariant { legacyResourceId product { title } } ... on Product { id handle title status } ... on Collection { title } } }"#
        )
        let nodes = r.body.nodes("nodes")
        #expect(
            nodes == [
                .object([
                    ("__typename", .string("Product")), ("id", .string("gid://shopify/Product/439009100")), ("handle", .string("fall-tee")),
                    ("title", .string("Fall Tee")), ("status", .string("ACTIVE")),
                ]),
                .object([
                    ("__typename", .string("ProductVariant")), ("legacyResourceId", .string("43900910010503")),
                    ("product", .object([("title", .string("Fall Tee"))])),
                ]),
                .object([("__typename", .string("Collection")), ("title", .string("Summer"))]),
                .null,
            ])
        #expect(r.body.costs.requested == 8, "4 ids at 2 points, the dearest type's")
        #expect(r.body.costs.actual == 4, "3 nodes and the variant's product")
    }

    @Test("a product of 2,048 variants pages in 9 pages of 250 through endCursor, every variant once, in order")
    func paginationOfAProduct() async throws {
        let shop = try Shop(state: bigProductState(count: 2_048))
        var after: JSONValue = .null
        var seen: [String] = []
        var pages = 0
        var costs: [Int64] = []
        while true {
            let r = try await shop.graphQL(
                productVariantsQuery, variables: Shop.variables([("id", .string("gid://shopify/Product/77")), ("after", after)]))
            pages += 1
            seen += r.body.nodes("product", "variants").compactMap { $0["sku"]?.stringValue }
            costs.append(r.body.costs.actual ?? 0)
            let info = try #require(r.body["data"]?["product"]?["variants"]?["pageInfo"], "\(r.body)")
            guard info["hasNextPage"] == .bool(true) else { break }
            after = try #require(info["endCursor"])
            shop.clock.advance(by: .seconds(3))  // the bucket refills between pages
            if pages > 20 { break }
        }
        #expect(pages == 9)
        #expect(seen == (1...2_048).map { "BIG-\($0)" })
        #expect(costs == Array(repeating: 253, count: 8) + [51])
    }

    @Test("a search with more than 250 matches pages through endCursor; hasNextPage is false on the last page")
    func paginationOfASearch() async throws {
        let shop = try Shop(state: bigProductState(count: 600))
        var after: String?
        var counts: [Int] = []
        var seen = Set<String>()
        repeat {
            let r = try await shop.search(variantSearchQuery, #"sku:"BIG""#, after: after)
            let nodes = r.body.nodes("productVariants")
            counts.append(nodes.count)
            for node in nodes { seen.insert(node["id"]?.stringValue ?? "") }
            let info = r.body["data"]?["productVariants"]?["pageInfo"]
            after = info?["hasNextPage"] == .bool(true) ? info?["endCursor"]?.stringValue : nil
        } while after != nil && counts.count < 10
        #expect(counts == [250, 250, 100])
        #expect(seen.count == 600)
        let bad = try await shop.search(variantSearchQuery, #"sku:"BIG""#, after: "not-a-cursor")
        #expect(bad.body.firstError.message == "Invalid cursor 'not-a-cursor'")
    }

    @Test("the bucket refuses a query on its requested cost (THROTTLED, no data) and charges the actual cost")
    func throttled() async throws {
        let shop = try Shop(state: catalogueState) {
            $0.shopifyBucketSize = 255
            $0.shopifyRestoreRate = 1
        }
        let first = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S""#)
        #expect(first.body["extensions"]?["cost"]?["throttleStatus"]?["currentlyAvailable"] == .integer(252), "3 points charged")
        let second = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S""#)
        #expect(second.body["data"] != nil, "252 available pays a 252-point request")
        let third = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S""#)
        #expect(third.body.firstError.code == "THROTTLED")
        #expect(third.body["data"] == nil)
        #expect(third.body.costs.requested == 252 && third.body.costs.actual == nil)
        shop.clock.advance(by: .seconds(3))
        let later = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S""#)
        #expect(later.body["data"] != nil, "refilled at the restore rate")
    }

    @Test("the request log records each Shopify query's charged points, and a THROTTLED refusal as charging nothing")
    func loggedCharges() async throws {
        let shop = try Shop(state: catalogueState) {
            $0.shopifyBucketSize = 255
            $0.shopifyRestoreRate = 1
        }
        _ = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S""#)
        _ = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S" OR sku:"TEE-BLK-M""#)
        _ = try await shop.search(variantSearchQuery, #"sku:"TEE-BLK-S""#)
        _ = try await shop.send("GET", "/preorders")
        let log = await shop.emulator.requestLog
        #expect(log.map(\.shopifyPoints) == [3, 4, 0, 0], "2 + the variants found")
        #expect(log.map(\.throttled) == [false, false, true, false])
    }

    @Test("a search with thousands of variants finds by every token of a term, in alternatives that mix fields, as a full scan would")
    func searchAtScale() async throws {
        let shop = try Shop(state: bigProductState(count: 2_000))
        func ids(_ query: String) async throws -> [Int64] {
            try await shop.search(variantSearchQuery, query).body.nodes("productVariants").compactMap {
                $0["id"]?.stringValue.flatMap { Int64($0.split(separator: "/").last ?? "") }
            }
        }
        // BIG-1999 holds the tokens "big" (every variant) and "1999" (one).
        #expect(try await ids(#"sku:"big-1999""#) == [9_001_999])
        #expect(try await ids(#"sku:"1999" OR sku:"BIG-7""#) == [9_000_007, 9_001_999])
        #expect(try await ids(#"sku:"BIG-7" product_id:77"#) == [9_000_007])
        #expect(try await ids(#"sku:"BIG-7" product_id:78"#).isEmpty)
        #expect(try await ids(#"sku:"BIG-7" OR product_id:77"#).count == 250, "an alternative without a SKU term reads every variant")
        #expect(try await ids(#"sku:"-" OR sku:"BIG-8""#) == [9_000_008], "a term without tokens matches nothing")
    }

    @Test("limits and errors: first, the single-query cost, unknown fields and arguments, variables' types, search fields")
    func errors() async throws {
        let shop = try Shop(state: catalogueState)
        func error(_ query: String, _ variables: String = "{}") async throws -> (message: String?, code: String?) {
            let r = try await shop.graphQL(query, variables: variables)
            #expect(r.status == 200)
            #expect(r.body["data"] == nil, "\(query)")
            return r.body.firstError
        }
        let tooMany = try await error("{ productVariants(first: 251) { nodes { id } } }")
        #expect(tooMany.message == "The value of 'first' on Field 'productVariants' is 251; it must be between 1 and 250.")
        #expect(try await error("{ products(query: \"handle:a\") { nodes { id } } }").message == "you must provide one of first or last")
        let nested = try await error("{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }")
        #expect(nested.code == "MAX_COST_EXCEEDED")
        #expect(nested.message == "Query cost is 63252, which exceeds the single query max cost limit (1000).")
        let ids = Shop.gids((1...251).map { Int64($0) })
        let input = try await error(variantDetailsQuery, #"{"ids": \#(ids)}"#)
        #expect(input.code == "MAX_INPUT_SIZE_EXCEEDED")
        #expect(
            try await error("{ product(id: \"gid://shopify/Product/1\") { vendor } }").message
                == "Field 'vendor' doesn't exist on type 'Product'")
        let argument = try await error("{ productVariants(first: 1, last: 2) { nodes { id } } }")
        #expect(argument.message == "Field 'productVariants' doesn't accept argument 'last'")
        #expect(argument.code == "argumentNotAccepted")
        #expect(try await error("{ product { id } }").message == "Field 'product' is missing required arguments: id")
        let mismatch = try await error(
            "query Q($query: ID!) { productVariants(first: 1, query: $query) { nodes { id } } }", #"{"query": "x"}"#)
        #expect(mismatch.message == "Type mismatch on variable $query and argument query (ID! / String)")
        let nullable = try await error("query Q($id: ID) { product(id: $id) { id } }", #"{"id": "gid://shopify/Product/1"}"#)
        #expect(nullable.message == "Nullability mismatch on variable $id and argument id (ID / ID!)")
        #expect(nullable.code == "variableMismatch")
        let wrongValue = try await error(variantSearchQuery, #"{"query": 5}"#)
        #expect(wrongValue.message == "Variable $query of type String! was provided invalid value")
        let unused = try await error("query Q($x: String) { products(first: 1) { nodes { id } } }")
        #expect(unused.message == "Variable $x is declared by Q but not used")
        let undeclared = try await error("query Q { products(first: 1, query: $q) { nodes { id } } }")
        #expect(undeclared.message == "Variable $q is used by Q but not declared")
        let scalar = try await error("{ products(first: 1) { nodes { handle { x } } } }")
        #expect(scalar.code == "selectionMismatch")
        let spread = try await error("{ product(id: \"gid://shopify/Product/1\") { ... on Collection { id } } }")
        #expect(spread.message == "Fragment on Collection can't be spread inside Product")
        let unknownField = try await shop.search(variantSearchQuery, #"title:"Black""#)
        #expect(unknownField.body.nodes("productVariants").isEmpty, "a search field the emulator does not know matches nothing")
        let warning = unknownField.body["extensions"]?["search"]?.arrayValue?.first?["warnings"]?.arrayValue?.first
        #expect(warning?["field"] == .string("title"))
    }
}
