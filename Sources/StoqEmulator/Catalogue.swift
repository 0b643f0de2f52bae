import StoqWire

/// One product variant of the emulated Shopify catalogue.
///
/// Its inventory policy is not here: it lives in `EmulatorState.variantPolicies`, the store the
/// `nodes` query and STOQ's policy jobs share.
struct CatalogueVariant: Sendable, Equatable {
    var id: Int64
    /// Live values (every read returns these); nil when empty, as Shopify reports them.
    var sku: String?
    var barcode: String?
    var title: String
    /// What Shopify's search index holds (search matches these; they may lag the live values).
    var indexedSKU: String?
    var indexedBarcode: String?
}

/// One product of the emulated Shopify catalogue, its variants in position order.
struct CatalogueProduct: Sendable, Equatable {
    var id: Int64
    var handle: String
    var title: String
    var status: String
    var variants: [CatalogueVariant]
}

/// One collection of the emulated Shopify catalogue.
struct CatalogueCollection: Sendable, Equatable {
    var id: Int64
    var handle: String
    var title: String
}

/// The products and collections Shopify knows, with lookups by id.
struct Catalogue: Sendable {
    /// Products in state-file order.
    private(set) var products: [CatalogueProduct] = []
    /// Collections in state-file order.
    private(set) var collections: [CatalogueCollection] = []
    /// Where each product is in `products`.
    private var productIndex: [Int64: Int] = [:]
    /// Where each variant is: its product's index and its position.
    private var variantIndex: [Int64: (product: Int, position: Int)] = [:]
    /// Every variant id, ascending (`productVariants`' order).
    private var variantOrder: [Int64] = []
    /// The search index's tokens: for `sku` and `barcode`, each token of a variant's indexed value
    /// to the variants whose value holds it, ids ascending.
    private var tokenIndex: [String: [String: [Int64]]] = [:]

    /// Shopify's product statuses.
    static let statuses: Set<String> = ["ACTIVE", "DRAFT", "ARCHIVED"]
    /// Most variants a Shopify product has.
    static let maxVariantsPerProduct = 2_048

    var isEmpty: Bool { products.isEmpty && collections.isEmpty }

    init() {}

    /// A catalogue over `products` and `collections`, already validated.
    init(products: [CatalogueProduct], collections: [CatalogueCollection]) {
        self.products = products
        self.collections = collections
        for (p, product) in products.enumerated() {
            productIndex[product.id] = p
            for (v, variant) in product.variants.enumerated() { variantIndex[variant.id] = (p, v) }
        }
        variantOrder = variantIndex.keys.sorted()
        for id in variantOrder {
            guard let at = variantIndex[id] else { continue }
            let variant = products[at.product].variants[at.position]
            for (field, text) in [("sku", variant.indexedSKU), ("barcode", variant.indexedBarcode)] {
                guard let text else { continue }
                for token in Set(SearchQuery.tokens(text)) { tokenIndex[field, default: [:]][token, default: []].append(id) }
            }
        }
    }

    func product(_ id: Int64) -> CatalogueProduct? { productIndex[id].map { products[$0] } }

    /// The variant `id` and its product.
    func variant(_ id: Int64) -> (variant: CatalogueVariant, product: CatalogueProduct)? {
        guard let at = variantIndex[id] else { return nil }
        return (products[at.product].variants[at.position], products[at.product])
    }

    func contains(variant id: Int64) -> Bool { variantIndex[id] != nil }

    func collection(_ id: Int64) -> CatalogueCollection? { collections.first { $0.id == id } }

    /// Every variant with its product, by id ascending (`productVariants`' order).
    func variantsByID() -> [(variant: CatalogueVariant, product: CatalogueProduct)] {
        variantOrder.compactMap { variant($0) }
    }

    /// The variants (with their products, ids ascending) that may match `query`.
    ///
    /// Every variant, unless each of its alternatives has a `sku` or `barcode` term; then only the
    /// variants that hold, for each alternative, its rarest such token (a matching variant holds
    /// every token of every term). A narrowing, never a match: the caller still tests each
    /// candidate against the whole query.
    func variantCandidates(for query: SearchQuery) -> [(variant: CatalogueVariant, product: CatalogueProduct)] {
        guard !query.matchesEverything else { return variantsByID() }
        var candidates = Set<Int64>()
        for terms in query.alternatives {
            var rarest: [Int64]?
            for term in terms {
                let field = term.field.lowercased()
                guard field == "sku" || field == "barcode" else { continue }
                // A term without tokens matches nothing, so neither does its alternative.
                guard !term.tokens.isEmpty else {
                    rarest = []
                    break
                }
                for token in term.tokens {
                    let holders = tokenIndex[field]?[token] ?? []
                    if holders.count < rarest?.count ?? .max { rarest = holders }
                }
            }
            guard let rarest else { return variantsByID() }
            candidates.formUnion(rarest)
        }
        return candidates.sorted().compactMap { variant($0) }
    }
}

// MARK: State file

extension Catalogue {
    typealias LoadError = EmulatorState.LoadError

