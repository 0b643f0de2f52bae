import StoqWire

/// How plans show variants by name: each with its SKU (or id) and title, grouped by product.
///
/// Only as far as ``Plan/variantInfo`` knows them: a plan without variant details shows ids
/// alone, as it always did.
enum VariantText {
    /// Variants of one product in an operation, in the operation's order.
    struct ProductGroup: Sendable, Hashable {
        /// The product's title (nil when not read).
        var title: String?
        /// `draft` or `archived` for a product that is not for sale (nil when active or not read).
        var status: String?
        /// Its variants.
        var variants: [CatalogueVariant]
    }

    /// Product groups shown per operation before "(N more products)".
    static let productsShown = 10
    /// Variants shown per product before "(N more)".
    static let variantsShown = 10

    /// `ids` grouped by product, for the ids `info` knows; `untitled` are the ids it does not.
    ///
    /// Products come in the order of their first variant in `ids`.
    static func groups(_ ids: [Int64], info: [Int64: CatalogueVariant]) -> (groups: [ProductGroup], untitled: [Int64]) {
        var order: [String] = []
        var byKey: [String: ProductGroup] = [:]
        var untitled: [Int64] = []
        for id in ids {
            guard let v = info[id] else {
                untitled.append(id)
                continue
            }
            let key =
                v.productID.map { "i\($0)" } ?? v.productHandle.map { "h\($0)" } ?? v.productTitle.map { "t\($0)" } ?? ""
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = ProductGroup(title: v.productTitle, status: status(v), variants: [])
            }
            byKey[key]?.variants.append(v)
        }
        return (order.compactMap { byKey[$0] }, untitled)
    }

    /// `draft` / `archived` for a variant whose product is not active (nil otherwise).
    static func status(_ v: CatalogueVariant) -> String? {
        guard v.productNotActive, let s = v.productStatus else { return nil }
        return s.lowercased()
    }

    /// The variant's own title, unless Shopify's `Default Title` of a product without options.
    static func variantTitle(_ v: CatalogueVariant) -> String? {
        guard let t = v.title, t != "Default Title" else { return nil }
        return t
    }

    /// What identifies a variant to a person: its SKU, else `id 43900910010503`.
    static func reference(_ v: CatalogueVariant) -> String { v.sku ?? "id \(v.id)" }

    /// The moves shown with `group`: those of its plan whose removed or added id it shows.
    static func moves(_ plan: Plan, in group: PlanGroup) -> [VariantMove] {
        let added = Set(group.operations.filter { $0.kind == .addVariants }.flatMap(\.variantIDs))
        let removed = Set(group.operations.filter { $0.kind == .removeVariants }.flatMap(\.variantIDs))
        return plan.moves.filter { $0.plan == group.plan.internalName && (added.contains($0.to) || removed.contains($0.from)) }
    }

    /// `op` as shown next to `moves`: the ids they move are left out of its list.
    ///
    /// They are still in its requests. Nil when it had ids and none is left.
    static func withoutMoved(_ op: PlanOperation, _ moves: [VariantMove]) -> PlanOperation? {
        guard !moves.isEmpty else { return op }
        let hidden: Set<Int64>
        switch op.kind {
        case .addVariants: hidden = Set(moves.map(\.to))
        case .removeVariants: hidden = Set(moves.map(\.from))
        default: return op
        }
        var out = op
        out.variantIDs = op.variantIDs.filter { !hidden.contains($0) }
        return out.variantIDs.isEmpty && !op.variantIDs.isEmpty ? nil : out
    }

    /// The titles part of a move line: `Fall Tee — Black / S`, or `A → B` when the two differ;
    /// nil when neither is known.
    static func moveTitles(_ m: VariantMove, info: [Int64: CatalogueVariant]) -> String? {
        let from = info[m.from]?.displayTitle
        let to = info[m.to]?.displayTitle
        switch (from, to) {
        case (nil, nil): return nil
        case (let a?, let b?) where a == b: return a
        default: return "\(from ?? "(no title)") → \(to ?? "(no title)")"
        }
    }

    /// One sentence for a plan that adds variants it could not read the titles of: without
    /// Shopify access only current members' titles can be read (from STOQ); nil otherwise.
    static func titlesNote(_ plan: Plan) -> String? {
        guard plan.policySource == nil else { return nil }
        let missing = Set(plan.operations.filter { $0.kind == .addVariants }.flatMap(\.variantIDs)).filter { plan.variantInfo[$0] == nil }
        guard !missing.isEmpty else { return nil }
        let n = missing.count
        return
            "\(PlanText.variants(n)) to add \(n == 1 ? "is" : "are") shown by id alone: \(n == 1 ? "its SKU and titles need" : "their SKUs and titles need") Shopify access (no Shopify reader is configured)."
    }

    /// Resolutions listed before "(N more)".
    static let resolutionsShown = 10

    /// The names behind the plan's changes: resolutions (of `plan`'s plan `name`, when given)
    /// that stand for a variant an operation changes, except names shown as a move.
    static func changedResolutions(_ plan: Plan, of name: String? = nil, ids: Set<Int64>? = nil) -> [VariantResolution] {
        let changed = ids ?? Set(plan.operations.filter(\.isChange).flatMap(\.variantIDs))
        return plan.resolutions.filter { r in
            r.selector.isName && (name == nil || r.plan == name) && r.ids.contains(where: changed.contains)
                && !plan.moves.contains { $0.plan == r.plan && $0.selector == r.selector }
        }
    }

    /// `sku:TEE-BLK-S → 44120000000771`, `product:fall-tee → 2 variants: 1003, 1004`.
    static func plainResolution(_ r: VariantResolution) -> String {
        let ids = r.ids.prefix(variantsShown).map(String.init).joined(separator: ", ")
        let more = r.ids.count > variantsShown ? ", … (\(PlanText.count(r.ids.count - variantsShown)) more)" : ""
        return "\(r.selector) → " + (r.ids.count == 1 ? ids : "\(PlanText.variants(r.ids.count)): \(ids)\(more)")
    }

    // MARK: - Plain text (text and annotations)

    /// `Black / S (TEE-BLK-S)`, or the SKU (or id) alone for a variant without a title of its
    /// own; with `product`, its product's title (and status) first when no group shows it.
    static func plain(_ v: CatalogueVariant, product: Bool = false) -> String {
        let own = variantTitle(v).map { "\($0) (\(reference(v)))" } ?? reference(v)
        guard product, let p = v.productTitle else { return own }
        let marked = p + (status(v).map { " (\($0))" } ?? "")
        return variantTitle(v) == nil ? "\(marked) (\(reference(v)))" : "\(marked) — \(own)"
    }

    /// `Fall Tee (draft): Black / S (TEE-BLK-S), Black / M (TEE-BLK-M), … (3 more)`.
    static func plain(_ g: ProductGroup) -> String {
        let items = g.variants.map { plain($0) }
        let shown = items.prefix(variantsShown).joined(separator: ", ")
        let list = items.count > variantsShown ? "\(shown), … (\(PlanText.count(items.count - variantsShown)) more)" : shown
        guard let title = g.title else { return list }
        return "\(title)\(g.status.map { " (\($0))" } ?? ""): \(list)"
    }

    /// One line per product of `ids` that has details, at most ``productsShown`` and a line that
    /// counts the rest, then the ids without details; empty when `info` knows none of them.
    static func plainLines(_ ids: [Int64], info: [Int64: CatalogueVariant]) -> [String] {
        let (groups, untitled) = groups(ids, info: info)
        guard !groups.isEmpty else { return [] }
        var lines = groups.prefix(productsShown).map(plain)
        if groups.count > productsShown {
            let n = groups.count - productsShown
            lines.append("… (\(PlanText.count(n)) more product\(n == 1 ? "" : "s"))")
        }
        if let line = withoutDetails(untitled) { lines.append(line) }
        return lines
    }

    /// `without details: 1006, 1008`: the ids of an operation that also names variants but has
    /// no details for these (nil when there are none).
    static func withoutDetails(_ ids: [Int64]) -> String? {
        guard !ids.isEmpty else { return nil }
        let shown = ids.prefix(variantsShown).map(String.init).joined(separator: ", ")
        return "without details: " + (ids.count > variantsShown ? "\(shown), … (\(PlanText.count(ids.count - variantsShown)) more)" : shown)
    }

    /// `sku:TEE-BLK-S moved: 43900910010503 → 44120000000771 (Fall Tee — Black / S)`.
    static func plainMove(_ m: VariantMove, info: [Int64: CatalogueVariant]) -> String {
        "\(m.selector) moved: \(m.from) → \(m.to)" + (moveTitles(m, info: info).map { " (\($0))" } ?? "")
    }
}

extension CatalogueVariant {
    /// The variant with its text made safe to show.
    var shown: CatalogueVariant {
        var v = self
        v.sku = sku.map(Sanitiser.shown)
        v.barcode = barcode.map(Sanitiser.shown)
        v.title = title.map(Sanitiser.shown)
        v.productTitle = productTitle.map(Sanitiser.shown)
        v.productHandle = productHandle.map(Sanitiser.shown)
        v.productStatus = productStatus.map(Sanitiser.shown)
        return v
    }
}

extension VariantSelector {
    /// The selector with its value made safe to show.
    var shown: VariantSelector {
        guard let kind else { return self }
        return VariantSelector(kind, Sanitiser.shown(value))
    }
}
