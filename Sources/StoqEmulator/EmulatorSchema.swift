import StoqWire

/// The emulator's own copy of STOQ's `SellingPlanInput` (the fields create and update take): names, kinds and the
/// defaults a new plan gets.
///
/// Deliberately independent of the planner's schema.
enum EmulatorSchema {
    enum Kind {
        case string, bool, integer, number, datetime, intArray
        case closed([String])
        case open
    }

    struct Field {
        var name: String
        var kind: Kind
        var nullable: Bool = false
        /// Not returned by GET (STOQ echoes only `market_id`).
        var writeOnly: Bool = false
        var defaultValue: JSONValue
    }

    static let fields: [Field] = [
        Field(name: "name", kind: .string, defaultValue: .string("Preorder")),
        Field(name: "internal_name", kind: .string, defaultValue: .null),
        Field(name: "enabled", kind: .bool, defaultValue: .bool(true)),
        Field(
            name: "billing_type", kind: .closed(["exact_time", "no_remaining_balance", "time_after_checkout"]),
            defaultValue: .string("no_remaining_balance")),
        Field(name: "billing_at", kind: .datetime, nullable: true, defaultValue: .null),
        Field(name: "billing_after_n_intervals", kind: .integer, nullable: true, defaultValue: .null),
        Field(name: "billing_after_interval_type", kind: .closed(["day"]), defaultValue: .string("day")),
        Field(name: "billing_checkout_charge_amount", kind: .number, nullable: true, defaultValue: .null),
        Field(name: "billing_checkout_charge_percentage", kind: .number, nullable: true, defaultValue: .null),
        Field(name: "billing_checkout_charge_type", kind: .closed(["percentage", "price"]), defaultValue: .string("percentage")),
        Field(name: "billing_title", kind: .string, defaultValue: .string("")),
        Field(name: "billing_description", kind: .string, defaultValue: .string("")),
        Field(name: "delivery_type", kind: .closed(["anchor", "asap", "exact_time", "unknown"]), defaultValue: .string("asap")),
        Field(name: "delivery_at", kind: .datetime, nullable: true, defaultValue: .null),
        Field(name: "delivery_after_n_intervals", kind: .integer, nullable: true, defaultValue: .null),
        Field(name: "delivery_after_interval_type", kind: .open, defaultValue: .string("day")),
        Field(name: "inventory_reserve_type", kind: .open, defaultValue: .string("on_sale")),
        Field(name: "inventory_provider", kind: .open, defaultValue: .string("stoq")),
        Field(name: "pricing_type", kind: .open, defaultValue: .string("percentage")),
        Field(name: "pricing_amount", kind: .number, defaultValue: .number("0.0")),
        Field(name: "pricing_percentage", kind: .number, defaultValue: .number("0.0")),
        Field(name: "preorder_button_text", kind: .string, defaultValue: .string("Preorder")),
        Field(name: "preorder_button_description", kind: .string, defaultValue: .string("")),
        Field(name: "preorder_badge_enabled", kind: .bool, defaultValue: .bool(false)),
        Field(name: "preorder_badge_text", kind: .string, defaultValue: .string("Preorder")),
        Field(name: "preorder_badge_text_color", kind: .string, defaultValue: .string("#FFFFFF")),
        Field(name: "preorder_badge_background_color", kind: .string, defaultValue: .string("#000000")),
        Field(name: "shipping_text", kind: .string, defaultValue: .string("")),
        Field(name: "discount_text", kind: .string, defaultValue: .string("")),
        Field(name: "preorder_tags", kind: .string, defaultValue: .string("preorder")),
        Field(name: "product_variants_source", kind: .open, defaultValue: .string("custom")),
        Field(name: "product_variants_source_id", kind: .integer, nullable: true, defaultValue: .null),
        Field(name: "markets_enabled", kind: .bool, writeOnly: true, defaultValue: .bool(false)),
        Field(name: "shopify_market_ids", kind: .intArray, writeOnly: true, defaultValue: .array([])),
    ]

