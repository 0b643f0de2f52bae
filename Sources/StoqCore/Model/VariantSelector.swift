/// One entry of a variant list (`variants:` or an `inventory_policy:` list): a variant id, or a
/// name Shopify resolves to variants.
///
/// Written `43900910010503`, `sku:TEE-BLK-S`, `barcode:0123456789012` or `product:fall-tee`. The
/// value is everything after the first colon, so a SKU may itself hold colons; spaces inside a
/// value need no quotes in YAML, leading or trailing spaces do.
public enum VariantSelector: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// A Shopify variant id.
    case id(Int64)
    /// The one variant whose SKU equals this text exactly (case-sensitive).
    case sku(String)
    /// The one variant whose barcode equals this text exactly (case-sensitive).
    case barcode(String)
    /// Every variant of the product with this handle.
    case product(String)

    /// The kinds of name, as written before the colon.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case sku
        case barcode
        case product
    }

    /// The kind of name (nil for an id).
    public var kind: Kind? {
        switch self {
        case .id: nil
        case .sku: .sku
        case .barcode: .barcode
        case .product: .product
        }
    }

    /// The text after the colon (the id's digits for an id).
    public var value: String {
        switch self {
        case .id(let id): String(id)
        case .sku(let s), .barcode(let s), .product(let s): s
        }
    }

    /// `text` split at its first colon, by Unicode scalar: `("sku", "TEE:1")` for `sku:TEE:1`.
    ///
    /// Scalars, not characters: a value that starts with a combining mark (`sku:` + U+0301) forms
    /// one character with the colon, which a search by character would not find.
    public static func splitAtColon(_ text: String) -> (kind: String, value: String)? {
        let scalars = text.unicodeScalars
        guard let colon = scalars.firstIndex(of: ":") else { return nil }
        return (String(scalars[..<colon]), String(scalars[scalars.index(after: colon)...]))
    }

    /// True for a name that needs Shopify to resolve (not an id).
    public var isName: Bool { kind != nil }

    /// A selector of `kind` with `value`.
    public init(_ kind: Kind, _ value: String) {
        switch kind {
        case .sku: self = .sku(value)
        case .barcode: self = .barcode(value)
        case .product: self = .product(value)
        }
    }

    /// As written in a configuration: the id, or `kind:value`.
    public var description: String {
        switch self {
        case .id(let id): String(id)
        default: "\(kind?.rawValue ?? ""):\(value)"
        }
    }

    /// Why a configuration cannot hold `value` after `sku:`, `barcode:` or `product:`.
    public enum ValueProblem: Sendable, Hashable {
        /// Nothing after the colon.
        case empty
        /// White space (any Unicode white space) first or last: Shopify keeps SKUs, barcodes and
        /// handles without it.
        case edgeSpace
        /// A control or format character (Unicode Cc or Cf), such as a tab or a zero-width space.
        case forbidden(Unicode.Scalar)
    }

    /// Why `value` cannot be a name's value, or nil when it can: the check the configuration
    /// loader makes of every name, and the one `stoqctl export` makes before writing one.
    public static func valueProblem(_ value: String) -> ValueProblem? {
        guard let first = value.unicodeScalars.first, let last = value.unicodeScalars.last else { return .empty }
        if first.properties.isWhitespace || last.properties.isWhitespace { return .edgeSpace }
        if let bad = value.unicodeScalars.first(where: {
            $0.properties.generalCategory == .control || $0.properties.generalCategory == .format
        }) {
            return .forbidden(bad)
        }
        return nil
    }

    /// Ids first (by value), then names by kind and value.
    public static func < (lhs: VariantSelector, rhs: VariantSelector) -> Bool {
        switch (lhs, rhs) {
        case (.id(let a), .id(let b)): a < b
        case (.id, _): true
        case (_, .id): false
        default: (lhs.kind?.rawValue ?? "", lhs.value) < (rhs.kind?.rawValue ?? "", rhs.value)
        }
    }
}

/// What Shopify says about one variant, as far as it was read: identity and titles for plans
/// people review, and its inventory policy.
public struct CatalogueVariant: Sendable, Hashable {
    /// The variant id.
    public var id: Int64
    /// Its SKU (nil when empty or not read).
    public var sku: String?
    /// Its barcode (nil when empty or not read).
    public var barcode: String?
    /// The variant's own title (`Black / S`; Shopify's `Default Title` for a product without
    /// options).
    public var title: String?
    /// Its product's title.
    public var productTitle: String?
    /// Its product's id, when read.
    public var productID: Int64?
    /// Its product's handle, when read.
    public var productHandle: String?
    /// Its product's status (`ACTIVE`, `DRAFT`, `ARCHIVED`), when read.
    public var productStatus: String?
    /// Its inventory policy, when read.
    public var inventoryPolicy: InventoryPolicy?

    /// Creates one.
    public init(
        id: Int64, sku: String? = nil, barcode: String? = nil, title: String? = nil, productTitle: String? = nil,
        productID: Int64? = nil, productHandle: String? = nil, productStatus: String? = nil, inventoryPolicy: InventoryPolicy? = nil
    ) {
        self.id = id
        self.sku = sku
        self.barcode = barcode
        self.title = title
        self.productTitle = productTitle
        self.productID = productID
        self.productHandle = productHandle
        self.productStatus = productStatus
        self.inventoryPolicy = inventoryPolicy
    }

