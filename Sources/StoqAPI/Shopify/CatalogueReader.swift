import StoqCore
import StoqWire

/// Reads what Shopify's catalogue says about the names and ids a configuration uses: resolves
/// SKUs, barcodes, product handles and collection handles to ids, exactly, and reads variants'
/// titles and inventory policies.
///
/// A read runs in four steps; the queries of a step run several at once, paced by the client's
/// cost bucket, each to its end (a failed query does not cancel the others, which would leave them
/// waiting for points), and the step's first failure is thrown after all have finished.
///
/// 1. Searches: `productVariants(query:)` for SKUs and for barcodes, `products(query:)` for product
///    handles and `collections(query:)` for collection handles, at most 50 terms a query, every
///    value double-quoted (see ``searchText(field:values:)``), each search paged to its end.
///    Shopify's search is tokenised, case-insensitive and reads an index that may lag the live
///    data, so a search only yields candidate ids.
/// 2. Products: every variant (in pages of 250, up to Shopify's 2,048) of each candidate product
///    whose handle equals a handle asked for exactly; the product read's own (live) handle must
///    still equal it, else the product is no match. Two products with one handle is a decoding
///    error.
/// 3. Details: one `nodes(ids:)` pass (pages of at most 250 ids) over the ids asked for and every
///    SKU or barcode candidate not read in step 2, nor given as already read
///    (``Request/alreadyRead``, which is taken as it is). A product title comes from the variant's
///    `displayName` without its `" - " + title` suffix (none when it does not end so); with
///    ``Request/withProducts``, each variant's product (id, handle, title, status) is read instead,
///    at twice the points, so variants of draft or archived products can be marked. An id asked
///    for that Shopify does not know is ``Catalogue/unknown``; a candidate it no longer knows is
///    dropped.
/// 4. Exact confirmation: for each SKU asked for, the (sorted) variants read whose live SKU
///    equals it byte for byte (case-sensitive, untrimmed, not even Unicode-normalised); a
///    tokenised near miss or a stale index entry never selects a variant. Barcodes likewise;
///    a collection handle selects the collection whose handle equals it exactly.
///
/// Every answer is checked: `nodes` holds one entry per id asked, node ids are ids asked for,
/// gids parse, pages carry their `pageInfo`; anything else is a ``ShopifyError`` of kind
/// ``ShopifyError/Kind/decoding``.
public struct CatalogueReader: Sendable {
    /// The client.
    public let client: ShopifyClient
    /// Where the catalogue comes from, as messages name it (`acme.myshopify.com`, `emulator`).
    public let source: String

    /// Creates a reader.
    public init(client: ShopifyClient, source: String) {
        self.client = client
        self.source = source
    }

    /// What to read.
    public struct Request: Sendable, Hashable {
        /// SKUs to resolve.
        public var skus: Set<String>
        /// Barcodes to resolve.
        public var barcodes: Set<String>
        /// Product handles to resolve (with every variant of each product).
        public var productHandles: Set<String>
        /// Collection handles to resolve.
        public var collectionHandles: Set<String>
        /// Variant ids to read the details (titles, policy) of.
        public var variantIDs: Set<Int64>
        /// Variants an earlier read of the same run read live: a search candidate among them is
        /// not read again, and its SKU and barcode as given count in the exact confirmation.
        public var alreadyRead: [Int64: CatalogueVariant] = [:]
        /// Read each variant's product (id, handle, title, status) in the details pass.
        ///
        /// 2 points a variant instead of 1: for the few variants a plan shows, not for every name
        /// resolved.
        public var withProducts = false

        /// Creates a request.
        public init(
            skus: Set<String> = [], barcodes: Set<String> = [], productHandles: Set<String> = [], collectionHandles: Set<String> = [],
            variantIDs: Set<Int64> = []
        ) {
            self.skus = skus
            self.barcodes = barcodes
            self.productHandles = productHandles
            self.collectionHandles = collectionHandles
            self.variantIDs = variantIDs
        }
    }

    /// What a read found, and what it cost.
    public struct Result: Sendable {
        /// The catalogue.
        public var catalogue: Catalogue
        /// Queries sent (not counting throttled ones sent again).
        public var queries: Int
        /// Points Shopify charged (`actualQueryCost`).
        public var points: Int
        /// `THROTTLED` answers waited out.
        public var throttled: Int
    }

    // MARK: The queries

