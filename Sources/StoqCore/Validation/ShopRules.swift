/// Rules of a repository that describes several shops (`shops:` in stoqctl.yaml): every shop an
/// offer names exists, and ids, which differ between stores, are written per shop.
///
/// The rules of one configuration (``Validator``) run on each shop's configuration
/// (``DesiredState/forShop(_:)``), so an override that breaks a rule between fields is reported
/// where it is written.
public enum ShopRules {
    /// Validates `state`: without `shops:`, exactly as ``Validator/validate(_:)``.
    public static func validate(_ state: DesiredState) -> [Diagnostic] {
        guard state.hasShops else { return Validator.validate(state) + withoutShops(state) }
        var diagnostics = references(state) + Validator.settingsReferences(state)
        for name in state.shopNames {
            guard let shop = state.forShop(name) else { continue }
            var perShop = Validator.validate(shop)
            perShop.removeAll { $0.code == .unknownPlanReference }
            diagnostics += perShop
        }
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }
    }

    /// Offers that name shops in a repository without `shops:`.
    static func withoutShops(_ state: DesiredState) -> [Diagnostic] {
        state.plans.flatMap { plan in
            let places = (plan.shopsKeyLocation.map { [$0] } ?? []) + plan.overrides.map(\.shop.location)
            return places.prefix(1).map {
                Diagnostic(
                    .unknownShop,
                    "plan `\(plan.internalName.value)` names shops, but stoqctl.yaml has no `shops:`; list the stores there (name, `shopify_shop`, token variables) first",
                    at: $0)
            }
        }
    }

    /// Unknown shops under `shops:` and `overrides:`, overrides for a shop the offer is not for,
    /// and ids in the shared part of an offer for several shops.
    static func references(_ state: DesiredState) -> [Diagnostic] {
        let names = state.shopNames
        var out: [Diagnostic] = []
        for plan in state.plans {
            let planName = plan.internalName.value
            for shop in (plan.shops ?? []) + plan.overrides.map(\.shop) where !names.contains(shop.value) {
                out.append(
                    Diagnostic(
                        .unknownShop,
                        "plan `\(planName)` names shop `\(shop.value)`, which `shops:` in stoqctl.yaml does not hold (it holds \(names.map { "`\($0)`" }.joined(separator: ", ")))\(Suggest.hint(for: shop.value, in: names))",
                        at: shop.location))
            }
            let forShops = plan.shops.map { $0.map(\.value) } ?? names
            for override in plan.overrides where names.contains(override.shop.value) && !forShops.contains(override.shop.value) {
                out.append(
                    Diagnostic(
                        .unknownShop,
                        "plan `\(planName)` overrides shop `\(override.shop.value)` but is only for \(forShops.map { "`\($0)`" }.joined(separator: ", ")); add it to `shops:` or remove the override",
                        at: override.shop.location))
            }
            if Set(forShops).count > 1 { out += sharedIDs(plan, shops: forShops) }
        }
        return out
    }

    /// Ids written in the shared part of an offer for several shops.
    static func sharedIDs(_ plan: SellingPlanSpec, shops: [String]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let forWhom = "plan `\(plan.internalName.value)` is for shops \(shops.map { "`\($0)`" }.joined(separator: ", "))"
        func report(_ what: String, at location: SourceLocation, instead: String) {
            out.append(
                Diagnostic(
                    .shopSpecificID,
                    "\(what), but \(forWhom) and ids differ between stores; \(instead), or move it under `overrides.<shop>`",
                    at: location))
        }
        if let id = plan.id {
            report(
                "`id: \(id.value)` pins one store's plan", at: id.location,
                instead: "leave the pin out (plans are matched by `internal_name`)")
        }
        let selectors = (plan.variantSelectors ?? []) + InventoryPolicy.allCases.flatMap { plan.policySelectors[$0] ?? [] }
        if let first = selectors.first(where: { if case .id = $0.value { true } else { false } }) {
            let count = selectors.filter { if case .id = $0.value { true } else { false } }.count
            report(
                "variant \(first.value) is a variant id\(count > 1 ? " (and \(count - 1) more in this offer)" : "")", at: first.location,
                instead: "write variants by SKU, barcode or product handle (`sku:TEE-BLK-S`)")
        }
        if let source = plan[.productVariantsSourceID], case .integer(let id) = source.value {
            report(
                "`product_variants_source_id: \(id)` is a collection or product id", at: source.valueLocation,
                instead: "write it as a handle (`collection:summer`)")
        }
        if let markets = plan[.shopifyMarketIDs], case .ids(let ids) = markets.value, !ids.isEmpty {
            report("`shopify_market_ids` holds market ids", at: markets.valueLocation, instead: "write markets per shop")
        }
        return out
    }
}
