import StoqWire

/// One selling plan as the emulator stores it.
struct PlanRecord: Sendable {
    var id: String
    /// Writable fields, by API name (every field of the schema is present).
    var fields: [String: JSONValue]
    var variantIDs: [Int64]
    var createdAt: Double
    var updatedAt: Double
    var discardedAt: Double?
    /// A queued inventory-policy job: when it finishes and what it sets.
    var job: PolicyJob?
}

/// A `bulk_toggle_inventory_policy` job running in the background.
struct PolicyJob: Sendable {
    var endsAt: Double
    var policy: String
    var variantIDs: [Int64]
}

/// Everything the emulator knows, saved to and loaded from a JSON state file.
///
/// File shape (all keys optional when loading):
/// `{"shop_id": 1, "next_id": 1, "plans": [<plan object as GET returns it, plus "markets_enabled",
/// "shopify_market_ids", "shopify_variant_ids", "discarded_at", "job">], "variant_policies":
/// {"<variant id>": "CONTINUE" | "DENY"}, "products": [...], "collections": [...]}` (the Shopify
/// catalogue: see `Catalogue`).
struct EmulatorState: Sendable {
    var shopID: Int64 = 1
    var nextID: Int = 1
    /// Plans in creation order.
    var plans: [PlanRecord] = []
    /// Shopify inventory policy of each variant the shop knows.
    var variantPolicies: [Int64: String] = [:]
    /// Shopify's products and collections (their variants' policies are in `variantPolicies`).
    var catalogue = Catalogue()

    func index(of id: String) -> Int? { plans.firstIndex { $0.id == id } }

    /// The next plan id: UUID-shaped, deterministic from a counter.
    mutating func makeID() -> String {
        defer { nextID += 1 }
        let hex = String(nextID, radix: 16)
        let padded = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return "5e7a0c1d-0000-4000-8000-\(padded)"
    }

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads a state file.
    static func load(_ bytes: [UInt8]) throws -> EmulatorState {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return EmulatorState() }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw LoadError(description: "state file is not JSON: \(error)")
        }
        guard json.objectValue != nil else { throw LoadError(description: "state file must hold a JSON object") }
        // Loaded as one shop, it would be an empty one, and written back over the shops.
        guard json["shops"] == nil else {
            throw LoadError(description: "state file holds several shops (\"shops\"); only stoqctl emulator serves such a file")
        }
        var state = EmulatorState()
        state.shopID = json["shop_id"]?.int64Value ?? 1
        for item in json["plans"]?.arrayValue ?? [] {
            guard let id = item["id"]?.stringValue else { throw LoadError(description: "a plan in the state file has no string \"id\"") }
            var fields: [String: JSONValue] = [:]
            for field in EmulatorSchema.fields {
                fields[field.name] = item[field.name] ?? field.defaultValue
            }
            if fields["internal_name"]?.isNull ?? true { fields["internal_name"] = fields["name"] }
            let created = item["created_at"]?.stringValue.flatMap(EmulatorTime.parse) ?? 1_767_225_600
            var record = PlanRecord(
                id: id, fields: fields, variantIDs: (item["shopify_variant_ids"]?.arrayValue ?? []).compactMap(\.int64Value),
                createdAt: created, updatedAt: item["updated_at"]?.stringValue.flatMap(EmulatorTime.parse) ?? created,
                discardedAt: item["discarded_at"]?.stringValue.flatMap(EmulatorTime.parse))
            if let job = item["job"], let ends = job["ends_at"]?.stringValue.flatMap(EmulatorTime.parse),
                let policy = job["policy"]?.stringValue
            {
                record.job = PolicyJob(
                    endsAt: ends, policy: policy, variantIDs: (job["variant_ids"]?.arrayValue ?? []).compactMap(\.int64Value))
            }
            state.plans.append(record)
        }
        state.nextID = Int(json["next_id"]?.int64Value ?? Int64(state.plans.count + 1))
        for (key, value) in json["variant_policies"]?.objectValue ?? [] {
            if let id = Int64(key), let policy = value.stringValue { state.variantPolicies[id] = policy }
        }
        state.catalogue = try Catalogue.load(json, policies: &state.variantPolicies)
        return state
    }

    /// The state as pretty JSON, plans in creation order and policies by id.
    func json() -> String {
        let plans: [JSONValue] = plans.map { p in
            var members: [(String, JSONValue)] = [("id", .string(p.id))]
            for field in EmulatorSchema.fields { members.append((field.name, p.fields[field.name] ?? .null)) }
            members.append(("shopify_variant_ids", .array(p.variantIDs.map { .integer($0) })))
            members.append(("created_at", .string(EmulatorTime.format(p.createdAt))))
            members.append(("updated_at", .string(EmulatorTime.format(p.updatedAt))))
            members.append(("discarded_at", p.discardedAt.map { .string(EmulatorTime.format($0)) } ?? .null))
            if let job = p.job {
                members.append(
                    (
                        "job",
                        .object([
                            ("ends_at", .string(EmulatorTime.format(job.endsAt))), ("policy", .string(job.policy)),
                            ("variant_ids", .array(job.variantIDs.map { .integer($0) })),
                        ])
                    ))
            }
            return .object(members)
        }
        // A catalogue variant's policy is written with the variant.
        let policies = variantPolicies.keys.sorted().filter { !catalogue.contains(variant: $0) }.map {
            (String($0), JSONValue.string(variantPolicies[$0] ?? "DENY"))
        }
        return JSONValue.object(
            [
                ("shop_id", .integer(shopID)), ("next_id", .integer(Int64(nextID))),
                ("plans", .array(plans)), ("variant_policies", .object(policies)),
            ] + catalogue.json(policies: variantPolicies)
        ).render() + "\n"
    }
}
