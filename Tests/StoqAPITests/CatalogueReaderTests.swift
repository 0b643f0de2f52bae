import Foundation
import StoqAPI
import StoqCore
import StoqWire
import Testing

/// A fake Shopify Admin GraphQL endpoint answering the catalogue queries from canned data, with
/// Shopify's search semantics (tokenised, case-insensitive, on an index that may lag).
final class FakeCatalogue: @unchecked Sendable {
    struct Variant {
        var id: Int64
        var sku: String?
        var barcode: String?
        var title = "Default Title"
        var product: Int64
        var policy = "DENY"
        /// The SKU the search index still holds, when it lags the live one.
        var indexedSKU: String?
        /// A `displayName` other than `<product title> - <title>`.
        var displayName: String?
    }

    struct Product {
        var id: Int64
        var handle: String
        var title: String
        var status = "ACTIVE"
        var variants: [Int64] = []
        /// The handle a product read answers, when it changed after the search.
        var liveHandle: String?
    }

    /// One query received.
    struct Sent {
        var name: String
        var variables: JSONValue
    }

    /// The queries of the contract, exactly; any other query is answered with a GraphQL error.
    static let contract: [String: String] = [
        "VariantSearch":
            "query VariantSearch($query: String!, $after: String) { productVariants(first: 250, after: $after, query: $query) { nodes { id sku barcode } pageInfo { hasNextPage endCursor } } }",
        "ProductSearch":
            "query ProductSearch($query: String!, $after: String) { products(first: 250, after: $after, query: $query) { nodes { id handle } pageInfo { hasNextPage endCursor } } }",
        "CollectionSearch":
            "query CollectionSearch($query: String!, $after: String) { collections(first: 250, after: $after, query: $query) { nodes { id handle } pageInfo { hasNextPage endCursor } } }",
        "ProductVariants":
            "query ProductVariants($id: ID!, $after: String) { product(id: $id) { id handle title status variants(first: 250, after: $after) { nodes { id sku barcode title displayName inventoryPolicy } pageInfo { hasNextPage endCursor } } } }",
        "VariantDetails":
            "query VariantDetails($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode title displayName inventoryPolicy } } }",
        "VariantProducts":
            "query VariantProducts($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode title inventoryPolicy product { id handle title status } } } }",
        "VariantIdentity":
            "query VariantIdentity($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode product { id handle } } } }",
    ]

    private let lock = NSLock()
    private var variants: [Int64: Variant] = [:]
    private var products: [Int64: Product] = [:]
    private var collections: [Int64: String] = [:]
    private var sent: [Sent] = []
    private var throttles: Int
    /// Nodes per search page (Shopify's is the 250 asked for).
    let searchPage: Int
    /// Raw bodies answered instead, by query name.
    private let raw: [String: String]
    let clock = VirtualClock()

    init(searchPage: Int = 250, throttle: Int = 0, raw: [String: String] = [:]) {
        self.searchPage = searchPage
        self.throttles = throttle
        self.raw = raw
    }

    /// Adds a product with variants `(id, sku)`; returns nothing.
    func product(_ id: Int64, _ handle: String, title: String = "Fall Tee", status: String = "ACTIVE", variants: [Variant] = []) {
        lock.withLock {
            products[id] = Product(id: id, handle: handle, title: title, status: status, variants: variants.map(\.id))
            for var v in variants {
                v.product = id
                self.variants[v.id] = v
            }
        }
    }

    func update(product id: Int64, _ change: (inout Product) -> Void) {
        lock.withLock { change(&products[id, default: Product(id: id, handle: "", title: "")]) }
    }

    func collection(_ id: Int64, _ handle: String) { lock.withLock { collections[id] = handle } }

    var log: [Sent] { lock.withLock { sent } }

    func names() -> [String] { log.map(\.name) }

    func reader() -> CatalogueReader {
        let transport = InProcessTransport(responder: { [self] (request: WireRequest) -> WireResponse? in respond(request) })
        let client = ShopifyClient.emulated(transport: transport, clock: clock)
        return CatalogueReader(client: client, source: "test")
    }

