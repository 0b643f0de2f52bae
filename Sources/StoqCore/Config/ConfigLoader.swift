import StoqWire

/// What a file is to the loader.
public enum SourceRole: Sendable, Hashable {
    /// A config file holding `selling_plans`.
    case config
    /// The `stoqctl.yaml` settings file at the root of the configuration directory.
    case settings
    /// A `stoqctl.yaml` found below the root: refused, since only the root one is read.
    case misplacedSettings
}

/// Loads config and settings files into a ``DesiredState``, reporting every problem it finds.
///
/// Pure: the caller reads files; this never touches the file system. Loading never stops at the
/// first problem: a bad value is reported and left out, and the rest of the file is still read.
public enum ConfigLoader {
    /// The configuration format version this stoqctl reads.
    public static let supportedVersion: Int64 = 1

    /// Keys of a config file's top level.
    static let configTopLevel = ["version", "selling_plans"]
    /// Keys of the settings file's top level.
    static let settingsTopLevel = [
        "version", "endpoint", "prune", "ignore_fields", "plans", "safety", "chunks",
        "inventory_policy_source", "shopify_shop", "shopify_api_version", "baseline", "limits", "shops",
    ]
    /// Keys of one selling plan.
    static let planKeys =
        ["internal_name", "id"] + PlanField.names + ["variants", "inventory_policy", "inventory_policy_on_removal", "ignore_fields"]
        + ["shops", "overrides"]
    /// Keys an `overrides.<shop>` mapping may hold: every key of an offer but its identity and
    /// the shop keys.
    static let overrideKeys = planKeys.filter { !["internal_name", "shops", "overrides"].contains($0) }

    /// Loads `files` (each with its role) under `limits`.
    /// - Returns: the desired state (plans that loaded) and all diagnostics, in stable order.
    public static func load(
        _ files: [(SourceFile, SourceRole)], limits: LoadLimits = .standard
    ) -> (DesiredState, [Diagnostic]) {
        var state = DesiredState()
        var diagnostics: [Diagnostic] = []
        var limits = limits
        // The settings file first: it may tighten the limits the other files are read under.
        let ordered = files.sorted { a, b in
            (a.1 == .settings ? 0 : 1, a.0.path) < (b.1 == .settings ? 0 : 1, b.0.path)
        }
        for (file, role) in ordered {
            state.files.append(file.path)
            if role == .misplacedSettings {
                diagnostics.append(
                    Diagnostic(
                        .misplacedSettingsFile,
                        "`stoqctl.yaml` is read only at the root of the configuration directory; move its settings there",
                        at: SourceLocation(file: file.path, line: 1, column: 1)))
                continue
            }
            let parsed = YAMLParser.parse(file, limits: limits)
            diagnostics += parsed.diagnostics
            guard let document = parsed.document else { continue }
            var reader = NodeReader(document: document, file: file)
            switch role {
            case .settings:
                if let settings = loadSettings(&reader, limits: limits) {
                    state.settings = settings
                    limits = settings.limits ?? limits
                }
            default:
                state.plans += loadConfig(&reader)
            }
            diagnostics += reader.diagnostics
            if let more = reader.unlistedSummary { diagnostics.append(more) }
        }
        state.files.sort()
        var unique: [Diagnostic] = []
        var seen = Set<Diagnostic>()
        for d in diagnostics where seen.insert(d).inserted { unique.append(d) }
        return (state, unique)
    }

    /// Checks the top level and `version`; returns the entries if the file should be read on.
    static func topLevel(_ reader: inout NodeReader, allowed: [String], what: String, hint: @escaping (String) -> String?) -> [NodeReader
        .Entry]?
    {
        let root = reader.document.root
        guard case .mapping = root.content else {
            reader.report(
                .topLevelNotMapping,
                "the top level of \(what) must be a mapping with `version: 1`, but this is \(reader.describe(root))",
                at: root)
            return nil
        }
        guard let entries = reader.entries(of: root, what: "the top level", allowed: allowed, allowExtension: true, unknownKeyHint: hint)
        else {
            return nil
        }
        guard let version = entries.first(where: { $0.key == "version" }) else {
            reader.report(.missingVersion, "\(what) has no `version`; add `version: 1` at the top", at: root)
            return entries
        }
        if case .integer(let text)? = reader.resolve(version.value), Int64(text) == supportedVersion {
            return entries
        }
        reader.report(
            .unsupportedVersion,
            "`version` must be 1 (the only configuration version this stoqctl reads), but is \(reader.describe(version.value))",
            at: version.value)
        return nil
    }

