import StoqWire

extension FieldValue {
    /// Reads a JSON value as `field`'s type, tolerantly (STOQ's responses, saved plans); nil when
    /// it does not fit.
    public init?(json: JSONValue, as field: PlanField) {
        if json.isNull {
            self = .null
            return
        }
        switch field.type {
        case .string, .closedEnum, .openEnum:
            guard let s = json.stringValue else { return nil }
            self = .string(s)
        case .bool:
            guard let b = json.boolValue else { return nil }
            self = .bool(b)
        case .integer:
            if let i = json.int64Value {
                self = .integer(i)
            } else if let text = json.numberText, let d = DecimalNumber(text), let i = Int64(d.description) {
                // Some APIs send whole numbers as 3.0.
                self = .integer(i)
            } else {
                return nil
            }
        case .decimal:
            guard let text = json.numberText ?? json.stringValue, let d = DecimalNumber(text) else { return nil }
            self = .decimal(d)
        case .datetime:
            guard let text = json.stringValue, case .success(let t) = Timestamp.parse(text) else { return nil }
            self = .datetime(t)
        case .idList:
            guard let items = json.arrayValue else { return nil }
            let ids = items.compactMap(\.int64Value)
            guard ids.count == items.count else { return nil }
            self = .ids(ids)
        }
    }

    /// The value as JSON, as a request body and the plan JSON carry it.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .integer(let i): .integer(i)
        case .decimal(let d): .number(d.description)
        case .datetime(let t): .string(t.description)
        case .ids(let ids): .array(ids.map { .integer($0) })
        }
    }
}
