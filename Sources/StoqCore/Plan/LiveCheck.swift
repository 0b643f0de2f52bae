/// Compare-and-set for saved plans: each operation is checked against the plan's live state, read
/// just before the operation's plan is written, on the exact values the operation was planned from.
///
/// STOQ has no conditional writes (no ETag or version to send), so the check is a read followed by
/// the write; the window between them is one plan's requests, not the time since `plan`. Pure.
public enum LiveCheck {
    /// What to do with one operation.
    public enum Verdict: Sendable, Hashable {
        /// Send it: everything it was planned from still holds. The operation may be trimmed to
        /// what is still needed (fields or variants already as planned are left out).
        case proceed(PlanOperation)
        /// Nothing to send: the live state already is what the operation would make it.
        case inPlace(InPlace)
        /// The remote changed since the plan: skip it and report why.
        case conflict(Conflict)
    }

    /// A field whose live value is not the one the operation was planned with.
    public struct FieldDifference: Sendable, Hashable {
        /// The field.
        public var field: ChangeKey
        /// The value planned: for a create the value it sets, for an update the value it replaces.
        public var planned: FieldValue?
        /// The value read now.
        public var found: FieldValue?

        /// Creates one.
        public init(field: ChangeKey, planned: FieldValue?, found: FieldValue?) {
            self.field = field
            self.planned = planned
            self.found = found
        }
    }

    /// Why an operation has nothing left to send.
    public enum InPlace: Sendable, Hashable {
        /// A create found a plan with its `internal_name` and the planned values: adopted.
        case createdAsPlanned(id: String)
        /// Every field an update sets already has its new value.
        case fieldsSet
        /// Every variant a membership operation adds is a member (`adding`), or every one it
        /// removes is gone.
        case membership(variants: Int, adding: Bool)
        /// The plan a delete removes is gone.
        case planGone
        /// Every variant of a policy operation already has its policy (a STOQ job settled it).
        case policies(variants: Int, policy: InventoryPolicy?)
        /// Saved plans: planning now finds nothing to do for a reviewed operation.
        case nothingToDo

        /// `every planned field has its new value`.
        public var text: String {
            switch self {
            case .createdAsPlanned(let id): "the plan exists with the planned values (id \(id)); adopted"
            case .fieldsSet: "every planned field has its new value"
            case .membership(let variants, let adding): "all \(PlanText.count(variants)) variants are \(adding ? "members" : "gone")"
            case .planGone: "the plan is gone"
            case .policies(let variants, let policy): "all \(PlanText.count(variants)) variants have \(policy?.rawValue ?? "")"
            case .nothingToDo: "planning now finds nothing to do for it"
            }
        }
    }

    /// What changed in the shop since the plan, so the operation is not sent.
    public enum Conflict: Sendable, Hashable {
        /// A plan with the create's `internal_name` (now `id`) was created since, with other values.
        case createdDiffering(name: String, id: String, differing: [FieldDifference])
        /// The plan the operation acts on no longer exists.
        case planGone
        /// Fields the update replaces changed in STOQ since the plan.
        case changed([FieldDifference])
        /// The plan to delete was renamed in STOQ.
        case renamed(now: String)
        /// Policy operations: variants that changed to `policy` since the plan (saved plans), and
        /// variants Shopify no longer knows.
        case policies(changed: [Int64], gone: [Int64], policy: InventoryPolicy)

        /// `changed in STOQ since the plan: name: planned from "A", now "B"`; at most three fields
        /// and five ids are named.
        public var text: String {
            switch self {
            case .createdDiffering(let name, let id, let differing):
                let details = differing.prefix(3).map { d in
                    "\(d.field): planned \(PlanText.value(d.planned)), found \(PlanText.value(d.found))"
                }
                return "a plan named `\(name)` was created since the plan was made (id \(id)) and differs: "
                    + details.joined(separator: "; ")
            case .planGone:
                return "the plan no longer exists in STOQ"
            case .changed(let differences):
                let details = differences.prefix(3).map { d in
                    "\(d.field): planned from \(PlanText.value(d.planned ?? .null)), now \(PlanText.value(d.found))"
                }
                return "changed in STOQ since the plan: " + details.joined(separator: "; ")
            case .renamed(let now):
                return "renamed in STOQ since the plan (internal_name is now `\(now)`)"
            case .policies(let changed, let gone, let policy):
                var parts: [String] = []
                if !changed.isEmpty {
                    parts.append(
                        "\(PlanText.count(changed.count)) variant\(changed.count == 1 ? "" : "s") changed to \(policy.rawValue) since the plan: \(ids(changed))"
                    )
                }
                if !gone.isEmpty {
                    parts.append(
                        "\(PlanText.count(gone.count)) variant\(gone.count == 1 ? "" : "s") no longer known to Shopify: \(ids(gone))")
                }
                return parts.joined(separator: "; ")
            }
        }
    }

    /// True when two remote values are the same after normalisation (`null` and absent alike).
    static func same(_ a: FieldValue?, _ b: FieldValue?) -> Bool {
        guard let a, a != .null else { return b == nil || b == .null }
        return Normalize.equal(a, b)
    }

