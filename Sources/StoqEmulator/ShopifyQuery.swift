import StoqWire

// The emulator's slice of Shopify's Admin schema, the checks a query passes before it is answered
// (fields, arguments, variables, limits) and its requested cost.
extension ShopifyGraphQL {
    /// What a field returns.
    enum Kind: Equatable {
        case scalar
        /// One object of the type (null when it does not exist).
        case object(String)
        /// A connection of the node type: `first`, `after`, and (at the root) `query`.
        case connection(String)
        /// `nodes` or `edges` of a connection: one object per item of the page.
        case list(String)
        /// `nodes(ids:)`: one node (of any type) or null per id.
        case nodeList
    }

    struct FieldDefinition {
        var kind: Kind
        /// Argument name to type, as GraphQL writes it (`[ID!]!`).
        var arguments: [String: String] = [:]
    }

    /// Types a node can be that the emulator answers fragments on.
    static let nodeTypes = ["ProductVariant", "Product", "Collection"]

    /// Every type the emulator serves, with its fields.
    static let schema: [String: [String: FieldDefinition]] = {
        let scalar = FieldDefinition(kind: .scalar)
        let search = ["first": "Int", "after": "String", "query": "String"]
        var types: [String: [String: FieldDefinition]] = [
            "QueryRoot": [
                "nodes": FieldDefinition(kind: .nodeList, arguments: ["ids": "[ID!]!"]),
                "productVariants": FieldDefinition(kind: .connection("ProductVariant"), arguments: search),
                "products": FieldDefinition(kind: .connection("Product"), arguments: search),
                "collections": FieldDefinition(kind: .connection("Collection"), arguments: search),
                "product": FieldDefinition(kind: .object("Product"), arguments: ["id": "ID!"]),
                "shop": FieldDefinition(kind: .object("Shop")),
            ],
            "Shop": ["id": scalar, "name": scalar, "myshopifyDomain": scalar],
            "Node": ["id": scalar],
            "ProductVariant": [
                "id": scalar, "sku": scalar, "barcode": scalar, "title": scalar, "displayName": scalar, "inventoryPolicy": scalar,
                "legacyResourceId": scalar, "product": FieldDefinition(kind: .object("Product")),
            ],
            "Product": [
                "id": scalar, "handle": scalar, "title": scalar, "status": scalar, "legacyResourceId": scalar,
                "variants": FieldDefinition(kind: .connection("ProductVariant"), arguments: ["first": "Int", "after": "String"]),
            ],
            "Collection": ["id": scalar, "handle": scalar, "title": scalar, "legacyResourceId": scalar],
            "PageInfo": ["hasNextPage": scalar, "hasPreviousPage": scalar, "startCursor": scalar, "endCursor": scalar],
        ]
        for node in nodeTypes {
            types[node + "Connection"] = [
                "nodes": FieldDefinition(kind: .list(node)), "edges": FieldDefinition(kind: .list(node + "Edge")),
                "pageInfo": FieldDefinition(kind: .object("PageInfo")),
            ]
            types[node + "Edge"] = ["cursor": scalar, "node": FieldDefinition(kind: .object(node))]
        }
        for name in types.keys { types[name]?["__typename"] = scalar }
        return types
    }()

    /// Points one object of `type` costs: 1 for a node (variant, product, collection) and for the
    /// shop, nothing for connections, edges and page info.
    static func objectCost(_ type: String) -> Int { nodeTypes.contains(type) || type == "Node" || type == "Shop" ? 1 : 0 }

    /// Whether a fragment on `condition` applies where an object of `type` is.
    static func applies(_ condition: String, to type: String) -> Bool {
        condition == type || (condition == "Node" && nodeTypes.contains(type))
    }

    // MARK: Checked queries

    /// A field that passed the checks, its arguments read.
    struct CheckedField {
        var key: String
        var name: String
        var kind: Kind
        var selections: [CheckedSelection] = []
        /// `nodes(ids:)`.
        var ids: [String] = []
        /// `product(id:)`.
        var id: String?
        /// Connections.
        var first = 0
        var after: Cursor?
        var search: SearchQuery?
    }

