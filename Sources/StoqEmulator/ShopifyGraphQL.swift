import StoqWire

/// The part of Shopify's Admin GraphQL API stoqctl reads: `nodes(ids:)` with
/// `... on ProductVariant { id inventoryPolicy }`, with Shopify's response shape, its calculated
/// query cost and leaky-bucket throttling.
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

        /// `query Name($ids: [ID!]!) { … }` or `{ … }`; returns the root selections and the
        /// declared variable names.
        mutating func document() throws(Failure) -> (selections: [Selection], variables: [String]) {
            var variables: [String] = []
            if case .name(let keyword) = current.kind {
                guard keyword == "query" else {
                    throw Failure(
                        message: keyword == "mutation"
                            ? "this emulator serves queries only, not mutations"
                            : "Parse error on \"\(keyword)\" at [\(current.line), \(current.column)]",
                        line: current.line, column: current.column)
                }
                index += 1
                if case .name = current.kind { index += 1 }
                if current.kind == .punct("(") {
                    index += 1
                    while current.kind != .punct(")") {
                        try expect("$")
                        variables.append(try name())
                        try expect(":")
                        try type()
                        if current.kind == .punct("=") {
                            index += 1
                            _ = try value()
                        }
                    }
                    index += 1
                }
            }
            let selections = try selectionSet()
            guard current.kind == .end else { throw unexpected() }
            return (selections, variables)
        }

        mutating func type() throws(Failure) {
            if current.kind == .punct("[") {
                index += 1
                try type()
                try expect("]")
            } else {
                _ = try name()
            }
            if current.kind == .punct("!") { index += 1 }
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

    // MARK: Executing

    /// What a query asks for: each `nodes` field with its ids, and the selections to answer.
    struct Query {
        var fields: [(field: Field, ids: [String])]
        var requestedCost: Int
    }

    /// Parses and checks `source` with `variables`.
    static func prepare(_ source: String, variables: JSONValue?) throws(Failure) -> Query {
        var parser = Parser(tokens: try lex(source))
        let (selections, declared) = try parser.document()
        var fields: [(Field, [String])] = []
        for selection in selections {
            guard case .field(let field) = selection else {
                throw Failure(message: "Fragments on the query root are not supported by this emulator", code: "unsupportedQuery")
            }
            if field.name == "__typename" { continue }
            guard field.name == "nodes" else {
                throw Failure(
                    message: "Field '\(field.name)' doesn't exist on type 'QueryRoot'", line: field.line, column: field.column,
                    code: "undefinedField")
            }
            guard let argument = field.arguments.first(where: { $0.0 == "ids" })?.1 else {
                throw Failure(
                    message: "Field 'nodes' is missing required arguments: ids", line: field.line, column: field.column,
                    code: "missingRequiredArguments")
            }
            let ids: [String]
            switch argument {
            case .variable(let name):
                guard declared.contains(name) else {
                    throw Failure(
                        message: "Variable $\(name) is used by anonymous query but not declared", line: field.line, column: field.column,
                        code: "variableNotDefined")
                }
                guard let items = variables?[name]?.arrayValue else {
                    throw Failure(message: "Variable $\(name) of type [ID!]! was provided invalid value", code: "INVALID_VARIABLE")
                }
                ids = try items.map { item throws(Failure) -> String in
                    guard let s = item.stringValue else {
                        throw Failure(message: "Variable $\(name) of type [ID!]! was provided invalid value", code: "INVALID_VARIABLE")
                    }
                    return s
                }
            case .list(let items):
                ids = try items.map { item throws(Failure) -> String in
                    guard case .string(let s) = item else {
                        throw Failure(
                            message: "Argument 'ids' on Field 'nodes' has an invalid value", line: field.line, column: field.column,
                            code: "argumentLiteralsIncompatible")
                    }
                    return s
                }
            default:
                throw Failure(
                    message: "Argument 'ids' on Field 'nodes' has an invalid value", line: field.line, column: field.column,
                    code: "argumentLiteralsIncompatible")
            }
            guard ids.count <= maxInputSize else {
                throw Failure(
                    message: "The input array size of \(ids.count) is greater than the maximum allowed of \(maxInputSize).",
                    line: field.line,
                    column: field.column, code: "MAX_INPUT_SIZE_EXCEEDED")
            }
            try checkNodeSelections(field.selections)
            fields.append((field, ids))
        }
        let cost = max(1, fields.reduce(0) { $0 + $1.1.count })
        guard cost <= maxQueryCost else {
            throw Failure(
                message: "Query cost is \(cost), which exceeds the single query max cost limit (\(maxQueryCost)).",
                code: "MAX_COST_EXCEEDED")
        }
        return Query(fields: fields, requestedCost: cost)
    }

    /// Fields a node (any type) has, and those of a ProductVariant this emulator serves.
    static let nodeFields: Set<String> = ["id", "__typename"]
    static let variantFields: Set<String> = ["id", "__typename", "inventoryPolicy", "legacyResourceId"]

    static func checkNodeSelections(_ selections: [Selection]) throws(Failure) {
        for selection in selections {
            switch selection {
            case .field(let f) where !nodeFields.contains(f.name):
                throw Failure(
                    message: "Field '\(f.name)' doesn't exist on type 'Node'", line: f.line, column: f.column, code: "undefinedField")
            case .field:
                continue
            case .fragment(let type, let inner, let line, let column):
                guard type == "ProductVariant" || type == "Node" else {
                    throw Failure(
                        message: "This emulator serves ProductVariant nodes only, not \(type)", line: line, column: column,
                        code: "unsupportedType")
                }
                for case .field(let f) in inner where !(type == "Node" ? nodeFields : variantFields).contains(f.name) {
                    throw Failure(
                        message: "Field '\(f.name)' doesn't exist on type '\(type)'", line: f.line, column: f.column, code: "undefinedField"
                    )
                }
            }
        }
    }

    /// The variant id of `gid://shopify/ProductVariant/N`, nil for any other global id; throws for
    /// text that is not a global id.
    static func variantID(_ gid: String) throws(Failure) -> Int64? {
        guard gid.hasPrefix("gid://shopify/"), let slash = gid.lastIndex(of: "/") else {
            throw Failure(message: "Invalid global id '\(gid)'", code: "argumentLiteralsIncompatible")
        }
        let type = gid.dropFirst("gid://shopify/".count).prefix { $0 != "/" }
        guard let id = Int64(gid[gid.index(after: slash)...]), id > 0 else {
            throw Failure(message: "Invalid global id '\(gid)'", code: "argumentLiteralsIncompatible")
        }
        return type == "ProductVariant" ? id : nil
    }

    /// The answer for a node that exists and is not a variant: the fields selected on any node
    /// (`id`, `__typename`), none of a `ProductVariant` fragment; `{}` when only those are asked.
    static func otherNode(_ gid: String, selections: [Selection]) -> JSONValue {
        let typename = String(gid.split(separator: "/").dropLast().last ?? "")
        var members: [(String, JSONValue)] = []
        func add(_ fields: [Selection]) {
            for selection in fields {
                switch selection {
                case .field(let f) where f.name == "id" || f.name == "__typename":
                    let value = JSONValue.string(f.name == "id" ? gid : typename)
                    if !members.contains(where: { $0.0 == f.key }) { members.append((f.key, value)) }
                case .field: continue
                case .fragment(let type, let inner, _, _) where type == "Node": add(inner)
                case .fragment: continue
                }
            }
        }
        add(selections)
        return .object(members)
    }

    /// The answer for one node: its selected fields, or nil for an unknown id.
    static func node(_ gid: String, policy: String?, selections: [Selection]) -> JSONValue {
        guard let policy else { return .null }
        var members: [(String, JSONValue)] = []
        func add(_ fields: [Selection]) {
            for selection in fields {
                switch selection {
                case .field(let f):
                    let value: JSONValue
                    switch f.name {
                    case "id": value = .string(gid)
                    case "__typename": value = .string("ProductVariant")
                    case "inventoryPolicy": value = .string(policy)
                    case "legacyResourceId": value = .string(String(gid.split(separator: "/").last ?? ""))
                    default: continue
                    }
                    if !members.contains(where: { $0.0 == f.key }) { members.append((f.key, value)) }
                case .fragment(_, let inner, _, _):
                    add(inner)
                }
            }
        }
        add(selections)
        return .object(members)
    }
}
