import StoqWire

/// Turns the names a configuration writes (`sku:`, `barcode:`, `product:`, and a handle in
/// `product_variants_source_id`) into the ids STOQ takes, from what Shopify's catalogue says.
///
/// A name resolves only through exact matches the catalogue confirmed (``Catalogue/bySKU``: the
/// variant's current SKU equals the name byte for byte, case-sensitive). A name that matches
/// nothing, or a SKU or barcode several variants carry, is a located error: never a guess. Ids
/// reached twice in one list warn as a repeated id does; the checks that need every id (a variant
/// both CONTINUE and DENY, a policy for a variant outside `variants`) run again on the resolved
/// lists, reporting what involves a name.
public enum NameResolver {
    /// The names a configuration writes, by kind.
    public struct Names: Sendable, Hashable {
        /// SKUs.
        public var skus: Set<String> = []
        /// Barcodes.
        public var barcodes: Set<String> = []
        /// Product handles.
        public var productHandles: Set<String> = []
        /// Collection handles.
        public var collectionHandles: Set<String> = []

        /// None at all.
        public var isEmpty: Bool { skus.isEmpty && barcodes.isEmpty && productHandles.isEmpty && collectionHandles.isEmpty }
        /// How many.
        public var count: Int { skus.count + barcodes.count + productHandles.count + collectionHandles.count }
    }

    /// The names the plans `scope` names (all when nil) write.
    public static func names(in desired: DesiredState, plans scope: Set<String>? = nil) -> Names {
        var names = Names()
        for spec in desired.plans where scope?.contains(spec.internalName.value) ?? true {
            let lists = [spec.variantSelectors ?? []] + Array(spec.policySelectors.values)
            for entry in lists.joined() {
                switch entry.value {
                case .id: continue
                case .sku(let s): names.skus.insert(s)
                case .barcode(let b): names.barcodes.insert(b)
                case .product(let h): names.productHandles.insert(h)
                }
            }
            if let handle = spec.sourceHandle {
                switch handle.kind {
                case .collection: names.collectionHandles.insert(handle.handle)
                case .product: names.productHandles.insert(handle.handle)
                }
            }
        }
        return names
    }

    /// Every variant id the plans `scope` names write as an id (for their titles and policies).
    public static func writtenIDs(in desired: DesiredState, plans scope: Set<String>? = nil) -> Set<Int64> {
        var ids = Set<Int64>()
        for spec in desired.plans where scope?.contains(spec.internalName.value) ?? true {
            ids.formUnion((spec.variants ?? []).map(\.value))
            for list in spec.inventoryPolicy.values { ids.formUnion(list.map(\.value)) }
        }
        return ids
    }

    /// What resolving found.
    public struct Outcome: Sendable {
        /// The configuration with every name replaced by its ids (at the name's location).
        public var desired: DesiredState
        /// How each name resolved, in file order.
        public var resolutions: [VariantResolution]
        /// Names that match nothing or several variants (errors), variants reached twice
        /// (warnings), and the policy checks that needed the resolved ids.
        public var diagnostics: [Diagnostic]
        /// True when a diagnostic is an error: nothing may be planned or sent.
        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    }

