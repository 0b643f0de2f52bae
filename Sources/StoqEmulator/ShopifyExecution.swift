import StoqWire

/// A product as the GraphQL answers show it.
struct ProductView {
    var id: Int64
    var handle: String
    var title: String
    var status: String
}

/// A variant as the GraphQL answers show it: live values (never the search index's).
struct VariantView {
    var id: Int64
    var sku: String?
    var barcode: String?
    var title: String
    var policy: String
    var product: ProductView
}

/// What Shopify knows at the moment of one query, read from the emulator's state.
///
/// Variants in the catalogue are answered from it. A variant outside the catalogue that Shopify
/// still knows (it has a policy in `variant_policies` or is a member of a plan) is answered as
/// STOQ's `product_variants` describes it: product id ÷ 100, titles "Product N" and "Variant K"
/// ("Default Title" when K is 0), no SKU or barcode; it is not in the search index.
final class ShopifyData {
    let state: EmulatorState
    /// The store's `myshopifyDomain`.
    let domain: String

    init(state: EmulatorState, domain: String = "emulator.myshopify.com") {
        self.state = state
        self.domain = domain
    }

    /// Variant ids that are members of a plan.
    private(set) lazy var members: Set<Int64> = Set(state.plans.flatMap(\.variantIDs))

    /// Known variants outside the catalogue, by the product id they report, ids ascending.
    private(set) lazy var outside: [Int64: [Int64]] = {
        var byProduct: [Int64: [Int64]] = [:]
        for id in Set(state.variantPolicies.keys).union(members) where !state.catalogue.contains(variant: id) {
            byProduct[Self.outsideProductID(of: id), default: []].append(id)
        }
        for key in byProduct.keys { byProduct[key]?.sort() }
        return byProduct
    }()

    /// The inventory policy Shopify reports for a variant, nil for one it does not know (a plan's
    /// member without a recorded policy has Shopify's default, DENY).
    func policy(_ id: Int64) -> String? {
        if let known = state.variantPolicies[id] { return known }
        if state.catalogue.contains(variant: id) || members.contains(id) { return "DENY" }
        return nil
    }

    func variant(_ id: Int64) -> VariantView? {
        if let (v, p) = state.catalogue.variant(id) {
            return VariantView(
                id: v.id, sku: v.sku, barcode: v.barcode, title: v.title, policy: policy(id) ?? "DENY", product: Self.view(p))
        }
        guard let policy = policy(id) else { return nil }
        let productID = Self.outsideProductID(of: id)
        let product = state.catalogue.product(productID).map(Self.view) ?? Self.outsideProduct(productID)
        return VariantView(
            id: id, sku: nil, barcode: nil, title: id % 100 == 0 ? "Default Title" : "Variant \(id % 100)", policy: policy,
            product: product)
    }

    func product(_ id: Int64) -> ProductView? {
        if let p = state.catalogue.product(id) { return Self.view(p) }
        return outside[id] == nil ? nil : Self.outsideProduct(id)
    }

    static func view(_ p: CatalogueProduct) -> ProductView {
        ProductView(id: p.id, handle: p.handle, title: p.title, status: p.status)
    }

    /// The product a variant outside the catalogue reports: variant id ÷ 100 (the id itself
    /// below 100, so that no product id is 0).
    static func outsideProductID(of variant: Int64) -> Int64 { variant >= 100 ? variant / 100 : variant }

    static func outsideProduct(_ id: Int64) -> ProductView {
        ProductView(id: id, handle: "product-\(id)", title: "Product \(id)", status: "ACTIVE")
    }

    /// A product's variants in position order, with their positions.
    func variants(of product: Int64) -> [(id: Int64, key: Int64)] {
        if let p = state.catalogue.product(product) {
            return p.variants.enumerated().map { ($0.element.id, Int64($0.offset)) }
        }
        return (outside[product] ?? []).enumerated().map { ($0.element, Int64($0.offset)) }
    }

    /// The object a global id names, nil when Shopify does not know it.
    func node(_ gid: String) -> ShopifyObject? {
        guard let (type, id) = try? ShopifyGraphQL.globalID(gid) else { return nil }
        switch type {
        case "ProductVariant": return variant(id).map { .variant($0) }
        case "Product": return product(id).map { .product($0) }
        case "Collection": return state.catalogue.collection(id).map { .collection($0) }
        case "SellingPlan" where state.plans.contains { Emulator.shopifyIDs(of: $0).plan == id }: return .other(gid: gid, type: type)
        case "SellingPlanGroup" where state.plans.contains { Emulator.shopifyIDs(of: $0).group == id }:
            return .other(gid: gid, type: type)
        default: return nil
        }
    }

