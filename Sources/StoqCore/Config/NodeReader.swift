/// Reads typed values out of a ``YAMLDocument``, collecting a located diagnostic for every problem.
///
/// Handles the YAML details the schema should not care about: `<<` merge keys, duplicate keys,
/// unknown keys with suggestions, and YAML 1.2 scalar resolution.
struct NodeReader {
    /// One key of a mapping after merges: its text, key node and value node.
    struct Entry {
        var key: String
        var keyNode: YAMLNode
        var value: YAMLNode
    }

    let document: YAMLDocument
    let file: SourceFile
    /// Where the problems go (a reference, so reporting does not need exclusive access to the
    /// reader: a message may read the reader while it is built).
    let sink = DiagnosticSink()
    /// The problems listed so far.
    var diagnostics: [Diagnostic] { sink.diagnostics }
    /// Number of error-severity diagnostics reported so far, listed or not.
    var errorCount: Int { sink.errorCount }

    init(document: YAMLDocument, file: SourceFile) {
        self.document = document
        self.file = file
    }

    func location(_ node: YAMLNode) -> SourceLocation { document.location(of: node) }

    /// Reports a problem at `node`; past the per-file limit it is only counted, so a file full of
    /// mistakes costs about as much to read as a clean one (the message is never built).
    func report(
        _ code: DiagnosticCode, _ message: @autoclosure () -> String, at node: YAMLNode, notes: @autoclosure () -> [DiagnosticNote] = []
    ) {
        sink.add(code, message(), at: location(node), notes: notes())
    }

    /// The `more-problems` diagnostic for what this file did not list, if anything.
    var unlistedSummary: Diagnostic? { sink.unlistedSummary }

    // MARK: Mappings

    /// The entries of `node`, which must be a mapping.
    ///
    /// Merge keys are applied (explicit keys win,
    /// then earlier merge sources); duplicates and keys outside `allowed` are reported and dropped.
    /// `allowExtension` accepts keys starting with `x-` (ignored; a place for anchors).
    mutating func entries(
        of node: YAMLNode, what: String, allowed: [String], allowExtension: Bool = false,
        unknownKeyHint: (String) -> String? = { _ in nil }
    ) -> [Entry]? {
        guard case .mapping = node.content else {
            report(.typeMismatch, "\(what) must be a mapping, but this is \(describe(node))", at: node)
            return nil
        }
        let allowedSet = Set(allowed)
        var result: [Entry] = []
        var mappings: [(pairs: [YAMLPair], origin: SourceLocation)] = []
        let raws = mergedEntries(of: node, depth: 0, mappings: &mappings)
        // Each key's first entry, by its index in `raws` (not a copy of it: a key flood stays small).
        var seen: [String: Int] = [:]
        seen.reserveCapacity(raws.count)
        for (index, entry) in raws.enumerated() {
            let raw = Raw(entry, mappings)
            if let firstIndex = seen[raw.key] {
                let first = Raw(raws[firstIndex], mappings)
                // Within one mapping a repeated key is an error; a merged key under an explicit
                // one (or an earlier merge source) is YAML's override rule, not a mistake.
                if mappings[entry.mapping].origin == mappings[raws[firstIndex].mapping].origin {
                    report(
                        .duplicateKey, "duplicate key `\(raw.key)` in \(what)", at: raw.keyNode,
                        notes: [DiagnosticNote("`\(raw.key)` first appears here", at: location(first.keyNode))])
                }
                continue
            }
            seen[raw.key] = index
            if allowedSet.contains(raw.key) {
                result.append(Entry(key: raw.key, keyNode: raw.keyNode, value: raw.value))
            } else if !(allowExtension && raw.key.hasPrefix("x-")) {
                // The hint is measured only when the problem is listed (a key flood lists 100).
                report(
                    .unknownKey, "unknown key `\(raw.key)` in \(what)\(unknownKeyHint(raw.key) ?? Suggest.hint(for: raw.key, in: allowed))",
                    at: raw.keyNode)
            }
        }
        return result
    }

