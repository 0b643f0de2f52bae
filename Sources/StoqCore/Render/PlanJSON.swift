import StoqWire

/// The plan as JSON: the contract saved plans and other tools use (`Docs/PlanFormat.md`).
///
/// The document carries everything `apply` needs to rebuild the operations (each change with the
/// value it was planned from, every variant id, each request) and a `plan_hash`: SHA-256 over the
/// compact rendering of the document without that member.
public enum JSONPlanRenderer {
    static func location(_ l: SourceLocation?) -> JSONValue {
        guard let l else { return .null }
        return .object([("file", .string(l.file)), ("line", .integer(Int64(l.line))), ("column", .integer(Int64(l.column)))])
    }

    static func ref(_ r: PlanRef) -> JSONValue {
        .object([("internal_name", .string(r.internalName)), ("id", r.id.map(JSONValue.string) ?? .null)])
    }

    static func remotePlan(_ p: UnmanagedPlan) -> JSONValue {
        .object([
            ("internal_name", .string(p.plan.internalName)), ("id", p.plan.id.map(JSONValue.string) ?? .null), ("name", .string(p.name)),
        ])
    }

    static func operation(_ op: PlanOperation) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("kind", .string(op.kind.rawValue)), ("plan", ref(op.plan)), ("source", location(op.location)),
        ]
        if op.kind == .create || op.kind == .update {
            let changes: [JSONValue] = op.changes.map { c in
                .object([
                    ("field", .string(c.field)), ("before", op.kind == .create ? .null : c.before?.json ?? .null),
                    ("after", c.after.json), ("source", location(c.location)),
                ])
            }
            members.append(("changes", .array(changes)))
        }
        if op.kind == .setInventoryPolicy {
            members.append(("inventory_policy", .string(op.policy?.rawValue ?? "")))
            members.append(("verified", .bool(!op.unverified)))
        }
        if [.addVariants, .removeVariants, .setInventoryPolicy].contains(op.kind) {
            members.append(("variant_ids", .array(op.variantIDs.map { .integer($0) })))
        }
        let requests: [JSONValue] = op.requests.map { r in
            .object([
                ("method", .string(r.method)), ("path", .string(r.path)), ("cost", .integer(Int64(r.cost))),
                ("variant_count", .integer(Int64(r.variantIDs.count))),
            ])
        }
        members.append(("requests", .array(requests)))
        return .object(members)
    }

    static func safety(_ plan: Plan) -> JSONValue {
        let s = plan.safety
        let gates: [JSONValue] = SafetyGates.check(plan).map { c in
            .object([
                ("gate", .string(c.gate.rawValue)), ("count", .integer(Int64(c.count))), ("allowed", .integer(Int64(c.allowed))),
                ("applies", .bool(c.applies)), ("tripped", .bool(c.tripped)), ("unverified", .integer(Int64(c.unverified))),
            ])
        }
        return .object([
            ("managed_plans", .integer(Int64(plan.managedPlans))),
            (
                "thresholds",
                .object([
                    ("max_update_percent", .number(s.maxUpdatePercent.description)),
                    ("max_delete_percent", .number(s.maxDeletePercent.description)),
                    ("max_policy_flips", .integer(s.maxPolicyFlips)), ("min_managed_plans", .integer(s.minManagedPlans)),
                ])
            ),
            ("gates", .array(gates)),
        ])
    }

    /// The document without `plan_hash`: what the hash covers.
    static func body(_ plan: Plan) -> [(String, JSONValue)] {
        let s = plan.summary
        let groups = PlanGroup.groups(plan)
        let policy: [(String, JSONValue)] = InventoryPolicy.allCases.map { ($0.rawValue, .integer(Int64(s.policyVariants[$0] ?? 0))) }
        let summary: JSONValue = .object([
            ("has_changes", .bool(!plan.isEmpty)),
            ("create", .integer(Int64(groups.filter { $0.action == .create }.count))),
            ("update", .integer(Int64(groups.filter { $0.action == .update }.count))),
            ("delete", .integer(Int64(groups.filter { $0.action == .delete }.count))),
            ("variants_added", .integer(Int64(s.variantsAdded))), ("variants_removed", .integer(Int64(s.variantsRemoved))),
            ("inventory_policy", .object(policy)),
            ("unverified_policy_variants", .integer(Int64(s.unverifiedPolicyVariants))),
            ("requests", .integer(Int64(s.requests))), ("cost_points", .integer(Int64(s.points))),
            ("estimated_seconds", .integer(Int64(plan.estimatedSeconds))),
            (
                "budget",
                .object([
                    ("points", .integer(Int64(plan.budgetPoints))),
                    ("window_seconds", .number(DecimalNumber("\(plan.budgetWindow)")?.description ?? "60")),
                ])
            ),
        ])
        let unverifiable: [JSONValue] = plan.unverifiable.map { u in
            .object([("plan", ref(u.plan)), ("fields", .array(u.fields.map(JSONValue.string))), ("source", location(u.location))])
        }
        return [
            ("format_version", .integer(Int64(Plan.formatVersion))),
            ("endpoint", plan.endpoint.map(JSONValue.string) ?? .null),
            ("summary", summary),
            ("safety", safety(plan)),
            ("operations", .array(plan.operations.map(operation))),
            ("unverifiable_fields", .array(unverifiable)),
            ("deletes_needing_allow_deletes", .array(plan.blockedDeletes.map(remotePlan))),
            ("unmanaged_plans", .array(plan.unmanaged.map(remotePlan))),
            ("targets", .array(plan.targets.map(JSONValue.string))),
        ]
    }

    /// `sha256:…` over the compact rendering of `body`.
    static func hash(body: [(String, JSONValue)]) -> String {
        "sha256:" + SHA256.hex(JSONValue.object(body).renderCompact())
    }

    /// The plan's content hash (`sha256:` and 64 hex digits): the same inputs always give the
    /// same hash, and any change to what the plan would do changes it.
    public static func hash(_ plan: Plan) -> String { hash(body: body(plan)) }

    /// The plan document, `plan_hash` second.
    public static func document(_ plan: Plan) -> JSONValue {
        var members = body(plan)
        members.insert(("plan_hash", .string(hash(body: members))), at: 1)
        return .object(members)
    }

    /// The plan as pretty JSON with a trailing newline.
    public static func render(_ plan: Plan) -> String { document(plan).render() + "\n" }
}