    /// One connection page of the root fields: catalogue objects by id, filtered by `search`.
    func search(_ field: String, _ search: SearchQuery?) -> [(object: ShopifyObject, id: Int64)] {
        let query = search ?? SearchQuery(alternatives: [])
        switch field {
        case "productVariants":
            return state.catalogue.variantCandidates(for: query).compactMap { v, p in
                let fields: (String) -> String? = {
                    switch $0 {
                    case "sku": v.indexedSKU
                    case "barcode": v.indexedBarcode
                    case "product_id": String(p.id)
                    default: nil
                    }
                }
                guard query.matches(fields, exact: ["product_id"]), let view = variant(v.id) else { return nil }
                return (.variant(view), v.id)
            }
        case "products":
            return state.catalogue.products.sorted { $0.id < $1.id }.compactMap { p in
                query.matches({ $0 == "handle" ? p.handle : nil }) ? (.product(Self.view(p)), p.id) : nil
            }
        default:
            return state.catalogue.collections.sorted { $0.id < $1.id }.compactMap { c in
                query.matches({ $0 == "handle" ? c.handle : nil }) ? (.collection(c), c.id) : nil
            }
        }
    }
}

/// One page of a connection.
struct ShopifyPage {
    var nodeType: String
    var items: [(object: ShopifyObject, cursor: String)]
    var hasNextPage: Bool
    var hasPreviousPage: Bool

    /// The page of `first` items after `after` of `items` (sorted by `key`).
    init(nodeType: String, _ items: [(object: ShopifyObject, id: Int64, key: Int64)], first: Int, after: ShopifyGraphQL.Cursor?) {
        self.nodeType = nodeType
        let start = after.map { cursor in items.firstIndex { $0.key > cursor.lastValue } ?? items.count } ?? 0
        let end = min(items.count, start + first)
        self.items = items[start..<end].map { ($0.object, ShopifyGraphQL.Cursor(lastID: $0.id, lastValue: $0.key).text) }
        hasNextPage = end < items.count
        hasPreviousPage = start > 0
    }
}

/// An object a GraphQL answer describes.
indirect enum ShopifyObject {
    case root
    /// The store: its domain and `shop_id`.
    case shop(domain: String, id: Int64)
    case variant(VariantView)
    case product(ProductView)
    case collection(CatalogueCollection)
    /// A node that exists and is not one the emulator describes (a selling plan, a group).
    case other(gid: String, type: String)
    case connection(ShopifyPage)
    case edge(ShopifyObject, cursor: String, type: String)
    case pageInfo(ShopifyPage)

    /// Whether this is a node (an object with a global id).
    var isNode: Bool {
        switch self {
        case .variant, .product, .collection, .other: true
        default: false
        }
    }

    var typeName: String {
        switch self {
        case .root: "QueryRoot"
        case .shop: "Shop"
        case .variant: "ProductVariant"
        case .product: "Product"
        case .collection: "Collection"
        case .other(_, let type): type
        case .connection(let page): page.nodeType + "Connection"
        case .edge(_, _, let type): type + "Edge"
        case .pageInfo: "PageInfo"
        }
    }
}

/// Answers a checked query and counts its actual cost: what the requested cost counts, for the
/// objects actually returned (a null node or a short page costs less).
struct ShopifyExecutor {
    let data: ShopifyData
    var actualCost = 0

    init(data: ShopifyData) { self.data = data }

    mutating func run(_ query: ShopifyGraphQL.Query) -> JSONValue {
        .object(members(query.fields, of: .root))
    }