    /// `Fall Tee — Black / S`; the product title alone for a product without options; nil when
    /// no title was read.
    public var displayTitle: String? {
        switch (productTitle, title) {
        case (let p?, let v?) where v != "Default Title": "\(p) — \(v)"
        case (let p?, _): p
        case (nil, let v?): v
        case (nil, nil): nil
        }
    }

    /// True when its product is a draft or archived (not for sale).
    public var productNotActive: Bool { productStatus.map { $0 != "ACTIVE" } ?? false }
}

/// A product found by its handle: its id, title, status and every variant.
public struct CatalogueProduct: Sendable, Hashable {
    /// The product id.
    public var id: Int64
    /// Its handle (equal to the one asked for).
    public var handle: String
    /// Its title.
    public var title: String?
    /// `ACTIVE`, `DRAFT` or `ARCHIVED`.
    public var status: String?
    /// Every variant, in Shopify's order.
    public var variantIDs: [Int64]

    /// Creates one.
    public init(id: Int64, handle: String, title: String? = nil, status: String? = nil, variantIDs: [Int64] = []) {
        self.id = id
        self.handle = handle
        self.title = title
        self.status = status
        self.variantIDs = variantIDs
    }
}

/// What one read of Shopify's catalogue found: the variants read (each confirmed through a
/// `nodes` read or its product), exact matches for each SKU and barcode asked for, and products by
/// handle.
///
/// A search only finds candidates: `bySKU` and `byBarcode` hold only variants whose current SKU or
/// barcode equals the text exactly, so a tokenised or stale search result never selects one.
public struct Catalogue: Sendable, Hashable {
    /// Where it was read (`acme.myshopify.com`, `emulator`).
    public var source: String
    /// Every variant read, by id.
    public var variants: [Int64: CatalogueVariant] = [:]
    /// Ids asked for that Shopify does not know (deleted, mistyped, or not variants).
    public var unknown: Set<Int64> = []
    /// For each SKU asked for, the variants that carry exactly it (sorted; empty: none).
    public var bySKU: [String: [Int64]] = [:]
    /// For each barcode asked for, the variants that carry exactly it (sorted; empty: none).
    public var byBarcode: [String: [Int64]] = [:]
    /// For each product handle asked for, the product that has exactly it (absent: none).
    public var products: [String: CatalogueProduct] = [:]
    /// For each collection handle asked for, the collection id (absent: none).
    public var collections: [String: Int64] = [:]

    /// An empty catalogue read from `source`.
    public init(source: String) { self.source = source }

    /// The policies read, as the planner compares them: every id asked for is either known (with
    /// its policy) or unknown.
    public func policies(of ids: some Sequence<Int64>) -> PolicyState {
        var state = PolicyState(source: source)
        for id in ids {
            if let policy = variants[id]?.inventoryPolicy {
                state.current[id] = policy
            } else {
                state.unknown.insert(id)
            }
        }
        return state
    }

    /// Adds what `other` read (its entries win).
    public mutating func merge(_ other: Catalogue) {
        variants.merge(other.variants) { _, new in new }
        unknown.subtract(other.variants.keys)
        unknown.formUnion(other.unknown.subtracting(variants.keys))
        bySKU.merge(other.bySKU) { _, new in new }
        byBarcode.merge(other.byBarcode) { _, new in new }
        products.merge(other.products) { _, new in new }
        collections.merge(other.collections) { _, new in new }
    }
}

/// How one name in the configuration resolved: the selector, where it is written, in which list
/// of which plan, and the variant ids it stands for.
public struct VariantResolution: Sendable, Hashable {
    /// The plan's `internal_name`.
    public var plan: String
    /// The list: `variants` or `inventory_policy.CONTINUE` / `inventory_policy.DENY`.
    public var list: String
    /// The selector as written.
    public var selector: VariantSelector
    /// Where it is written.
    public var location: SourceLocation?
    /// The ids it resolved to (sorted).
    public var ids: [Int64]

    /// Creates one.
    public init(plan: String, list: String, selector: VariantSelector, location: SourceLocation?, ids: [Int64]) {
        self.plan = plan
        self.list = list
        self.selector = selector
        self.location = location
        self.ids = ids
    }
}

/// A name whose variant changed: the plan removes the member that carried it and adds the one
/// that carries it now, shown as one move rather than an unrelated removal and addition.
public struct VariantMove: Sendable, Hashable {
    /// The plan's `internal_name`.
    public var plan: String
    /// The `sku:` or `barcode:` selector.
    public var selector: VariantSelector
    /// The member removed.
    public var from: Int64
    /// The variant added.
    public var to: Int64

    /// Creates one.
    public init(plan: String, selector: VariantSelector, from: Int64, to: Int64) {
        self.plan = plan
        self.selector = selector
        self.from = from
        self.to = to
    }
}

extension VariantSelector.Kind {
    /// An example value, for messages.
    public var example: String {
        switch self {
        case .sku: "TEE-BLK-S"
        case .barcode: "0123456789012"
        case .product: "fall-tee"
        }
    }
}