    /// Reads `products` and `collections` of a state file, strictly: every problem names where
    /// it is (`products[0].variants[2].sku`).
    ///
    /// `policies` is the state's `variant_policies`; each catalogue variant's `inventory_policy`
    /// goes into it (DENY, Shopify's default, when neither gives one), and a variant whose two
    /// policies disagree is an error.
    static func load(_ json: JSONValue, policies: inout [Int64: String]) throws(LoadError) -> Catalogue {
        var products: [CatalogueProduct] = []
        var productAt: [Int64: String] = [:]
        var handleAt: [String: String] = [:]
        var variantAt: [Int64: String] = [:]
        var fromCatalogue: [Int64: String] = [:]
        if let raw = json["products"], !raw.isNull {
            guard let items = raw.arrayValue else { throw LoadError(description: "state file: \"products\" must be an array") }
            for (p, item) in items.enumerated() {
                let at = "products[\(p)]"
                let product = try loadProduct(item, at: at, variantAt: &variantAt, policies: &fromCatalogue)
                if let earlier = productAt[product.id] {
                    throw LoadError(description: "state file: \(at).id: product \(product.id) is also \(earlier)")
                }
                if let earlier = handleAt[product.handle.lowercased()] {
                    throw LoadError(description: "state file: \(at).handle: handle \(quoted(product.handle)) is also \(earlier)'s")
                }
                productAt[product.id] = at
                handleAt[product.handle.lowercased()] = at
                products.append(product)
            }
        }
        for (id, policy) in fromCatalogue {
            if var listed = policies[id], listed != policy {
                if listed != "CONTINUE", listed != "DENY" { listed = quoted(listed) }
                throw LoadError(
                    description:
                        "state file: \(variantAt[id] ?? "a variant").inventory_policy: variant \(id) is \(policy) here but \(listed) in \"variant_policies\""
                )
            }
            policies[id] = policies[id] ?? policy
        }
        let collections = try loadCollections(json["collections"])
        return Catalogue(products: products, collections: collections)
    }

    private static let productKeys: Set<String> = ["id", "handle", "title", "status", "variants"]
    private static let variantKeys: Set<String> = [
        "id", "sku", "barcode", "title", "inventory_policy", "indexed_sku", "indexed_barcode",
    ]
    private static let collectionKeys: Set<String> = ["id", "handle", "title"]

    private static func loadProduct(
        _ item: JSONValue, at: String, variantAt: inout [Int64: String], policies: inout [Int64: String]
    ) throws(LoadError) -> CatalogueProduct {
        let members = try object(item, at: at, keys: productKeys)
        let id = try positiveID(members["id"], at: "\(at).id")
        let handle = try text(members["handle"], at: "\(at).handle", required: true) ?? ""
        let title = try text(members["title"], at: "\(at).title", required: true) ?? ""
        let status = try text(members["status"], at: "\(at).status", required: false) ?? "ACTIVE"
        guard statuses.contains(status) else {
            throw LoadError(description: "state file: \(at).status: \(quoted(status)) is not ACTIVE, DRAFT or ARCHIVED")
        }
        guard let items = members["variants"]?.arrayValue else {
            throw LoadError(description: "state file: \(at).variants: a product needs an array of variants")
        }
        guard (1...maxVariantsPerProduct).contains(items.count) else {
            throw LoadError(
                description: "state file: \(at).variants: a product has 1 to \(maxVariantsPerProduct) variants, not \(items.count)")
        }
        var variants: [CatalogueVariant] = []
        for (v, raw) in items.enumerated() {
            let vat = "\(at).variants[\(v)]"
            let (variant, policy) = try loadVariant(raw, at: vat)
            if let earlier = variantAt[variant.id] {
                throw LoadError(description: "state file: \(vat).id: variant \(variant.id) is also \(earlier)")
            }
            variantAt[variant.id] = vat
            if let policy { policies[variant.id] = policy }
            variants.append(variant)
        }
        return CatalogueProduct(id: id, handle: handle, title: title, status: status, variants: variants)
    }

    private static func loadVariant(_ item: JSONValue, at: String) throws(LoadError) -> (CatalogueVariant, String?) {
        let members = try object(item, at: at, keys: variantKeys)
        let id = try positiveID(members["id"], at: "\(at).id")
        let sku = try text(members["sku"], at: "\(at).sku", required: false).flatMap { $0.isEmpty ? nil : $0 }
        let barcode = try text(members["barcode"], at: "\(at).barcode", required: false).flatMap { $0.isEmpty ? nil : $0 }
        let title = try text(members["title"], at: "\(at).title", required: false) ?? "Default Title"
        let policy = try text(members["inventory_policy"], at: "\(at).inventory_policy", required: false)
        if let policy, policy != "CONTINUE", policy != "DENY" {
            throw LoadError(description: "state file: \(at).inventory_policy: \(quoted(policy)) is not CONTINUE or DENY")
        }
        // An indexed value that is present (even null) is what the index holds; absent, it holds the live one.
        let indexedSKU =
            members.keys.contains("indexed_sku")
            ? try text(members["indexed_sku"], at: "\(at).indexed_sku", required: false).flatMap { $0.isEmpty ? nil : $0 } : sku
        let indexedBarcode =
            members.keys.contains("indexed_barcode")
            ? try text(members["indexed_barcode"], at: "\(at).indexed_barcode", required: false).flatMap { $0.isEmpty ? nil : $0 }
            : barcode
        let variant = CatalogueVariant(
            id: id, sku: sku, barcode: barcode, title: title, indexedSKU: indexedSKU, indexedBarcode: indexedBarcode)
        return (variant, policy)
    }