    // MARK: Answering

    private func respond(_ request: WireRequest) -> WireResponse {
        lock.withLock {
            guard let body = try? JSONValue.parse(request.body), let query = body["query"]?.stringValue,
                let name = Self.contract.first(where: { $0.value == query })?.key
            else { return Self.error("unknown query") }
            let variables = body["variables"] ?? .null
            sent.append(Sent(name: name, variables: variables))
            if throttles > 0 {
                throttles -= 1
                return Self.json(
                    .object([
                        (
                            "errors",
                            .array([
                                .object([("message", .string("Throttled")), ("extensions", .object([("code", .string("THROTTLED"))]))])
                            ])
                        ),
                        ("extensions", Self.cost(0, available: 0)),
                    ]))
            }
            if let text = raw[name] {
                return WireResponse(status: .ok, headers: [.contentType: "application/json"], body: Array(text.utf8))
            }
            switch name {
            case "VariantSearch", "ProductSearch", "CollectionSearch": return search(name, variables)
            case "ProductVariants": return productVariants(variables)
            case "VariantDetails", "VariantProducts", "VariantIdentity": return nodes(name, variables)
            default: return Self.error("unknown query")
            }
        }
    }

    private func search(_ name: String, _ variables: JSONValue) -> WireResponse {
        guard let text = variables["query"]?.stringValue, let terms = Self.terms(text), terms.count <= 50 else {
            return Self.error("unreadable search")
        }
        let offset = variables["after"]?.stringValue.flatMap { Int($0.dropFirst()) } ?? 0
        var found: [(Int64, JSONValue)] = []
        switch name {
        case "VariantSearch":
            for v in variants.values {
                let hit = terms.contains { term in
                    let indexed = term.field == "sku" ? (v.indexedSKU ?? v.sku) : term.field == "barcode" ? v.barcode : nil
                    return Self.matches(term.value, indexed)
                }
                if hit {
                    found.append(
                        (
                            v.id,
                            .object([
                                ("id", .string("gid://shopify/ProductVariant/\(v.id)")), ("sku", Self.text(v.sku)),
                                ("barcode", Self.text(v.barcode)),
                            ])
                        ))
                }
            }
        case "ProductSearch":
            for p in products.values where terms.contains(where: { $0.field == "handle" && Self.matches($0.value, p.handle) }) {
                found.append((p.id, .object([("id", .string("gid://shopify/Product/\(p.id)")), ("handle", .string(p.handle))])))
            }
        default:
            for (id, handle) in collections where terms.contains(where: { $0.field == "handle" && Self.matches($0.value, handle) }) {
                found.append((id, .object([("id", .string("gid://shopify/Collection/\(id)")), ("handle", .string(handle))])))
            }
        }
        found.sort { $0.0 < $1.0 }
        let connection = ["VariantSearch": "productVariants", "ProductSearch": "products"][name] ?? "collections"
        let page = Array(found.dropFirst(offset).prefix(searchPage))
        let more = offset + page.count < found.count
        return Self.answer(
            .object([(connection, Self.connection(page.map(\.1), more: more, end: offset + page.count))]), cost: 2 + page.count)
    }

    private func productVariants(_ variables: JSONValue) -> WireResponse {
        guard let gid = variables["id"]?.stringValue, let id = Int64(gid.dropFirst("gid://shopify/Product/".count)), let p = products[id]
        else {
            return Self.answer(.object([("product", .null)]), cost: 3)
        }
        let offset = variables["after"]?.stringValue.flatMap { Int($0.dropFirst()) } ?? 0
        let page = Array(p.variants.dropFirst(offset).prefix(250))
        let nodes = page.compactMap { variants[$0] }.map { variantNode($0) }
        let product = JSONValue.object([
            ("id", .string(gid)), ("handle", .string(p.liveHandle ?? p.handle)), ("title", .string(p.title)), ("status", .string(p.status)),
            ("variants", Self.connection(nodes, more: offset + page.count < p.variants.count, end: offset + page.count)),
        ])
        return Self.answer(.object([("product", product)]), cost: 3 + page.count)
    }