    indirect enum CheckedSelection {
        case field(CheckedField)
        case fragment(String, [CheckedSelection])
    }

    /// What a query asks for, checked, and what it may cost.
    struct Query {
        var fields: [CheckedSelection]
        var requestedCost: Int
        /// Shopify's `extensions.search` entries: search fields it does not know.
        var searchWarnings: [JSONValue] = []
    }

    /// Parses and checks `source` with `variables`.
    static func prepare(_ source: String, variables: JSONValue?) throws(Failure) -> Query {
        var parser = Parser(tokens: try lex(source))
        let (selections, operation, definitions) = try parser.document()
        var checker = Checker(operation: operation, definitions: definitions, variables: variables ?? .object([]))
        try checker.checkDefinitions()
        let fields = try checker.check(selections, on: "QueryRoot")
        try checker.checkAllUsed()
        let cost = max(1, requestedCost(fields, on: "QueryRoot", pageSize: 0))
        guard cost <= maxQueryCost else {
            throw Failure(
                message: "Query cost is \(cost), which exceeds the single query max cost limit (\(maxQueryCost)).",
                code: "MAX_COST_EXCEEDED")
        }
        return Query(fields: fields, requestedCost: cost, searchWarnings: checker.searchWarnings)
    }

    /// The requested cost of `selections` on one object of `type`, not counting the object itself.
    ///
    /// An object field costs its object and what is selected in it; a connection 2, plus `first`
    /// times what one of its objects costs; `nodes(ids:)` one node per id. Scalars are free; on a
    /// node of any type the dearest type counts.
    static func requestedCost(_ selections: [CheckedSelection], on type: String, pageSize: Int) -> Int {
        if type == "Node" { return nodeTypes.map { requestedCost(selections, on: $0, pageSize: pageSize) }.max() ?? 0 }
        var cost = 0
        for selection in selections {
            switch selection {
            case .fragment(let condition, let inner):
                if applies(condition, to: type) { cost += requestedCost(inner, on: type, pageSize: pageSize) }
            case .field(let f):
                switch f.kind {
                case .scalar: continue
                case .object(let t): cost += objectCost(t) + requestedCost(f.selections, on: t, pageSize: pageSize)
                case .connection(let t): cost += 2 + requestedCost(f.selections, on: t + "Connection", pageSize: f.first)
                case .list(let t): cost += pageSize * (objectCost(t) + requestedCost(f.selections, on: t, pageSize: pageSize))
                case .nodeList: cost += f.ids.count * (1 + requestedCost(f.selections, on: "Node", pageSize: 0))
                }
            }
        }
        return cost
    }

    /// A page position: the last item's id and sort value, as Shopify's cursors hold them.
    struct Cursor: Equatable {
        var lastID: Int64
        var lastValue: Int64