    static let variantSearch = """
        query VariantSearch($query: String!, $after: String) { productVariants(first: 250, after: $after, query: $query) { nodes { id sku barcode } pageInfo { hasNextPage endCursor } } }
        """
    static let productSearch = """
        query ProductSearch($query: String!, $after: String) { products(first: 250, after: $after, query: $query) { nodes { id handle } pageInfo { hasNextPage endCursor } } }
        """
    static let collectionSearch = """
        query CollectionSearch($query: String!, $after: String) { collections(first: 250, after: $after, query: $query) { nodes { id handle } pageInfo { hasNextPage endCursor } } }
        """
    static let productVariants = """
        query ProductVariants($id: ID!, $after: String) { product(id: $id) { id handle title status variants(first: 250, after: $after) { nodes { id sku barcode title displayName inventoryPolicy } pageInfo { hasNextPage endCursor } } } }
        """
    static let variantDetails = """
        query VariantDetails($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode title displayName inventoryPolicy } } }
        """
    static let variantProducts = """
        query VariantProducts($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode title inventoryPolicy product { id handle title status } } } }
        """
    static let variantIdentity = """
        query VariantIdentity($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode product { id handle } } } }
        """

    /// Terms per search query.
    public static let searchBatch = 50
    /// Ids per `nodes(ids:)` query (Shopify's input limit).
    public static let idPage = 250
    /// The requested cost of a search page: 2 + 250 nodes.
    static let searchCost = 252
    /// The requested cost of a product's page of variants: 1 + 2 + 250 nodes.
    static let productCost = 253
    /// The requested cost of one variant in a details read (twice that with its product).
    static let detailsCost = 1

    /// Shopify's search text for `values` of `field` (`sku`, `barcode`, `handle`): each value in
    /// double quotes, with `\` and `"` inside escaped by a backslash, terms joined by ` OR `:
    /// `sku:"TEE-BLK-S" OR sku:"TEE \"BLK\" M"`.
    public static func searchText(field: String, values: some Sequence<String>) -> String {
        values.map { value in
            var quoted = String.UnicodeScalarView()
            for scalar in value.unicodeScalars {
                if scalar == "\\" || scalar == "\"" { quoted.append("\\") }
                quoted.append(scalar)
            }
            return "\(field):\"\(String(quoted))\""
        }.joined(separator: " OR ")
    }

    /// How many queries and points a read of `request` costs before any answer says more.
    ///
    /// Counted: the first page of each search, the first page of variants of each product handle,
    /// and one details pass over the ids asked for plus one candidate for each SKU and barcode, at
    /// the cost each query requests (Shopify charges at most that). Searches with more pages,
    /// products with more than 250 variants and names that find several variants cost more.
    public static func estimate(_ request: Request) -> (queries: Int, points: Int) {
        func pages(_ count: Int, of size: Int) -> Int { (count + size - 1) / size }
        let searches = [request.skus.count, request.barcodes.count, request.productHandles.count, request.collectionHandles.count]
            .reduce(0) { $0 + pages($1, of: searchBatch) }
        let products = request.productHandles.count
        let ids = request.variantIDs.count + request.skus.count + request.barcodes.count
        return (
            searches + products + pages(ids, of: idPage),
            searches * searchCost + products * productCost + detailsCost * (request.withProducts ? 2 : 1) * ids
        )
    }

    // MARK: Reading