    /// An entry of a mapping or of one merged into it: which mapping (the position of the one the
    /// key is written in tells explicit keys from merged ones) and which pair, so a key flood costs no copies of
    /// its nodes.
    private struct RawEntry {
        var mapping: Int
        var pair: Int
    }

    /// A ``RawEntry``'s key and nodes.
    private struct Raw {
        var key: String
        var keyNode: YAMLNode
        var value: YAMLNode

        init(_ entry: RawEntry, _ mappings: [(pairs: [YAMLPair], origin: SourceLocation)]) {
            let pair = mappings[entry.mapping].pairs[entry.pair]
            key = pair.key.scalar?.text ?? ""
            keyNode = pair.key
            value = pair.value
        }
    }

    /// Explicit entries in order, then entries merged in through `<<`, in merge order; each
    /// mapping read is added to `mappings`.
    private mutating func mergedEntries(
        of node: YAMLNode, depth: Int, mappings: inout [(pairs: [YAMLPair], origin: SourceLocation)]
    ) -> [RawEntry] {
        guard case .mapping(let pairs) = node.content else { return [] }
        let mapping = mappings.count
        mappings.append((pairs, location(node)))
        var explicit: [RawEntry] = []
        explicit.reserveCapacity(pairs.count)
        var merged: [RawEntry] = []
        for (index, pair) in pairs.enumerated() {
            let keyText = pair.key.scalar?.text ?? ""
            if keyText == "<<", pair.key.scalar?.style == .plain, depth < 16 {
                var sources: [YAMLNode] = []
                switch pair.value.content {
                case .mapping: sources = [pair.value]
                case .sequence(let items):
                    for item in items {
                        guard case .mapping = item.content else {
                            report(.invalidMerge, "a `<<` merge list may hold only mappings, but this is \(describe(item))", at: item)
                            continue
                        }
                        sources.append(item)
                    }
                case .scalar:
                    report(.invalidMerge, "`<<` merges a mapping (`<<: *anchor`), but its value is \(describe(pair.value))", at: pair.value)
                }
                for source in sources {
                    merged += mergedEntries(of: source, depth: depth + 1, mappings: &mappings)
                }
                continue
            }
            explicit.append(RawEntry(mapping: mapping, pair: index))
        }
        return merged.isEmpty ? explicit : explicit + merged
    }

    // MARK: Scalars

    func resolve(_ node: YAMLNode) -> ResolvedScalar? {
        guard let scalar = node.scalar else { return nil }
        return ScalarResolver.resolve(scalar, tag: node.tag)
    }

    func describe(_ node: YAMLNode) -> String {
        guard let scalar = node.scalar, let resolved = resolve(node) else { return node.kindName }
        switch resolved {
        case .null: return "null"
        case .string:
            let shown = scalar.text.count > 40 ? String(scalar.text.prefix(37)) + "…" : scalar.text
            return "a string (`\(shown)`)"
        default:
            let shown = scalar.text.count > 40 ? String(scalar.text.prefix(37)) + "…" : scalar.text
            return "\(resolved.typeName) (`\(shown)`)"
        }
    }

    /// Where the `#` is if the line holding `keyNode` has a comment right after the colon, i.e.
    ///
    /// a value that YAML read as a comment (an unquoted colour such as `#ff0000`).
    func commentedValueLocation(_ keyNode: YAMLNode) -> SourceLocation? {
        guard let line = file.line(keyNode.line) else { return nil }
        let scalars = Array(line.unicodeScalars)
        var i = keyNode.column - 1
        while i < scalars.count, scalars[i] != ":" { i += 1 }
        i += 1
        while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" { i += 1 }
        guard i < scalars.count, scalars[i] == "#" else { return nil }
        return SourceLocation(file: document.path, line: keyNode.line, column: i + 1)
    }

