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
        case inPlace(String)
        /// The remote changed since the plan: skip it and report why.
        case conflict(String)
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
                let details = differing.prefix(3).map { c in
                    "\(c.field): planned \(PlanText.value(c.after)), found \(PlanText.value(c.field.value(in: live)))"
                }
                return .conflict(
                    "a plan named `\(op.plan.internalName)` was created since the plan was made (id \(live.id)) and differs: "
                        + details.joined(separator: "; "))
            }
            return .inPlace("the plan exists with the planned values (id \(live.id)); adopted")
        case .update:
            guard let live else { return .conflict("the plan no longer exists in STOQ") }
            var kept: [FieldChange] = []
            var changed: [(ChangeKey, FieldValue?, FieldValue?)] = []
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
                    changed.append((c.field, c.before, now))
                }
            }
            if !changed.isEmpty {
                return .conflict("changed in STOQ since the plan: " + describe(changed.prefix(3).map { ($0.0, $0.1 ?? .null, $0.2) }))
            }
            guard stillNeeded else { return .inPlace("every planned field has its new value") }
            var trimmed = op
            trimmed.changes = kept
            return .proceed(trimmed)
        case .addVariants, .removeVariants:
            guard let live else { return .conflict("the plan no longer exists in STOQ") }
            let members = Set(live.variantIDs)
            let adding = op.kind == .addVariants
            let needed = op.variantIDs.filter { members.contains($0) != adding }
            guard !needed.isEmpty else {
                return .inPlace("all \(PlanText.count(op.variantIDs.count)) variants are \(adding ? "members" : "gone")")
            }
            return .proceed(keeping(Set(needed), of: op))
        case .setInventoryPolicy:
            // STOQ cannot read policies back: here only the plan itself is checked; a verified
            // operation is checked against Shopify by `checkPolicies` just before it is sent.
            guard live != nil else { return .conflict("the plan no longer exists in STOQ") }
            return .proceed(op)
        case .delete:
            guard let live else { return .inPlace("the plan is gone") }
            guard live.internalName == op.plan.internalName else {
                return .conflict("renamed in STOQ since the plan (internal_name is now `\(live.internalName)`)")
            }
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
        /// A sentence about the conflicts, when there are any.
        public var conflictMessage: String?
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
        var parts: [String] = []
        if !changed.isEmpty {
            parts.append(
                "\(PlanText.count(changed.count)) variant\(changed.count == 1 ? "" : "s") changed to \(planned.rawValue) since the plan: \(ids(changed))"
            )
        }
        if !gone.isEmpty {
            parts.append("\(PlanText.count(gone.count)) variant\(gone.count == 1 ? "" : "s") no longer known to Shopify: \(ids(gone))")
        }
        return PolicyCheck(
            send: keep.isEmpty ? nil : keeping(keep, of: op), inPlace: inPlace, conflicts: changed + gone,
            conflictMessage: parts.isEmpty ? nil : parts.joined(separator: "; "))
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
        out.requests = op.requests.compactMap { r in
            var r = r
            r.variantIDs = r.variantIDs.filter(ids.contains)
            return r.variantIDs.isEmpty ? nil : r
        }
        return out
    }

    /// `name: planned from "A", now "B"; …`.
    static func describe(_ items: [(ChangeKey, FieldValue?, FieldValue?)]) -> String {
        items.map { "\($0.0): planned from \(PlanText.value($0.1)), now \(PlanText.value($0.2))" }.joined(separator: "; ")
    }
}
