/// An instant parsed from an ISO 8601 / RFC 3339 datetime that names its zone.
///
/// Equality is by instant: `2026-10-01T09:00:00Z`, `2026-10-01T11:00:00+02:00` and
/// `2026-10-01T09:00:00.000Z` are equal.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// Nanoseconds within the second (0..<1e9).
    public var nanoseconds: Int

    /// Creates an instant.
    public init(seconds: Int64, nanoseconds: Int = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Why a datetime text was refused.
    public enum ParseError: Error, Equatable, Sendable {
        /// The text is not an ISO 8601 datetime.
        case malformed(String)
        /// The text is a valid datetime but names no zone.
        case missingZone
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH[:MM])`; `t`, `z` and a space separator are
    /// accepted as RFC 3339 allows.
    public static func parse(_ text: String) -> Result<Timestamp, ParseError> {
        let b = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var v = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += count
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else {
            return .failure(.malformed("expected a datetime like 2026-10-01T09:00:00Z"))
        }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else {
            return .failure(.malformed("\(text.prefix(10)) is not a calendar date"))
        }
        guard i < b.count else { return .failure(.missingZone) }
        guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else {
            return .failure(.malformed("expected `T` between the date and the time"))
        }
        i += 1
        guard let hour = number(2), expect(":"), let minute = number(2) else {
            return .failure(.malformed("expected a time like 09:00:00 after the date"))
        }
        var second = 0
        var nanos = 0
        if expect(":") {
            guard let s = number(2) else { return .failure(.malformed("expected seconds after `:`")) }
            second = s
            if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    if digits < 9 { nanos = nanos * 10 + Int(b[i] - 0x30) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return .failure(.malformed("expected digits after the decimal point")) }
                for _ in digits..<max(digits, 9) { nanos *= 10 }
            }
        }
        guard hour <= 23, minute <= 59, second <= 60 else {
            return .failure(.malformed("\(hour):\(minute):\(second) is not a time of day"))
        }
        guard i < b.count else { return .failure(.missingZone) }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2) else { return .failure(.malformed("expected a zone offset like +02:00")) }
            var om = 0
            if expect(":") {
                guard let m = number(2) else { return .failure(.malformed("expected a zone offset like +02:00")) }
                om = m
            } else if i < b.count {
                guard let m = number(2) else { return .failure(.malformed("expected a zone offset like +02:00")) }
                om = m
            }
            guard oh <= 23, om <= 59 else { return .failure(.malformed("zone offset out of range")) }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return .failure(.malformed("unexpected text after the time; expected `Z` or an offset like +02:00"))
        }
        guard i == b.count else { return .failure(.malformed("unexpected text after the zone")) }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        return .success(Timestamp(seconds: secs, nanoseconds: nanos))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Canonical UTC form: `2026-10-01T09:00:00Z`, with a fraction only when it is not zero.
    public var description: String {
        let days = Int((seconds - ((seconds % 86_400) + 86_400) % 86_400) / 86_400)
        let rem = Int(((seconds % 86_400) + 86_400) % 86_400)
        let (y, m, d) = Self.civilFromDays(days)
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        var s = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))"
        if nanoseconds != 0 {
            var frac = pad(nanoseconds, 9)
            while frac.hasSuffix("0") { frac.removeLast() }
            s += "." + frac
        }
        return s + "Z"
    }

    /// Chronological order.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}