    private func nodes(_ name: String, _ variables: JSONValue) -> WireResponse {
        let gids = variables["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let nodes: [JSONValue] = gids.map { gid in
            guard let id = Int64(gid.dropFirst("gid://shopify/ProductVariant/".count)), let v = variants[id] else { return .null }
            let p = products[v.product]
            if name == "VariantDetails" { return variantNode(v) }
            if name == "VariantProducts" {
                guard case .object(var members) = variantNode(v) else { return .null }
                members.append(
                    (
                        "product",
                        .object([
                            ("id", .string("gid://shopify/Product/\(v.product)")), ("handle", .string(p?.liveHandle ?? p?.handle ?? "")),
                            ("title", .string(p?.title ?? "")), ("status", .string(p?.status ?? "ACTIVE")),
                        ])
                    ))
                return .object(members)
            }
            return .object([
                ("id", .string(gid)), ("sku", Self.text(v.sku)), ("barcode", Self.text(v.barcode)),
                (
                    "product",
                    .object([("id", .string("gid://shopify/Product/\(v.product)")), ("handle", .string(p?.liveHandle ?? p?.handle ?? ""))])
                ),
            ])
        }
        return Self.answer(.object([("nodes", .array(nodes))]), cost: (name == "VariantDetails" ? 1 : 2) * gids.count)
    }

    private func variantNode(_ v: Variant) -> JSONValue {
        let productTitle = products[v.product]?.title ?? ""
        return .object([
            ("id", .string("gid://shopify/ProductVariant/\(v.id)")), ("sku", Self.text(v.sku)), ("barcode", Self.text(v.barcode)),
            ("title", .string(v.title)), ("displayName", .string(v.displayName ?? "\(productTitle) - \(v.title)")),
            ("inventoryPolicy", .string(v.policy)),
        ])
    }

    // MARK: Shapes

    static func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

    static func connection(_ nodes: [JSONValue], more: Bool, end: Int) -> JSONValue {
        .object([
            ("nodes", .array(nodes)),
            ("pageInfo", .object([("hasNextPage", .bool(more)), ("endCursor", nodes.isEmpty ? .null : .string("c\(end)"))])),
        ])
    }

    static func cost(_ actual: Int, available: Int = 19_000) -> JSONValue {
        .object([
            (
                "cost",
                .object([
                    ("requestedQueryCost", .integer(Int64(actual))), ("actualQueryCost", .integer(Int64(actual))),
                    (
                        "throttleStatus",
                        .object([
                            ("maximumAvailable", .integer(20_000)), ("currentlyAvailable", .integer(Int64(available))),
                            ("restoreRate", .integer(100)),
                        ])
                    ),
                ])
            )
        ])
    }

    static func json(_ value: JSONValue) -> WireResponse {
        WireResponse(status: .ok, headers: [.contentType: "application/json"], body: value.bytes)
    }

    static func answer(_ data: JSONValue, cost actual: Int) -> WireResponse {
        json(.object([("data", data), ("extensions", cost(actual))]))
    }

    static func error(_ message: String) -> WireResponse {
        json(.object([("errors", .array([.object([("message", .string(message))])]))]))
    }

    // MARK: Shopify's search

    /// The terms of a search text: `field:"value"` joined by ` OR `, `\"` and `\\` escaped inside
    /// quotes; nil for any other text.
    static func terms(_ text: String) -> [(field: String, value: String)]? {
        var rest = Substring.UnicodeScalarView(text.unicodeScalars)
        var terms: [(field: String, value: String)] = []
        while true {
            guard let colon = rest.firstIndex(of: ":") else { return nil }
            let field = String(String.UnicodeScalarView(rest[..<colon]))
            rest = rest[rest.index(after: colon)...]
            guard rest.first == "\"" else { return nil }
            rest.removeFirst()
            var value = String.UnicodeScalarView()
            while true {
                guard let c = rest.first else { return nil }
                rest.removeFirst()
                if c == "\\" {
                    guard let next = rest.first, next == "\\" || next == "\"" else { return nil }
                    value.append(next)
                    rest.removeFirst()
                } else if c == "\"" {
                    break
                } else {
                    value.append(c)
                }
            }
            terms.append((field, String(value)))
            if rest.isEmpty { return terms }
            guard String(String.UnicodeScalarView(rest)).hasPrefix(" OR ") else { return nil }
            rest = rest.dropFirst(4)
        }
    }

