/// The part of Shopify's search syntax (the `query` argument of `productVariants`, `products` and
/// `collections`) the emulator serves: terms `field:value` or `field:"quoted value"` (inside
/// quotes `\"` is a quote and `\\` a backslash), joined by `OR`; terms side by side (or joined by
/// `AND`) must all match.
///
/// Matching is Shopify's, emulated: case-insensitive and tokenised. The value and the indexed
/// text are lowercased and split into tokens on every character that is not a letter or digit; a
/// term matches when the value's tokens occur as a contiguous run in the text's tokens, so
/// `sku:"TEE-BLK"` matches `TEE-BLK-S`.
struct SearchQuery: Sendable {
    struct Term: Sendable, Equatable {
        let field: String
        let value: String
        /// The value's tokens (see ``SearchQuery/tokens(_:)``), read once.
        let tokens: [String]

        init(field: String, value: String) {
            self.field = field
            self.value = value
            self.tokens = SearchQuery.tokens(value)
        }
    }

    /// Alternatives (joined by `OR`), each a list of terms that must all match.
    var alternatives: [[Term]]

    /// True for an empty query: everything matches.
    var matchesEverything: Bool { alternatives.allSatisfy(\.isEmpty) }

    init(alternatives: [[Term]]) { self.alternatives = alternatives }

    /// Reads `text`; this never fails (as Shopify's search does not: an odd query finds nothing).
    init(parsing text: String) {
        var scanner = Scanner(chars: Array(text.unicodeScalars))
        var alternatives: [[Term]] = [[]]
        while let word = scanner.next() {
            switch word {
            case .or: alternatives.append([])
            case .and: continue
            case .term(let term): alternatives[alternatives.count - 1].append(term)
            }
        }
        self.alternatives = alternatives.filter { !$0.isEmpty }
    }

    /// Whether a thing with these searchable `fields` (lowercase field name to indexed text)
    /// matches: `exact` fields compare whole values, the others are tokenised.
    func matches(_ fields: (String) -> String?, exact: Set<String> = []) -> Bool {
        if matchesEverything { return true }
        // A field's text is tokenised once per candidate, not once per term that names it.
        var tokenised: [String: [String]] = [:]
        return alternatives.contains { terms in
            terms.allSatisfy { term in
                let field = term.field.lowercased()
                guard let text = fields(field) else { return false }
                if exact.contains(field) { return text == term.value }
                if tokenised[field] == nil { tokenised[field] = Self.tokens(text) }
                return Self.contains(tokenised[field] ?? [], run: term.tokens)
            }
        }
    }

    /// The fields used that are not among `known`, in order of appearance.
    func unknownFields(_ known: Set<String>) -> [String] {
        var seen: [String] = []
        for term in alternatives.joined() where !known.contains(term.field.lowercased()) && !seen.contains(term.field) {
            seen.append(term.field)
        }
        return seen
    }

    /// `text` lowercased and split on every character that is not a letter or digit.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for c in text.lowercased() {
            if c.isLetter || c.isNumber {
                current.append(c)
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// Whether `run` (not empty) occurs contiguously in `tokens`.
    static func contains(_ tokens: [String], run: [String]) -> Bool {
        guard !run.isEmpty, run.count <= tokens.count else { return false }
        for start in 0...(tokens.count - run.count) where Array(tokens[start..<(start + run.count)]) == run { return true }
        return false
    }

    private enum Word {
        case or, and
        case term(Term)
    }

    private struct Scanner {
        let chars: [Unicode.Scalar]
        var i = 0

        static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }

        /// The next word, nil at the end.
        mutating func next() -> Word? {
            while i < chars.count, Self.isSpace(chars[i]) { i += 1 }
            guard i < chars.count else { return nil }
            var field = ""
            while i < chars.count, !Self.isSpace(chars[i]), chars[i] != ":", chars[i] != "\"" {
                field.unicodeScalars.append(chars[i])
                i += 1
            }
            guard i < chars.count, chars[i] == ":" else {
                if field == "OR" { return .or }
                if field == "AND" { return .and }
                // A bare word or a quoted phrase: a search of no field (none of the emulator's).
                return .term(Term(field: "", value: field.isEmpty ? quotedOrBare() : field))
            }
            i += 1
            return .term(Term(field: field, value: quotedOrBare()))
        }

        /// A quoted value (to its closing quote or the end) or a bare one (to the next space).
        mutating func quotedOrBare() -> String {
            var value = ""
            guard i < chars.count, chars[i] == "\"" else {
                while i < chars.count, !Self.isSpace(chars[i]) {
                    value.unicodeScalars.append(chars[i])
                    i += 1
                }
                return value
            }
            i += 1
            while i < chars.count, chars[i] != "\"" {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                value.unicodeScalars.append(chars[i])
                i += 1
            }
            i += 1
            return value
        }
    }
}