    /// Resolves the names of the plans `scope` names (all when nil) against `catalogue`.
    public static func resolve(_ desired: DesiredState, catalogue: Catalogue, plans scope: Set<String>? = nil) -> Outcome {
        var resolved = desired
        var resolutions: [VariantResolution] = []
        var diagnostics: [Diagnostic] = []
        var nameLocations = Set<SourceLocation>()
        for index in resolved.plans.indices where scope?.contains(resolved.plans[index].internalName.value) ?? true {
            var spec = resolved.plans[index]
            guard spec.hasNames else { continue }
            let plan = spec.internalName.value
            if let selectors = spec.variantSelectors {
                spec.variants = resolveList(
                    selectors, list: "variants", plan: plan, catalogue: catalogue, resolutions: &resolutions, diagnostics: &diagnostics,
                    nameLocations: &nameLocations)
            }
            for (policy, selectors) in spec.policySelectors.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                spec.inventoryPolicy[policy] = resolveList(
                    selectors, list: "inventory_policy.\(policy.rawValue)", plan: plan, catalogue: catalogue, resolutions: &resolutions,
                    diagnostics: &diagnostics, nameLocations: &nameLocations)
            }
            if let handle = spec.sourceHandle {
                let id: Int64? =
                    switch handle.kind {
                    case .collection: catalogue.collections[handle.handle]
                    case .product: catalogue.products[handle.handle]?.id
                    }
                if let id {
                    spec.fields[.productVariantsSourceID] = DeclaredField(
                        value: .integer(id), keyLocation: handle.keyLocation, valueLocation: handle.valueLocation)
                } else {
                    diagnostics.append(
                        Diagnostic(
                            .unknownVariantName,
                            "`\(handle.description)` in `product_variants_source_id`: \(catalogue.source) has no \(handle.kind.rawValue) with this handle",
                            at: handle.valueLocation))
                }
            }
            resolved.plans[index] = spec
            diagnostics += Validator.policyWithinPlan(spec, namesResolved: true).filter {
                $0.code == .policyVariantNotInPlan || involves($0, nameLocations)
            }
        }
        let named = resolved.plans.filter { scope?.contains($0.internalName.value) ?? true }
        diagnostics += Validator.policiesAcrossPlans(named).filter { involves($0, nameLocations) }
        resolutions.sort { a, b in
            switch (a.location, b.location) {
            case (let x?, let y?): x < y
            case (nil, _?): false
            case (_?, nil): true
            case (nil, nil): false
            }
        }
        return Outcome(desired: resolved, resolutions: resolutions, diagnostics: diagnostics.sorted(by: Diagnostic.stableOrder))
    }

    /// True when `diagnostic` points at a name (so the offline checks, which saw only ids, could
    /// not have reported it).
    static func involves(_ diagnostic: Diagnostic, _ names: Set<SourceLocation>) -> Bool {
        if let at = diagnostic.location, names.contains(at) { return true }
        return diagnostic.notes.contains { $0.location.map(names.contains) ?? false }
    }

    /// The ids of one list, names replaced by what they resolve to; each variant once.
    static func resolveList(
        _ selectors: [Located<VariantSelector>], list: String, plan: String, catalogue: Catalogue, resolutions: inout [VariantResolution],
        diagnostics: inout [Diagnostic], nameLocations: inout Set<SourceLocation>
    ) -> [Located<Int64>] {
        var ids: [Located<Int64>] = []
        var reachedBy: [Int64: Located<VariantSelector>] = [:]
        for entry in selectors {
            let found: [Int64]
            if case .id(let id) = entry.value {
                found = [id]
            } else {
                nameLocations.insert(entry.location)
                guard let matches = matches(entry, list: list, catalogue: catalogue, diagnostics: &diagnostics) else { continue }
                found = matches
                resolutions.append(VariantResolution(plan: plan, list: list, selector: entry.value, location: entry.location, ids: matches))
            }
            for id in found {
                if let first = reachedBy[id] {
                    // Two ids written twice were reported when the file was read.
                    guard entry.value.isName || first.value.isName else { continue }
                    diagnostics.append(
                        Diagnostic(
                            .duplicateVariant,
                            "variant \(id) is reached twice in `\(list)`: by `\(entry.value)` here and by `\(first.value)`",
                            at: entry.location, notes: [DiagnosticNote("`\(first.value)` is here", at: first.location)]))
                    continue
                }
                reachedBy[id] = entry
                ids.append(Located(id, at: entry.location))
            }
        }
        return ids
    }

    /// The ids a name stands for, or nil after reporting why it stands for none (or for several
    /// where one is meant).
    static func matches(
        _ entry: Located<VariantSelector>, list: String, catalogue: Catalogue, diagnostics: inout [Diagnostic]
    ) -> [Int64]? {
        let selector = entry.value
        let source = catalogue.source
        switch selector {
        case .id(let id):
            return [id]
        case .product(let handle):
            guard let product = catalogue.products[handle] else {
                diagnostics.append(
                    Diagnostic(
                        .unknownVariantName,
                        "`\(selector)` in `\(list)`: \(source) has no product with this handle\(nearHandles(handle, catalogue))",
                        at: entry.location))
                return nil
            }
            return product.variantIDs
        case .sku(let text), .barcode(let text):
            let isSKU = selector.kind == .sku
            let exact = (isSKU ? catalogue.bySKU[text] : catalogue.byBarcode[text]) ?? []
            let what = isSKU ? "SKU" : "barcode"
            if exact.count == 1 { return exact }
            if exact.isEmpty {
                diagnostics.append(
                    Diagnostic(
                        .unknownVariantName,
                        "`\(selector)` in `\(list)`: no variant in \(source) has exactly this \(what) (compared case-sensitively)\(nearMisses(selector, catalogue))",
                        at: entry.location))
                return nil
            }
            let shown = exact.prefix(5).map { candidate($0, catalogue) }.joined(separator: "; ")
            let more = exact.count > 5 ? "; and \(exact.count - 5) more" : ""
            diagnostics.append(
                Diagnostic(
                    .ambiguousVariantName,
                    "`\(selector)` in `\(list)`: \(exact.count) variants in \(source) carry this \(what): \(shown)\(more); write the id of the one you mean instead of the \(what), or give each variant its own \(what) in Shopify",
                    at: entry.location))
            return nil
        }
    }

    /// `43900910010503 (Fall Tee — Black / S)`.
    static func candidate(_ id: Int64, _ catalogue: Catalogue) -> String {
        guard let title = catalogue.variants[id]?.displayTitle else { return String(id) }
        return "\(id) (\(Self.short(title, 80)))"
    }

    /// `; Shopify's search also found sku:tee-blk-s (43900910010503), which differs`: variants a
    /// search returned for the name that do not carry it exactly (another case, a longer SKU).
    static func nearMisses(_ selector: VariantSelector, _ catalogue: Catalogue) -> String {
        let wanted = selector.value.lowercased()
        let near = catalogue.variants.values.compactMap { variant -> (String, Int64)? in
            let value = selector.kind == .sku ? variant.sku : variant.barcode
            guard let value, value != selector.value, value.lowercased().contains(wanted) else { return nil }
            return (value, variant.id)
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        guard !near.isEmpty else { return "" }
        let listed = near.prefix(3).map { "`\(selector.kind?.rawValue ?? ""):\(Self.short($0.0, 60))` (\($0.1))" }
        return "; Shopify's search also found \(listed.joined(separator: ", ")), which \(near.count == 1 ? "is" : "are") not the same"
    }

    /// Shop text for a message: one line, visible, at most `limit` characters.
    public static func short(_ text: String, _ limit: Int) -> String {
        let shown = Sanitiser.shown(text)
        return shown.count > limit ? String(shown.prefix(limit - 1)) + "…" : shown
    }

    /// A hint naming a confirmed product handle close to `handle`, if any.
    static func nearHandles(_ handle: String, _ catalogue: Catalogue) -> String {
        Suggest.hint(for: handle, in: catalogue.products.keys.sorted())
    }
}

