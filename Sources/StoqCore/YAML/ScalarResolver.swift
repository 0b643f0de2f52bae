/// The type a scalar resolves to under stoqctl's YAML 1.2 core schema.
///
/// Differences from YAML 1.1 (what PyYAML and many loaders use), on purpose:
/// only `true` and `false` are booleans (`yes`, `on`, `True` are strings); integers are decimal
/// only (`0o17`, `0x1F`, `017`-as-octal and `1:30` sexagesimal are not numbers); there is no
/// implicit timestamp type (datetimes are strings, parsed by the schema where a field wants one).
public enum ResolvedScalar: Sendable, Hashable {
    /// `null`, `Null`, `NULL`, `~` or nothing at all.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A decimal integer literal, kept as text so no precision is lost.
    case integer(String)
    /// A decimal number with a fraction or exponent, kept as text.
    case decimal(String)
    /// `.inf`, `-.inf` or `.nan` in any of the core schema spellings.
    case nonFinite(String)
    /// Anything else, or any quoted or block scalar.
    case string(String)

    /// English name for messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .decimal, .nonFinite: "a number"
        case .string: "a string"
        }
    }
}

/// Resolves scalars by the YAML 1.2 core schema, restricted as described on ``ResolvedScalar``.
public enum ScalarResolver {
    /// The core-schema tags stoqctl accepts on a scalar.
    static let coreScalarTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
    ]

    /// Resolves a node's scalar.
    ///
    /// Quoted and block scalars are always strings; an explicit `!!str`
    /// forces a string; other explicit core tags are honoured only when the text fits them.
    public static func resolve(_ scalar: YAMLScalar, tag: String? = nil) -> ResolvedScalar {
        if tag == "tag:yaml.org,2002:str" || tag == "!" { return .string(scalar.text) }
        if scalar.style != .plain, tag == nil { return .string(scalar.text) }
        return resolvePlain(scalar.text)
    }

    /// Resolves the text of a plain scalar.
    public static func resolvePlain(_ text: String) -> ResolvedScalar {
        let utf8 = text.utf8
        guard let first = utf8.first else { return .null }
        switch text {
        case "null", "Null", "NULL", "~": return .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
            ".nan", ".NaN", ".NAN":
            return .nonFinite(text)
        default: break
        }
        // Fast reject: numbers start with a sign, a digit or a dot.
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        guard
            isDigit(first) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".")
        else { return .string(text) }
        return classifyNumber(Array(utf8)) ?? .string(text)
    }

    /// `[-+]?[0-9]+` → integer; `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` → decimal.
    private static func classifyNumber(_ b: [UInt8]) -> ResolvedScalar? {
        let text = String(decoding: b, as: UTF8.self)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        let intStart = i
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        let intDigits = i - intStart
        if i == b.count { return intDigits > 0 ? .integer(text) : nil }
        var fracDigits = 0
        var isDecimal = false
        if b[i] == UInt8(ascii: ".") {
            isDecimal = true
            i += 1
            let fracStart = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            fracDigits = i - fracStart
        }
        guard intDigits > 0 || fracDigits > 0 else { return nil }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            isDecimal = true
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
            let expStart = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > expStart else { return nil }
        }
        guard i == b.count, isDecimal else { return nil }
        return .decimal(text)
    }
}