    mutating func members(_ selections: [ShopifyGraphQL.CheckedSelection], of object: ShopifyObject) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        add(selections, of: object, into: &out)
        return out
    }

    private mutating func add(
        _ selections: [ShopifyGraphQL.CheckedSelection], of object: ShopifyObject, into out: inout [(String, JSONValue)]
    ) {
        for selection in selections {
            switch selection {
            case .fragment(let condition, let inner):
                if condition == object.typeName || (condition == "Node" && object.isNode) { add(inner, of: object, into: &out) }
            case .field(let f):
                guard !out.contains(where: { $0.0 == f.key }) else { continue }
                out.append((f.key, value(f, of: object)))
            }
        }
    }

    /// An object's answer, counted.
    private mutating func answer(_ object: ShopifyObject?, _ selections: [ShopifyGraphQL.CheckedSelection]) -> JSONValue {
        guard let object else { return .null }
        actualCost += ShopifyGraphQL.objectCost(object.typeName)
        return .object(members(selections, of: object))
    }

    private mutating func value(_ f: ShopifyGraphQL.CheckedField, of object: ShopifyObject) -> JSONValue {
        if f.name == "__typename" { return .string(object.typeName) }
        switch (object, f.name) {
        case (.root, "nodes"):
            return .array(f.ids.map { answer(data.node($0), f.selections) })
        case (.root, "product"):
            let id = f.id.flatMap { try? ShopifyGraphQL.globalID($0) }
            return answer(id?.type == "Product" ? id.flatMap { data.product($0.id) }.map { .product($0) } : nil, f.selections)
        case (.root, "shop"):
            return answer(.shop(domain: data.domain, id: data.state.shopID), f.selections)
        case (.root, _):
            let items = data.search(f.name, f.search).map { ($0.object, $0.id, $0.id) }
            return connection(ShopifyPage(nodeType: Self.nodeType(f.kind), items, first: f.first, after: f.after), f)
        case (.product(let p), "variants"):
            let items = data.variants(of: p.id).compactMap { v in data.variant(v.id).map { (ShopifyObject.variant($0), v.id, v.key) } }
            return connection(ShopifyPage(nodeType: "ProductVariant", items, first: f.first, after: f.after), f)
        case (.variant(let v), "product"):
            return answer(.product(v.product), f.selections)
        case (.connection(let page), "nodes"):
            return .array(page.items.map { answer($0.object, f.selections) })
        case (.connection(let page), "edges"):
            return .array(page.items.map { answer(.edge($0.object, cursor: $0.cursor, type: page.nodeType), f.selections) })
        case (.connection(let page), "pageInfo"):
            return answer(.pageInfo(page), f.selections)
        case (.edge(let node, _, _), "node"):
            return answer(node, f.selections)
        default:
            return Self.scalar(f.name, of: object)
        }
    }

    private mutating func connection(_ page: ShopifyPage, _ f: ShopifyGraphQL.CheckedField) -> JSONValue {
        actualCost += 2
        return .object(members(f.selections, of: .connection(page)))
    }

    static func nodeType(_ kind: ShopifyGraphQL.Kind) -> String {
        if case .connection(let t) = kind { return t }
        return ""
    }

    static func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

    /// A scalar field of an object.
    static func scalar(_ name: String, of object: ShopifyObject) -> JSONValue {
        switch object {
        case .variant(let v):
            switch name {
            case "id": return .string("gid://shopify/ProductVariant/\(v.id)")
            case "legacyResourceId": return .string(String(v.id))
            case "sku": return text(v.sku)
            case "barcode": return text(v.barcode)
            case "title": return .string(v.title)
            case "displayName": return .string("\(v.product.title) - \(v.title)")
            case "inventoryPolicy": return .string(v.policy)
            default: return .null
            }
        case .product(let p):
            switch name {
            case "id": return .string("gid://shopify/Product/\(p.id)")
            case "legacyResourceId": return .string(String(p.id))
            case "handle": return .string(p.handle)
            case "title": return .string(p.title)
            case "status": return .string(p.status)
            default: return .null
            }
        case .collection(let c):
            switch name {
            case "id": return .string("gid://shopify/Collection/\(c.id)")
            case "legacyResourceId": return .string(String(c.id))
            case "handle": return .string(c.handle)
            case "title": return .string(c.title)
            default: return .null
            }
        case .shop(let domain, let id):
            switch name {
            case "id": return .string("gid://shopify/Shop/\(id)")
            case "myshopifyDomain": return .string(domain)
            // The store's name: the domain's first label (`acme-eu` for acme-eu.myshopify.com).
            case "name": return .string(String(domain.prefix { $0 != "." }))
            default: return .null
            }
        case .other(let gid, _):
            return name == "id" ? .string(gid) : .null
        case .edge(_, let cursor, _):
            return name == "cursor" ? .string(cursor) : .null
        case .pageInfo(let page):
            switch name {
            case "hasNextPage": return .bool(page.hasNextPage)
            case "hasPreviousPage": return .bool(page.hasPreviousPage)
            case "startCursor": return text(page.items.first?.cursor)
            case "endCursor": return text(page.items.last?.cursor)
            default: return .null
            }
        case .root, .connection:
            return .null
        }
    }
}
