import StoqCore
import StoqWire

/// Turns STOQ's plan objects into the config's value types, tolerantly: a field of an unexpected
/// shape is left out (and named in `problems`) rather than failing the whole read.
public enum RemoteDecoding {
    /// Decodes a full plan object (GET / PUT / POST response).
    public static func plan(_ json: JSONValue) -> (plan: RemotePlan, problems: [String])? {
        guard let id = json["id"]?.stringValue ?? json["id"]?.int64Value.map(String.init) else { return nil }
        var fields: [PlanField: FieldValue] = [:]
        var problems: [String] = []
        for field in PlanField.allCases where !field.isWriteOnly {
            guard let value = json[field.rawValue] else { continue }
            if let decoded = self.value(value, as: field) {
                fields[field] = decoded
            } else {
                problems.append("\(field.rawValue): unexpected value \(value.renderCompact().prefix(60))")
            }
        }
        let updated: Timestamp? = json["updated_at"]?.stringValue.flatMap { try? Timestamp.parse($0).get() }
        let plan = RemotePlan(
            id: id, internalName: json["internal_name"]?.stringValue ?? "", fields: fields,
            variantIDs: json["shopify_variant_ids"]?.arrayValue?.compactMap(\.int64Value) ?? [],
            ongoingJob: json["ongoing_job"]?.boolValue ?? false, updatedAt: updated)
        return (plan, problems)
    }

    /// Decodes a list item.
    public static func summary(_ json: JSONValue) -> RemotePlanSummary? {
        guard let id = json["id"]?.stringValue ?? json["id"]?.int64Value.map(String.init) else { return nil }
        return RemotePlanSummary(
            id: id, internalName: json["internal_name"]?.stringValue ?? "", name: json["name"]?.stringValue ?? "",
            variantCount: Int(
                json["selling_plan_product_variants_count"]?.int64Value
                    ?? Int64(json["shopify_variant_ids"]?.arrayValue?.count ?? 0)))
    }

    /// One value as the field's type; nil when it does not fit.
    public static func value(_ json: JSONValue, as field: PlanField) -> FieldValue? {
        if json.isNull { return .null }
        switch field.type {
        case .string, .closedEnum, .openEnum:
            return json.stringValue.map(FieldValue.string)
        case .bool:
            return json.boolValue.map(FieldValue.bool)
        case .integer:
            if let i = json.int64Value { return .integer(i) }
            // Some APIs send whole numbers as 3.0.
            if let text = json.numberText, let d = DecimalNumber(text), let i = Int64(d.description) { return .integer(i) }
            return nil
        case .decimal:
            if let text = json.numberText { return DecimalNumber(text).map(FieldValue.decimal) }
            if let text = json.stringValue { return DecimalNumber(text).map(FieldValue.decimal) }
            return nil
        case .datetime:
            guard let text = json.stringValue, case .success(let t) = Timestamp.parse(text) else { return nil }
            return .datetime(t)
        case .idList:
            guard let items = json.arrayValue else { return nil }
            let ids = items.compactMap(\.int64Value)
            return ids.count == items.count ? .ids(ids) : nil
        }
    }

    /// A config value as JSON for a request body.
    public static func json(_ value: FieldValue) -> JSONValue {
        switch value {
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
