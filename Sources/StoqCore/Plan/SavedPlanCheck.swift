/// Reconciles a saved plan with the plan made again, at apply, from the configuration being
/// applied and the live shop, so that the file decides nothing that is sent.
///
/// A saved plan is a record of what a reviewer saw; its `plan_hash` detects damage, not forgery,
/// since anyone can recompute it. So apply plans again and takes from the file only which
/// operations were reviewed and the values they were planned from (the compare-and-set
/// expectations). Every operation sent is the recomputed one: its target id, its `after` values,
/// its variants, its request bodies. The gates are measured on the recomputed plan, with the
/// thresholds and approvals of the configuration.
///
/// - A saved operation with an identical recomputed one (same kind, plan, id, fields and `after`
///   values, variants, policy) is sent, as recomputed, compare-and-set against its saved `before`
///   values. The requests the file shows for it (method, path, body or query) must be the
///   recomputed ones; any difference refuses the whole apply, naming the request.
/// - A saved operation that the configuration does not declare (an `after` value, a variant, a
///   policy or a delete it does not ask for) refuses the whole apply: the file and the
///   configuration disagree, and nothing is sent.
/// - A saved operation that the configuration declares and that planning now no longer needs (the
///   shop already has it) is in place: nothing is sent for it.
/// - A saved operation that the configuration declares but that planning now makes differently (the
///   shop changed since the review) is a conflict: not sent.
/// - A recomputed operation no saved one matches was not reviewed: not sent, reported.
public enum SavedPlanCheck {
    /// What apply does with a saved plan.
    public struct Result: Sendable {
        /// The plan to execute: the recomputed plan with the reviewed operations only, each with
        /// its saved `before` values for compare-and-set.
        public var plan: Plan
        /// The first difference between the file and the configuration, as a sentence; apply sends
        /// nothing when it is set.
        public var refusal: String?
        /// Reviewed operations the shop changed under since the review (not sent).
        public var changedSinceReview: [PlanOperation]
        /// Reviewed operations planning no longer needs: the shop already has them (not sent).
        public var inPlace: [PlanOperation]
        /// Recomputed operations the saved plan does not hold (not sent).
        public var notReviewed: [PlanOperation]
    }

    /// What an operation does, without the values it was planned from: equal intents send the
    /// same requests.
    struct Intent: Hashable {
        var kind: OperationKind
        var internalName: String
        var id: String?
        var changes: [Setting]
        var variantIDs: [Int64]
        var policy: InventoryPolicy?
        var unverified: Bool

        init(_ op: PlanOperation) {
            kind = op.kind
            internalName = op.plan.internalName
            id = op.kind == .create ? nil : op.plan.id
            changes = op.changes.map { Setting(field: $0.field, value: $0.after) }.sorted { $0.field < $1.field }
            variantIDs = op.variantIDs.sorted()
            policy = op.policy
            unverified = op.unverified
        }
    }

    /// What an operation acts on: its kind, its plan and the policy it sets.
    struct Target: Hashable {
        var kind: OperationKind
        var internalName: String
        var policy: InventoryPolicy?

        init(_ op: PlanOperation) {
            kind = op.kind
            internalName = op.plan.internalName
            policy = op.policy
        }
    }

    /// A field and the value an operation sets it to.
    struct Setting: Hashable {
        var field: ChangeKey
        var value: FieldValue
    }

    /// Reconciles `saved` (decoded from the file) with `fresh` (planned now from `desired`, the
    /// configuration being applied).
    public static func reconcile(saved: Plan, fresh: Plan, desired: DesiredState) -> Result {
        var unmatched: [Intent: [Int]] = [:]
        for (index, op) in fresh.operations.enumerated() { unmatched[Intent(op), default: []].append(index) }
        var execute: [PlanOperation] = []
        var changed: [PlanOperation] = []
        var inPlace: [PlanOperation] = []
        let planned = Set(fresh.operations.map { Target($0) })
        for op in saved.operations {
            let intent = Intent(op)
            if let index = unmatched[intent]?.first {
                unmatched[intent]?.removeFirst()
                if let difference = differentRequests(op, fresh.operations[index]) {
                    return Result(
                        plan: fresh, refusal: "\(describe(op)): \(difference)", changedSinceReview: [], inPlace: [], notReviewed: [])
                }
                execute.append(withSavedBefore(fresh.operations[index], from: op))
            } else if let difference = undeclared(op, in: desired) {
                return Result(
                    plan: fresh, refusal: "\(describe(op)): \(difference)", changedSinceReview: [], inPlace: [], notReviewed: [])
            } else if planned.contains(Target(op)) {
                changed.append(op)
            } else {
                inPlace.append(op)
            }
        }
        let left = Set(unmatched.values.flatMap { $0 })
        let notReviewed = fresh.operations.enumerated().filter { left.contains($0.offset) && $0.element.isChange }.map(\.element)
        var plan = fresh
        plan.operations = execute
        return Result(plan: plan, refusal: nil, changedSinceReview: changed, inPlace: inPlace, notReviewed: notReviewed)
    }