    /// Reads what `request` asks for (see the type's description for the steps), showing how far
    /// it is on `progress`.
    public func read(_ request: Request, progress: ProgressMeter = .silent) async throws(ShopifyError) -> Result {
        var catalogue = Catalogue(source: source)
        var tally = Tally()

        // 1. Searches: candidates only.
        var searches: [Search] = []
        for (kind, values) in [(Search.Kind.sku, request.skus), (.barcode, request.barcodes)] + [
            (.product, request.productHandles), (.collection, request.collectionHandles),
        ] {
            let sorted = values.sorted()
            for start in stride(from: 0, to: sorted.count, by: Self.searchBatch) {
                searches.append(Search(kind: kind, values: Array(sorted[start..<min(start + Self.searchBatch, sorted.count)])))
            }
        }
        var variantCandidates: Set<Int64> = []
        var productCandidates: [String: Set<Int64>] = [:]
        var collectionCandidates: [String: Set<Int64>] = [:]
        if !searches.isEmpty {
            let phase = progress.start("resolving variant names", unit: "searches", total: searches.count)
            defer { phase.end() }
            let reader = self
            let outcomes = try await Self.runAll(searches) { (search: Search) async -> Swift.Result<(Search, [Hit], Tally), ShopifyError> in
                do throws(ShopifyError) {
                    let found = try await reader.search(search)
                    phase.advance()
                    return .success((search, found.hits, found.tally))
                } catch {
                    return .failure(error)
                }
            }
            let askedProducts = ExactSet(request.productHandles)
            let askedCollections = ExactSet(request.collectionHandles)
            for (search, hits, cost) in outcomes {
                tally += cost
                for hit in hits {
                    switch search.kind {
                    case .sku, .barcode: variantCandidates.insert(hit.id)
                    case .product:
                        if let handle = hit.handle.flatMap(askedProducts.member) { productCandidates[handle, default: []].insert(hit.id) }
                    case .collection:
                        if let handle = hit.handle.flatMap(askedCollections.member) {
                            collectionCandidates[handle, default: []].insert(hit.id)
                        }
                    }
                }
            }
        }
        for (handle, ids) in collectionCandidates.sorted(by: { $0.key < $1.key }) {
            guard let id = ids.first, ids.count == 1 else {
                throw Self.malformed("two collections have the handle \(ServerText.oneLine(handle, limit: 80))")
            }
            catalogue.collections[handle] = id
        }

        // 2. Products: every variant of each product whose live handle is the one asked for.
        var products: [(handle: String, id: Int64)] = []
        for (handle, ids) in productCandidates.sorted(by: { $0.key < $1.key }) {
            guard let id = ids.first, ids.count == 1 else {
                throw Self.malformed("two products have the handle \(ServerText.oneLine(handle, limit: 80))")
            }
            products.append((handle, id))
        }
        if !products.isEmpty {
            let phase = progress.start("reading Shopify products", unit: "products", total: products.count)
            defer { phase.end() }
            let reader = self
            let outcomes = try await Self.runAll(products) {
                (product: (handle: String, id: Int64)) async -> Swift.Result<(ProductRead?, Tally), ShopifyError> in
                do throws(ShopifyError) {
                    let read = try await reader.product(product.id, handle: product.handle)
                    phase.advance()
                    return .success(read)
                } catch {
                    return .failure(error)
                }
            }
            for (read, cost) in outcomes {
                tally += cost
                guard let read else { continue }
                catalogue.products[read.product.handle] = read.product
                for variant in read.variants { catalogue.variants[variant.id] = variant }
            }
        }

        // 3. Details of the ids asked for and the variant candidates not read with their product,
        // nor already read.
        for id in variantCandidates where catalogue.variants[id] == nil {
            if let known = request.alreadyRead[id] { catalogue.variants[id] = known }
        }
        let ids = request.variantIDs.union(variantCandidates).subtracting(catalogue.variants.keys).sorted()
        if !ids.isEmpty {
            let phase = progress.start("reading Shopify variants", unit: "variants", total: ids.count)
            defer { phase.end() }
            let reader = self
            let pages = stride(from: 0, to: ids.count, by: Self.idPage).map { Array(ids[$0..<min($0 + Self.idPage, ids.count)]) }
            let outcomes = try await Self.runAll(pages) {
                (page: [Int64]) async -> Swift.Result<([Int64: CatalogueVariant], Tally), ShopifyError> in
                do throws(ShopifyError) {
                    let read = try await reader.details(page, withProducts: request.withProducts)
                    phase.advance(by: page.count)
                    return .success(read)
                } catch {
                    return .failure(error)
                }
            }
            for (read, cost) in outcomes {
                tally += cost
                catalogue.variants.merge(read) { _, new in new }
            }
            catalogue.unknown = request.variantIDs.subtracting(catalogue.variants.keys)
        }

        // 4. Exact confirmation against the live values read.
        var bySKU: [[UInt8]: [Int64]] = [:]
        var byBarcode: [[UInt8]: [Int64]] = [:]
        for variant in catalogue.variants.values {
            if let sku = variant.sku { bySKU[Array(sku.utf8), default: []].append(variant.id) }
            if let barcode = variant.barcode { byBarcode[Array(barcode.utf8), default: []].append(variant.id) }
        }
        for sku in request.skus { catalogue.bySKU[sku] = (bySKU[Array(sku.utf8)] ?? []).sorted() }
        for barcode in request.barcodes { catalogue.byBarcode[barcode] = (byBarcode[Array(barcode.utf8)] ?? []).sorted() }
        return Result(catalogue: catalogue, queries: tally.queries, points: tally.points, throttled: tally.throttled)
    }