    static func tokens(_ s: String) -> [String] {
        s.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// Shopify's match: the value's tokens occur as a contiguous run of the indexed text's.
    static func matches(_ value: String, _ indexed: String?) -> Bool {
        guard let indexed else { return false }
        let v = tokens(value)
        let t = tokens(indexed)
        guard !v.isEmpty, v.count <= t.count else { return false }
        return (0...(t.count - v.count)).contains { Array(t[$0..<($0 + v.count)]) == v }
    }
}

extension FakeCatalogue.Variant {
    init(_ id: Int64, sku: String? = nil, barcode: String? = nil, title: String = "Default Title", indexedSKU: String? = nil) {
        self.init(id: id, sku: sku, barcode: barcode, title: title, product: 0, indexedSKU: indexedSKU)
    }
}

@Suite("Reading Shopify's catalogue: names resolved through searches, confirmed exactly against live data")
struct CatalogueReaderTests {
    /// A shop with a tee in three sizes and a coat.
    static func shop(searchPage: Int = 250, throttle: Int = 0, raw: [String: String] = [:]) -> FakeCatalogue {
        let shop = FakeCatalogue(searchPage: searchPage, throttle: throttle, raw: raw)
        shop.product(
            100, "fall-tee", title: "Fall Tee",
            variants: [
                .init(1, sku: "TEE-BLK-S", barcode: "0123456789012", title: "Black / S"),
                .init(2, sku: "TEE-BLK-M", title: "Black / M"),
                .init(3, sku: "TEE-BLK-L", title: "Black / L"),
            ])
        shop.product(200, "winter-coat", title: "Winter Coat", variants: [.init(4, sku: "COAT")])
        return shop
    }

    @Test("a unique SKU resolves to its variant, with titles and policy read live")
    func uniqueSKU() async throws {
        let shop = Self.shop()
        let result = try await shop.reader().read(.init(skus: ["TEE-BLK-S"]))
        #expect(result.catalogue.bySKU == ["TEE-BLK-S": [1]])
        let variant = try #require(result.catalogue.variants[1])
        #expect(variant.sku == "TEE-BLK-S" && variant.barcode == "0123456789012")
        #expect(variant.title == "Black / S" && variant.productTitle == "Fall Tee" && variant.inventoryPolicy == .deny)
        #expect(variant.displayTitle == "Fall Tee — Black / S")
        #expect(shop.names() == ["VariantSearch", "VariantDetails"])
        #expect(shop.log[0].variables["query"]?.stringValue == #"sku:"TEE-BLK-S""#)
        #expect(shop.log[0].variables["after"] == .null)
        #expect(result.queries == 2 && result.points == (2 + 1) + 1 && result.throttled == 0)
        #expect(result.catalogue.source == "test" && result.catalogue.unknown.isEmpty)
    }

    @Test("a candidate already read is not read again; its SKU as given counts in the confirmation, an unread one is read")
    func alreadyRead() async throws {
        let shop = Self.shop()
        shop.product(300, "spring-coat", title: "Spring Coat", variants: [.init(9, sku: "COAT")])
        var request = CatalogueReader.Request(skus: ["COAT", "TEE-BLK-S"])
        // Variant 4 was read with SKU COAT, variant 1 with a SKU it no longer has.
        request.alreadyRead = [4: CatalogueVariant(id: 4, sku: "COAT"), 1: CatalogueVariant(id: 1, sku: "TEE-OLD")]
        let result = try await shop.reader().read(request)
        #expect(result.catalogue.bySKU == ["COAT": [4, 9], "TEE-BLK-S": []])
        #expect(shop.names() == ["VariantSearch", "VariantDetails"])
        let detailed = shop.log[1].variables["ids"]?.arrayValue?.compactMap(\.stringValue)
        #expect(detailed == ["gid://shopify/ProductVariant/9"], "only the candidate not read before")
    }

