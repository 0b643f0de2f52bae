/// A JSON value with object keys kept in the order they were written, so renderers control the
/// exact output (stable key order is part of stoqctl's JSON contracts).
public indirect enum JSONValue: Sendable, Hashable {
    /// JSON `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A whole number that fits in 64 bits.
    case integer(Int64)
    /// A number written exactly as given (already valid JSON number text).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, members in order.
    case object([(String, JSONValue)])

    /// Structural equality (object member order matters, as it does in the rendered text).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.renderCompact() == rhs.renderCompact() }
    /// Hashes the compact rendering.
    public func hash(into hasher: inout Hasher) { hasher.combine(renderCompact()) }

    /// The value of `key` in an object (the first, if repeated).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number's exact text, if this is a number.
    public var numberText: String? {
        switch self {
        case .integer(let i): return String(i)
        case .number(let n): return n
        default: return nil
        }
    }

    /// The number as a 64-bit integer, if it is a whole number that fits.
    public var int64Value: Int64? {
        switch self {
        case .integer(let i): return i
        case .number(let n): return Int64(n)
        default: return nil
        }
    }

    /// The items, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: [(String, JSONValue)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// True for JSON `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Bytes of the compact rendering, for request and response bodies.
    public var bytes: [UInt8] { Array(renderCompact().utf8) }

    /// Pretty-printed JSON with two-space indentation and a trailing newline at top level.
    public func render(indent: Int = 0) -> String {
        var out = ""
        write(into: &out, indent: indent, pretty: true)
        return out
    }

    /// Compact JSON on one line.
    public func renderCompact() -> String {
        var out = ""
        write(into: &out, indent: 0, pretty: false)
        return out
    }

    private func write(into out: inout String, indent: Int, pretty: Bool) {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        let newline = pretty ? "\n" : ""
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .number(let n): out += n
        case .string(let s): Self.escape(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent + 1, pretty: pretty)
                out += (i + 1 < items.count ? "," : "") + newline
            }
            out += closePad + "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{" + newline
            for (i, (key, value)) in members.enumerated() {
                out += pad
                Self.escape(key, into: &out)
                out += pretty ? ": " : ":"
                value.write(into: &out, indent: indent + 1, pretty: pretty)
                out += (i + 1 < members.count ? "," : "") + newline
            }
            out += closePad + "}"
        }
    }

    /// Appends `s` as a JSON string literal; `alsoEscape` picks further characters to write as
    /// `\uXXXX` (a YAML writer escapes what YAML does not allow raw).
    ///
    /// Characters beyond the first
    /// plane are escaped as a surrogate pair, or with `yaml` as YAML's `\UXXXXXXXX`.
    public static func escape(
        _ s: String, into out: inout String, yaml: Bool = false, alsoEscape: (Unicode.Scalar) -> Bool = { _ in false }
    ) {
        var literal = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": literal += "\\\""
            case "\\": literal += "\\\\"
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            case "\t": literal += "\\t"
            default:
                if yaml, scalar.value > 0xFFFF, Sanitiser.isHidden(scalar) || alsoEscape(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    literal += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                } else if Sanitiser.isHidden(scalar) || alsoEscape(scalar) {
                    literal += Sanitiser.jsonEscape(scalar)
                } else {
                    literal.unicodeScalars.append(scalar)
                }
            }
        }
        // `##[` starts a workflow command anywhere in a CI log line; escaped, it reads the same.
        out += "\"" + Sanitiser.breakingCommandMarkers(literal, style: .json)
        out += "\""
    }
}