    mutating func string(_ entry: Entry, what: String, allowEmpty: Bool = true) -> String? {
        guard let resolved = resolve(entry.value) else {
            report(.typeMismatch, "`\(what)` must be a string, but this is \(describe(entry.value))", at: entry.value)
            return nil
        }
        switch resolved {
        case .string(let s):
            if !allowEmpty, s.trimmingSpaces.isEmpty {
                report(.emptyValue, "`\(what)` must not be empty", at: entry.value)
                return nil
            }
            return s
        case .null:
            if let hash = commentedValueLocation(entry.keyNode) {
                let message = "`\(what)` is empty because `#` starts a comment in YAML; quote the value, e.g. \"#ff0000\""
                sink.add(.nullNotAllowed, message, at: hash)
            } else {
                report(.nullNotAllowed, "`\(what)` cannot be null; remove the key to leave the field unmanaged", at: entry.value)
            }
            return nil
        default:
            report(
                .typeMismatch,
                "`\(what)` must be a string, but this is \(describe(entry.value)); quote it to use it as text",
                at: entry.value)
            return nil
        }
    }

    mutating func bool(_ entry: Entry, what: String) -> Bool? {
        guard let resolved = resolve(entry.value) else {
            report(.typeMismatch, "`\(what)` must be `true` or `false`, but this is \(describe(entry.value))", at: entry.value)
            return nil
        }
        switch resolved {
        case .bool(let b): return b
        case .string(let s):
            let lowered = s.lowercased()
            if ["yes", "no", "on", "off", "y", "n", "true", "false"].contains(lowered) {
                let meant = ["yes", "on", "y", "true"].contains(lowered) ? "true" : "false"
                let quoted = entry.value.scalar?.style != .plain
                let why = quoted ? "a quoted `\(s)` is a string" : "`\(s)` is not a boolean in YAML 1.2"
                report(.invalidBoolean, "`\(what)`: \(why); write `\(meant)`", at: entry.value)
            } else {
                report(.typeMismatch, "`\(what)` must be `true` or `false`, but this is \(describe(entry.value))", at: entry.value)
            }
            return nil
        case .null:
            report(.nullNotAllowed, "`\(what)` cannot be null; remove the key to leave the field unmanaged", at: entry.value)
            return nil
        default:
            report(.typeMismatch, "`\(what)` must be `true` or `false`, but this is \(describe(entry.value))", at: entry.value)
            return nil
        }
    }

    /// An integer within `range`; `null` is returned as `.some(nil)` when `nullable`.
    mutating func integer(_ node: YAMLNode, what: String, range: ClosedRange<Int64>, nullable: Bool = false) -> Int64?? {
        guard let resolved = resolve(node) else {
            report(.typeMismatch, "`\(what)` must be a whole number, but this is \(describe(node))", at: node)
            return nil
        }
        switch resolved {
        case .integer(let text):
            guard let value = Int64(text) else {
                report(.outOfRange, "`\(what)` is out of range: \(text) does not fit in a 64-bit integer", at: node)
                return nil
            }
            guard range.contains(value) else {
                report(.outOfRange, "`\(what)` must be \(Self.describe(range)), but is \(value)", at: node)
                return nil
            }
            return .some(value)
        case .null where nullable: return .some(nil)
        case .null:
            report(.nullNotAllowed, "`\(what)` cannot be null; remove the key to leave it unmanaged", at: node)
            return nil
        case .string(let s) where s.hasPrefix("0x") || s.hasPrefix("0o"):
            report(.typeMismatch, "`\(what)` must be a decimal whole number; hexadecimal and octal are not accepted", at: node)
            return nil
        default:
            report(.typeMismatch, "`\(what)` must be a whole number, but this is \(describe(node))", at: node)
            return nil
        }
    }