    @Test("a SKU no variant carries resolves to an empty list")
    func missingSKU() async throws {
        let shop = Self.shop()
        let result = try await shop.reader().read(.init(skus: ["NOPE-1"]))
        #expect(result.catalogue.bySKU == ["NOPE-1": []])
        #expect(result.catalogue.variants.isEmpty)
        #expect(shop.names() == ["VariantSearch"], "nothing to confirm")
    }

    @Test("a SKU two variants carry resolves to both, sorted")
    func duplicateSKU() async throws {
        let shop = Self.shop()
        shop.product(300, "spring-tee", title: "Spring Tee", variants: [.init(9, sku: "COAT"), .init(7, sku: "OTHER")])
        let result = try await shop.reader().read(.init(skus: ["COAT"]))
        #expect(result.catalogue.bySKU == ["COAT": [4, 9]])
    }

    @Test("a tokenised near miss from the search is never a match")
    func nearMiss() async throws {
        let shop = Self.shop()
        let result = try await shop.reader().read(.init(skus: ["TEE-BLK", "blk s"]))
        #expect(result.catalogue.bySKU == ["TEE-BLK": [], "blk s": []])
        // The search did find them: they were read, and rejected.
        #expect(Set(result.catalogue.variants.keys) == [1, 2, 3])
    }

    @Test("a search result whose live SKU differs from the stale index is never a match")
    func staleIndex() async throws {
        let shop = FakeCatalogue()
        shop.product(
            100, "fall-tee", variants: [.init(1, sku: "NEW-1", indexedSKU: "OLD-1"), .init(2, sku: "OLD-1-X", indexedSKU: "OLD-1-X")])
        let result = try await shop.reader().read(.init(skus: ["OLD-1"]))
        #expect(result.catalogue.variants[1]?.sku == "NEW-1", "the candidate was read")
        #expect(result.catalogue.bySKU == ["OLD-1": []])
    }

    @Test("a SKU differing in case, or only canonically equivalent, is not a match")
    func caseDifference() async throws {
        let shop = Self.shop()
        shop.product(300, "cafe", variants: [.init(5, sku: "CAF\u{E9}-1"), .init(6, barcode: "abc-1")])
        let result = try await shop.reader().read(.init(skus: ["tee-blk-s", "CAFE\u{301}-1"], barcodes: ["ABC-1"]))
        #expect(Set(result.catalogue.variants.keys) == [1, 5, 6], "the search found them, case-insensitively")
        #expect(result.catalogue.bySKU["tee-blk-s"] == [])
        #expect(result.catalogue.bySKU.values.allSatisfy { $0.isEmpty }, "\(result.catalogue.bySKU)")
        #expect(result.catalogue.byBarcode.count == 1 && result.catalogue.byBarcode.values.first == [])
    }

    @Test("barcodes resolve exactly like SKUs, by their own search")
    func barcode() async throws {
        let shop = Self.shop()
        let result = try await shop.reader().read(.init(barcodes: ["0123456789012", "0123"]))
        #expect(result.catalogue.byBarcode == ["0123456789012": [1], "0123": []])
        #expect(shop.log.first?.variables["query"]?.stringValue == #"barcode:"0123" OR barcode:"0123456789012""#)
    }

    @Test("the search text quotes every value, escaping backslashes and quotes")
    func searchText() {
        #expect(CatalogueReader.searchText(field: "sku", values: ["TEE-BLK-S", "TEE-BLK-M"]) == #"sku:"TEE-BLK-S" OR sku:"TEE-BLK-M""#)
        #expect(CatalogueReader.searchText(field: "sku", values: [#"A "B" \C"#]) == #"sku:"A \"B\" \\C""#)
        #expect(CatalogueReader.searchText(field: "barcode", values: ["x OR sku:y"]) == #"barcode:"x OR sku:y""#)
        #expect(
            CatalogueReader.searchText(field: "handle", values: ["\"\u{301}"]) == "handle:\"\\\"\u{301}\"",
            "a quote is escaped whatever follows it")
        #expect(CatalogueReader.searchText(field: "sku", values: []) == "")
    }