    /// Checks `op` against `live`, the plan it acts on as read now (nil: no such plan).
    ///
    /// For a create, `live` is the plan found by `internal_name`, if any.
    public static func check(_ op: PlanOperation, live: RemotePlan?) -> Verdict {
        switch op.kind {
        case .create:
            guard let live else { return .proceed(op) }
            let differing = op.changes.filter { c in
                guard c.field != .internalName, !c.field.isWriteOnly else { return false }
                return !Normalize.equal(c.after, c.field.value(in: live))
            }
            guard differing.isEmpty else {
                return .conflict(
                    .createdDiffering(
                        name: op.plan.internalName, id: live.id,
                        differing: differing.map { FieldDifference(field: $0.field, planned: $0.after, found: $0.field.value(in: live)) }))
            }
            return .inPlace(.createdAsPlanned(id: live.id))
        case .update:
            guard let live else { return .conflict(.planGone) }
            var kept: [FieldChange] = []
            var changed: [FieldDifference] = []
            var stillNeeded = false
            for c in op.changes {
                guard !c.field.isWriteOnly else {
                    // Write-only: STOQ never returns it, so there is nothing to compare; it rides along.
                    kept.append(c)
                    continue
                }
                let now = c.field.value(in: live)
                if same(c.before, now) {
                    kept.append(c)
                    stillNeeded = true
                } else if same(c.after, now) {
                    continue
                } else {
                    changed.append(FieldDifference(field: c.field, planned: c.before, found: now))
                }
            }
            if !changed.isEmpty { return .conflict(.changed(changed)) }
            guard stillNeeded else { return .inPlace(.fieldsSet) }
            var trimmed = op
            trimmed.changes = kept
            let keys = Set(kept.map(\.field))
            trimmed.requests = op.requests.map { $0.keeping(fields: keys) }
            return .proceed(trimmed)
        case .addVariants, .removeVariants:
            guard let live else { return .conflict(.planGone) }
            let members = Set(live.variantIDs)
            let adding = op.kind == .addVariants
            let needed = op.variantIDs.filter { members.contains($0) != adding }
            guard !needed.isEmpty else { return .inPlace(.membership(variants: op.variantIDs.count, adding: adding)) }
            return .proceed(keeping(Set(needed), of: op))
        case .setInventoryPolicy:
            // STOQ cannot read policies back: here only the plan itself is checked; a verified
            // operation is checked against Shopify by `checkPolicies` just before it is sent.
            guard live != nil else { return .conflict(.planGone) }
            return .proceed(op)
        case .delete:
            guard let live else { return .inPlace(.planGone) }
            guard live.internalName == op.plan.internalName else { return .conflict(.renamed(now: live.internalName)) }
            return .proceed(op)
        }
    }

    /// A verified policy operation against the policies read just before it is sent.
    public struct PolicyCheck: Sendable, Hashable {
        /// What is still to send (nil: nothing).
        public var send: PlanOperation?
        /// Variants that already have the planned policy.
        public var inPlace: [Int64]
        /// Variants that changed since the plan (saved plans), or that Shopify no longer knows.
        public var conflicts: [Int64]
        /// The conflicts, when there are any.
        public var conflict: Conflict?
    }

    /// Checks a verified policy operation against `current`, read just before sending it.
    ///
    /// A variant that still has the policy the plan replaces is sent. One that Shopify no longer
    /// knows is a conflict. One that already has the planned policy is in place for a fresh plan
    /// (a STOQ job settled it), but for a saved plan it is a conflict: it changed since the plan
    /// was reviewed, and STOQ's own automation may be acting on it, so it is reported and the plan
    /// should be made again; the others proceed.
    public static func checkPolicies(_ op: PlanOperation, current: PolicyState, saved: Bool) -> PolicyCheck {
        guard let planned = op.policy else { return PolicyCheck(send: op, inPlace: [], conflicts: []) }
        var keep = Set<Int64>()
        var inPlace: [Int64] = []
        var gone: [Int64] = []
        var changed: [Int64] = []
        for id in op.variantIDs {
            switch current.current[id] {
            case nil: gone.append(id)
            case planned?: if saved { changed.append(id) } else { inPlace.append(id) }
            default: keep.insert(id)
            }
        }
        return PolicyCheck(
            send: keep.isEmpty ? nil : keeping(keep, of: op), inPlace: inPlace, conflicts: changed + gone,
            conflict: changed.isEmpty && gone.isEmpty ? nil : .policies(changed: changed, gone: gone, policy: planned))
    }

    /// `1, 2, 3, 4, 5, … (7 more)`: ids as messages list them.
    public static func ids(_ ids: [Int64]) -> String {
        let shown = ids.prefix(5).map(String.init).joined(separator: ", ")
        return ids.count > 5 ? "\(shown), … (\(PlanText.count(ids.count - 5)) more)" : shown
    }

    /// `op` with only the ids in `ids`, in its own request boundaries (empty requests dropped).
    static func keeping(_ ids: Set<Int64>, of op: PlanOperation) -> PlanOperation {
        var out = op
        out.variantIDs = op.variantIDs.filter(ids.contains)
        out.requests = op.requests.compactMap { $0.keeping(ids: ids) }
        return out
    }

}
