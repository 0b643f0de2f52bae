import StoqWire

/// One file `stoqctl export` writes.
public struct ExportedFile: Sendable, Hashable {
    /// Path relative to the export directory (`preorders/fall-drop.yaml`).
    public var path: String
    /// The YAML text.
    public var text: String
}

/// What an export produced.
public struct ExportResult: Sendable, Hashable {
    /// The files, sorted by path.
    public var files: [ExportedFile]
    /// Remote plans exported.
    public var exported: Int
    /// What could not be exported as it is, and why (plans left out, values the config refuses).
    public var warnings: [String]
    /// Type choices left out because STOQ returned the field they require empty (each also a
    /// comment in its file): the choice stays unmanaged.
    public var notes: [String]
}

/// Remote state → config that plans to "No changes".
///
/// Writes only what STOQ returns and the config can hold: writable fields with a value (`null`
/// is the same as absent), those that apply to the plan's `*_type` choices, membership for a
/// custom source, and, when policies were read from Shopify, the inventory policy of each member
/// of a custom-source plan. Write-only fields (never returned) are not written, nor are policies
/// that could not be read. With a ``VariantNaming``, each member in `variants:` and the
/// `inventory_policy:` lists is written as it says: `sku:X`, or the id with a comment saying why
/// it is not named. Output is deterministic: plans by `internal_name`, fields in API order,
/// members by id. Pure.
public enum Exporter {
    /// The first line of every exported file: editors with yaml-language-server (VS Code's YAML
    /// extension, Neovim, Helix) complete and check the file against the config schema.
    public static let schemaLine = "# yaml-language-server: $schema=\(Release.schemaBaseURL)/\(ConfigSchema.configFileName)\n"

    /// One file per plan under `preorders/`.
    public static func export(_ plans: [RemotePlan], policies: PolicyState? = nil, naming: VariantNaming? = nil) -> ExportResult {
        let (blocks, warnings, notes) = self.blocks(plans, policies: policies, naming: naming)
        var used = Set<String>()
        var files: [ExportedFile] = []
        for (plan, text) in blocks {
            let name = fileName(plan.internalName, id: plan.id, used: &used)
            let header = "# Selling plan `\(comment(plan.internalName))` (STOQ id \(comment(plan.id))), exported by stoqctl export.\n"
            files.append(ExportedFile(path: "preorders/\(name).yaml", text: schemaLine + header + "version: 1\nselling_plans:\n" + text))
        }
        return ExportResult(files: files.sorted { $0.path < $1.path }, exported: blocks.count, warnings: warnings, notes: notes)
    }

    /// Every plan in one YAML document (for standard output).
    public static func document(
        _ plans: [RemotePlan], policies: PolicyState? = nil, naming: VariantNaming? = nil
    ) -> (text: String, result: ExportResult) {
        let (blocks, warnings, notes) = self.blocks(plans, policies: policies, naming: naming)
        let text =
            blocks.isEmpty
            ? schemaLine + "# Exported by stoqctl export: the shop has no selling plans.\nversion: 1\nselling_plans: []\n"
            : schemaLine + "# Exported by stoqctl export.\nversion: 1\nselling_plans:\n" + blocks.map(\.text).joined()
        return (text, ExportResult(files: [], exported: blocks.count, warnings: warnings, notes: notes))
    }

    /// The `- internal_name: …` block of every plan that can be config, in order, with the
    /// warnings and notes about what was left out.
    static func blocks(_ plans: [RemotePlan], policies: PolicyState?, naming: VariantNaming? = nil) -> (
        blocks: [(plan: RemotePlan, text: String)], warnings: [String], notes: [String]
    ) {
        let (chosen, selectWarnings) = select(plans)
        var warnings = selectWarnings
        var notes: [String] = []
        var blocks: [(plan: RemotePlan, text: String)] = []
        for (plan, pin) in chosen {
            let block = planBlock(plan, pinID: pin, policies: policies, naming: naming)
            blocks.append((plan, block.text))
            warnings += block.warnings
            notes += block.notes
        }
        return (blocks, warnings, notes)
    }

    /// The plans that can be config, sorted, with whether each needs an `id:` pin; and warnings
    /// for the rest.
    static func select(_ plans: [RemotePlan]) -> ([(RemotePlan, Bool)], [String]) {
        var warnings: [String] = []
        var byName: [String: [RemotePlan]] = [:]
        for plan in plans {
            if plan.internalName.trimmingSpaces.isEmpty {
                warnings.append(
                    "plan \(plan.id) (`\(comment(plan.fields[.name]?.string ?? ""))`) has no internal_name, which stoqctl uses as identity; not exported (give it one in STOQ, or declare it by hand with `id: \"\(plan.id)\"`)"
                )
                continue
            }
            byName[plan.internalName, default: []].append(plan)
        }
        var chosen: [(RemotePlan, Bool)] = []
        for name in byName.keys.sorted() {
            let group = (byName[name] ?? []).sorted { $0.id < $1.id }
            guard let first = group.first else { continue }
            chosen.append((first, group.count > 1))
            if group.count > 1 {
                warnings.append(
                    "\(group.count) plans share internal_name `\(comment(name))` (ids \(group.map(\.id).joined(separator: ", "))); exported \(first.id) pinned by `id:`, left out the others (an internal_name may be declared once)"
                )
            }
        }
        return (chosen, warnings)
    }

