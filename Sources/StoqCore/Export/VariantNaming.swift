import StoqWire

/// How `stoqctl export` writes each member of a variant list: `sku:X` where that SKU names the
/// member and nothing else, else the id, with the reason beside it.
///
/// Decided from two reads of Shopify's catalogue (``decide(members:details:confirmation:)``): the
/// members by id (their SKUs), then those SKUs resolved as `plan` resolves them (searches, then
/// exact comparison of the live SKUs). A SKU is written only when exactly that member carries it
/// and the configuration loader takes it as a name, so planning the export right away resolves
/// every name to the id it replaced. Pure.
public struct VariantNaming: Sendable, Hashable {
    /// The members written `sku:X`: their SKU, by id.
    public var skus: [Int64: String] = [:]
    /// Why each other member read is written by id (a comment beside it), by id.
    public var reasons: [Int64: String] = [:]

    /// Nothing named.
    public init() {}

    /// Members read (named or not).
    public var count: Int { skus.count + reasons.count }

    /// The SKUs worth resolving: those of `members` (as read in `details`) that a configuration
    /// can hold as a name.
    public static func candidates(members: some Sequence<Int64>, details: Catalogue) -> Set<String> {
        var skus = Set<String>()
        for id in members {
            guard let sku = details.variants[id]?.sku, VariantSelector.valueProblem(sku) == nil else { continue }
            skus.insert(sku)
        }
        return skus
    }

    /// Decides for each of `members`: `details` is the read of the members by id, `confirmation`
    /// the read of ``candidates(members:details:)`` as SKUs.
    ///
    /// A member is written `sku:X` when `confirmation` found exactly it carrying `X` (byte for
    /// byte), and no other variant read carries a SKU that is the same text in another Unicode
    /// form (which the configuration's names would not tell apart). Otherwise it is written by id
    /// with the reason: Shopify does not know it, it has no SKU, its SKU cannot be a name (a
    /// leading or trailing space, a control or format character), its SKU is shared, or the
    /// search does not find its SKU (Shopify's index lags a change).
    public static func decide(members: some Sequence<Int64>, details: Catalogue, confirmation: Catalogue) -> VariantNaming {
        var naming = VariantNaming()
        // Every SKU read, by its text as Swift compares it (canonical equivalence), with the
        // variants and the exact forms behind it.
        var forms: [String: [(id: Int64, bytes: [UInt8])]] = [:]
        for catalogue in [details, confirmation] {
            for variant in catalogue.variants.values {
                guard let sku = variant.sku else { continue }
                forms[sku, default: []].append((variant.id, Array(sku.utf8)))
            }
        }
        for id in Set(members).sorted() {
            guard let variant = details.variants[id] else {
                naming.reasons[id] = "Shopify does not know this variant"
                continue
            }
            guard let sku = variant.sku else {
                naming.reasons[id] = "no SKU"
                continue
            }
            let shown = "`\(Self.shown(sku))`"
            switch VariantSelector.valueProblem(sku) {
            case .edgeSpace?:
                naming.reasons[id] = "SKU \(shown) starts or ends with a space, which a name cannot hold"
                continue
            case .forbidden(let scalar)?:
                naming.reasons[id] =
                    "SKU \(shown) holds U+\(String(scalar.value, radix: 16, uppercase: true)), which a name cannot hold"
                continue
            case .empty?:
                naming.reasons[id] = "no SKU"
                continue
            case nil: break
            }
            let bytes = Array(sku.utf8)
            let lookalikes = (forms[sku] ?? []).filter { $0.id != id && $0.bytes != bytes }
            if let other = lookalikes.map(\.id).min() {
                naming.reasons[id] =
                    "SKU \(shown) is the same text as variant \(other)'s in another Unicode form, which names do not tell apart"
                continue
            }
            let exact = confirmation.bySKU.first { $0.key.utf8.elementsEqual(bytes) }?.value ?? []
            if exact == [id] {
                naming.skus[id] = sku
                continue
            }
            let others = Set(exact).subtracting([id]).sorted()
            if others.isEmpty {
                naming.reasons[id] =
                    "Shopify's search does not find SKU \(shown) (its index may lag a recent change, or its search may ignore the SKU's characters); export again later, or keep the id"
            } else {
                let listed = others.prefix(3).map(String.init).joined(separator: ", ") + (others.count > 3 ? ", …" : "")
                naming.reasons[id] = "SKU \(shown) is shared by \(others.count + 1) variants (also \(listed))"
            }
        }
        return naming
    }

    /// A SKU inside a reason: at most 60 characters.
    ///
    /// Hidden characters are shown where the reason is written (a YAML comment), once.
    static func shown(_ sku: String) -> String {
        sku.count > 60 ? String(sku.prefix(59)) + "…" : sku
    }
}
