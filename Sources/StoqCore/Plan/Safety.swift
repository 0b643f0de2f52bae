import StoqWire

/// A safety gate: a threshold from `stoqctl.yaml`'s `safety:` that stops an apply changing too
/// much at once.
public enum SafetyGate: String, Sendable, Hashable, CaseIterable {
    /// Share of managed plans updated (`max_update_percent`).
    case updates
    /// Share of managed plans deleted (`max_delete_percent`).
    case deletes
    /// Variants whose inventory policy changes (`max_policy_flips`).
    case policyFlips = "policy_flips"
    /// Variants already in their plan whose policy changes to CONTINUE (`max_continue_flips`):
    /// selling when out of stock, possibly undoing STOQ's sold-out protection.
    case continueFlips = "continue_flips"

    /// The `safety:` setting that sets its threshold.
    public var setting: String {
        switch self {
        case .updates: "max_update_percent"
        case .deletes: "max_delete_percent"
        case .policyFlips: "max_policy_flips"
        case .continueFlips: "max_continue_flips"
        }
    }
}

/// One gate measured against one plan.
public struct GateCheck: Sendable, Hashable {
    /// The gate.
    public var gate: SafetyGate
    /// What the plan does: plans updated or deleted, or variants whose policy may change.
    public var count: Int
    /// The most the threshold allows for this shop.
    public var allowed: Int
    /// The threshold as written (`30` percent, or `500` variants).
    public var threshold: String
    /// False when the shop has fewer managed plans than `min_managed_plans` (percentage gates only).
    public var applies: Bool
    /// Policies sent without being verified (declared, with no policy reader): not counted in
    /// `count`, since nothing says whether they flip anything.
    public var unverified: Int

    /// True when the plan goes over the threshold.
    public var tripped: Bool { applies && count > allowed }
    /// By how much.
    public var over: Int { max(0, count - allowed) }
}

/// What an apply does about one gate.
public struct GateDecision: Sendable, Hashable {
    /// The gate as measured.
    public var check: GateCheck
    /// The `--allow-gate` override that matched, if any.
    public var override: GateOverride?
    /// The override given for this gate that did not count: it is pinned to another plan.
    public var overrideMismatch: GateOverride?
    /// The change digest of what the configuration changed that this gate counts
    /// (``Safety/changeDigest(_:gate:)``); set when the gate is tripped.
    public var change: String?
    /// The `safety.approvals` entry that lets the tripped gate through, if any.
    public var approval: SafetyApproval?
    /// Why an approval for this gate did not count (another change, or drift alone over it).
    public var approvalMismatch: ApprovalMismatch?
    /// The gate measured over the drift alone (what the apply sets back), when that alone trips
    /// it: no approval in the configuration can then let the plan through.
    public var driftAlone: GateCheck?

    /// True when the apply must stop.
    public var refuses: Bool { check.tripped && override == nil && approval == nil }

    /// True when an approval of ``change`` would let the tripped gate through: the configuration
    /// changed something the gate counts, and the drift alone stays within the threshold.
    public var approvable: Bool { driftAlone == nil && change != nil && change != Safety.emptyChange }
}

/// `--allow-gate GATE[=HASH]`: let one tripped gate through, optionally only for the plan whose
/// hash starts with HASH, so the override cannot carry over to a different plan.
public struct GateOverride: Sendable, Hashable, CustomStringConvertible {
    /// The gate it opens.
    public var gate: SafetyGate
    /// Lowercase hex prefix of the plan hash (at least 8 digits), or nil for any plan.
    public var planHash: String?

    /// Shortest hash prefix accepted.
    public static let minimumPrefix = 8

    /// Creates an override.
    public init(gate: SafetyGate, planHash: String?) {
        self.gate = gate
        self.planHash = planHash
    }