    /// For each of `ids`, its current SKU, barcode and product (id and handle).
    ///
    /// An id Shopify does not know has no entry. `nodes(ids:)` in pages of at most 250 ids,
    /// several in flight.
    public func identities(_ ids: [Int64]) async throws(ShopifyError) -> (variants: [Int64: CatalogueVariant], queries: Int, points: Int) {
        let unique = Array(Set(ids)).sorted()
        let pages = stride(from: 0, to: unique.count, by: Self.idPage).map { Array(unique[$0..<min($0 + Self.idPage, unique.count)]) }
        let reader = self
        let outcomes = try await Self.runAll(pages) {
            (page: [Int64]) async -> Swift.Result<([Int64: CatalogueVariant], Tally), ShopifyError> in
            do throws(ShopifyError) {
                return .success(try await reader.identityPage(page))
            } catch {
                return .failure(error)
            }
        }
        var variants: [Int64: CatalogueVariant] = [:]
        var tally = Tally()
        for (read, cost) in outcomes {
            tally += cost
            variants.merge(read) { _, new in new }
        }
        return (variants, tally.queries, tally.points)
    }

    // MARK: Steps

    /// The identities of one page of variant ids (ids Shopify does not know have no entry).
    func identityPage(_ page: [Int64]) async throws(ShopifyError) -> ([Int64: CatalogueVariant], Tally) {
        var tally = Tally()
        let answer = try await client.query(Self.variantIdentity, variables: Self.idVariables(page), cost: 2 * page.count)
        tally.add(answer)
        var variants: [Int64: CatalogueVariant] = [:]
        for (id, node) in try PolicyReader.match(answer.data, to: page) {
            guard let product = node["product"], let productGID = product["id"] else {
                throw Self.malformed("variant \(id) without its product")
            }
            variants[id] = CatalogueVariant(
                id: id, sku: try Self.text(node, "sku"), barcode: try Self.text(node, "barcode"),
                productID: try Self.id(productGID, "Product"), productHandle: try Self.text(product, "handle"))
        }
        return (variants, tally)
    }

    /// One search query's terms.
    struct Search: Sendable {
        enum Kind: Sendable { case sku, barcode, product, collection }
        var kind: Kind
        var values: [String]

        var query: String {
            switch kind {
            case .sku, .barcode: CatalogueReader.variantSearch
            case .product: CatalogueReader.productSearch
            case .collection: CatalogueReader.collectionSearch
            }
        }
        var connection: String {
            switch kind {
            case .sku, .barcode: "productVariants"
            case .product: "products"
            case .collection: "collections"
            }
        }
        var field: String {
            switch kind {
            case .sku: "sku"
            case .barcode: "barcode"
            case .product, .collection: "handle"
            }
        }
        var gidType: String {
            switch kind {
            case .sku, .barcode: "ProductVariant"
            case .product: "Product"
            case .collection: "Collection"
            }
        }
    }

    /// A search result: an id, and the handle it carries (products and collections).
    struct Hit: Sendable {
        var id: Int64
        var handle: String?
    }

    /// Every page of one search.
    func search(_ search: Search) async throws(ShopifyError) -> (hits: [Hit], tally: Tally) {
        var tally = Tally()
        let text = Self.searchText(field: search.field, values: search.values)
        let nodes = try await pages(search.query, variables: [("query", .string(text))], cost: Self.searchCost, tally: &tally) {
            (data: JSONValue) throws(ShopifyError) -> JSONValue? in
            guard let connection = data[search.connection], !connection.isNull else {
                throw Self.malformed("a search answer without `\(search.connection)`")
            }
            return connection
        }
        var hits: [Hit] = []
        for node in nodes ?? [] {
            let id = try Self.id(node["id"], search.gidType)
            switch search.kind {
            case .sku, .barcode: hits.append(Hit(id: id))
            case .product, .collection:
                guard let handle = node["handle"]?.stringValue else { throw Self.malformed("a search result without a handle") }
                hits.append(Hit(id: id, handle: handle))
            }
        }
        return (hits, tally)
    }