    static func loadConfig(_ reader: inout NodeReader) -> [SellingPlanSpec] {
        let settingsKeys = Set(settingsTopLevel).subtracting(["version"])
        guard
            let entries = topLevel(
                &reader, allowed: configTopLevel, what: "a config file",
                hint: { key in
                    settingsKeys.contains(key)
                        ? "; `\(key)` is a setting and belongs in stoqctl.yaml at the root of the configuration directory" : nil
                })
        else { return [] }
        guard let list = entries.first(where: { $0.key == "selling_plans" }) else { return [] }
        guard case .sequence(let items) = list.value.content else {
            if case .null? = reader.resolve(list.value) { return [] }
            reader.report(
                .typeMismatch, "`selling_plans` must be a list of plans, but this is \(reader.describe(list.value))", at: list.value)
            return []
        }
        return items.compactMap { plan(&reader, $0) }
    }

    static func plan(_ reader: inout NodeReader, _ node: YAMLNode) -> SellingPlanSpec? {
        guard let entries = reader.entries(of: node, what: "a selling plan", allowed: planKeys) else { return nil }
        let shared = entries.filter { $0.key != "shops" && $0.key != "overrides" }
        guard var spec = plan(&reader, node, entries: shared, requireName: true) else { return nil }
        for entry in shared { spec.writtenKeys[entry.key] = reader.location(entry.keyNode) }
        if let shops = entries.first(where: { $0.key == "shops" }) {
            spec.shopsKeyLocation = reader.location(shops.keyNode)
            spec.shops = shopNames(&reader, shops.value, what: "shops")
        }
        if let overrides = entries.first(where: { $0.key == "overrides" }) {
            let names = mappingKeys(overrides.value)
            for entry in reader.entries(of: overrides.value, what: "`overrides`", allowed: names) ?? [] {
                guard ShopSettings.isName(entry.key) else {
                    reader.report(.unknownShop, "`\(entry.key)` is not a shop name (a-z, 0-9, `-`, `_`)", at: entry.keyNode)
                    continue
                }
                guard
                    let own = reader.entries(
                        of: entry.value, what: "the override for shop `\(entry.key)`", allowed: overrideKeys,
                        unknownKeyHint: { key in
                            key == "internal_name" ? "; an offer keeps one `internal_name` in every shop" : nil
                        })
                else { continue }
                let replaced = Set(own.map(\.key))
                let merged = shared.filter { !replaced.contains($0.key) } + own
                guard var shopSpec = plan(&reader, node, entries: merged, requireName: false) else { continue }
                shopSpec.writtenKeys = [:]
                var keys: [String: SourceLocation] = [:]
                for key in own { keys[key.key] = reader.location(key.keyNode) }
                spec.overrides.append(
                    ShopOverride(shop: Located(entry.key, at: reader.location(entry.keyNode)), keys: keys, spec: shopSpec))
            }
        }
        return spec
    }

    /// The keys of a mapping node, as written (non-scalar keys are reported by the reader).
    static func mappingKeys(_ node: YAMLNode) -> [String] {
        guard case .mapping(let pairs) = node.content else { return [] }
        return pairs.compactMap { $0.key.scalar?.text }
    }

    /// A list of shop names (`shops: [us, eu]`), each with its location.
    static func shopNames(_ reader: inout NodeReader, _ node: YAMLNode, what: String) -> [Located<String>] {
        guard case .sequence(let items) = node.content, !items.isEmpty else {
            reader.report(.typeMismatch, "`\(what)` must be a non-empty list of shop names, but this is \(reader.describe(node))", at: node)
            return []
        }
        var result: [Located<String>] = []
        for item in items {
            guard case .string(let name)? = reader.resolve(item), ShopSettings.isName(name) else {
                reader.report(
                    .unknownShop, "`\(what)` lists shop names (a-z, 0-9, `-`, `_`), but this is \(reader.describe(item))", at: item)
                continue
            }
            result.append(Located(name, at: reader.location(item)))
        }
        return result
    }

