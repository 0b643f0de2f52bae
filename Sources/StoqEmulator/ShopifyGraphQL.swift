import StoqWire

/// The part of Shopify's Admin GraphQL API stoqctl reads: `nodes(ids:)` on variants, products
/// and collections, `product(id:)`, and the `productVariants`, `products` and `collections`
/// connections with Shopify's search syntax, with Shopify's response shape, its calculated query
/// cost and leaky-bucket throttling (`ShopifyQuery.swift` checks and costs a query,
/// `ShopifyExecution.swift` answers it).
///
/// The document is parsed for real (a small GraphQL lexer and parser), so a malformed query gets
/// a GraphQL error with its position, and a query for a field the emulator does not serve gets
/// Shopify's "doesn't exist on type" error rather than a silent answer.
enum ShopifyGraphQL {
    /// Most ids one `nodes` argument takes (Shopify's input array limit).
    static let maxInputSize = 250
    /// Most points one query may cost.
    static let maxQueryCost = 1_000

    /// A GraphQL error: message, position, and Shopify's error code.
    struct Failure: Error {
        var message: String
        var line: Int? = nil
        var column: Int? = nil
        var code: String? = nil

        var json: JSONValue {
            var members: [(String, JSONValue)] = [("message", .string(message))]
            if let line, let column {
                members.append(("locations", .array([.object([("line", .integer(Int64(line))), ("column", .integer(Int64(column)))])])))
            }
            if let code { members.append(("extensions", .object([("code", .string(code))]))) }
            return .object(members)
        }
    }

    // MARK: Lexing

    enum TokenKind: Equatable {
        case name(String)
        case punct(String)
        case string(String)
        case number(String)
        case end
    }

    struct Token {
        var kind: TokenKind
        var line: Int
        var column: Int

        var text: String {
            switch kind {
            case .name(let s), .punct(let s), .number(let s): s
            case .string(let s): "\"\(s)\""
            case .end: "end of file"
            }
        }
    }

    static func lex(_ source: String) throws(Failure) -> [Token] {
        var lexer = Lexer(chars: Array(source.unicodeScalars))
        return try lexer.tokens()
    }

    /// Splits a document into tokens, counting lines and columns from 1.
    struct Lexer {
        let chars: [Unicode.Scalar]
        var i = 0
        var line = 1
        var column = 1

        mutating func advance() {
            if chars[i] == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += 1
        }

        /// Every token, then `.end`.
        mutating func tokens() throws(Failure) -> [Token] {
            var tokens: [Token] = []
            while i < chars.count {
                let c = chars[i]
                if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "," || c == "\u{FEFF}" {
                    advance()
                    continue
                }
                if c == "#" {
                    while i < chars.count, chars[i] != "\n" { advance() }
                    continue
                }
                let (startLine, startColumn) = (line, column)
                let kind: TokenKind
                if c == "." {
                    kind = try spread()
                } else if "{}()[]:!$=@|&".unicodeScalars.contains(c) {
                    advance()
                    kind = .punct(String(c))
                } else if c == "\"" {
                    kind = try string()
                } else if c == "-" || Self.isDigit(c) {
                    kind = .number(take { $0 == "-" || $0 == "." || Self.isDigit($0) })
                } else if Self.isNameStart(c) {
                    kind = .name(take { Self.isNameStart($0) || Self.isDigit($0) })
                } else {
                    throw Failure(message: "Parse error on \"\(c)\" at [\(line), \(column)]", line: line, column: column)
                }
                tokens.append(Token(kind: kind, line: startLine, column: startColumn))
            }
            tokens.append(Token(kind: .end, line: line, column: column))
            return tokens
        }

        static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }

        static func isNameStart(_ c: Unicode.Scalar) -> Bool {
            c == "_" || (c.value >= 65 && c.value <= 90) || (c.value >= 97 && c.value <= 122)
        }

        /// The scalars from here on that `belongs` accepts.
        mutating func take(while belongs: (Unicode.Scalar) -> Bool) -> String {
            var text = ""
            while i < chars.count, belongs(chars[i]) {
                text.unicodeScalars.append(chars[i])
                advance()
            }
            return text
        }

        /// `...` (a lone `.` is an error).
        mutating func spread() throws(Failure) -> TokenKind {
            guard i + 2 < chars.count, chars[i + 1] == ".", chars[i + 2] == "." else {
                throw Failure(message: "Parse error on \".\" at [\(line), \(column)]", line: line, column: column)
            }
            advance()
            advance()
            advance()
            return .punct("...")
        }