    /// A product read with its variants.
    struct ProductRead: Sendable {
        var product: CatalogueProduct
        var variants: [CatalogueVariant]
    }

    /// Every variant of product `id`, if its live handle is `handle` (nil: it is not, or Shopify
    /// no longer knows the product).
    func product(_ id: Int64, handle: String) async throws(ShopifyError) -> (ProductRead?, Tally) {
        var tally = Tally()
        var product = CatalogueProduct(id: id, handle: handle)
        let nodes = try await pages(
            Self.productVariants, variables: [("id", .string("gid://shopify/Product/\(id)"))], cost: Self.productCost, tally: &tally
        ) { (data: JSONValue) throws(ShopifyError) -> JSONValue? in
            guard let read = data["product"] else { throw Self.malformed("a product answer without `product`") }
            if read.isNull { return nil }
            guard try Self.id(read["id"], "Product") == id else { throw Self.malformed("an answer for another product than \(id)") }
            guard let live = read["handle"]?.stringValue else { throw Self.malformed("product \(id) without a handle") }
            guard live.utf8.elementsEqual(handle.utf8) else { return nil }
            product.title = try Self.text(read, "title")
            product.status = try Self.text(read, "status")
            guard let variants = read["variants"], !variants.isNull else { throw Self.malformed("product \(id) without `variants`") }
            return variants
        }
        guard let nodes else { return (nil, tally) }
        var variants: [CatalogueVariant] = []
        var seen: Set<Int64> = []
        for node in nodes {
            var variant = try Self.variant(node)
            guard seen.insert(variant.id).inserted else { throw Self.malformed("variant \(variant.id) twice in product \(id)") }
            variant.productTitle = product.title
            variant.productID = id
            variant.productHandle = product.handle
            variant.productStatus = product.status
            variants.append(variant)
        }
        product.variantIDs = variants.map(\.id)
        return (ProductRead(product: product, variants: variants), tally)
    }

    /// The details of one page of variant ids (ids Shopify does not know have no entry), with
    /// their products when `withProducts`.
    func details(_ page: [Int64], withProducts: Bool) async throws(ShopifyError) -> ([Int64: CatalogueVariant], Tally) {
        var tally = Tally()
        let query = withProducts ? Self.variantProducts : Self.variantDetails
        let answer = try await client.query(query, variables: Self.idVariables(page), cost: (withProducts ? 2 : 1) * page.count)
        tally.add(answer)
        var variants: [Int64: CatalogueVariant] = [:]
        for (id, node) in try PolicyReader.match(answer.data, to: page) {
            var variant = try Self.variant(node)
            guard variant.id == id else { throw Self.malformed("a node for another variant than \(id)") }
            if withProducts {
                guard let product = node["product"], let productGID = product["id"] else {
                    throw Self.malformed("variant \(id) without its product")
                }
                variant.productID = try Self.id(productGID, "Product")
                variant.productHandle = try Self.text(product, "handle")
                variant.productTitle = try Self.text(product, "title")
                variant.productStatus = try Self.text(product, "status")
            } else if let display = try Self.text(node, "displayName"), let title = variant.title {
                let suffix = " - " + title
                if display.utf8.count > suffix.utf8.count, display.utf8.reversed().starts(with: suffix.utf8.reversed()) {
                    variant.productTitle = String(decoding: display.utf8.dropLast(suffix.utf8.count), as: UTF8.self)
                }
            }
            variants[id] = variant
        }
        return (variants, tally)
    }

    // MARK: Helpers

    /// Queries sent, points charged, throttled answers waited out.
    struct Tally: Sendable {
        var queries = 0
        var points = 0
        var throttled = 0

        mutating func add(_ answer: ShopifyClient.Answer) {
            queries += 1
            points += answer.cost
            throttled += answer.throttled
        }

        static func += (lhs: inout Tally, rhs: Tally) {
            lhs.queries += rhs.queries
            lhs.points += rhs.points
            lhs.throttled += rhs.throttled
        }
    }