extension NameResolver {
    /// What a name resolved to in a plan made earlier (the reviewed one) and what it resolves to
    /// now, for a name whose ids differ or that only one of the two holds.
    public struct Change: Sendable, Hashable {
        /// The plan's `internal_name`.
        public var plan: String
        /// The list it is written in.
        public var list: String
        /// The name.
        public var selector: VariantSelector
        /// The ids it resolved to before (nil: the earlier plan did not hold it).
        public var before: [Int64]?
        /// The ids it resolves to now (nil: it is no longer written).
        public var after: [Int64]?

        /// `sku:TEE-BLK-S in fall-tee variants: 43900910010503 → 44120010020771`.
        public var description: String {
            func ids(_ list: [Int64]?) -> String {
                guard let list else { return "(not written)" }
                guard !list.isEmpty else { return "(none)" }
                let shown = list.prefix(5).map(String.init).joined(separator: ", ")
                return list.count > 5 ? "\(shown) and \(list.count - 5) more" : shown
            }
            return "`\(selector)` in \(plan) \(list): \(ids(before)) → \(ids(after))"
        }
    }

    /// The names whose resolution differs between `before` and `after`, in plan, list and name order.
    public static func changes(from before: [VariantResolution], to after: [VariantResolution]) -> [Change] {
        struct Key: Hashable, Comparable {
            var plan: String
            var list: String
            var selector: VariantSelector
            static func < (a: Key, b: Key) -> Bool {
                (a.plan, a.list) != (b.plan, b.list) ? (a.plan, a.list) < (b.plan, b.list) : a.selector < b.selector
            }
        }
        func keyed(_ list: [VariantResolution]) -> [Key: [Int64]] {
            Dictionary(
                list.map { (Key(plan: $0.plan, list: $0.list, selector: $0.selector), $0.ids.sorted()) }, uniquingKeysWith: { a, _ in a })
        }
        let was = keyed(before)
        let now = keyed(after)
        return Set(was.keys).union(now.keys).sorted().compactMap { key in
            guard was[key] != now[key] else { return nil }
            return Change(plan: key.plan, list: key.list, selector: key.selector, before: was[key], after: now[key])
        }
    }

    /// The moves in `plan`: a `sku:` or `barcode:` name in a plan's `variants` that resolved to
    /// one member in `previous` and resolves to another variant now, where the plan removes the
    /// first and adds the second.
    ///
    /// `previous` is a record of what the names resolved to before (the reviewed plan's
    /// resolutions); Shopify keeps no history of a variant's SKU, so without a record no move is
    /// claimed and the plan shows the removal and the addition apart.
    public static func moves(in plan: Plan, previous: [VariantResolution]) -> [VariantMove] {
        var added: [String: Set<Int64>] = [:]
        var removed: [String: Set<Int64>] = [:]
        for op in plan.operations {
            switch op.kind {
            case .addVariants: added[op.plan.internalName, default: []].formUnion(op.variantIDs)
            case .removeVariants: removed[op.plan.internalName, default: []].formUnion(op.variantIDs)
            default: continue
            }
        }
        var moves: [VariantMove] = []
        for change in changes(from: previous, to: plan.resolutions) where change.list == "variants" {
            guard change.selector.kind == .sku || change.selector.kind == .barcode,
                let before = change.before, before.count == 1, let after = change.after, after.count == 1,
                removed[change.plan]?.contains(before[0]) ?? false, added[change.plan]?.contains(after[0]) ?? false
            else { continue }
            moves.append(VariantMove(plan: change.plan, selector: change.selector, from: before[0], to: after[0]))
        }
        return moves
    }
}