    /// The `- internal_name: …` block of one plan, with warnings for values left out and notes for
    /// type choices left out.
    static func planBlock(
        _ plan: RemotePlan, pinID: Bool, policies: PolicyState?, naming: VariantNaming? = nil
    ) -> (text: String, warnings: [String], notes: [String]) {
        let offer = offer(plan, pinID: pinID, policies: policies, naming: naming)
        var out = "  - internal_name: \(YAMLText.scalar(plan.internalName))\n"
        out += ExportedOffer.render(offer.entries, comments: offer.leftOut, indent: "    ")
        return (out, offer.warnings, offer.notes)
    }

    /// One plan as structured data: the keys export writes (in order), the type choices left out
    /// (each a comment) and the warnings and notes about what was left out.
    public static func offer(_ plan: RemotePlan, pinID: Bool, policies: PolicyState?, naming: VariantNaming? = nil) -> ExportedOffer {
        var warnings: [String] = []
        var fields: [PlanField: FieldValue] = [:]
        for field in PlanField.allCases where !field.isWriteOnly {
            guard let value = plan.fields[field], value != .null else { continue }
            if let problem = problem(value, for: field) {
                warnings.append("plan `\(comment(plan.internalName))`: `\(field.rawValue)` left out: \(problem)")
            } else {
                fields[field] = value
            }
        }
        // Keep only fields that apply to the plan's type choices; drop a choice whose required
        // companion STOQ did not return (the config would refuse it), until nothing changes.
        var dropped: [PlanField: String] = [:]
        var changed = true
        while changed {
            changed = false
            for rule in Validator.dependencies {
                guard let dependent = PlanField(rawValue: rule.name) else { continue }
                let choice = fields[rule.selector].flatMap(Validator.selectorText)
                if fields[dependent] != nil {
                    let applies =
                        choice.map {
                            rule.appliesWhen.contains($0) || (!Validator.isKnown($0, of: rule.selector) && rule.unknownSelectorValuesAllow)
                        }
                        ?? false
                    if !applies {
                        fields[dependent] = nil
                        changed = true
                    }
                }
                if let choice, rule.requiredWhen.contains(choice), fields[dependent] == nil {
                    fields[rule.selector] = nil
                    dropped[rule.selector] = "`\(rule.selector.rawValue): \(choice)` needs `\(rule.name)`, which STOQ returned empty"
                    changed = true
                }
            }
        }
        let notes = dropped.sorted(by: { $0.key < $1.key }).map { field, why in
            "plan `\(comment(plan.internalName))`: `\(field.rawValue)` left out (unmanaged): \(why)"
        }

        var entries: [ExportedEntry] = []
        if pinID { entries.append(ExportedEntry(key: "id", value: .pin(plan.id))) }
        for field in PlanField.allCases {
            guard let value = fields[field] else { continue }
            entries.append(ExportedEntry(key: field.rawValue, value: .field(value)))
        }
        let leftOut = dropped.sorted(by: { $0.key < $1.key }).map { field, why in "\(field.rawValue) left out: \(comment(why))" }
        if fields[.productVariantsSource] == .string("custom") {
            let ids = Array(Set(plan.variantIDs)).sorted()
            entries.append(ExportedEntry(key: "variants", value: .members(ids.map { ExportedMember($0, naming: naming) })))
            if let policies, !ids.isEmpty {
                var byPolicy: [InventoryPolicy: [Int64]] = [:]
                for id in ids {
                    if let policy = policies.current[id] { byPolicy[policy, default: []].append(id) }
                }
                let unknown = ids.filter { policies.current[$0] == nil }
                if !unknown.isEmpty {
                    warnings.append(
                        "plan `\(comment(plan.internalName))`: Shopify does not know \(unknown.count) of its variants (\(unknown.prefix(5).map(String.init).joined(separator: ", "))\(unknown.count > 5 ? ", …" : "")); no inventory_policy written for them"
                    )
                }
                if !byPolicy.isEmpty {
                    let groups = InventoryPolicy.allCases.compactMap { policy in
                        byPolicy[policy].map { ExportedPolicyGroup(policy: policy, members: $0.map { ExportedMember($0, naming: naming) }) }
                    }
                    entries.append(ExportedEntry(key: "inventory_policy", value: .policies(groups)))
                }
            }
        }
        return ExportedOffer(
            internalName: plan.internalName, id: plan.id, entries: entries, leftOut: leftOut, warnings: warnings, notes: notes)
    }