    /// Where the requests the file shows for `saved` differ from those recomputed for it
    /// (`fresh`), naming the first that differs (nil when they are the same).
    ///
    /// Only the recomputed requests are ever sent; a file that shows other bodies than those was
    /// not made from this configuration and this shop, so what it shows is not what would be sent.
    static func differentRequests(_ saved: PlanOperation, _ fresh: PlanOperation) -> String? {
        for (i, (shown, sent)) in zip(saved.requests, fresh.requests).enumerated() where shown != sent {
            return
                "request \(i + 1) (\(sent.method) \(sent.path)) sends \(content(sent)), but the file shows \(shown.method) \(shown.path) with \(content(shown))"
        }
        guard saved.requests.count == fresh.requests.count else {
            return "it compiles to \(PlanText.calls(fresh.requests.count)), but the file shows \(PlanText.calls(saved.requests.count))"
        }
        return nil
    }

    /// `body {"selling_plan":{"name":"Fall"}}`, `query shopify_variant_ids=1,2`, or `nothing`.
    static func content(_ request: PlannedRequest) -> String {
        if let body = request.body { return "body \(body.renderCompact())" }
        if let query = request.queryString { return "query \(query)" }
        return "nothing"
    }

    /// `update fall-drop-2026`.
    public static func describe(_ op: PlanOperation) -> String { "\(op.kind.rawValue) \(op.plan.internalName)" }

    /// The recomputed operation, compared at apply against the values the reviewed one was planned
    /// from.
    static func withSavedBefore(_ fresh: PlanOperation, from saved: PlanOperation) -> PlanOperation {
        var op = fresh
        let before = Dictionary(saved.changes.map { ($0.field, $0.before) }, uniquingKeysWith: { first, _ in first })
        op.changes = fresh.changes.map { change in
            var c = change
            if let value = before[change.field] { c.before = value }
            return c
        }
        return op
    }

    /// Why the configuration does not declare what `op` does (nil when it does).
    static func undeclared(_ op: PlanOperation, in desired: DesiredState) -> String? {
        let spec = desired.plans.first { $0.internalName.value == op.plan.internalName }
        if op.kind == .delete {
            if spec != nil { return "the configuration declares this plan" }
            return desired.settings.prune ? nil : "deletes need `prune: true` in stoqctl.yaml"
        }
        guard let spec else { return "the configuration declares no plan `\(op.plan.internalName)`" }
        if let pinned = spec.id?.value, op.kind != .create, let id = op.plan.id, id != pinned {
            return "targets plan id \(id), but the configuration pins id \(pinned)"
        }
        switch op.kind {
        case .create, .update:
            return undeclaredChange(op, spec: spec)
        case .addVariants:
            let declared = Set((spec.variants ?? []).map(\.value))
            return op.variantIDs.first { !declared.contains($0) }.map { "variant \($0) is not among the declared variants" }
        case .removeVariants:
            let declared = Set((spec.variants ?? []).map(\.value))
            if let kept = op.variantIDs.first(where: { declared.contains($0) }) { return "variant \(kept) is declared" }
            return op.policy == spec.removalPolicy?.value
                ? nil
                : "removes with inventory policy \(op.policy?.rawValue ?? "none"), but the configuration says \(spec.removalPolicy?.value.rawValue ?? "none")"
        case .setInventoryPolicy:
            guard let policy = op.policy else { return "sets no policy" }
            let declared = Set((spec.inventoryPolicy[policy] ?? []).map(\.value))
            return op.variantIDs.first { !declared.contains($0) }.map { "variant \($0) is not declared \(policy.rawValue)" }
        case .delete:
            return nil
        }
    }

    static func undeclaredChange(_ op: PlanOperation, spec: SellingPlanSpec) -> String? {
        for change in op.changes {
            let declared: FieldValue? =
                switch change.field {
                case .internalName: .string(spec.internalName.value)
                case .field(let field): spec.fields[field]?.value
                }
            guard let declared else { return "sets \(change.field.name), which the configuration does not declare" }
            if !Normalize.equal(change.after, declared) {
                return
                    "sets \(change.field.name) to \(PlanText.value(change.after)), but the configuration declares \(PlanText.value(declared))"
            }
        }
        return nil
    }
}