        /// A quoted string on one line, with its escapes resolved.
        mutating func string() throws(Failure) -> TokenKind {
            let (startLine, startColumn) = (line, column)
            advance()
            var value = ""
            while i < chars.count {
                let d = chars[i]
                if d == "\"" {
                    advance()
                    return .string(value)
                }
                if d == "\n" { break }
                if d == "\\", i + 1 < chars.count {
                    advance()
                    let e = chars[i]
                    switch e {
                    case "n": value += "\n"
                    case "t": value += "\t"
                    default: value.unicodeScalars.append(e)
                    }
                    advance()
                    continue
                }
                value.unicodeScalars.append(d)
                advance()
            }
            throw Failure(
                message: "Parse error on unterminated string at [\(startLine), \(startColumn)]", line: startLine, column: startColumn)
        }
    }

    // MARK: Parsing

    /// `$name: Type = default` in an operation's header.
    struct VariableDefinition {
        var name: String
        var type: String
        var defaultValue: Value?
        var line: Int
        var column: Int
    }

    indirect enum Value {
        case variable(String)
        case string(String)
        case list([Value])
        case other(String)
    }

    struct Field {
        var alias: String?
        var name: String
        var arguments: [(String, Value)]
        var selections: [Selection]
        var line: Int
        var column: Int
        var key: String { alias ?? name }
    }

    enum Selection {
        case field(Field)
        case fragment(typeCondition: String, selections: [Selection], line: Int, column: Int)
    }

    struct Parser {
        var tokens: [Token]
        var index = 0

        var current: Token { tokens[index] }

        func unexpected() -> Failure {
            Failure(
                message: "Parse error on \"\(current.text)\" at [\(current.line), \(current.column)]", line: current.line,
                column: current.column)
        }

        mutating func expect(_ punct: String) throws(Failure) {
            guard current.kind == .punct(punct) else { throw unexpected() }
            index += 1
        }

        mutating func name() throws(Failure) -> String {
            guard case .name(let n) = current.kind else { throw unexpected() }
            index += 1
            return n
        }

        /// `query Name($ids: [ID!]!) { … }` or `{ … }`: the root selections, the operation's
        /// name and its variable definitions.
        mutating func document() throws(Failure) -> (selections: [Selection], name: String?, variables: [VariableDefinition]) {
            var variables: [VariableDefinition] = []
            var operation: String?
            if case .name(let keyword) = current.kind {
                guard keyword == "query" else {
                    throw Failure(
                        message: keyword == "mutation"
                            ? "this emulator serves queries only, not mutations"
                            : "Parse error on \"\(keyword)\" at [\(current.line), \(current.column)]",
                        line: current.line, column: current.column)
                }
                index += 1
                if case .name(let n) = current.kind {
                    operation = n
                    index += 1
                }
                if current.kind == .punct("(") {
                    index += 1
                    while current.kind != .punct(")") {
                        let (line, column) = (current.line, current.column)
                        try expect("$")
                        let name = try name()
                        try expect(":")
                        let type = try type()
                        var defaultValue: Value?
                        if current.kind == .punct("=") {
                            index += 1
                            defaultValue = try value()
                        }
                        variables.append(VariableDefinition(name: name, type: type, defaultValue: defaultValue, line: line, column: column))
                    }
                    index += 1
                }
            }
            let selections = try selectionSet()
            guard current.kind == .end else { throw unexpected() }
            return (selections, operation, variables)
        }

        /// A type reference, as written: `String`, `ID!`, `[ID!]!`.
        mutating func type() throws(Failure) -> String {
            var text: String
            if current.kind == .punct("[") {
                index += 1
                text = "[" + (try type())
                try expect("]")
                text += "]"
            } else {
                text = try name()
            }
            if current.kind == .punct("!") {
                index += 1
                text += "!"
            }
            return text
        }

        mutating func selectionSet() throws(Failure) -> [Selection] {
            try expect("{")
            var out: [Selection] = []
            while current.kind != .punct("}") {
                if current.kind == .end { throw unexpected() }
                if current.kind == .punct("...") {
                    let line = current.line
                    let column = current.column
                    index += 1
                    guard try name() == "on" else { throw unexpected() }
                    let type = try name()
                    out.append(.fragment(typeCondition: type, selections: try selectionSet(), line: line, column: column))
                    continue
                }
                let line = current.line
                let column = current.column
                var fieldName = try name()
                var alias: String?
                if current.kind == .punct(":") {
                    index += 1
                    alias = fieldName
                    fieldName = try name()
                }
                var arguments: [(String, Value)] = []
                if current.kind == .punct("(") {
                    index += 1
                    while current.kind != .punct(")") {
                        let argument = try name()
                        try expect(":")
                        arguments.append((argument, try value()))
                    }
                    index += 1
                }
                let nested = current.kind == .punct("{") ? try selectionSet() : []
                out.append(
                    .field(Field(alias: alias, name: fieldName, arguments: arguments, selections: nested, line: line, column: column)))
            }
            index += 1
            return out
        }

        mutating func value() throws(Failure) -> Value {
            switch current.kind {
            case .punct("$"):
                index += 1
                return .variable(try name())
            case .punct("["):
                index += 1
                var items: [Value] = []
                while current.kind != .punct("]") {
                    if current.kind == .end { throw unexpected() }
                    items.append(try value())
                }
                index += 1
                return .list(items)
            case .string(let s):
                index += 1
                return .string(s)
            case .number(let n), .name(let n):
                index += 1
                return .other(n)
            default:
                throw unexpected()
            }
        }
    }
}