    /// Why the config could not hold `value` for `field`, or nil when it can.
    static func problem(_ value: FieldValue, for field: PlanField) -> String? {
        switch (field.type, value) {
        case (.string, .string), (.bool, .bool), (.datetime, .datetime): return nil
        case (.integer(let range), .integer(let i)):
            return range.contains(i) ? nil : "\(i) is outside \(range.lowerBound)…\(range.upperBound)"
        case (.decimal(let min, let max), .decimal(let d)):
            if let min, d < min { return "\(d) is below \(min)" }
            if let max, max < d { return "\(d) is above \(max)" }
            return nil
        case (.closedEnum(let values), .string(let s)):
            return values.contains(s) ? nil : "`\(comment(s))` is not one of \(values.joined(separator: ", "))"
        case (.openEnum, .string(let s)):
            return s.trimmingSpaces.isEmpty ? "it is empty" : nil
        case (.idList, .ids(let ids)):
            return ids.allSatisfy { $0 > 0 } ? nil : "it holds an id that is not positive"
        default: return "unexpected value type"
        }
    }

    /// The file name of `internalName` under `preorders/`: its slug, else with its id (two names
    /// can slug alike), else with a counter (ids of several stores can be alike too); never one
    /// in `used`, which it joins.
    static func fileName(_ internalName: String, id: String, used: inout Set<String>) -> String {
        var name = slug(internalName)
        if used.contains(name) { name += "-" + slug(id) }
        let base = name
        var counter = 2
        while used.contains(name) {
            name = "\(base)-\(counter)"
            counter += 1
        }
        used.insert(name)
        return name
    }

    /// A file name part: lowercase letters, digits, `-`, `_` and `.`; at most 80 characters.
    static func slug(_ text: String) -> String {
        var out = ""
        for ch in text.lowercased() {
            if ch.isASCII, ch.isLetter || ch.isNumber || ch == "_" || ch == "." {
                out.append(ch)
            } else if !out.hasSuffix("-") {
                out.append("-")
            }
        }
        while out.hasPrefix("-") || out.hasPrefix(".") { out.removeFirst() }
        while out.hasSuffix("-") || out.hasSuffix(".") { out.removeLast() }
        return out.isEmpty ? "plan" : String(out.prefix(80))
    }

    /// Text safe inside a `#` comment or a message: one line, hidden characters shown, and so are
    /// the characters YAML refuses anywhere in a file, even raw in a comment (U+FFFE, U+FFFF).
    static func comment(_ text: String) -> String {
        var out = ""
        for scalar in Sanitiser.shown(text).unicodeScalars {
            if YAMLText.isPrintable(scalar) { out.unicodeScalars.append(scalar) } else { out += Sanitiser.visible(scalar) }
        }
        return out
    }
}

/// YAML scalars that stoqctl's loader reads back as exactly the value written.
public enum YAMLText {
    /// A field value.
    public static func value(_ v: FieldValue) -> String {
        switch v {
        case .null: return "null"
        case .string(let s): return scalar(s)
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .decimal(let d): return d.description
        case .datetime(let t): return t.description
        case .ids(let ids): return "[" + ids.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// A string, plain when that reads back as the same string, else double-quoted.
    public static func scalar(_ s: String) -> String { isPlainSafe(s) ? s : quoted(s) }

    /// True when `s` can be written as a plain scalar: it resolves to a string, has no leading or
    /// trailing space, no indicator at the start, no `: ` or ` #`, and only printable characters.
    static func isPlainSafe(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        guard ScalarResolver.resolvePlain(s) == .string(s) else { return false }
        if first == " " || last == " " || last == ":" { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return false }
        if s.contains(": ") || s.contains(" #") || s.contains("##[") { return false }
        return s.unicodeScalars.allSatisfy(isPrintable)
    }

    /// True for characters YAML (and libyaml) read raw as themselves and stoqctl shows raw:
    /// printable ASCII and the printable non-ASCII ranges, without line-break look-alikes (NEL, LS,
    /// PS) or format characters (the BOM, bidi controls, zero-width characters).
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if Sanitiser.isHidden(scalar) { return false }
        switch scalar.value {
        case 0x20...0x7E, 0x10000...0x10FFFF: return true
        case 0xA0...0xD7FF: return scalar.value != 0x2028 && scalar.value != 0x2029
        case 0xE000...0xFFFD: return scalar.value != 0xFEFF
        default: return false
        }
    }

    /// A double-quoted YAML scalar with every non-printable character escaped.
    ///
    /// YAML's double-quoted style accepts JSON's escapes; beyond what JSON escapes, every
    /// character that is not ``isPrintable`` is written as `\uXXXX` (tab and line feed keep
    /// JSON's short escapes).
    public static func quoted(_ s: String) -> String {
        var out = ""
        JSONValue.escape(s, into: &out, yaml: true) { !isPrintable($0) }
        return out
    }
}