    static let byName: [String: Field] = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })

    /// Checks one input value; returns Rails-style messages for 422 bodies.
    static func problems(_ field: Field, _ value: JSONValue) -> [String] {
        if value.isNull { return field.nullable ? [] : ["can't be blank"] }
        switch field.kind {
        case .string, .open:
            return value.stringValue == nil ? ["must be a string"] : []
        case .bool:
            return value.boolValue == nil ? ["must be true or false"] : []
        case .integer:
            return value.int64Value == nil ? ["must be an integer"] : []
        case .number:
            guard let text = value.numberText, let d = Double(text), d.isFinite else { return ["is not a number"] }
            return d < 0 ? ["must be greater than or equal to 0"] : []
        case .datetime:
            guard let s = value.stringValue, EmulatorTime.parse(s) != nil else { return ["is not a valid datetime"] }
            return []
        case .intArray:
            guard let items = value.arrayValue, items.allSatisfy({ $0.int64Value != nil }) else { return ["must be an array of integers"] }
            return []
        case .closed(let values):
            guard let s = value.stringValue, values.contains(s) else { return ["is not included in the list"] }
            return []
        }
    }

    /// How STOQ (a Rails app) is assumed to echo a stored value: decimals always with a fraction
    /// (`10` → `10.0`), datetimes in UTC with milliseconds.
    static func echo(_ field: Field, _ value: JSONValue) -> JSONValue {
        switch (field.kind, value) {
        case (.number, .integer(let i)): return .number("\(i).0")
        case (.number, .number(let n)) where !n.contains(".") && !n.contains("e") && !n.contains("E"): return .number(n + ".0")
        case (.datetime, .string(let s)): return EmulatorTime.parse(s).map { .string(EmulatorTime.format($0)) } ?? value
        default: return value
        }
    }
}

/// ISO 8601 parsing and formatting for the emulator (its own, separate from the planner's).
enum EmulatorTime {
    /// Seconds since the epoch for `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)`.
    static func parse(_ s: String) -> Double? {
        let c = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= c.count else { return nil }
            var v = 0
            for i in from..<from + len {
                guard c[i] >= 48, c[i] <= 57 else { return nil }
                v = v * 10 + Int(c[i] - 48)
            }
            return v
        }
        guard c.count >= 17, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60
        else { return nil }
        var i = 16
        var sec = 0.0
        if i < c.count, c[i] == UInt8(ascii: ":") {
            guard let s2 = num(i + 1, 2) else { return nil }
            sec = Double(s2)
            i += 3
            if i < c.count, c[i] == UInt8(ascii: ".") {
                var j = i + 1
                var scale = 0.1
                while j < c.count, c[j] >= 48, c[j] <= 57 {
                    sec += Double(c[j] - 48) * scale
                    scale /= 10
                    j += 1
                }
                i = j
            }
        }
        guard i < c.count else { return nil }
        var offset = 0
        if c[i] == UInt8(ascii: "Z") || c[i] == UInt8(ascii: "z") {
            i += 1
        } else if c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-") {
            let sign = c[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = num(i + 1, 2) else { return nil }
            var om = 0
            if i + 3 < c.count, c[i + 3] == UInt8(ascii: ":") {
                guard let m = num(i + 4, 2) else { return nil }
                om = m
                i += 6
            } else if let m = num(i + 3, 2) {
                om = m
                i += 5
            } else {
                i += 3
            }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == c.count else { return nil }
        return Double(days(y, mo, d)) * 86_400 + Double(h * 3600 + mi * 60) + sec - Double(offset)
    }

    static func days(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1
        return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    }

    /// `2026-10-01T09:00:00.000Z`.
    static func format(_ t: Double) -> String {
        let ms = Int64((t * 1000).rounded())
        let secs = Int(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        let milli = Int(ms - Int64(secs) * 1000)
        let z = (secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let rem = secs - (secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400) * 86_400
        func p(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        // Years before 1 as Rails writes them: a sign, then four digits (`-0001-12-31T23:00:00.000Z`).
        let year = y < 0 ? "-" + p(-y, 4) : p(y, 4)
        return "\(year)-\(p(m, 2))-\(p(d, 2))T\(p(rem / 3600, 2)):\(p(rem % 3600 / 60, 2)):\(p(rem % 60, 2)).\(p(milli, 3))Z"
    }
}
