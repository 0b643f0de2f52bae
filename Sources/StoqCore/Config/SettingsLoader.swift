extension ConfigLoader {
    /// Reads `stoqctl.yaml`.
    static func loadSettings(_ reader: inout NodeReader, limits: LoadLimits) -> Settings? {
        guard
            let entries = topLevel(
                &reader, allowed: settingsTopLevel, what: "stoqctl.yaml",
                hint: { key in
                    key == "selling_plans" ? "; plans belong in config files next to stoqctl.yaml, not in it" : nil
                })
        else { return nil }
        var settings = Settings()
        settings.path = reader.document.path
        var shopifyShop: String?
        var wantsShopify = false
        for entry in entries {
            switch entry.key {
            case "endpoint":
                guard let url = reader.string(entry, what: "endpoint", allowEmpty: false) else { continue }
                if url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("emulator:") {
                    settings.endpoint = Located(url, at: reader.location(entry.value))
                } else {
                    reader.report(
                        .invalidURL, "`endpoint` must start with https:// (or http:// for loopback, or emulator:FILE), but is `\(url)`",
                        at: entry.value)
                }
            case "prune":
                if let b = reader.bool(entry, what: "prune") { settings.prune = b }
            case "ignore_fields":
                settings.ignoreFields = fieldNames(&reader, entry.value, what: "ignore_fields")
            case "plans":
                settings.plans = planSettings(&reader, entry.value)
            case "safety":
                settings.safety = safety(&reader, entry.value)
            case "chunks":
                settings.chunks = chunks(&reader, entry.value)
            case "inventory_policy_source":
                guard let s = reader.string(entry, what: "inventory_policy_source") else { continue }
                switch s {
                case "declared": wantsShopify = false
                case "shopify":
                    wantsShopify = true
                    reader.report(
                        .policySourceUnavailable,
                        "`inventory_policy_source: shopify` is not available yet: this stoqctl cannot read policies from Shopify; remove it, and declared policies are sent unverified",
                        at: entry.value)
                default:
                    reader.report(
                        .invalidEnumValue,
                        "`\(s)` is not a valid `inventory_policy_source` (expected one of: declared, shopify)\(Suggest.hint(for: s, in: ["declared", "shopify"]))",
                        at: entry.value)
                }
            case "limits":
                settings.limits = tightened(&reader, entry.value, base: limits)
            case "shopify_shop":
                shopifyShop = reader.string(entry, what: "shopify_shop", allowEmpty: false)
                if shopifyShop != nil {
                    reader.report(
                        .policySourceUnavailable,
                        "`shopify_shop` is not available yet: this stoqctl cannot read policies from Shopify, so the setting would do nothing; remove it",
                        at: entry.value)
                }
            default: break
            }
        }
        if wantsShopify { settings.policySource = .shopify(shop: shopifyShop ?? "") }
        return settings
    }

    static func planSettings(_ reader: inout NodeReader, _ node: YAMLNode) -> [String: PlanSettings] {
        guard case .mapping(let pairs) = node.content else {
            reader.report(.typeMismatch, "`plans` must map internal names to settings, but this is \(reader.describe(node))", at: node)
            return [:]
        }
        let names = pairs.compactMap { $0.key.scalar?.text }
        guard let entries = reader.entries(of: node, what: "`plans`", allowed: names) else { return [:] }
        var result: [String: PlanSettings] = [:]
        for entry in entries {
            var planSettings = PlanSettings(reference: reader.location(entry.keyNode))
            let inner = reader.entries(of: entry.value, what: "the settings of plan `\(entry.key)`", allowed: ["ignore_fields"])
            for setting in inner ?? [] {
                planSettings.ignoreFields = fieldNames(&reader, setting.value, what: "plans.\(entry.key).ignore_fields")
            }
            result[entry.key] = planSettings
        }
        return result
    }

    static func safety(_ reader: inout NodeReader, _ node: YAMLNode) -> SafetySettings {
        var s = SafetySettings()
        let thresholds = SafetySettings.thresholds
        for entry in reader.entries(of: node, what: "`safety`", allowed: thresholds.map(\.key)) ?? [] {
            guard let threshold = thresholds.first(where: { $0.key == entry.key }) else { continue }
            let what = "safety.\(entry.key)"
            if threshold.isPercent {
                if case .some(.some(let v)) = reader.decimal(entry.value, what: what, min: DecimalNumber(0), max: DecimalNumber(100)) {
                    threshold.set(&s, v)
                }
            } else if case .some(.some(let v)) = reader.integer(entry.value, what: what, range: 0...Int64.max) {
                threshold.set(&s, DecimalNumber(v))
            }
        }
        return s
    }

    /// `limits:` may only lower the standard limits: a config cannot raise its own guard rails.
    static func tightened(_ reader: inout NodeReader, _ node: YAMLNode, base: LoadLimits) -> LoadLimits {
        var l = base
        let keys = ["max_file_bytes", "max_depth", "max_nodes", "max_expanded_nodes"]
        for entry in reader.entries(of: node, what: "`limits`", allowed: keys) ?? [] {
            let current: Int
            switch entry.key {
            case "max_file_bytes": current = base.maxFileBytes
            case "max_depth": current = base.maxDepth
            case "max_nodes": current = base.maxNodes
            default: current = base.maxExpandedNodes
            }
            guard case .some(.some(let v)) = reader.integer(entry.value, what: "limits.\(entry.key)", range: 1...Int64(current)) else {
                continue
            }
            switch entry.key {
            case "max_file_bytes": l.maxFileBytes = Int(v)
            case "max_depth": l.maxDepth = Int(v)
            case "max_nodes": l.maxNodes = Int(v)
            default: l.maxExpandedNodes = Int(v)
            }
        }
        return l
    }

    static func chunks(_ reader: inout NodeReader, _ node: YAMLNode) -> ChunkSettings {
        var c = ChunkSettings()
        let keys = ["add_variant", "remove_variant", "policy_toggle"]
        for entry in reader.entries(of: node, what: "`chunks`", allowed: keys) ?? [] {
            guard case .some(.some(let v)) = reader.integer(entry.value, what: "chunks.\(entry.key)", range: 1...1_000) else { continue }
            switch entry.key {
            case "add_variant": c.addVariant = v
            case "remove_variant": c.removeVariant = v
            default: c.policyToggle = v
            }
        }
        return c
    }
}