    /// Parses `updates`, `updates=sha256:1a2b3c4d…` or `updates=1a2b3c4d`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard let name = parts.first, let gate = SafetyGate(rawValue: name) else { return nil }
        self.gate = gate
        guard parts.count == 2 else {
            planHash = nil
            return
        }
        var hash = parts[1].lowercased()
        if hash.hasPrefix("sha256:") { hash.removeFirst("sha256:".count) }
        guard hash.count >= Self.minimumPrefix, hash.count <= 64, hash.allSatisfy({ $0.isHexDigit }) else { return nil }
        planHash = hash
    }

    /// `updates=1a2b3c4d…` as given.
    public var description: String { gate.rawValue + (planHash.map { "=" + $0 } ?? "") }

    /// True when it applies to the plan with hash `hash` (`sha256:…`).
    public func matches(planHash hash: String) -> Bool {
        guard let prefix = planHash else { return true }
        return hash.dropFirst("sha256:".count).hasPrefix(prefix)
    }
}

/// Everything safety decides about one plan, in one value: each gate measured with the override
/// that opened it, the deletes permission, and the sentences to show.
///
/// `plan` and `apply` both compute it with ``Safety/verdict(for:planHash:overrides:allowDeletes:)``,
/// so `plan`'s exit code says what `apply` would do with the same flags.
public struct SafetyVerdict: Sendable, Hashable {
    /// The hash of the plan judged (`sha256:` and 64 hex digits).
    public var planHash: String
    /// Every gate, measured, with the override that matched it.
    public var decisions: [GateDecision]
    /// Delete operations in the plan when `--allow-deletes` was not given.
    public var deletesWithoutPermission: Int
    /// Why the plan may not be applied; empty when it may.
    public var refusals: [Refusal]
    /// Overrides and approvals that were used, and overrides that are not pinned to a plan.
    public var notices: [SafetyNotice]

    /// True when apply must send nothing.
    public var refuses: Bool { !refusals.isEmpty }

    /// `sha256:` and 16 hex digits: what a reviewer pins an override to.
    public var shortHash: String { PlanText.shortHash(planHash) }
}

/// The one home of safety: measures a plan against its thresholds, applies `--allow-gate`
/// overrides and the `--allow-deletes` permission, and returns one verdict.
///
/// Pure.
public enum Safety {
    /// Every gate, measured.
    public static func check(_ plan: Plan) -> [GateCheck] {
        let safety = plan.safety
        let floorApplies = Int64(plan.managedPlans) >= safety.minManagedPlans
        let summary = plan.summary
        let policies = plan.operations.filter { $0.kind == .setInventoryPolicy }
        // Unverified policies count only against a baseline, where they are the ones the
        // configuration changed; without one nothing says whether they flip anything.
        let uncounted = policies.filter { $0.unverified && $0.attribution == nil }
        let unverified = uncounted.reduce(0) { $0 + $1.variantIDs.count }
        let counted = policies.filter { !$0.unverified || $0.attribution != nil }
        // Variants removed with CONTINUE keep selling when out of stock outside any preorder: they
        // count as flips to CONTINUE. DENY on removal is the safe end of a preorder and does not.
        let continuingRemovals = plan.operations.filter { $0.kind == .removeVariants && $0.policy == .continue }
            .reduce(0) { $0 + $1.variantIDs.count }
        let flips = counted.reduce(0) { $0 + $1.variantIDs.count } + continuingRemovals
        // Variants that join their plan in this apply get CONTINUE as part of a new preorder;
        // the others were already in it, and may be DENY because STOQ stopped selling them.
        var joining: [PlanRef: Set<Int64>] = [:]
        for op in plan.operations where op.kind == .addVariants { joining[op.plan, default: []].formUnion(op.variantIDs) }
        let created = Set(plan.operations.filter { $0.kind == .create }.map(\.plan))
        let continueFlips =
            counted.filter { $0.policy == .continue && !created.contains($0.plan) }.reduce(0) { total, op in
                total + op.variantIDs.filter { !(joining[op.plan]?.contains($0) ?? false) }.count
            } + continuingRemovals
        return [
            GateCheck(
                gate: .updates, count: summary.update, allowed: share(safety.maxUpdatePercent, of: plan.managedPlans),
                threshold: safety.maxUpdatePercent.description, applies: floorApplies, unverified: 0),
            GateCheck(
                gate: .deletes, count: summary.delete, allowed: share(safety.maxDeletePercent, of: plan.managedPlans),
                threshold: safety.maxDeletePercent.description, applies: floorApplies, unverified: 0),
            GateCheck(
                gate: .policyFlips, count: flips, allowed: Int(clamping: safety.maxPolicyFlips), threshold: String(safety.maxPolicyFlips),
                applies: true, unverified: unverified),
            GateCheck(
                gate: .continueFlips, count: continueFlips, allowed: Int(clamping: safety.maxContinueFlips),
                threshold: String(safety.maxContinueFlips), applies: true, unverified: 0),
        ]
    }