        /// The opaque text handed out as `endCursor` (Base64 of a small JSON object).
        var text: String { Base64.encode(Array(#"{"last_id":\#(lastID),"last_value":"\#(lastValue)"}"#.utf8)) }

        init(lastID: Int64, lastValue: Int64) {
            self.lastID = lastID
            self.lastValue = lastValue
        }

        /// The cursor `text` stands for, nil when it is not one this emulator issued.
        init?(_ text: String) {
            guard let bytes = Base64.decode(text), let json = try? JSONValue.parse(bytes), let id = json["last_id"]?.int64Value,
                let value = json["last_value"]?.stringValue.flatMap({ Int64($0) })
            else { return nil }
            self.init(lastID: id, lastValue: value)
        }
    }
}

/// Checks a parsed document against the schema and reads its arguments.
struct Checker {
    typealias Failure = ShopifyGraphQL.Failure
    typealias Value = ShopifyGraphQL.Value
    var operation: String?
    var definitions: [ShopifyGraphQL.VariableDefinition]
    var variables: JSONValue
    var used: Set<String> = []
    var searchWarnings: [JSONValue] = []

    /// Input types a variable may have.
    static let inputTypes: Set<String> = ["String", "ID", "Int", "Boolean"]

    /// Each declared variable: a known type, declared once, and a value of that type.
    func checkDefinitions() throws(Failure) {
        var seen: Set<String> = []
        for d in definitions {
            guard seen.insert(d.name).inserted else {
                throw Failure(
                    message: "There can only be one variable named \"\(d.name)\"", line: d.line, column: d.column,
                    code: "variableNotUnique")
            }
            let base = d.type.filter { $0 != "[" && $0 != "]" && $0 != "!" }
            guard Self.inputTypes.contains(base) else {
                throw Failure(
                    message: "\(base) isn't a defined input type (on $\(d.name))", line: d.line, column: d.column,
                    code: "variableRequiresValidType")
            }
            let value = variables[d.name]
            if value == nil, d.defaultValue != nil { continue }
            guard Self.conforms(value, to: d.type) else {
                throw Failure(message: "Variable $\(d.name) of type \(d.type) was provided invalid value", code: "INVALID_VARIABLE")
            }
        }
    }

    func checkAllUsed() throws(Failure) {
        for d in definitions where !used.contains(d.name) {
            throw Failure(
                message: "Variable $\(d.name) is declared by \(operation ?? "anonymous query") but not used", line: d.line,
                column: d.column, code: "variableNotUsed")
        }
    }

    /// Whether `value` (nil: not given) is a value of GraphQL `type`.
    static func conforms(_ value: JSONValue?, to type: String) -> Bool {
        if type.hasSuffix("!") {
            guard let value, !value.isNull else { return false }
            return conforms(value, to: String(type.dropLast()))
        }
        guard let value, !value.isNull else { return true }
        if type.hasPrefix("[") {
            guard let items = value.arrayValue else { return false }
            let inner = String(type.dropFirst().dropLast())
            return items.allSatisfy { conforms($0, to: inner) }
        }
        switch type {
        case "String", "ID": return value.stringValue != nil
        case "Int": return value.int64Value.map { Int32(exactly: $0) != nil } ?? false
        case "Boolean": return value.boolValue != nil
        default: return false
        }
    }

    mutating func check(_ selections: [ShopifyGraphQL.Selection], on type: String) throws(Failure) -> [ShopifyGraphQL.CheckedSelection] {
        var out: [ShopifyGraphQL.CheckedSelection] = []
        for selection in selections {
            switch selection {
            case .field(let f):
                out.append(.field(try check(f, on: type)))
            case .fragment(let condition, let inner, let line, let column):
                guard ShopifyGraphQL.schema[condition] != nil, condition != "QueryRoot" || type == "QueryRoot" else {
                    throw Failure(
                        message: "This emulator serves ProductVariant, Product and Collection nodes only, not \(condition)", line: line,
                        column: column, code: "unsupportedType")
                }
                let fits =
                    condition == type || (type == "Node" && ShopifyGraphQL.nodeTypes.contains(condition))
                    || (condition == "Node" && ShopifyGraphQL.nodeTypes.contains(type))
                guard fits else {
                    throw Failure(
                        message: "Fragment on \(condition) can't be spread inside \(type)", line: line, column: column,
                        code: "fragmentSpreadTypeMismatch")
                }
                out.append(.fragment(condition, try check(inner, on: condition)))
            }
        }
        return out
    }

    mutating func check(_ f: ShopifyGraphQL.Field, on type: String) throws(Failure) -> ShopifyGraphQL.CheckedField {
        guard let definition = ShopifyGraphQL.schema[type]?[f.name] else {
            throw Failure(
                message: "Field '\(f.name)' doesn't exist on type '\(type)'", line: f.line, column: f.column, code: "undefinedField")
        }
        var arguments: [String: JSONValue] = [:]
        for (name, value) in f.arguments {
            guard let argumentType = definition.arguments[name] else {
                throw Failure(
                    message: "Field '\(f.name)' doesn't accept argument '\(name)'", line: f.line, column: f.column,
                    code: "argumentNotAccepted")
            }
            arguments[name] = try resolve(value, as: argumentType, argument: name, field: f)
        }
        var checked = ShopifyGraphQL.CheckedField(key: f.key, name: f.name, kind: definition.kind)
        switch definition.kind {
        case .scalar:
            guard f.selections.isEmpty else {
                throw Failure(
                    message: "Selections can't be made on scalars (field '\(f.name)' on type '\(type)')", line: f.line,
                    column: f.column, code: "selectionMismatch")
            }
            return checked
        case .object(let t), .list(let t):
            checked.selections = try check(nested(f, returning: t), on: t)
        case .nodeList:
            checked.ids = try ids(arguments["ids"], field: f)
            checked.selections = try check(nested(f, returning: "Node"), on: "Node")
        case .connection(let t):
            try page(&checked, arguments, field: f)
            checked.selections = try check(nested(f, returning: t + "Connection"), on: t + "Connection")
        }
        if definition.arguments["id"] != nil {
            guard let id = arguments["id"]?.stringValue else { throw missing("id", field: f) }
            _ = try ShopifyGraphQL.globalID(id)
            checked.id = id
        }
        return checked
    }

    /// The selections of an object field, which must have some.
    func nested(_ f: ShopifyGraphQL.Field, returning type: String) throws(Failure) -> [ShopifyGraphQL.Selection] {
        guard !f.selections.isEmpty else {
            throw Failure(
                message: "Field must have selections (field '\(f.name)' returns \(type) but has no selections)", line: f.line,
                column: f.column, code: "selectionMismatch")
        }
        return f.selections
    }

    func missing(_ argument: String, field f: ShopifyGraphQL.Field) -> Failure {
        Failure(
            message: "Field '\(f.name)' is missing required arguments: \(argument)", line: f.line, column: f.column,
            code: "missingRequiredArguments")
    }

    /// `nodes(ids:)`: at most 250 global ids.
    func ids(_ value: JSONValue?, field f: ShopifyGraphQL.Field) throws(Failure) -> [String] {
        guard let items = value?.arrayValue else { throw missing("ids", field: f) }
        guard items.count <= ShopifyGraphQL.maxInputSize else {
            throw Failure(
                message: "The input array size of \(items.count) is greater than the maximum allowed of \(ShopifyGraphQL.maxInputSize).",
                line: f.line, column: f.column, code: "MAX_INPUT_SIZE_EXCEEDED")
        }
        var ids: [String] = []
        for item in items {
            let gid = item.stringValue ?? ""
            _ = try ShopifyGraphQL.globalID(gid)
            ids.append(gid)
        }
        return ids
    }

    /// A connection's `first` (1 to 250, required), `after` (a cursor this emulator issued) and `query`.
    mutating func page(_ checked: inout ShopifyGraphQL.CheckedField, _ arguments: [String: JSONValue], field f: ShopifyGraphQL.Field)
        throws(Failure)
    {
        guard let first = arguments["first"]?.int64Value else {
            throw Failure(
                message: "you must provide one of first or last", line: f.line, column: f.column, code: "missingRequiredArguments")
        }
        guard (1...Int64(ShopifyGraphQL.maxInputSize)).contains(first) else {
            throw Failure(
                message: "The value of 'first' on Field '\(f.name)' is \(first); it must be between 1 and \(ShopifyGraphQL.maxInputSize).",
                line: f.line, column: f.column, code: "argumentLiteralsIncompatible")
        }
        checked.first = Int(first)
        if let after = arguments["after"]?.stringValue {
            guard let cursor = ShopifyGraphQL.Cursor(after) else {
                throw Failure(message: "Invalid cursor '\(after)'", line: f.line, column: f.column, code: "argumentLiteralsIncompatible")
            }
            checked.after = cursor
        }
        if let text = arguments["query"]?.stringValue {
            let search = SearchQuery(parsing: text)
            checked.search = search
            let known: Set<String> = f.name == "productVariants" ? ["sku", "barcode", "product_id"] : ["handle"]
            let unknown = search.unknownFields(known)
            if !unknown.isEmpty {
                let warnings: [JSONValue] = unknown.map { field in
                    .object([
                        ("field", .string(field.isEmpty ? "default" : field)),
                        ("message", .string("Invalid search field for this query.")),
                    ])
                }
                searchWarnings.append(
                    .object([("path", .array([.string(f.key)])), ("query", .string(text)), ("warnings", .array(warnings))]))
            }
        }
    }

    /// The value of an argument: a literal, or a declared variable of a fitting type.
    mutating func resolve(_ value: Value, as type: String, argument: String, field f: ShopifyGraphQL.Field) throws(Failure) -> JSONValue {
        let invalid = Failure(
            message: "Argument '\(argument)' on Field '\(f.name)' has an invalid value", line: f.line, column: f.column,
            code: "argumentLiteralsIncompatible")
        switch value {
        case .variable(let name):
            guard let d = definitions.first(where: { $0.name == name }) else {
                throw Failure(
                    message: "Variable $\(name) is used by \(operation ?? "anonymous query") but not declared", line: f.line,
                    column: f.column, code: "variableNotDefined")
            }
            used.insert(name)
            let fits = d.type == type || (!type.hasSuffix("!") && d.type == type + "!") || (d.defaultValue != nil && d.type + "!" == type)
            guard fits else {
                let kind = d.type.filter { $0 != "!" } == type.filter { $0 != "!" } ? "Nullability" : "Type"
                throw Failure(
                    message: "\(kind) mismatch on variable $\(name) and argument \(argument) (\(d.type) / \(type))", line: f.line,
                    column: f.column, code: "variableMismatch")
            }
            if let given = variables[name] { return given }
            if let defaultValue = d.defaultValue { return try resolve(defaultValue, as: type, argument: argument, field: f) }
            return .null
        case .list(let items):
            guard type.hasPrefix("[") else { throw invalid }
            let inner = String(type.dropFirst().dropLast(type.hasSuffix("!") ? 2 : 1))
            var out: [JSONValue] = []
            for item in items { out.append(try resolve(item, as: inner, argument: argument, field: f)) }
            return .array(out)
        case .string(let s):
            guard Self.conforms(.string(s), to: type) else { throw invalid }
            return .string(s)
        case .other(let text):
            let literal: JSONValue =
                text == "null"
                ? .null : text == "true" ? .bool(true) : text == "false" ? .bool(false) : Int64(text).map { .integer($0) } ?? .string(text)
            guard literal.stringValue == nil, Self.conforms(literal, to: type) else { throw invalid }
            return literal
        }
    }
}

extension ShopifyGraphQL {
    /// The type and number of `gid://shopify/Type/N`; throws for text that is not a global id.
    static func globalID(_ gid: String) throws(Failure) -> (type: String, id: Int64) {
        let parts = gid.split(separator: "/", omittingEmptySubsequences: false)
        guard gid.hasPrefix("gid://shopify/"), parts.count == 5, !parts[3].isEmpty, let id = Int64(parts[4]), id > 0 else {
            throw Failure(message: "Invalid global id '\(gid)'", code: "argumentLiteralsIncompatible")
        }
        return (String(parts[3]), id)
    }
}

/// Base64 (standard alphabet, padded), for cursors.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let n = chunk.enumerated().reduce(0) { $0 | (Int($1.element) << (16 - 8 * $1.offset)) }
            for k in 0..<4 { out.append(k <= chunk.count ? alphabet[(n >> (18 - 6 * k)) & 63] : UInt8(ascii: "=")) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            var n = 0
            var pad = 0
            for k in 0..<4 {
                let c = chars[i + k]
                if c == UInt8(ascii: "="), i + 4 == chars.count, k >= 2 {
                    pad += 1
                    continue
                }
                guard pad == 0, let v = alphabet.firstIndex(of: c) else { return nil }
                n |= v << (18 - 6 * k)
            }
            for k in 0..<(3 - pad) { out.append(UInt8((n >> (16 - 8 * k)) & 0xFF)) }
            i += 4
        }
        return out
    }
}