    static func describe(_ range: ClosedRange<Int64>) -> String {
        if range.upperBound == Int64.max { return "at least \(range.lowerBound)" }
        return "between \(range.lowerBound) and \(range.upperBound)"
    }

    /// An exact decimal within bounds; `null` → `.some(nil)` when `nullable`.
    mutating func decimal(
        _ node: YAMLNode, what: String, min: DecimalNumber?, max: DecimalNumber?, nullable: Bool = false
    ) -> DecimalNumber?? {
        guard let resolved = resolve(node) else {
            report(.typeMismatch, "`\(what)` must be a number, but this is \(describe(node))", at: node)
            return nil
        }
        switch resolved {
        case .integer(let text), .decimal(let text):
            guard let value = DecimalNumber(text) else {
                report(.outOfRange, "`\(what)` is out of range: \(text) has too large an exponent", at: node)
                return nil
            }
            if let min, value < min {
                report(.outOfRange, "`\(what)` must not be \(min.isZero ? "negative" : "below \(min)"), but is \(value)", at: node)
                return nil
            }
            if let max, max < value {
                report(.outOfRange, "`\(what)` must be at most \(max), but is \(value)", at: node)
                return nil
            }
            return .some(value)
        case .nonFinite(let text):
            report(.outOfRange, "`\(what)` must be a finite number, but is \(text)", at: node)
            return nil
        case .null where nullable: return .some(nil)
        case .null:
            report(.nullNotAllowed, "`\(what)` cannot be null; remove the key to leave it unmanaged", at: node)
            return nil
        default:
            report(.typeMismatch, "`\(what)` must be a number, but this is \(describe(node))", at: node)
            return nil
        }
    }

    /// A datetime with a zone; `null` → `.some(nil)` when `nullable`.
    mutating func datetime(_ node: YAMLNode, what: String, nullable: Bool) -> Timestamp?? {
        guard let resolved = resolve(node) else {
            report(.typeMismatch, "`\(what)` must be a datetime, but this is \(describe(node))", at: node)
            return nil
        }
        switch resolved {
        case .string(let text):
            switch Timestamp.parse(text) {
            case .success(let t): return .some(t)
            case .failure(.missingZone):
                report(
                    .datetimeWithoutZone,
                    "`\(what)` has no time zone; add `Z` for UTC or an offset such as `+02:00` (e.g. \(Self.zoneExample(text)))", at: node)
            case .failure(.malformed(let why)):
                report(.invalidDatetime, "`\(what)` is not an ISO 8601 datetime: \(why)", at: node)
            }
            return nil
        case .null where nullable: return .some(nil)
        case .null:
            report(.nullNotAllowed, "`\(what)` cannot be null", at: node)
            return nil
        default:
            report(.typeMismatch, "`\(what)` must be a datetime such as 2026-10-01T09:00:00Z, but this is \(describe(node))", at: node)
            return nil
        }
    }

    static func zoneExample(_ text: String) -> String {
        text.count == 10 ? "\(text)T00:00:00Z" : "\(text)Z"
    }