    /// Each gate with the override or approval that opens it, if any.
    ///
    /// An approval in `safety.approvals` opens a tripped gate when its digest is that of the
    /// configuration's part of what the gate counts, and what the gate counts of the rest (drift
    /// the apply reverts) stays within the threshold: a review approves a change, not a drift.
    public static func decide(_ plan: Plan, planHash: String, overrides: [GateOverride]) -> [GateDecision] {
        let checks = check(plan)
        // The drift part is measured once, and only when a gate trips: most plans need no part.
        let drift = checks.contains(where: \.tripped) ? Self.check(plan.part(.remote)) : []
        return checks.map { check in
            let given = overrides.filter { $0.gate == check.gate }
            let matching = given.first { $0.matches(planHash: planHash) }
            var decision = GateDecision(check: check, override: check.tripped ? matching : nil)
            guard check.tripped else { return decision }
            if matching == nil, let pinned = given.first { decision.overrideMismatch = pinned }
            let digest = changeDigest(plan, gate: check.gate)
            decision.change = digest
            if let driftCheck = drift.first(where: { $0.gate == check.gate }), driftCheck.tripped {
                decision.driftAlone = driftCheck
            }
            let approvals = plan.safety.approvals.filter { $0.gate == check.gate }
            if let approval = approvals.first(where: { digest.hasPrefix($0.change) }) {
                if let driftCheck = decision.driftAlone {
                    decision.approvalMismatch = .driftOver(approval, drift: driftCheck)
                } else if matching == nil {
                    decision.approval = approval
                }
            } else if let other = approvals.first {
                decision.approvalMismatch = .otherChange(other, planChange: digest)
            }
            return decision
        }
    }

    /// The digest (16 hex digits) of what the configuration changed that `gate` counts.
    ///
    /// It covers the fields it updates, the plans it deletes, the variants whose policy it changes, each with the
    /// value it sets, never the value the shop had. Against a baseline, only the configuration's
    /// part counts (drift is left out), so the plan made again on merge against the live shop
    /// gives the same digest as the plan reviewed on the pull request.
    public static func changeDigest(_ plan: Plan, gate: SafetyGate) -> String {
        var lines: [String] = []
        for op in plan.part(.config).operations where op.isChange || op.attribution != nil {
            let name = op.plan.internalName
            switch (gate, op.kind) {
            case (.updates, .update):
                lines += op.changes.map { "update\t\(name)\t\($0.field.name)\t\(PlanText.value($0.after))" }
            case (.deletes, .delete):
                lines.append("delete\t\(name)")
            case (.policyFlips, .setInventoryPolicy), (.policyFlips, .removeVariants),
                (.continueFlips, .setInventoryPolicy), (.continueFlips, .removeVariants):
                guard let policy = op.policy, gate == .policyFlips || policy == .continue else { continue }
                if op.kind == .removeVariants, policy != .continue { continue }
                lines += op.variantIDs.map { "\(op.kind.rawValue)\t\(name)\t\(policy.rawValue)\t\($0)" }
            default:
                continue
            }
        }
        return String(ContentHash.sha256(lines.sorted().joined(separator: "\n")).prefix(16))
    }

    /// The digest of a configuration that changed nothing a gate counts.
    public static let emptyChange = String(ContentHash.sha256("").prefix(16))