    /// The offer `entries` write (the shared keys, or an override's merged with them).
    static func plan(_ reader: inout NodeReader, _ node: YAMLNode, entries: [NodeReader.Entry], requireName: Bool) -> SellingPlanSpec? {
        var internalName: Located<String>?
        var id: Located<String>?
        var fields: [PlanField: DeclaredField] = [:]
        var variants: [Located<VariantSelector>]?
        var variantsKey: SourceLocation?
        var policy: [InventoryPolicy: [Located<VariantSelector>]] = [:]
        var sourceHandle: SourceHandle?
        var removalPolicy: Located<InventoryPolicy>?
        var ignore: [Located<PlanField>] = []
        var rejected = Set<String>()
        for entry in entries {
            let before = reader.errorCount
            defer { if reader.errorCount > before { rejected.insert(entry.key) } }
            switch entry.key {
            case "internal_name":
                if let s = reader.string(entry, what: "internal_name", allowEmpty: false), nameCharacters(&reader, s, entry) {
                    internalName = Located(s, at: reader.location(entry.value))
                }
            case "id":
                if let s = reader.string(entry, what: "id", allowEmpty: false), nameCharacters(&reader, s, entry) {
                    id = Located(s, at: reader.location(entry.value))
                }
            case "variants":
                variantsKey = reader.location(entry.keyNode)
                variants = reader.selectors(entry.value, what: "variants", code: .invalidVariantID) ?? []
            case "inventory_policy":
                policy = inventoryPolicy(&reader, entry.value)
            case "inventory_policy_on_removal":
                guard let text = reader.string(entry, what: "inventory_policy_on_removal") else { continue }
                if let value = InventoryPolicy(rawValue: text) {
                    removalPolicy = Located(value, at: reader.location(entry.value))
                } else {
                    let names = InventoryPolicy.allCases.map(\.rawValue)
                    reader.report(
                        .invalidEnumValue,
                        "`\(text)` is not a valid `inventory_policy_on_removal` (expected one of: \(names.joined(separator: ", ")))\(Suggest.hint(for: text, in: names))",
                        at: entry.value)
                }
            case "ignore_fields":
                ignore = fieldNames(&reader, entry.value, what: "ignore_fields")
            case PlanField.productVariantsSourceID.rawValue where sourceHandleText(reader, entry.value) != nil:
                sourceHandle = Self.sourceHandle(&reader, entry)
            default:
                guard let field = PlanField(rawValue: entry.key) else { continue }
                if let value = fieldValue(&reader, field, entry) {
                    fields[field] = DeclaredField(
                        value: value, keyLocation: reader.location(entry.keyNode), valueLocation: reader.location(entry.value))
                }
            }
        }
        guard let internalName else {
            if requireName, !entries.contains(where: { $0.key == "internal_name" }) {
                reader.report(
                    .missingRequiredKey, "a selling plan needs an `internal_name` (its identity, unique across all files)", at: node)
            }
            return nil
        }
        var spec = SellingPlanSpec(
            internalName: internalName, id: id, fields: fields, variants: variants.map(Self.ids), variantsKeyLocation: variantsKey,
            inventoryPolicy: policy.mapValues(Self.ids), ignoreFields: ignore, location: reader.location(node))
        spec.variantSelectors = variants
        spec.policySelectors = policy
        spec.sourceHandle = sourceHandle
        spec.rejectedKeys = rejected
        spec.removalPolicy = removalPolicy
        return spec
    }

    /// False, after reporting where, when the name `text` (an `internal_name` or an `id`: what
    /// identifies a plan in review) holds a control character or a bidi override or isolate:
    /// they hide or reorder text.
    ///
    /// Other format characters (a joiner in an emoji, a right-to-left
    /// mark) are allowed, and shown escaped in plans. Field values (a plan's `name` too) may hold
    /// any character: plans show them quoted and escaped.
    static func nameCharacters(_ reader: inout NodeReader, _ text: String, _ entry: NodeReader.Entry) -> Bool {
        for (offset, scalar) in text.unicodeScalars.enumerated()
        where scalar.properties.generalCategory == .control || Sanitiser.isBidiControl(scalar) {
            let code = String(scalar.value, radix: 16, uppercase: true)
            let kind = Sanitiser.isBidiControl(scalar) ? "a bidi override or isolate" : "a control character"
            reader.report(
                .invalidCharacter,
                "`\(entry.key)` holds \(kind), U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code), at character \(offset + 1) of `\(text)`; names are shown in review, where it would hide or reorder text",
                at: entry.value)
            return false
        }
        return true
    }

