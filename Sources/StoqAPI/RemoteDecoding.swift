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
            if let decoded = FieldValue(json: value, as: field) {
                fields[field] = decoded
            } else {
                problems.append("\(field.rawValue): unexpected value \(value.renderCompact().prefix(60))")
            }
        }
        let updated: Timestamp? = json["updated_at"]?.stringValue.flatMap { try? Timestamp.parse($0).get() }
        var plan = RemotePlan(
            id: id, internalName: json["internal_name"]?.stringValue ?? "", fields: fields,
            variantIDs: json["shopify_variant_ids"]?.arrayValue?.compactMap(\.int64Value) ?? [],
            ongoingJob: json["ongoing_job"]?.boolValue ?? false, updatedAt: updated)
        plan.shopID = ShopIdentity.shopID(in: json)
        return (plan, problems)
    }

    /// Decodes a list item; nil for an item without an id, or a soft-deleted plan (non-null
    /// `discarded_at`: STOQ's docs do not say whether the list returns soft-deleted plans).
    public static func summary(_ json: JSONValue) -> RemotePlanSummary? {
        guard let id = json["id"]?.stringValue ?? json["id"]?.int64Value.map(String.init) else { return nil }
        if let discarded = json["discarded_at"], !discarded.isNull { return nil }
        var summary = RemotePlanSummary(
            id: id, internalName: json["internal_name"]?.stringValue ?? "", name: json["name"]?.stringValue ?? "",
            variantCount: Int(
                json["selling_plan_product_variants_count"]?.int64Value
                    ?? Int64(json["shopify_variant_ids"]?.arrayValue?.count ?? 0)),
            updatedAt: json["updated_at"]?.stringValue, variantIDs: json["shopify_variant_ids"]?.arrayValue?.compactMap(\.int64Value))
        summary.shopID = ShopIdentity.shopID(in: json)
        return summary
    }
}