    /// The verdict on `plan`: every tripped gate without a matching override refuses it, and so
    /// does a delete without `allowDeletes`.
    public static func verdict(for plan: Plan, planHash: String, overrides: [GateOverride], allowDeletes: Bool) -> SafetyVerdict {
        let decisions = decide(plan, planHash: planHash, overrides: overrides)
        var refusals: [Refusal] = []
        var notices: [SafetyNotice] = []
        for decision in decisions where decision.check.tripped {
            let tripped = TrippedGate(
                decision: decision, managedPlans: plan.managedPlans, minManagedPlans: plan.safety.minManagedPlans, planHash: planHash)
            if let used = decision.override {
                notices.append(.overridden(tripped, by: used))
                if used.planHash == nil { notices.append(.unpinned(tripped)) }
            } else if let approval = decision.approval {
                notices.append(.approved(tripped, by: approval))
            } else {
                refusals.append(.gate(tripped))
            }
        }
        let deletes = allowDeletes ? 0 : plan.operations.filter { $0.kind == .delete }.count
        if deletes > 0 { refusals.append(.deletesWithoutPermission(count: deletes)) }
        return SafetyVerdict(
            planHash: planHash, decisions: decisions, deletesWithoutPermission: deletes, refusals: refusals, notices: notices)
    }

    /// Splits the plans prune would delete into delete operations (with `allowDeletes`) and plans
    /// only listed as needing `--allow-deletes`.
    public static func admitDeletes(_ candidates: [UnmanagedPlan], allowDeletes: Bool) -> (
        operations: [PlanOperation], withheld: [UnmanagedPlan]
    ) {
        guard allowDeletes else { return ([], candidates) }
        let ops = candidates.map { plan in
            PlanOperation(kind: .delete, plan: plan.plan, location: nil, requests: [PlannedRequest(planID: plan.plan.id, payload: .delete)])
        }
        return (ops, [])
    }

    /// The most plans `percent` % of `base` allows (rounded down).
    static func share(_ percent: DecimalNumber, of base: Int) -> Int {
        let p = Double(percent.description) ?? 0
        return Int((p * Double(base) / 100 + 1e-9).rounded(.down))
    }

    /// `45 %` or `22.5 %`: `count` as a share of `base`, to one decimal.
    static func percent(_ count: Int, of base: Int) -> String {
        guard base > 0 else { return "100 %" }
        let tenths = (count * 1000 + base / 2) / base
        return tenths % 10 == 0 ? "\(tenths / 10) %" : "\(tenths / 10).\(tenths % 10) %"
    }

    /// A sentence about one gate, naming the gate, the measure, the threshold and the excess.
    public static func describe(_ c: GateCheck, managedPlans: Int, minManagedPlans: Int64) -> String {
        switch c.gate {
        case .updates, .deletes:
            let verb = c.gate == .updates ? "updated" : "deleted"
            let measure =
                "\(PlanText.count(c.count)) of \(PlanText.count(managedPlans)) managed plans \(verb) (\(percent(c.count, of: managedPlans)))"
            guard c.applies else {
                return "\(measure); not applied below safety.min_managed_plans: \(minManagedPlans)"
            }
            let limit = "safety.\(c.gate.setting): \(c.threshold) allows \(PlanText.count(c.allowed))"
            return c.tripped ? "\(measure); \(limit): \(PlanText.count(c.over)) over" : "\(measure); \(limit)"
        case .policyFlips:
            var measure = "\(PlanText.variants(c.count)) change inventory policy"
            if c.unverified > 0 {
                measure +=
                    "; \(PlanText.count(c.unverified)) declared policies are sent unverified and not counted (their current policy was not read)"
            }
            let limit = "safety.max_policy_flips: \(c.threshold)"
            return c.tripped ? "\(measure); \(limit): \(PlanText.count(c.over)) over" : "\(measure); \(limit)"
        case .continueFlips:
            let measure =
                "\(PlanText.variants(c.count)) already in \(c.count == 1 ? "its plan switches" : "their plan switch") to CONTINUE (selling when out of stock; STOQ sets DENY when a variant sells out)"
            let limit = "safety.max_continue_flips: \(c.threshold)"
            return c.tripped ? "\(measure); \(limit): \(PlanText.count(c.over)) over" : "\(measure); \(limit)"
        }
    }
}

