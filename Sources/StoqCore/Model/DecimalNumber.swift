/// An exact decimal number, as written in the config or returned by the API.
///
/// `10`, `10.0` and `1e1` are equal; no binary floating point is involved, so `0.1 + 0.2`-style
/// surprises cannot cause false differences. Invariant: `digits` has no leading or trailing zeros
/// (zero is the empty list and is never negative); value = ±digits × 10^exponent.
public struct DecimalNumber: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// True for values below zero.
    public private(set) var isNegative: Bool
    /// Significant decimal digits (0–9), most significant first.
    public private(set) var digits: [UInt8]
    /// Power of ten applied to `digits`.
    public private(set) var exponent: Int

    /// Largest exponent magnitude accepted (keeps `1e999999999` from becoming a huge string).
    public static let maxExponent = 60

    /// Parses `[-+]?(digits)(.digits)?([eE][-+]?digits)?`; nil if the text is not such a number or
    /// its exponent is beyond ``maxExponent``.
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var mantissa: [UInt8] = []
        var fractionDigits = 0
        var seenDot = false
        var sawDigit = false
        while let b = bytes.first, (b >= 0x30 && b <= 0x39) || (b == UInt8(ascii: ".") && !seenDot) {
            if b == UInt8(ascii: ".") {
                seenDot = true
            } else {
                mantissa.append(b - 0x30)
                sawDigit = true
                if seenDot { fractionDigits += 1 }
            }
            bytes = bytes.dropFirst()
        }
        guard sawDigit else { return nil }
        var exp = 0
        if let b = bytes.first, b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            var expNegative = false
            if let s = bytes.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") {
                expNegative = s == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            guard !bytes.isEmpty else { return nil }
            for d in bytes {
                guard d >= 0x30, d <= 0x39 else { return nil }
                exp = exp * 10 + Int(d - 0x30)
                if exp > 10_000 { return nil }
            }
            bytes = bytes[bytes.endIndex...]
            if expNegative { exp = -exp }
        }
        guard bytes.isEmpty else { return nil }
        self.init(negative: negative, digits: mantissa, exponent: exp - fractionDigits)
        guard abs(exponent) <= Self.maxExponent || self.digits.isEmpty else { return nil }
    }

    /// Creates a number from an integer.
    public init(_ value: Int64) {
        let text = String(value)
        self.init(negative: value < 0, digits: text.utf8.compactMap { $0 >= 0x30 && $0 <= 0x39 ? $0 - 0x30 : nil }, exponent: 0)
    }

    private init(negative: Bool, digits: [UInt8], exponent: Int) {
        var d = digits[...]
        var e = exponent
        while let first = d.first, first == 0 { d = d.dropFirst() }
        while let last = d.last, last == 0 {
            d = d.dropLast()
            e += 1
        }
        self.digits = Array(d)
        self.exponent = self.digits.isEmpty ? 0 : e
        self.isNegative = self.digits.isEmpty ? false : negative
    }

    /// True for zero.
    public var isZero: Bool { digits.isEmpty }

    /// Plain notation without exponent: `10`, `10.5`, `-0.25`.
    public var description: String {
        if digits.isEmpty { return "0" }
        var s = isNegative ? "-" : ""
        let ds = digits.map { Character(Unicode.Scalar($0 + 0x30)) }
        if exponent >= 0 {
            s += String(ds) + String(repeating: "0", count: exponent)
        } else {
            let intCount = ds.count + exponent
            if intCount > 0 {
                s += String(ds[..<intCount]) + "." + String(ds[intCount...])
            } else {
                s += "0." + String(repeating: "0", count: -intCount) + String(ds)
            }
        }
        return s
    }

    /// Numeric order.
    public static func < (lhs: DecimalNumber, rhs: DecimalNumber) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let magnitudeLess = lhs.magnitudeLess(than: rhs)
        let equal = lhs.digits == rhs.digits && lhs.exponent == rhs.exponent
        if equal { return false }
        return lhs.isNegative ? !magnitudeLess : magnitudeLess
    }

    private func magnitudeLess(than other: DecimalNumber) -> Bool {
        if digits.isEmpty { return !other.digits.isEmpty }
        if other.digits.isEmpty { return false }
        let a = digits.count + exponent
        let b = other.digits.count + other.exponent
        if a != b { return a < b }
        return digits.lexicographicallyPrecedes(other.digits)
    }

    /// Encodes as its plain-notation string (JSON numbers would lose exactness in many readers).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Decodes from a string or a JSON number.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self), let v = DecimalNumber(s) {
            self = v
        } else {
            let d = try c.decode(Double.self)
            guard let v = DecimalNumber("\(d)") else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a finite decimal")
            }
            self = v
        }
    }
}
