/// What one shop of a repository of several read, for ``Exporter/export(shops:repositoryShops:)``.
public struct ShopExport: Sendable {
    /// The shop's name (its key under `shops:` in stoqctl.yaml).
    public var shop: String
    /// Its managed remote plans.
    public var plans: [RemotePlan]
    /// Its members' inventory policies, when read.
    public var policies: PolicyState?
    /// How its members are written, when named.
    public var naming: VariantNaming?

    /// Creates one.
    public init(shop: String, plans: [RemotePlan], policies: PolicyState? = nil, naming: VariantNaming? = nil) {
        self.shop = shop
        self.plans = plans
        self.policies = policies
        self.naming = naming
    }
}

extension Exporter {
    /// Several shops of one repository as one set of files: one file per `internal_name` under
    /// `preorders/`, whichever shops have it.
    ///
    /// Each shop's plans are exported as ``offer(_:pinID:policies:naming:)`` exports them alone;
    /// then, per `internal_name`, a key goes in the shared part when every shop with the offer
    /// writes it and at least two agree on its meaning (members by SKU, as sets), or one alone
    /// does: the value most shops agree on (ties: the earlier shop in `repositoryShops`). A shop
    /// whose value differs, or that is the only one to write a key, gets it under
    /// `overrides.<shop>`. An override can replace a shared key but not remove it, so a key some
    /// shop does not write is never shared. Ids (the `id:` pin, members or policies written by id,
    /// `product_variants_source_id`, market ids) are never shared in an offer for several shops.
    /// Each shop's offer, its override merged over the shared part, is therefore exactly what it
    /// would export alone. `shops: [...]` is written unless the offer is in every shop of
    /// `repositoryShops`. Output is stable: offers by `internal_name`, keys in API order, shops in
    /// `repositoryShops` order. Pure.
    public static func export(shops: [ShopExport], repositoryShops: [String]) -> ExportResult {
        let ordered = shops.sorted { (repositoryShops.firstIndex(of: $0.shop) ?? .max) < (repositoryShops.firstIndex(of: $1.shop) ?? .max) }
        var warnings: [String] = []
        var notes: [String] = []
        var offers: [String: [(shop: String, offer: ExportedOffer)]] = [:]
        for shop in ordered {
            let named = { (text: String) in "shop `\(shop.shop)`: \(text)" }
            let (chosen, selectWarnings) = select(shop.plans)
            warnings += selectWarnings.map(named)
            for (plan, pin) in chosen {
                let offer = offer(plan, pinID: pin, policies: shop.policies, naming: shop.naming)
                warnings += offer.warnings.map(named)
                notes += offer.notes.map(named)
                offers[plan.internalName, default: []].append((shop.shop, offer))
            }
        }
        var used = Set<String>()
        var files: [ExportedFile] = []
        for name in offers.keys.sorted() {
            guard let group = offers[name], let first = group.first else { continue }
            let file = fileName(name, id: first.offer.id, used: &used)
            let ids = group.map { "\(comment($0.offer.id)) in \($0.shop)" }.joined(separator: ", ")
            let header = "# Selling plan `\(comment(name))` (STOQ id \(ids)), exported by stoqctl export.\n"
            let text = schemaLine + header + "version: 1\nselling_plans:\n" + shopsBlock(name, group, repositoryShops: repositoryShops)
            files.append(ExportedFile(path: "preorders/\(file).yaml", text: text))
        }
        return ExportResult(files: files.sorted { $0.path < $1.path }, exported: files.count, warnings: warnings, notes: notes)
    }

    /// The `- internal_name: …` block of one offer as the shops in `group` export it.
    static func shopsBlock(_ name: String, _ group: [(shop: String, offer: ExportedOffer)], repositoryShops: [String]) -> String {
        var out = "  - internal_name: \(YAMLText.scalar(name))\n"
        if Set(group.map(\.shop)) != Set(repositoryShops) {
            out += "    shops: [" + group.map { YAMLText.scalar($0.shop) }.joined(separator: ", ") + "]\n"
        }
        if group.count == 1, let only = group.first {
            return out + ExportedOffer.render(only.offer.entries, comments: only.offer.leftOut, indent: "    ")
        }
        let split = split(group.map { ($0.shop, $0.offer.entries) })
        // A choice left out in every shop is said once; one left out in some shops, per shop.
        let common = group.dropFirst().reduce(Set(group[0].offer.leftOut)) { $0.intersection($1.offer.leftOut) }
        var comments = group[0].offer.leftOut.filter { common.contains($0) }
        for (shop, offer) in group {
            comments += offer.leftOut.filter { !common.contains($0) }.map { "in \(shop): \($0)" }
        }
        out += ExportedOffer.render(split.shared, comments: comments, indent: "    ")
        let overriding = group.filter { !(split.overrides[$0.shop] ?? []).isEmpty }
        if !overriding.isEmpty {
            out += "    overrides:\n"
            for (shop, _) in overriding {
                out +=
                    "      \(YAMLText.scalar(shop)):\n"
                    + ExportedOffer.render(split.overrides[shop] ?? [], comments: [], indent: "        ")
            }
        }
        return out
    }

    /// The shared part and the overrides of an offer that several shops export as `entries`
    /// (shops in order, at least two).
    public static func split(_ shops: [(shop: String, entries: [ExportedEntry])]) -> (
        shared: [ExportedEntry], overrides: [String: [ExportedEntry]]
    ) {
        var shared: [ExportedEntry] = []
        var overrides: [String: [ExportedEntry]] = [:]
        for key in ExportedOffer.keyOrder {
            let values = shops.map { shop in shop.entries.first { $0.key == key }?.value }
            guard values.contains(where: { $0 != nil }) else { continue }
            var common: ExportedValue?
            if values.allSatisfy({ $0 != nil }) {
                var counts: [ExportedValue.Meaning: Int] = [:]
                var candidates: [ExportedValue] = []
                for value in values.compactMap({ $0 }) where !value.isShopSpecific(key: key) {
                    if counts[value.meaning] == nil { candidates.append(value) }
                    counts[value.meaning, default: 0] += 1
                }
                var best = 0
                for candidate in candidates where (counts[candidate.meaning] ?? 0) > best {
                    best = counts[candidate.meaning] ?? 0
                    common = candidate
                }
            }
            if let common { shared.append(ExportedEntry(key: key, value: common)) }
            for (index, value) in values.enumerated() {
                guard let value, value.meaning != common?.meaning else { continue }
                overrides[shops[index].shop, default: []].append(ExportedEntry(key: key, value: value))
            }
        }
        return (shared, overrides)
    }
}
