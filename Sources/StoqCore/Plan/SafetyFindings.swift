import StoqWire

/// Why an approval in `safety.approvals` for a tripped gate did not let it through.
public enum ApprovalMismatch: Sendable, Hashable {
    /// The approval covers the configuration's part, but the shop's drift alone goes over the
    /// threshold (`drift` is the gate measured on the drift part of the plan).
    case driftOver(SafetyApproval, drift: GateCheck)
    /// The approval names another change than the one this plan makes.
    case otherChange(SafetyApproval, planChange: String)

    /// `the approval of change 3f9a… covers the configuration's part; drift alone goes over: …`.
    public var text: String {
        switch self {
        case .driftOver(let approval, let drift):
            "the approval of change \(approval.change) covers the configuration's part; drift alone goes over: \(PlanText.count(drift.count)) against \(PlanText.count(drift.allowed)) allowed"
        case .otherChange(let approval, let planChange):
            "safety.approvals names change \(approval.change) for this gate, but this plan's change is \(planChange)"
        }
    }
}

/// A tripped gate as a verdict reports it: the decision, with the plan facts its words need.
public struct TrippedGate: Sendable, Hashable {
    /// The gate as measured, with the override or approval that opened it, if any.
    public var decision: GateDecision
    /// Managed plans in the shop (the base of the percentage gates).
    public var managedPlans: Int
    /// `safety.min_managed_plans`.
    public var minManagedPlans: Int64
    /// The hash of the plan judged (`sha256:` and 64 hex digits).
    public var planHash: String

    /// Creates one.
    public init(decision: GateDecision, managedPlans: Int, minManagedPlans: Int64, planHash: String) {
        self.decision = decision
        self.managedPlans = managedPlans
        self.minManagedPlans = minManagedPlans
        self.planHash = planHash
    }

    /// The gate.
    public var gate: SafetyGate { decision.check.gate }
    /// The 16 hex digits of the plan hash an override is pinned with.
    public var pin: Substring { PlanText.shortHash(planHash).dropFirst("sha256:".count) }
    /// What the gate measured against its threshold (``Safety/describe(_:managedPlans:minManagedPlans:)``).
    public var measure: String { Safety.describe(decision.check, managedPlans: managedPlans, minManagedPlans: minManagedPlans) }
}

/// Why a plan may not be applied: one fact each, worded only when shown.
public enum Refusal: Sendable, Hashable {
    /// A tripped gate that no override or approval opens.
    case gate(TrippedGate)
    /// Delete operations in a plan applied without `--allow-deletes`.
    case deletesWithoutPermission(count: Int)

    /// The diagnostic an apply reports it with.
    public var code: DiagnosticCode {
        switch self {
        case .gate: .safetyGate
        case .deletesWithoutPermission: .deletesNeedPermission
        }
    }

    /// Why, without what would let it through: `safety gate `updates` refuses this plan: …`.
    public var reason: String {
        switch self {
        case .gate(let tripped):
            var line = "safety gate `\(tripped.gate.rawValue)` refuses this plan: \(tripped.measure)"
            if let pinned = tripped.decision.overrideMismatch {
                line +=
                    "; --allow-gate \(pinned) is pinned to another plan; this plan is sha256:\(tripped.pin.prefix(12))…"
            }
            if let mismatch = tripped.decision.approvalMismatch { line += "; \(mismatch.text)" }
            return line
        case .deletesWithoutPermission(let count):
            return "the plan deletes \(PlanText.count(count)) plan\(count == 1 ? "" : "s"); deletes need --allow-deletes"
        }
    }

    /// What lets it through after review, if the reason does not already say.
    public var remedy: String? {
        switch self {
        case .gate(let tripped):
            let gate = tripped.gate.rawValue
            guard tripped.decision.approvable else {
                return
                    "To apply it anyway, after review, run apply with --allow-gate \(gate)=\(tripped.pin) (no approval in stoqctl.yaml applies: what trips the gate is not a change the configuration makes)"
            }
            return
                "To apply it anyway, after review: approve this change in stoqctl.yaml with `safety: {approvals: [{gate: \(gate), change: \(tripped.decision.change ?? "")}]}`, or run apply with --allow-gate \(gate)=\(tripped.pin)"
        case .deletesWithoutPermission:
            return nil
        }
    }

    /// The whole refusal on one line, as diagnostics and the apply report give it.
    public var text: String { reason + (remedy.map { ". " + $0 } ?? "") }

    /// The refusal as a sentence, as plan formats show it: capitalised, with a full stop.
    public var sentence: String { PlanText.sentence(text) }
}

/// A tripped gate let through, or an override that should be pinned: shown with the plan and
/// reported by apply as a warning.
public enum SafetyNotice: Sendable, Hashable {
    /// `--allow-gate` opened the gate.
    case overridden(TrippedGate, by: GateOverride)
    /// An override opened a gate for any plan: it could carry over to another one.
    case unpinned(TrippedGate)
    /// An approval in `stoqctl.yaml` opened the gate.
    case approved(TrippedGate, by: SafetyApproval)

    /// The diagnostic an apply reports it with.
    public var code: DiagnosticCode { .gateOverridden }

    /// The notice on one line.
    public var text: String {
        switch self {
        case .overridden(let tripped, let used):
            return "safety gate `\(tripped.gate.rawValue)` is let through by --allow-gate \(used): \(tripped.measure)"
        case .unpinned(let tripped):
            let gate = tripped.gate.rawValue
            return "--allow-gate \(gate) is not pinned to a plan; pin it with --allow-gate \(gate)=\(tripped.pin)"
        case .approved(let tripped, let approval):
            // The note is the repository's text: shown escaped, on this line.
            let note = approval.note.map { " (\(Sanitiser.shown($0)))" } ?? ""
            return
                "safety gate `\(tripped.gate.rawValue)` is let through by the approval in stoqctl.yaml of change \(approval.change)\(note): \(tripped.measure)"
        }
    }

    /// The notice as a sentence, as plan formats show it: capitalised, with a full stop.
    public var sentence: String { PlanText.sentence(text) }
}