    /// Sends `query` page after page (`$after` null, then each page's `endCursor`) to the end.
    ///
    /// The end is a page that says it has no next one. `connection` picks each page's connection
    /// out of its data; when it returns nil, the read stops and returns nil.
    func pages(
        _ query: String, variables: [(String, JSONValue)], cost: Int, tally: inout Tally,
        connection: (JSONValue) throws(ShopifyError) -> JSONValue?
    ) async throws(ShopifyError) -> [JSONValue]? {
        var after = JSONValue.null
        var cursors: Set<String> = []
        var nodes: [JSONValue] = []
        while true {
            let answer = try await client.query(query, variables: .object(variables + [("after", after)]), cost: cost)
            tally.add(answer)
            guard let page = try connection(answer.data) else { return nil }
            guard let items = page["nodes"]?.arrayValue, let info = page["pageInfo"], let more = info["hasNextPage"]?.boolValue else {
                throw Self.malformed("a page without `nodes` or `pageInfo`")
            }
            nodes += items
            guard more else { return nodes }
            guard let cursor = info["endCursor"]?.stringValue, cursors.insert(cursor).inserted else {
                throw Self.malformed("a page with a next page but no new `endCursor`")
            }
            after = .string(cursor)
        }
    }

    /// Runs every job to its end, several at once (the client's cost bucket paces them).
    ///
    /// A failed job does not cancel the others, which would leave them waiting for points. The
    /// results are in the jobs' order; the first failure (in the jobs' order) is thrown after all
    /// have ended.
    static func runAll<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], _ job: @escaping @Sendable (Input) async -> Swift.Result<Output, ShopifyError>
    ) async throws(ShopifyError) -> [Output] {
        let outcomes = await withTaskGroup(of: (Int, Swift.Result<Output, ShopifyError>).self) { group in
            for (index, input) in inputs.enumerated() {
                group.addTask { (index, await job(input)) }
            }
            var all: [Int: Swift.Result<Output, ShopifyError>] = [:]
            for await (index, outcome) in group { all[index] = outcome }
            return all
        }
        var results: [Output] = []
        for index in inputs.indices {
            guard let outcome = outcomes[index] else { throw malformed("a query that did not end") }
            results.append(try outcome.get())
        }
        return results
    }

    /// `{"ids": [gid, …]}` for variant ids.
    static func idVariables(_ ids: [Int64]) -> JSONValue {
        .object([("ids", .array(ids.map { .string("gid://shopify/ProductVariant/\($0)") }))])
    }

    /// A variant node's own fields: id, SKU, barcode, title and policy.
    static func variant(_ node: JSONValue) throws(ShopifyError) -> CatalogueVariant {
        let policy = try text(node, "inventoryPolicy")
        return CatalogueVariant(
            id: try id(node["id"], "ProductVariant"), sku: try text(node, "sku"), barcode: try text(node, "barcode"),
            title: try text(node, "title"), inventoryPolicy: policy.flatMap(InventoryPolicy.init(rawValue:)))
    }

    /// The string `key` of `node`: nil when absent, null or empty; a decoding error when it is
    /// something else than a string.
    static func text(_ node: JSONValue, _ key: String) throws(ShopifyError) -> String? {
        guard let value = node[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw malformed("`\(key)` is not a string") }
        return text.isEmpty ? nil : text
    }

    /// The number of a gid `gid://shopify/<type>/<n>`.
    static func id(_ value: JSONValue?, _ type: String) throws(ShopifyError) -> Int64 {
        let prefix = "gid://shopify/\(type)/"
        guard let gid = value?.stringValue, gid.utf8.starts(with: prefix.utf8),
            case let digits = gid.utf8.dropFirst(prefix.utf8.count), !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }),
            let id = Int64(String(decoding: digits, as: UTF8.self)), id > 0
        else {
            throw malformed("not a \(type) id: \(ServerText.oneLine(value?.renderCompact() ?? "none", limit: 80))")
        }
        return id
    }

    static func malformed(_ message: String) -> ShopifyError { ShopifyError(kind: .decoding, message: message) }
}

/// A set of strings compared byte for byte (Swift's `String` equality treats canonically
/// equivalent texts as equal; Shopify's handles and SKUs are compared exactly).
struct ExactSet {
    private var members: [[UInt8]: String] = [:]

    init(_ strings: some Sequence<String>) {
        for string in strings { members[Array(string.utf8)] = string }
    }

    /// The member that is `string` byte for byte, if any.
    func member(_ string: String) -> String? { members[Array(string.utf8)] }
}

extension PolicyReader {
    /// A catalogue reader on the same client, budget and source.
    public var catalogue: CatalogueReader { CatalogueReader(client: client, source: source) }
}