/// A change the configuration makes to its own permissions since the baseline.
///
/// A `safety:` threshold raised or lowered, or an approval added or removed: a pull request that changes them
/// decides what its own plan may do, so every plan format shows them first.
public struct PermissionChange: Sendable, Hashable {
    /// `safety.max_update_percent`, or `safety.approvals`.
    public var setting: String
    /// The value at the baseline (`30`; for an approval, empty when it is new).
    public var before: String
    /// The value now (for an approval, `updates change 3f9a1c2e`; empty when it was removed).
    public var after: String
    /// True when it lets more through: a higher threshold (a lower `min_managed_plans`), or a new
    /// approval.
    public var loosens: Bool

    /// Creates one.
    public init(setting: String, before: String, after: String, loosens: Bool) {
        self.setting = setting
        self.before = before
        self.after = after
        self.loosens = loosens
    }

    /// `raises safety.max_update_percent from 30 to 100` or `adds the approval updates change 3f9a…`.
    public var sentence: String {
        if setting == "safety.approvals" {
            return before.isEmpty ? "adds the approval \(after)" : "removes the approval \(before)"
        }
        return "\(loosens ? "raises" : "lowers") \(setting) from \(before) to \(after)"
    }

    /// The differences between the baseline's safety settings and the configuration's.
    public static func between(_ baseline: SafetySettings, and now: SafetySettings) -> [PermissionChange] {
        var changes: [PermissionChange] = []
        for threshold in SafetySettings.thresholds {
            let was = threshold.value(baseline)
            let is_ = threshold.value(now)
            guard was != is_ else { continue }
            // A higher threshold lets more through; so does a higher min_managed_plans, below
            // which the percentage gates do not apply.
            let higher = (Double(is_.description) ?? 0) > (Double(was.description) ?? 0)
            changes.append(
                PermissionChange(setting: "safety.\(threshold.key)", before: was.description, after: is_.description, loosens: higher))
        }
        func describe(_ a: SafetyApproval) -> String { "\(a.gate.rawValue) change \(a.change)" }
        let old = Set(baseline.approvals.map(describe))
        let new = Set(now.approvals.map(describe))
        changes += now.approvals.map(describe).filter { !old.contains($0) }.map {
            PermissionChange(setting: "safety.approvals", before: "", after: $0, loosens: true)
        }
        changes += baseline.approvals.map(describe).filter { !new.contains($0) }.map {
            PermissionChange(setting: "safety.approvals", before: $0, after: "", loosens: false)
        }
        return changes
    }
}

extension Plan {
    /// The part of the plan a baseline attributes to `side` (`.config` or `.remote`).
    ///
    /// Updates keep the changes of that side, membership and policy operations its variants, creates and
    /// deletes go with their attribution; an operation left with nothing is dropped. A change
    /// attributed to both is in both parts. Without a baseline the whole plan is the
    /// configuration's and none of it is drift.
    public func part(_ side: Attribution) -> Plan {
        func mine(_ a: Attribution?) -> Bool { a.map { $0.counts(for: side) } ?? (side != .remote) }
        var copy = self
        copy.operations = operations.compactMap { op in
            var kept = op
            switch op.kind {
            case .create, .delete:
                return mine(op.attribution) ? op : nil
            case .update:
                kept.changes = op.changes.filter { mine($0.attribution) }
                return kept.changes.isEmpty ? nil : kept
            case .addVariants, .removeVariants, .setInventoryPolicy:
                guard op.attribution != nil else { return side == .remote ? nil : op }
                let drift = Set(op.remoteVariantIDs)
                kept.variantIDs = op.variantIDs.filter { side == .remote ? drift.contains($0) : !drift.contains($0) }
                return kept.variantIDs.isEmpty ? nil : kept
            }
        }
        return copy
    }
}

extension ExitStatus {
    /// The status of a plan shown with `verdict` (by `plan` and `show` alike): 3 when apply would
    /// refuse it, whatever the flags; else, with `detailedExitcode`, 2 when it has changes of
    /// `attribution` (`.both`: any); else 0.
    public static func shown(_ plan: Plan, verdict: SafetyVerdict, detailedExitcode: Bool, counting attribution: Attribution) -> ExitStatus
    {
        if verdict.refuses { return .refused }
        if detailedExitcode, plan.changes.contains(where: { $0.counts(for: attribution) }) { return .changesPresent }
        return .success
    }
}
