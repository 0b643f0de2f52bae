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
        var shopsEntry: NodeReader.Entry?
        for entry in entries {
            switch entry.key {
            case "shops":
                shopsEntry = entry
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
                guard let text = reader.string(entry, what: "inventory_policy_source") else { continue }
                if let source = PolicySource(rawValue: text) {
                    settings.policySource = source
                } else {
                    let names = PolicySource.allCases.map(\.rawValue)
                    reader.report(
                        .invalidEnumValue,
                        "`\(text)` is not a valid `inventory_policy_source` (expected one of: \(names.joined(separator: ", ")))\(Suggest.hint(for: text, in: names))",
                        at: entry.value)
                }
            case "limits":
                settings.limits = tightened(&reader, entry.value, base: limits)
            case "shopify_shop":
                guard let shop = reader.string(entry, what: "shopify_shop", allowEmpty: false) else { continue }
                if ShopDomain.normalize(shop) != nil {
                    settings.shopifyShop = Located(shop, at: reader.location(entry.value))
                } else {
                    reader.report(
                        .invalidShopDomain,
                        "`shopify_shop` must be the shop's myshopify.com domain (`acme.myshopify.com`) or its name (`acme`), but is `\(shop)`",
                        at: entry.value)
                }
            case "baseline":
                guard let ref = reader.string(entry, what: "baseline", allowEmpty: false) else { continue }
                settings.baseline = Located(ref, at: reader.location(entry.value))
            case "shopify_api_version":
                guard let version = reader.string(entry, what: "shopify_api_version", allowEmpty: false) else { continue }
                if ShopDomain.isAPIVersion(version) {
                    settings.shopifyAPIVersion = Located(version, at: reader.location(entry.value))
                } else {
                    reader.report(
                        .invalidEnumValue, "`shopify_api_version` must be a version like `2026-10` or `unstable`, but is `\(version)`",
                        at: entry.value)
                }
            default: break
            }
        }
        if let shopsEntry {
            // After the loop: a shop's `safety:` starts from the shared one, wherever it is written.
            settings.shopsLocation = reader.location(shopsEntry.keyNode)
            settings.shops = shops(&reader, shopsEntry.value, base: settings.safety)
            if let shop = settings.shopifyShop {
                reader.sink.add(
                    .unknownKey,
                    "`shopify_shop` names the one shop of a repository without `shops:`; with `shops:`, each shop names its own `shopify_shop`",
                    at: shop.location)
                settings.shopifyShop = nil
            }
        }
        return settings
    }

    /// Keys of one shop under `shops:`.
    static let shopKeys = ["shopify_shop", "stoq_token_env", "shopify_token_env", "stoq_shop_id", "safety"]

    /// `shops:`: each store's name, domain, token variables, STOQ shop id and safety.
    static func shops(_ reader: inout NodeReader, _ node: YAMLNode, base: SafetySettings) -> [ShopSettings] {
        let names = mappingKeys(node)
        guard let entries = reader.entries(of: node, what: "`shops`", allowed: names) else { return [] }
        if entries.isEmpty {
            reader.report(.typeMismatch, "`shops` must name at least one shop (or be left out for a repository of one shop)", at: node)
        }
        var result: [ShopSettings] = []
        var variables: [String: (shop: String, location: SourceLocation)] = [:]
        var stores: [String: (shop: String, location: SourceLocation)] = [:]
        for entry in entries {
            guard ShopSettings.isName(entry.key) else {
                reader.report(
                    .unknownShop, "`\(entry.key)` is not a shop name: 1 to 40 of a-z, 0-9, `-` and `_`, starting with a letter or digit",
                    at: entry.keyNode)
                continue
            }
            var shop = ShopSettings(name: Located(entry.key, at: reader.location(entry.keyNode)))
            let inner = reader.entries(of: entry.value, what: "shop `\(entry.key)`", allowed: shopKeys) ?? []
            for setting in inner {
                let what = "shops.\(entry.key).\(setting.key)"
                switch setting.key {
                case "shopify_shop":
                    guard let text = reader.string(setting, what: what, allowEmpty: false) else { continue }
                    if ShopDomain.normalize(text) != nil {
                        shop.shopifyShop = Located(text, at: reader.location(setting.value))
                    } else {
                        reader.report(
                            .invalidShopDomain, "`\(what)` must be the shop's myshopify.com domain or its name, but is `\(text)`",
                            at: setting.value)
                    }
                case "stoq_token_env", "shopify_token_env":
                    guard let text = reader.string(setting, what: what, allowEmpty: false) else { continue }
                    let prefix = setting.key == "stoq_token_env" ? "STOQ_" : "SHOPIFY_"
                    guard ShopSettings.isTokenVariable(text, prefix: prefix) else {
                        reader.report(
                            .invalidTokenVariable,
                            "`\(what)` must name an environment variable that starts with `\(prefix)` and holds `TOKEN` (upper case, digits, `_`), such as `\(prefix)\(setting.key == "stoq_token_env" ? "API" : "ADMIN")_TOKEN_\(ShopSettings.variableSuffix(entry.key))`; the repository may not point a token at another secret of the runner",
                            at: setting.value)
                        continue
                    }
                    let located = Located(text, at: reader.location(setting.value))
                    if setting.key == "stoq_token_env" { shop.stoqTokenVariable = located } else { shop.shopifyTokenVariable = located }
                case "stoq_shop_id":
                    if case .some(.some(let id)) = reader.integer(setting.value, what: what, range: 1...Int64.max) {
                        shop.stoqShopID = Located(id, at: reader.location(setting.value))
                    }
                default:
                    var safety = safety(&reader, setting.value, base: base)
                    safety.approvals = base.approvals + safety.approvals.filter { !base.approvals.contains($0) }
                    shop.safety = safety
                }
            }
            if shop.shopifyShop == nil, case .mapping = entry.value.content {
                reader.report(
                    .missingRequiredKey, "shop `\(entry.key)` needs `shopify_shop`: its myshopify.com domain, the store it is",
                    at: entry.value)
            }
            for variable in [shop.stoqTokenVariable, shop.shopifyTokenVariable] {
                if let other = variables[variable.value] {
                    reader.sink.add(
                        .invalidTokenVariable,
                        "shops `\(other.shop)` and `\(entry.key)` both read a token from `\(variable.value)`: each shop needs its own token, so one store's token is never used for another",
                        at: variable.location, notes: [DiagnosticNote("`\(other.shop)` reads it here", at: other.location)])
                } else {
                    variables[variable.value] = (entry.key, variable.location)
                }
            }
            // Two shops of one store would write one store's plans twice, and wait for each
            // other's apply lock (named by the domain) in an apply of both.
            let store =
                [shop.shopifyShop.flatMap { domain in ShopDomain.normalize(domain.value).map { ($0, domain.location) } }]
                + [shop.stoqShopID.map { ("STOQ shop_id \($0.value)", $0.location) }]
            for case let (key, location)? in store {
                if let other = stores[key] {
                    reader.sink.add(
                        .shopMismatch,
                        "shops `\(other.shop)` and `\(entry.key)` are one store (\(key)): each shop of `shops:` is its own store",
                        at: location, notes: [DiagnosticNote("`\(other.shop)` names it here", at: other.location)])
                } else {
                    stores[key] = (entry.key, location)
                }
            }
            result.append(shop)
        }
        return result
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

    static func safety(_ reader: inout NodeReader, _ node: YAMLNode, base: SafetySettings = SafetySettings()) -> SafetySettings {
        var s = base
        s.approvals = []
        let thresholds = SafetySettings.thresholds
        for entry in reader.entries(of: node, what: "`safety`", allowed: safetyKeys) ?? [] {
            if entry.key == "approvals" {
                s.approvals = approvals(&reader, entry.value)
                continue
            }
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

    /// Keys of `safety:`: the thresholds, then the approvals.
    static let safetyKeys = SafetySettings.thresholds.map(\.key) + ["approvals"]

    /// `safety.approvals`: a list of `{gate, change, note}`.
    static func approvals(_ reader: inout NodeReader, _ node: YAMLNode) -> [SafetyApproval] {
        guard case .sequence(let items) = node.content else {
            reader.report(
                .typeMismatch, "`safety.approvals` must be a list of {gate, change}, but this is \(reader.describe(node))", at: node)
            return []
        }
        var result: [SafetyApproval] = []
        for item in items {
            var gate: SafetyGate?
            var change: String?
            var note: String?
            let entries = reader.entries(of: item, what: "an entry of `safety.approvals`", allowed: ["gate", "change", "note"]) ?? []
            for entry in entries {
                guard let text = reader.string(entry, what: "safety.approvals.\(entry.key)", allowEmpty: false) else { continue }
                switch entry.key {
                case "gate":
                    gate = SafetyGate(rawValue: text)
                    if gate == nil {
                        let names = SafetyGate.allCases.map(\.rawValue)
                        reader.report(
                            .invalidEnumValue,
                            "`\(text)` is not a safety gate (expected one of: \(names.joined(separator: ", ")))\(Suggest.hint(for: text, in: names))",
                            at: entry.value)
                    }
                case "change":
                    let digest = text.lowercased()
                    if (8...16).contains(digest.count), digest.allSatisfy(\.isHexDigit) {
                        change = digest
                    } else {
                        reader.report(
                            .invalidEnumValue,
                            "`safety.approvals.change` must be the change digest a refused plan prints (8 to 16 hex digits), but is `\(text)`",
                            at: entry.value)
                    }
                default: note = text
                }
            }
            if case .mapping = item.content {
                for (key, why) in [("gate", "the safety gate it lets through"), ("change", "the change digest the refused plan prints")]
                where !entries.contains(where: { $0.key == key }) {
                    reader.report(.missingRequiredKey, "an approval needs `\(key)`: \(why)", at: item)
                }
            }
            if let gate, let change { result.append(SafetyApproval(gate: gate, change: change, note: note)) }
        }
        return result
    }

    /// Keys of `limits:`.
    static let limitKeys = ["max_file_bytes", "max_depth", "max_nodes", "max_expanded_nodes"]

    /// The value of the limit called `key` in `limits`.
    static func limit(_ key: String, of limits: LoadLimits) -> Int {
        switch key {
        case "max_file_bytes": limits.maxFileBytes
        case "max_depth": limits.maxDepth
        case "max_nodes": limits.maxNodes
        default: limits.maxExpandedNodes
        }
    }

    /// `limits:` may only lower the standard limits: a config cannot raise its own guard rails.
    static func tightened(_ reader: inout NodeReader, _ node: YAMLNode, base: LoadLimits) -> LoadLimits {
        var l = base
        for entry in reader.entries(of: node, what: "`limits`", allowed: limitKeys) ?? [] {
            let current = limit(entry.key, of: base)
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

    /// Keys of `chunks:`.
    static let chunkKeys = ["add_variant", "remove_variant", "policy_toggle"]

    static func chunks(_ reader: inout NodeReader, _ node: YAMLNode) -> ChunkSettings {
        var c = ChunkSettings()
        for entry in reader.entries(of: node, what: "`chunks`", allowed: chunkKeys) ?? [] {
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

/// Shopify shop names and Admin API versions, as the settings accept them.
public enum ShopDomain {
    /// `acme.myshopify.com` for `acme` or `acme.myshopify.com`; nil for anything else.
    public static func normalize(_ text: String) -> String? {
        let lower = text.lowercased()
        let name = lower.hasSuffix(".myshopify.com") ? String(lower.dropLast(".myshopify.com".count)) : lower
        guard !name.isEmpty, name.count <= 63, name.first != "-", name.last != "-",
            name.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" })
        else { return nil }
        return name + ".myshopify.com"
    }

    /// True for `2026-10` (a quarterly version) and `unstable`.
    public static func isAPIVersion(_ text: String) -> Bool {
        if text == "unstable" { return true }
        let parts = text.split(separator: "-")
        return parts.count == 2 && parts[0].count == 4 && parts[1].count == 2 && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
    }
}