    /// A list of positive 64-bit ids.
    ///
    /// Every bad item is reported with `code`; duplicates warn.
    mutating func ids(_ node: YAMLNode, what: String, code: DiagnosticCode) -> [Located<Int64>]? {
        guard case .sequence(let items) = node.content else {
            if case .null? = resolve(node) {
                report(.typeMismatch, "`\(what)` must be a list of ids; write `[]` for an empty list", at: node)
            } else {
                report(.typeMismatch, "`\(what)` must be a list of ids, but this is \(describe(node))", at: node)
            }
            return nil
        }
        var result: [Located<Int64>] = []
        result.reserveCapacity(items.count)
        var firstSeen: [Int64: Int] = [:]
        firstSeen.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let value = Self.plainPositiveID(item) ?? id(item, what: what, code: code) else { continue }
            if let first = firstSeen[value] {
                report(
                    .duplicateVariant, "id \(value) appears twice in `\(what)`", at: item,
                    notes: [DiagnosticNote("first listed here", at: location(items[first]))])
                continue
            }
            firstSeen[value] = index
            result.append(Located(value, at: location(item)))
        }
        return result
    }

    /// A list of variant selectors: ids, `sku:VALUE`, `barcode:VALUE` or `product:HANDLE` (also
    /// written as a one-key mapping, `{sku: VALUE}`, which is what YAML makes of `sku: VALUE`).
    ///
    /// Every bad item is reported with `code`; the same selector twice warns.
    mutating func selectors(_ node: YAMLNode, what: String, code: DiagnosticCode) -> [Located<VariantSelector>]? {
        guard case .sequence(let items) = node.content else {
            if case .null? = resolve(node) {
                report(.typeMismatch, "`\(what)` must be a list of variants; write `[]` for an empty list", at: node)
            } else {
                report(
                    .typeMismatch, "`\(what)` must be a list of variants (ids, sku:…, barcode:…, product:…), but this is \(describe(node))",
                    at: node)
            }
            return nil
        }
        var result: [Located<VariantSelector>] = []
        result.reserveCapacity(items.count)
        var firstSeen: [VariantSelector: Int] = [:]
        firstSeen.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let selector: VariantSelector
            if let value = Self.plainPositiveID(item) {
                selector = .id(value)
            } else {
                switch name(item, what: what, code: code) {
                case .selector(let named): selector = named
                case .reported: continue
                case .notAName:
                    guard let value = id(item, what: what, code: code) else { continue }
                    selector = .id(value)
                }
            }
            if let first = firstSeen[selector] {
                report(
                    .duplicateVariant, "\(selector.isName ? "`\(selector)`" : "id \(selector)") appears twice in `\(what)`", at: item,
                    notes: [DiagnosticNote("first listed here", at: location(items[first]))])
                continue
            }
            firstSeen[selector] = index
            result.append(Located(selector, at: location(item)))
        }
        return result
    }

    /// What reading an item as a variant name found.
    enum NameRead {
        /// Not written as a name (the id path reads and reports it).
        case notAName
        /// A malformed name, reported.
        case reported
        /// A name.
        case selector(VariantSelector)
    }

    /// The variant name `item` writes (`sku:TEE-S`, or the mapping `{sku: TEE-S}`).
    mutating func name(_ item: YAMLNode, what: String, code: DiagnosticCode) -> NameRead {
        let kindText: String
        let valueNode: YAMLNode
        let valueText: String?
        switch item.content {
        case .mapping(let pairs):
            guard pairs.count == 1, let key = pairs[0].key.scalar?.text else { return .notAName }
            kindText = key
            valueNode = pairs[0].value
            switch resolve(valueNode) {
            case .string(let s)?, .integer(let s)?, .decimal(let s)?: valueText = s
            default: valueText = nil
            }
        case .scalar(let scalar):
            guard item.tag == nil, case .string(let text)? = resolve(item), let split = VariantSelector.splitAtColon(text) else {
                return .notAName
            }
            _ = scalar
            kindText = split.kind
            valueNode = item
            valueText = split.value
        case .sequence:
            return .notAName
        }
        let kinds = VariantSelector.Kind.allCases.map(\.rawValue)
        guard let kind = VariantSelector.Kind(rawValue: kindText) else {
            report(
                code,
                "`\(kindText):` in `\(what)` is not a kind of variant name; write an id, or one of \(kinds.map { "`\($0):`" }.joined(separator: ", "))\(Suggest.hint(for: kindText, in: kinds))",
                at: item)
            return .reported
        }
        guard let value = valueText else {
            report(code, "`\(kind.rawValue):` in `\(what)` needs a value, such as `\(kind.rawValue):\(kind.example)`", at: item)
            return .reported
        }
        switch VariantSelector.valueProblem(value) {
        case nil: break
        case .empty:
            report(code, "`\(kind.rawValue):` in `\(what)` needs a value, such as `\(kind.rawValue):\(kind.example)`", at: item)
            return .reported
        case .edgeSpace:
            report(
                code,
                "`\(kind.rawValue):` in `\(what)` has a value with a leading or trailing space; Shopify keeps SKUs, barcodes and handles without them, so this would match nothing",
                at: valueNode)
            return .reported
        case .forbidden(let bad):
            report(
                code,
                "`\(kind.rawValue):` in `\(what)` holds the character U+\(String(bad.value, radix: 16, uppercase: true)), which no name may hold",
                at: valueNode)
            return .reported
        }
        if kind == .product, value.unicodeScalars.contains(where: { $0.properties.isWhitespace || ($0.properties.isUppercase) }) {
            report(
                code,
                "`product:\(value)` in `\(what)` is not a product handle: handles are lowercase, without spaces (such as `product:fall-tee`)",
                at: valueNode)
            return .reported
        }
        return .selector(VariantSelector(kind, value))
    }

    /// Fast path for the common case, a plain untagged scalar of decimal digits that fits in a
    /// positive Int64; nil sends the item through the general (diagnosing) path.
    static func plainPositiveID(_ item: YAMLNode) -> Int64? {
        guard item.tag == nil, case .scalar(let scalar) = item.content, scalar.style == .plain else { return nil }
        var value: Int64 = 0
        var count = 0
        for byte in scalar.text.utf8 {
            guard byte >= 0x30, byte <= 0x39, count < 18 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
            count += 1
        }
        return value > 0 ? value : nil
    }

    /// One positive 64-bit id.
    mutating func id(_ item: YAMLNode, what: String, code: DiagnosticCode) -> Int64? {
        guard let resolved = resolve(item) else {
            report(code, "`\(what)` holds \(describe(item)); ids are positive whole numbers", at: item)
            return nil
        }
        switch resolved {
        case .integer(let text):
            guard let v = Int64(text) else {
                report(code, "\(text) in `\(what)` does not fit in a 64-bit id", at: item)
                return nil
            }
            guard v > 0 else {
                report(code, "\(text) in `\(what)` is not a positive id", at: item)
                return nil
            }
            return v
        case .string(let s) where item.scalar?.style != .plain && Int64(s) != nil:
            report(code, "\"\(s)\" in `\(what)` is quoted; write ids as bare numbers", at: item)
            return nil
        default:
            report(code, "`\(what)` holds \(describe(item)); ids are positive whole numbers", at: item)
            return nil
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return Substring(scalars[start...end])
    }
}

/// The problems of one file as they are reported: the first ``Diagnostics/perFile`` listed, the
/// rest counted without building their messages.
final class DiagnosticSink {
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var errorCount = 0
    private var unlisted = 0
    private var unlistedErrors = 0
    private var firstUnlisted: SourceLocation?

    /// Adds a problem (`message` and `notes` are built only when it is listed).
    func add(
        _ code: DiagnosticCode, _ message: @autoclosure () -> String, at location: @autoclosure () -> SourceLocation,
        notes: @autoclosure () -> [DiagnosticNote] = []
    ) {
        let isError = code.defaultSeverity == .error
        if isError { errorCount += 1 }
        guard diagnostics.count < Diagnostics.perFile else {
            unlisted += 1
            if isError { unlistedErrors += 1 }
            if firstUnlisted == nil { firstUnlisted = location() }
            return
        }
        diagnostics.append(Diagnostic(code, Diagnostics.shortened(message()), at: location(), notes: notes()))
    }

    /// The `more-problems` diagnostic for what was not listed, if anything.
    var unlistedSummary: Diagnostic? {
        guard unlisted > 0 else { return nil }
        return Diagnostics.more(unlisted, errors: unlistedErrors, at: firstUnlisted, scope: "in this file")
    }
}