    private static func loadCollections(_ raw: JSONValue?) throws(LoadError) -> [CatalogueCollection] {
        guard let raw, !raw.isNull else { return [] }
        guard let items = raw.arrayValue else { throw LoadError(description: "state file: \"collections\" must be an array") }
        var collections: [CatalogueCollection] = []
        var idAt: [Int64: String] = [:]
        var handleAt: [String: String] = [:]
        for (c, item) in items.enumerated() {
            let at = "collections[\(c)]"
            let members = try object(item, at: at, keys: collectionKeys)
            let id = try positiveID(members["id"], at: "\(at).id")
            let handle = try text(members["handle"], at: "\(at).handle", required: true) ?? ""
            let title = try text(members["title"], at: "\(at).title", required: true) ?? ""
            if let earlier = idAt[id] { throw LoadError(description: "state file: \(at).id: collection \(id) is also \(earlier)") }
            if let earlier = handleAt[handle.lowercased()] {
                throw LoadError(description: "state file: \(at).handle: handle \(quoted(handle)) is also \(earlier)'s")
            }
            idAt[id] = at
            handleAt[handle.lowercased()] = at
            collections.append(CatalogueCollection(id: id, handle: handle, title: title))
        }
        return collections
    }

    /// `text` as a JSON string literal: quoted, with control characters escaped.
    private static func quoted(_ text: String) -> String {
        var out = ""
        JSONValue.escape(text, into: &out)
        return out
    }

    /// The members of an object that has only `keys`.
    private static func object(_ item: JSONValue, at: String, keys: Set<String>) throws(LoadError) -> [String: JSONValue] {
        guard let members = item.objectValue else { throw LoadError(description: "state file: \(at) must be an object") }
        var out: [String: JSONValue] = [:]
        for (key, value) in members {
            guard keys.contains(key) else {
                throw LoadError(
                    description: "state file: \(at): unknown key \(quoted(key)) (known: \(keys.sorted().joined(separator: ", ")))")
            }
            guard out[key] == nil else { throw LoadError(description: "state file: \(at): key \(quoted(key)) appears twice") }
            out[key] = value
        }
        return out
    }

    private static func positiveID(_ value: JSONValue?, at: String) throws(LoadError) -> Int64 {
        guard let id = value?.int64Value, id > 0 else { throw LoadError(description: "state file: \(at): needs a positive integer id") }
        return id
    }

    /// A string member; nil when absent or null and not `required`.
    private static func text(_ value: JSONValue?, at: String, required: Bool) throws(LoadError) -> String? {
        guard let value, !value.isNull else {
            if required { throw LoadError(description: "state file: \(at): needs a non-empty string") }
            return nil
        }
        guard let s = value.stringValue else { throw LoadError(description: "state file: \(at): must be a string") }
        if required, s.isEmpty { throw LoadError(description: "state file: \(at): needs a non-empty string") }
        return s
    }

    /// `products` and `collections` as the state file holds them (each variant with its policy
    /// from `policies`; `indexed_*` only where the index differs from the live value).
    func json(policies: [Int64: String]) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if !products.isEmpty {
            members.append(("products", .array(products.map { Self.json($0, policies: policies) })))
        }
        if !collections.isEmpty {
            let items: [JSONValue] = collections.map { c in
                .object([("id", .integer(c.id)), ("handle", .string(c.handle)), ("title", .string(c.title))])
            }
            members.append(("collections", .array(items)))
        }
        return members
    }

    private static func json(_ p: CatalogueProduct, policies: [Int64: String]) -> JSONValue {
        let variants: [JSONValue] = p.variants.map { v in
            var members: [(String, JSONValue)] = [
                ("id", .integer(v.id)), ("sku", v.sku.map { .string($0) } ?? .null),
                ("barcode", v.barcode.map { .string($0) } ?? .null), ("title", .string(v.title)),
                ("inventory_policy", .string(policies[v.id] ?? "DENY")),
            ]
            if v.indexedSKU != v.sku { members.append(("indexed_sku", v.indexedSKU.map { .string($0) } ?? .null)) }
            if v.indexedBarcode != v.barcode { members.append(("indexed_barcode", v.indexedBarcode.map { .string($0) } ?? .null)) }
            return .object(members)
        }
        return .object([
            ("id", .integer(p.id)), ("handle", .string(p.handle)), ("title", .string(p.title)), ("status", .string(p.status)),
            ("variants", .array(variants)),
        ])
    }
}