    @Test("a SKU with spaces, quotes and backslashes is quoted, found and confirmed")
    func quoting() async throws {
        let shop = FakeCatalogue()
        let odd = #"TEE "BLK" \ S"#
        shop.product(100, "odd", variants: [.init(1, sku: odd), .init(2, sku: #"TEE "BLK" \\ S"#)])
        let result = try await shop.reader().read(.init(skus: [odd]))
        #expect(result.catalogue.bySKU == [odd: [1]])
        #expect(shop.log.first?.variables["query"]?.stringValue == #"sku:"TEE \"BLK\" \\ S""#)
    }

    @Test("120 SKUs are searched in 3 queries of at most 50 terms; points are summed")
    func batching() async throws {
        let shop = FakeCatalogue()
        shop.product(100, "many", variants: (1...120).map { .init(Int64($0), sku: "SKU\($0)") })
        let skus = Set((1...120).map { "SKU\($0)" })
        let result = try await shop.reader().read(.init(skus: skus))
        let searches = shop.log.filter { $0.name == "VariantSearch" }
        #expect(searches.count == 3)
        let terms = searches.compactMap { $0.variables["query"]?.stringValue.flatMap(FakeCatalogue.terms)?.count }
        #expect(terms.sorted() == [20, 50, 50])
        #expect(Set(searches.flatMap { FakeCatalogue.terms($0.variables["query"]?.stringValue ?? "")?.map(\.value) ?? [] }) == skus)
        #expect(result.queries == 4)
        #expect(result.points == (2 + 50) + (2 + 50) + (2 + 20) + 120)
        #expect(result.catalogue.bySKU.count == 120 && result.catalogue.bySKU.allSatisfy { $0.value == [Int64($0.key.dropFirst(3))] })
    }

    @Test("a search is paged to its end with each page's endCursor")
    func searchPages() async throws {
        let shop = FakeCatalogue(searchPage: 2)
        shop.product(
            100, "tee",
            variants: [
                .init(1, sku: "TEE-1"), .init(2, sku: "TEE-2"), .init(3, sku: "TEE 3"), .init(4, sku: "TEE-4"), .init(5, sku: "TEE"),
            ])
        let result = try await shop.reader().read(.init(skus: ["TEE"]))
        let searches = shop.log.filter { $0.name == "VariantSearch" }
        #expect(searches.map { $0.variables["after"] ?? .null } == [.null, .string("c2"), .string("c4")])
        #expect(result.catalogue.bySKU == ["TEE": [5]], "the match was on the last page")
        #expect(result.points == (2 + 2) + (2 + 2) + (2 + 1) + 5)
    }

    @Test("a product with 2,048 variants is read in 9 pages; its variants need no details query")
    func bigProduct() async throws {
        let shop = FakeCatalogue()
        shop.product(100, "big-tee", title: "Big Tee", variants: (1...2_048).map { .init(Int64($0), sku: "BIG-\($0)", title: "V\($0)") })
        let result = try await shop.reader().read(.init(productHandles: ["big-tee"], variantIDs: [7]))
        let product = try #require(result.catalogue.products["big-tee"])
        #expect(product.id == 100 && product.title == "Big Tee" && product.status == "ACTIVE")
        #expect(product.variantIDs == (1...2_048).map { Int64($0) })
        #expect(shop.names() == ["ProductSearch"] + Array(repeating: "ProductVariants", count: 9))
        #expect(result.points == (2 + 1) + 9 * 3 + 2_048)
        let variant = try #require(result.catalogue.variants[2_048])
        #expect(
            variant.productID == 100 && variant.productHandle == "big-tee" && variant.productTitle == "Big Tee" && variant.title == "V2048")
        #expect(variant.productStatus == "ACTIVE" && variant.inventoryPolicy == .deny)
    }

    @Test("a product handle is matched exactly: near misses and a handle changed since the search are no match")
    func handleNearMiss() async throws {
        let shop = Self.shop()
        shop.product(300, "fall-tee-2", title: "Fall Tee 2", variants: [.init(8, sku: "T2")])
        shop.product(400, "spring", title: "Spring", variants: [.init(9, sku: "S")])
        shop.update(product: 400) { $0.liveHandle = "spring-renamed" }
        let result = try await shop.reader().read(.init(productHandles: ["fall-tee", "Fall-Tee-2", "spring"]))
        #expect(result.catalogue.products.keys.sorted() == ["fall-tee"])
        #expect(result.catalogue.products["fall-tee"]?.variantIDs == [1, 2, 3])
        let reads = shop.log.filter { $0.name == "ProductVariants" }.compactMap { $0.variables["id"]?.stringValue }
        #expect(reads.sorted() == ["gid://shopify/Product/100", "gid://shopify/Product/400"], "only exact handles are read")
        #expect(result.catalogue.variants[9] == nil, "the renamed product's variants are not taken")
    }

    @Test("collection handles resolve to the collection with exactly that handle")
    func collections() async throws {
        let shop = Self.shop()
        shop.collection(10, "summer-sale")
        shop.collection(11, "summer")
        let result = try await shop.reader().read(.init(collectionHandles: ["summer", "sale", "winter"]))
        #expect(result.catalogue.collections == ["summer": 11])
        #expect(shop.names() == ["CollectionSearch"])
    }

    @Test("ids asked for are read; ones Shopify does not know are unknown; product titles come from displayName")
    func details() async throws {
        let shop = Self.shop()
        shop.product(300, "odd", title: "Odd", variants: [.init(id: 5, title: "Red", product: 0, displayName: "Something else")])
        let result = try await shop.reader().read(.init(variantIDs: [1, 4, 5, 999]))
        #expect(result.catalogue.unknown == [999])
        #expect(result.catalogue.variants[1]?.productTitle == "Fall Tee")
        #expect(result.catalogue.variants[1]?.productStatus == nil, "the product itself is not read")
        #expect(result.catalogue.variants[4]?.productTitle == "Winter Coat" && result.catalogue.variants[4]?.displayTitle == "Winter Coat")
        #expect(result.catalogue.variants[5]?.title == "Red" && result.catalogue.variants[5]?.productTitle == nil)
        #expect(result.catalogue.policies(of: [1, 999]).unknown == [999])
        #expect(shop.names() == ["VariantDetails"] && result.points == 4)
    }

    @Test("with products, each variant's product title, handle and status are read, at 2 points a variant")
    func detailsWithProducts() async throws {
        let shop = Self.shop()
        shop.product(300, "odd", title: "Odd", variants: [.init(id: 5, title: "Red", product: 0, displayName: "Something else")])
        shop.product(400, "old-coat", title: "Old Coat", status: "ARCHIVED", variants: [.init(id: 6, title: "Grey", product: 400)])
        var request = CatalogueReader.Request(variantIDs: [1, 5, 6, 999])
        request.withProducts = true
        #expect(CatalogueReader.estimate(request).points == 8)
        let result = try await shop.reader().read(request)
        let old = result.catalogue.variants[6]
        #expect(old?.productStatus == "ARCHIVED" && old?.productNotActive == true && old?.productHandle == "old-coat")
        #expect(old?.productID == 400 && old?.displayTitle == "Old Coat — Grey")
        #expect(result.catalogue.variants[1]?.productNotActive == false && result.catalogue.variants[1]?.productStatus == "ACTIVE")
        #expect(result.catalogue.variants[5]?.productTitle == "Odd", "from the product, whatever displayName says")
        #expect(result.catalogue.unknown == [999])
        #expect(shop.names() == ["VariantProducts"] && result.points == 8)
    }

    @Test("THROTTLED answers are waited out and counted")
    func throttled() async throws {
        let shop = Self.shop(throttle: 2)
        let start = shop.clock.now
        let result = try await shop.reader().read(.init(skus: ["TEE-BLK-S"]))
        #expect(result.catalogue.bySKU == ["TEE-BLK-S": [1]])
        #expect(result.throttled == 2 && result.queries == 2)
        #expect(shop.names() == ["VariantSearch", "VariantSearch", "VariantSearch", "VariantDetails"])
        // No points available, 100 a second: 252 points take 2.52 s each time.
        #expect(start.duration(to: shop.clock.now) >= .seconds(5))
    }

    @Test("malformed answers are decoding errors")
    func malformed() async throws {
        let variant = #"{"id": "gid://shopify/ProductVariant/1", "sku": "TEE-BLK-S", "barcode": null}"#
        let cases: [(CatalogueReader.Request, [String: String])] = [
            (.init(skus: ["TEE-BLK-S"]), ["VariantSearch": #"{"data": {"productVariants": {"nodes": [\#(variant)]}}}"#]),
            (
                .init(skus: ["TEE-BLK-S"]),
                [
                    "VariantSearch":
                        #"{"data": {"productVariants": {"nodes": [{"id": "gid://shopify/Product/1"}], "pageInfo": {"hasNextPage": false}}}}"#
                ]
            ),
            (
                .init(skus: ["TEE-BLK-S"]),
                ["VariantSearch": #"{"data": {"productVariants": {"nodes": [], "pageInfo": {"hasNextPage": true, "endCursor": null}}}}"#]
            ),
            (.init(variantIDs: [1, 2]), ["VariantDetails": #"{"data": {"nodes": [null]}}"#]),
            (.init(variantIDs: [1]), ["VariantDetails": #"{"data": {"nodes": [{"id": "gid://shopify/ProductVariant/2"}]}}"#]),
            (.init(variantIDs: [1]), ["VariantDetails": #"{"data": {"nodes": [{"id": "gid://shopify/ProductVariant/1", "sku": 5}]}}"#]),
            (
                .init(productHandles: ["fall-tee"]),
                [
                    "ProductSearch":
                        #"{"data": {"products": {"nodes": [{"id": "gid://shopify/Product/1", "handle": "fall-tee"}, {"id": "gid://shopify/Product/2", "handle": "fall-tee"}], "pageInfo": {"hasNextPage": false}}}}"#
                ]
            ),
            (
                .init(productHandles: ["fall-tee"]),
                ["ProductVariants": #"{"data": {"product": {"id": "gid://shopify/Product/7", "handle": "fall-tee"}}}"#]
            ),
        ]
        for (index, (request, raw)) in cases.enumerated() {
            let shop = Self.shop(raw: raw)
            do throws(ShopifyError) {
                _ = try await shop.reader().read(request)
                Issue.record("case \(index): expected a decoding error")
            } catch {
                #expect(error.kind == .decoding, "case \(index): \(error)")
            }
        }
    }

    @Test("identities: each id's current SKU, barcode and product; unknown ids have no entry")
    func identities() async throws {
        let shop = Self.shop()
        let (variants, queries, points) = try await shop.reader().identities([1, 4, 1, 999])
        #expect(variants.keys.sorted() == [1, 4])
        #expect(
            variants[1] == CatalogueVariant(id: 1, sku: "TEE-BLK-S", barcode: "0123456789012", productID: 100, productHandle: "fall-tee"))
        #expect(variants[4]?.productHandle == "winter-coat" && variants[4]?.barcode == nil)
        #expect(queries == 1 && points == 2 * 3)
        #expect(shop.names() == ["VariantIdentity"])
    }

    @Test("the estimate for 20,000 SKUs: 400 searches and 80 details queries")
    func estimate() {
        let request = CatalogueReader.Request(skus: Set((1...20_000).map { "SKU-\($0)" }))
        let estimate = CatalogueReader.estimate(request)
        #expect(estimate.queries == 400 + 80)
        #expect(estimate.points == 400 * 252 + 20_000)
        let mixed = CatalogueReader.estimate(
            .init(barcodes: ["a"], productHandles: ["p", "q"], collectionHandles: ["c"], variantIDs: [1, 2]))
        #expect(mixed.queries == 3 + 2 + 1 && mixed.points == 3 * 252 + 2 * 253 + 3)
        #expect(CatalogueReader.estimate(.init()) == (0, 0))
    }
}