    static func fieldValue(_ reader: inout NodeReader, _ field: PlanField, _ entry: NodeReader.Entry) -> FieldValue? {
        let name = field.rawValue
        switch field.type {
        case .string:
            return reader.string(entry, what: name).map(FieldValue.string)
        case .bool:
            return reader.bool(entry, what: name).map(FieldValue.bool)
        case .integer(let range):
            guard let v = reader.integer(entry.value, what: name, range: range, nullable: field.isNullable) else { return nil }
            return v.map(FieldValue.integer) ?? .null
        case .decimal(let min, let max):
            guard let v = reader.decimal(entry.value, what: name, min: min, max: max, nullable: field.isNullable) else { return nil }
            return v.map(FieldValue.decimal) ?? .null
        case .datetime:
            guard let v = reader.datetime(entry.value, what: name, nullable: field.isNullable) else { return nil }
            return v.map(FieldValue.datetime) ?? .null
        case .closedEnum(let values):
            guard let s = reader.string(entry, what: name) else { return nil }
            guard values.contains(s) else {
                reader.report(
                    .invalidEnumValue,
                    "`\(s)` is not a valid `\(name)` (expected one of: \(values.joined(separator: ", ")))\(Suggest.hint(for: s, in: values))",
                    at: entry.value)
                return nil
            }
            return .string(s)
        case .openEnum(let known):
            guard let s = reader.string(entry, what: name, allowEmpty: false) else { return nil }
            if !known.contains(s) {
                reader.report(
                    .unknownEnumValue,
                    "`\(s)` is not one of the `\(name)` values stoqctl knows (\(known.joined(separator: ", ")))\(Suggest.hint(for: s, in: known)); STOQ documents this enum only in part, so it is sent as written",
                    at: entry.value)
            }
            return .string(s)
        case .idList:
            return reader.ids(entry.value, what: name, code: .outOfRange).map { .ids($0.map(\.value)) }
        }
    }

    static func inventoryPolicy(_ reader: inout NodeReader, _ node: YAMLNode) -> [InventoryPolicy: [Located<VariantSelector>]] {
        var result: [InventoryPolicy: [Located<VariantSelector>]] = [:]
        let names = InventoryPolicy.allCases.map(\.rawValue)
        guard let entries = reader.entries(of: node, what: "`inventory_policy`", allowed: names) else { return [:] }
        for entry in entries {
            guard let policy = InventoryPolicy(rawValue: entry.key) else { continue }
            result[policy] = reader.selectors(entry.value, what: "inventory_policy.\(entry.key)", code: .invalidVariantID) ?? []
        }
        return result
    }

    /// The ids of a selector list (names are resolved later, against Shopify).
    static func ids(_ selectors: [Located<VariantSelector>]) -> [Located<Int64>] {
        selectors.compactMap { entry in
            if case .id(let id) = entry.value { return Located(id, at: entry.location) }
            return nil
        }
    }

    /// The text of `node` when it writes `product_variants_source_id` as a handle (`kind:…`), else nil.
    static func sourceHandleText(_ reader: NodeReader, _ node: YAMLNode) -> String? {
        guard node.tag == nil, case .string(let text)? = reader.resolve(node), text.contains(":") else { return nil }
        return text
    }

    /// `product_variants_source_id: collection:summer` (or `product:fall-tee`), checked offline.
    static func sourceHandle(_ reader: inout NodeReader, _ entry: NodeReader.Entry) -> SourceHandle? {
        guard let text = sourceHandleText(reader, entry.value), let (kindText, handle) = VariantSelector.splitAtColon(text) else {
            return nil
        }
        let kinds = SourceHandle.Kind.allCases.map(\.rawValue)
        guard let kind = SourceHandle.Kind(rawValue: kindText) else {
            reader.report(
                .typeMismatch,
                "`product_variants_source_id` is an id, or a handle written `collection:HANDLE` or `product:HANDLE`; `\(kindText):` is neither\(Suggest.hint(for: kindText, in: kinds))",
                at: entry.value)
            return nil
        }
        guard !handle.isEmpty,
            !handle.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.isUppercase || $0.properties.generalCategory == .control
            })
        else {
            reader.report(
                .typeMismatch,
                "`\(text)` is not a \(kind.rawValue) handle: handles are lowercase, without spaces (such as `\(kind.rawValue):summer-sale`)",
                at: entry.value)
            return nil
        }
        return SourceHandle(
            kind: kind, handle: handle, keyLocation: reader.location(entry.keyNode), valueLocation: reader.location(entry.value))
    }

    static func fieldNames(_ reader: inout NodeReader, _ node: YAMLNode, what: String) -> [Located<PlanField>] {
        guard case .sequence(let items) = node.content else {
            reader.report(.typeMismatch, "`\(what)` must be a list of field names, but this is \(reader.describe(node))", at: node)
            return []
        }
        var result: [Located<PlanField>] = []
        for item in items {
            guard case .string(let s)? = reader.resolve(item) else {
                reader.report(.typeMismatch, "`\(what)` must list field names, but this is \(reader.describe(item))", at: item)
                continue
            }
            guard let field = PlanField(rawValue: s) else {
                let why =
                    s == "internal_name" || s == "id"
                    ? "`\(s)` in `\(what)` is the plan's identity and cannot be ignored"
                    : "`\(s)` in `\(what)` is not a selling-plan field\(Suggest.hint(for: s, in: PlanField.names))"
                reader.report(.unknownFieldName, why, at: item)
                continue
            }
            result.append(Located(field, at: reader.location(item)))
        }
        return result
    }
}
