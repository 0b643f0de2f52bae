import StoqWire

/// How values and numbers are shown in plan output (shared by the renderers).
public enum PlanText {
    /// A value as it appears in plan output: strings quoted and escaped, decimals exact, datetimes
    /// in UTC, id lists by count.
    public static func value(_ v: FieldValue?) -> String {
        guard let v else { return "(unset)" }
        switch v {
        case .null: return "null"
        case .string(let s):
            var out = ""
            JSONValue.escape(s, into: &out)
            return out
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .decimal(let d): return d.description
        case .datetime(let t): return t.description
        case .ids(let ids): return "[" + ids.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// `1,204`.
    public static func count(_ n: Int) -> String {
        let digits = Array(String(abs(n)))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// `DENY → CONTINUE`: the policy a verified toggle replaces, and the one it sets; `→ DENY
    /// (not read)` for a policy that changed since the baseline but could not be read.
    static func transition(_ op: PlanOperation) -> String {
        guard let to = op.policy else { return "" }
        if op.unverified { return "→ \(to.rawValue) (current policy not read)" }
        let from: InventoryPolicy = to == .continue ? .deny : .continue
        return "\(from.rawValue) → \(to.rawValue)"
    }

    /// `1 variant` / `1,204 variants`.
    public static func variants(_ n: Int) -> String { "\(count(n)) variant\(n == 1 ? "" : "s")" }

    /// `, ending DENY`: the policy removed variants get with their removal, if any.
    static func removalPolicy(_ op: PlanOperation) -> String {
        guard op.kind == .removeVariants, let policy = op.policy else { return "" }
        return ", each set to \(policy.rawValue) as it leaves"
    }

    /// `1 call` / `3 calls`.
    static func calls(_ n: Int) -> String { "\(count(n)) call\(n == 1 ? "" : "s")" }

    /// `vip-early-access [5e7a…]` or just the name.
    static func name(_ ref: PlanRef) -> String { ref.id.map { "\(ref.internalName) [\($0)]" } ?? ref.internalName }

    /// `sha256:` and the first 16 hex digits of a plan hash (enough to pin `--allow-gate`).
    public static func shortHash(_ hash: String) -> String { String(hash.prefix("sha256:".count + 16)) }

    /// One sentence on where policies came from and what was found, or why they were not
    /// compared; every format shows it when the configuration declares policies.
    public static func policyStatement(_ plan: Plan) -> String? {
        let s = plan.summary
        if let source = plan.policySource {
            let declared = plan.policiesChecked + plan.unknownVariants.count
            guard declared > 0 else { return nil }
            let changing = s.policyVariants.values.reduce(0, +)
            if changing == 0, s.inProgressPolicyVariants == 0, plan.unknownVariants.isEmpty {
                return "All \(count(declared)) declared inventory polic\(declared == 1 ? "y matches" : "ies match") Shopify (\(source))."
            }
            var parts = [
                "\(count(declared)) declared inventory polic\(declared == 1 ? "y" : "ies") read from Shopify (\(source)): \(count(changing)) to change"
            ]
            if s.inProgressPolicyVariants > 0 {
                parts.append("\(count(s.inProgressPolicyVariants)) differ on plans with a running STOQ job")
            }
            if !plan.unknownVariants.isEmpty {
                parts.append("\(count(plan.unknownVariants.count)) unknown to Shopify (not sent)")
            }
            parts.append("\(count(plan.policiesChecked - changing - s.inProgressPolicyVariants)) already as declared")
            return parts.joined(separator: ", ") + "."
        }
        guard s.unverifiedPolicyVariants > 0 else { return nil }
        let n = s.unverifiedPolicyVariants
        if let baseline = plan.baseline {
            return
                "Inventory policies are not verified: no Shopify policy reader is configured, so only the \(count(n)) declared polic\(n == 1 ? "y" : "ies") that changed since the baseline \(baseline.description) \(n == 1 ? "is" : "are") sent, as declared, without comparing with the shop."
        }
        return
            "Inventory policies are not verified: no Shopify policy reader is configured, so the \(count(n)) declared policies are sent as declared by every apply, never compared, and not counted as changes."
    }

    /// What a reader should know about a change's attribution beyond its section: a write-only
    /// value the configuration changed, or a value that also changed in STOQ.
    public static func attributionNote(_ change: FieldChange) -> String? {
        switch change.attribution {
        case .config? where change.field.isWriteOnly: "changed since the baseline; STOQ never returns it, so it cannot be verified"
        case .both?: "also changed in STOQ since the baseline"
        default: nil
        }
    }

    /// What a section of the plan holds.
    enum SectionKind: Sendable, Hashable {
        /// Every change (no baseline to attribute them against).
        case all
        /// The configuration's changes since the baseline.
        case configuration(since: BaselineInfo)
        /// Drift: the shop changed outside the configuration; apply sets it back.
        case drift

        /// The section's heading; nil for the one section of a plan without a baseline.
        var title: String? {
            switch self {
            case .all: nil
            case .configuration(let baseline): "Changes from the configuration since \(baseline.description)"
            case .drift: "Drift: the shop changed outside the configuration; apply sets it back"
            }
        }
    }

    /// The groups in the sections a plan shows them: without a baseline one untitled section;
    /// with one, the configuration's changes, then drift.
    static func sections(_ plan: Plan) -> [(kind: SectionKind, groups: [PlanGroup])] {
        let groups = PlanGroup.groups(plan).filter { $0.action != .assertOnly }
        guard let baseline = plan.baseline else { return [(.all, groups)] }
        let own = groups.compactMap { $0.part(.config) }
        let drift = groups.compactMap { $0.part(.remote) }
        var out: [(SectionKind, [PlanGroup])] = []
        if !own.isEmpty { out.append((.configuration(since: baseline), own)) }
        if !drift.isEmpty { out.append((.drift, drift)) }
        return out
    }

    /// How the value a change replaces is shown: `(unknown)` for a field STOQ never returns, and
    /// `(unset)` for one it did not return this time.
    public static func before(_ change: FieldChange) -> String {
        if change.before == nil, change.field.isWriteOnly { return "(unknown)" }
        return value(change.before)
    }

    /// The verdict a plan is shown with when no run judged it: gates only, no overrides.
    public static func defaultVerdict(_ plan: Plan) -> SafetyVerdict {
        Safety.verdict(for: plan, planHash: PlanJSON.hash(plan), overrides: [], allowDeletes: true)
    }

    /// The first line of every plan format when the configuration changed its own permissions
    /// since the baseline: a reviewer approves those before anything else.
    public static func permissionHeadline(_ plan: Plan) -> String? {
        guard !plan.permissionChanges.isEmpty else { return nil }
        let looser = plan.permissionChanges.contains(where: \.loosens)
        return
            "This change \(looser ? "raises" : "changes") its own permissions in stoqctl.yaml (since the baseline \(plan.baseline?.description ?? "")): review them first"
    }

    /// What every format shows after the summary: every refusal and every notice of the verdict
    /// (a tripped safety gate refused, or let through by an override or an approval), and the
    /// short plan hash when there is anything to apply.
    public static func footer(_ plan: Plan, verdict: SafetyVerdict) -> (
        refusals: [Refusal], notices: [SafetyNotice], hash: String?
    ) {
        (verdict.refusals, verdict.notices, plan.isEmpty ? nil : verdict.shortHash)
    }

    /// `safety gate …` as a sentence: capitalised, with a full stop (refusals and notices never
    /// end with one of their own).
    static func sentence(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst() + "."
    }

    /// The one-line summary of the plan's counts and cost.
    ///
    /// For example `Plan: 1 to create, …; API cost 9 points (~2 s at 360 points/min).`
    public static func summaryLine(_ plan: Plan) -> String {
        let s = plan.summary
        var parts = ["\(count(s.create)) to create, \(count(s.update)) to update, \(count(s.delete)) to delete"]
        if s.variantsAdded + s.variantsRemoved > 0 {
            parts.append(
                "\(variants(s.variantsAdded)) to add and \(count(s.variantsRemoved)) to remove in \(calls(s.membershipCalls))")
        }
        let policyParts = InventoryPolicy.allCases.compactMap { p in s.policyVariants[p].map { "\(variants($0)) to \(p.rawValue)" } }
        if !policyParts.isEmpty { parts.append(policyParts.joined(separator: " and ") + " in \(calls(s.policyCalls))") }
        if s.inProgressPolicyVariants > 0 {
            let n = s.inProgressPolicyVariants
            parts.append(
                "\(count(n)) policy difference\(n == 1 ? "" : "s") in progress (\(calls(s.inProgressPolicyCalls)) if \(n == 1 ? "it remains" : "they remain"))"
            )
        }
        if s.unverifiedPolicyVariants > 0 {
            let n = s.unverifiedPolicyVariants
            parts.append("\(count(n)) declared polic\(n == 1 ? "y" : "ies") sent unverified in \(calls(s.unverifiedPolicyCalls))")
        }
        let minute = plan.budgetWindow == 60 ? "min" : "\(String(format: "%.0f", plan.budgetWindow)) s"
        if plan.baseline != nil {
            // Fields, variants and whole plans alike; a difference of both kinds counts in both.
            parts.append("differences: \(count(s.fromConfig)) from the configuration, \(count(s.fromRemote)) drift")
        }
        let e = plan.applyEstimate
        if e.readRequests > 0 || e.shopifyPoints > 0 {
            // Everything apply does: it plans again from live reads, then writes and confirms.
            let shopify = e.shopifyPoints > 0 ? " and \(count(e.shopifyPoints)) Shopify point\(e.shopifyPoints == 1 ? "" : "s")" : ""
            parts.append(
                "API cost \(count(e.points)) points (\(count(e.readPoints)) to read the shop, \(count(e.writePoints)) to write)\(shopify); ~\(e.seconds) s at \(plan.budgetPoints) points/\(minute)"
            )
        } else {
            parts.append("API cost \(count(s.points)) points (~\(plan.estimatedSeconds) s at \(plan.budgetPoints) points/\(minute))")
        }
        return "Plan: " + parts.joined(separator: "; ") + "."
    }
}

/// The operations of one plan, shown together.
struct PlanGroup {
    var plan: PlanRef
    var action: Plan.Action
    var operations: [PlanOperation]
    var location: SourceLocation?

    /// The plan's groups, in run order of each plan's first operation, then by plan.
    static func groups(_ plan: Plan) -> [PlanGroup] {
        let groups = plan.byPlan.map { g in
            PlanGroup(plan: g.plan, action: g.action, operations: g.operations, location: g.operations.compactMap(\.location).min())
        }
        return groups.sorted { a, b in
            let ra = a.operations.map(\.kind.rank).min() ?? 0
            let rb = b.operations.map(\.kind.rank).min() ?? 0
            return ra != rb ? ra < rb : a.plan < b.plan
        }
    }

    /// The part of this group one section shows.
    ///
    /// `.config`: the configuration's changes, also those that changed in STOQ too, and values
    /// that ride along; `.remote`: drift. Nil when the part is empty; the whole group without a
    /// baseline.
    func part(_ filter: Attribution) -> PlanGroup? {
        var ops: [PlanOperation] = []
        for op in operations where op.isChange || op.kind != .setInventoryPolicy {
            guard let attribution = op.attribution else {
                if filter == .config { ops.append(op) }
                continue
            }
            switch op.kind {
            case .create, .delete:
                if (filter == .config && attribution != .remote) || (filter == .remote && attribution == .remote) { ops.append(op) }
            case .update:
                var copy = op
                copy.changes = op.changes.filter { change in
                    switch change.attribution {
                    case .remote?: return filter == .remote
                    case .config?, .both?: return filter == .config
                    case nil:
                        return filter == (op.changes.contains { $0.attribution != .remote && $0.attribution != nil } ? .config : .remote)
                    }
                }
                if !copy.changes.isEmpty { ops.append(copy) }
            case .addVariants, .removeVariants, .setInventoryPolicy:
                let remote = Set(op.remoteVariantIDs)
                let ids = Set(op.variantIDs.filter { remote.contains($0) == (filter == .remote) })
                if !ids.isEmpty { ops.append(LiveCheck.keeping(ids, of: op)) }
            }
        }
        guard !ops.isEmpty else { return nil }
        return PlanGroup(plan: plan, action: action, operations: ops, location: ops.compactMap(\.location).min())
    }

    var symbol: String {
        switch action {
        case .create: "+"
        case .update: "~"
        case .delete: "-"
        case .assertOnly: "="
        }
    }

    var verb: String {
        switch action {
        case .create: "create"
        case .update: "update"
        case .delete: "delete"
        case .assertOnly: "assert"
        }
    }
}

/// Renders a plan in one output format: a pure function of the plan and the safety verdict it
/// is shown with.
public protocol PlanRenderer: Sendable {
    /// The plan as this format shows it.
    func render(_ plan: Plan, verdict: SafetyVerdict) -> String
}

extension PlanRenderer {
    /// The plan with the verdict of its gates alone (no overrides).
    public func render(_ plan: Plan) -> String { render(plan, verdict: PlanText.defaultVerdict(plan)) }
}

/// The plan as JSON (``PlanJSON``); the verdict is not part of the document, since `apply`
/// judges the plan again with its own flags.
public struct JSONPlanRenderer: PlanRenderer {
    /// Creates the renderer.
    public init() {}

    /// The JSON document.
    public func render(_ plan: Plan, verdict: SafetyVerdict) -> String { Sanitiser.output(PlanJSON.render(plan), style: .json) }
}

/// Renders a plan for a terminal or a CI log: `+ ~ -` markers, field-level `old → new`, the
/// unverified and unmanaged sections, and the summary line.
///
/// Pure.
public struct TextPlanRenderer: PlanRenderer {
    /// ANSI colour.
    public var color: Bool

    /// Creates a renderer.
    public init(color: Bool) { self.color = color }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    private func green(_ s: String) -> String { paint(s, "32") }
    private func yellow(_ s: String) -> String { paint(s, "33") }
    private func red(_ s: String) -> String { paint(s, "31") }
    private func dim(_ s: String) -> String { paint(s, "2") }

    /// Ids shown inline before "…".
    static let idsShown = 5
    /// Unknown variants listed one by one before "(N more)".
    static let unknownShown = 20

    static func ids(_ ids: [Int64]) -> String {
        let shown = ids.prefix(idsShown).map(String.init).joined(separator: ", ")
        return ids.count > idsShown ? "\(shown), … (\(PlanText.count(ids.count - idsShown)) more)" : shown
    }

    /// The whole plan, its outside text shown through ``Sanitiser``.
    public func render(_ plan: Plan, verdict: SafetyVerdict) -> String {
        Sanitiser.output(body(plan.shown, verdict: verdict), style: .text)
    }

    func body(_ plan: Plan, verdict: SafetyVerdict) -> String {
        var out = ""
        if let headline = PlanText.permissionHeadline(plan) {
            out += yellow(headline + ":") + "\n"
            for change in plan.permissionChanges { out += "  ! \(change.sentence)\n" }
            out += "\n"
        }
        let groups = PlanGroup.groups(plan).filter { $0.action != .assertOnly }
        if plan.isEmpty {
            out += "No changes. The shop matches the configuration.\n"
        } else if let baseline = plan.baseline {
            let own = groups.compactMap { $0.part(.config) }
            let drift = groups.compactMap { $0.part(.remote) }
            if own.isEmpty {
                out += "No changes to the configuration since the baseline \(baseline.description).\n"
            } else {
                out += "stoqctl will make these changes, from the configuration as changed since the baseline \(baseline.description):\n"
                for group in own { out += "\n" + self.group(group, of: plan) }
            }
            if !drift.isEmpty {
                out +=
                    "\n" + yellow("Drift:") + " the shop changed outside the configuration since the baseline; apply sets it back:\n"
                for group in drift { out += "\n" + self.group(group, of: plan) }
            }
        } else {
            out += "stoqctl will make these changes:\n"
            for group in groups { out += "\n" + self.group(group, of: plan) }
        }
        out += policyNotes(plan) + notes(plan)
        out += "\n" + PlanText.summaryLine(plan) + "\n"
        let footer = PlanText.footer(plan, verdict: verdict)
        for refusal in footer.refusals { out += yellow(refusal.sentence) + "\n" }
        for notice in footer.notices { out += notice.sentence + "\n" }
        if let hash = footer.hash { out += dim("Plan hash: \(hash)") + "\n" }
        return out
    }

    /// Policies sent as declared, policies a running job may settle, variants Shopify does not
    /// know, and what was compared.
    func policyNotes(_ plan: Plan) -> String {
        var out = ""
        let asserted = plan.operations.filter { $0.unverified && !$0.isChange }
        if !asserted.isEmpty {
            out +=
                "\nInventory policy, as declared (not verified: no Shopify policy reader is configured, so it is not compared; apply sends it each time):\n"
            let width = asserted.map(\.plan.internalName.count).max() ?? 0
            for op in asserted {
                let name = op.plan.internalName.padding(width)
                out +=
                    "  \(name)  \((op.policy?.rawValue ?? "").padding(8)) \(PlanText.variants(op.variantIDs.count)) in \(PlanText.calls(op.requests.count))\n"
            }
        }
        let pending = plan.operations.filter(\.inProgress)
        if !pending.isEmpty {
            out +=
                "\nIn progress (a STOQ job was running on these plans; apply waits for it, reads the policies again and sends only what still differs):\n"
            let width = pending.map(\.plan.internalName.count).max() ?? 0
            for op in pending {
                out +=
                    "  \(op.plan.internalName.padding(width))  \(PlanText.transition(op))  \(PlanText.variants(op.variantIDs.count)): \(Self.ids(op.variantIDs))\n"
                out += titles(op.variantIDs, plan)
            }
        }
        if !plan.unknownVariants.isEmpty {
            out += "\nShopify does not know these variants; their declared policies are not sent:\n"
            let width = plan.unknownVariants.map(\.plan.internalName.count).max() ?? 0
            for u in plan.unknownVariants.prefix(Self.unknownShown) {
                out +=
                    "  \(u.plan.internalName.padding(width))  \(u.id)  \(u.policy.rawValue)\(plan.variantInfo[u.id].map { "  " + VariantText.plain($0, product: true) } ?? "")\(u.location.map { dim("  (\($0.description))") } ?? "")\n"
            }
            if plan.unknownVariants.count > Self.unknownShown {
                out += "  … (\(PlanText.count(plan.unknownVariants.count - Self.unknownShown)) more)\n"
            }
        }
        if plan.policiesVerified || plan.baseline != nil, let statement = PlanText.policyStatement(plan) {
            out += "\n" + statement + "\n"
        }
        if let note = VariantText.titlesNote(plan) { out += "\n" + note + "\n" }
        let names = VariantText.changedResolutions(plan)
        if !names.isEmpty {
            out += "\nNames in the configuration behind these changes, as Shopify resolved them:\n"
            let width = names.prefix(VariantText.resolutionsShown).map(\.plan.count).max() ?? 0
            for r in names.prefix(VariantText.resolutionsShown) {
                out +=
                    "  \(r.plan.padding(width))  \(VariantText.plainResolution(r))\(r.location.map { dim("  (\($0.description))") } ?? "")\n"
            }
            if names.count > VariantText.resolutionsShown {
                out += "  … (\(PlanText.count(names.count - VariantText.resolutionsShown)) more)\n"
            }
        }
        return out
    }

    /// What the plan leaves alone: unverifiable fields, deletes not allowed, unmanaged plans, and
    /// the targets it was limited to.
    func notes(_ plan: Plan) -> String {
        var out = ""
        if !plan.unverifiable.isEmpty {
            out += "\nCannot be verified (STOQ never returns these fields; they are sent with a create or update):\n"
            for u in plan.unverifiable { out += "  \(u.plan.internalName): \(u.fields.joined(separator: ", "))\n" }
        }
        if !plan.blockedDeletes.isEmpty {
            out += "\n" + yellow("Not deleted without --allow-deletes") + " (prune is on; no file declares these):\n"
            for d in plan.blockedDeletes { out += "  - \(PlanText.name(d.plan))\n" }
        }
        if !plan.unmanaged.isEmpty {
            let names = plan.unmanaged.prefix(5).map(\.plan.internalName).joined(separator: ", ")
            let more = plan.unmanaged.count > 5 ? ", …" : ""
            out +=
                "\n\(PlanText.count(plan.unmanaged.count)) plan\(plan.unmanaged.count == 1 ? "" : "s") in the shop \(plan.unmanaged.count == 1 ? "is" : "are") not managed by this configuration (\(names)\(more)).\n"
        }
        if !plan.targets.isEmpty {
            out += "\nLimited to --target \(plan.targets.joined(separator: ", ")); other plans were not compared.\n"
        }
        return out
    }

    /// One plan's changes; each membership and policy operation followed by its variants by
    /// product (when the plan has their details), and each move of a name on a line of its own.
    func group(_ g: PlanGroup, of plan: Plan) -> String {
        let header: String
        let where_ = g.location.map { dim("  (\($0.description))") } ?? ""
        switch g.action {
        case .create: header = green("+ create \(g.plan.internalName)")
        case .update: header = yellow("~ update \(PlanText.name(g.plan))")
        case .delete: header = red("- delete \(PlanText.name(g.plan))")
        case .assertOnly: header = "= \(g.plan.internalName)"
        }
        var out = "  \(header)\(where_)\n"
        let fieldChanges = g.operations.filter { $0.kind == .create || $0.kind == .update }.flatMap(\.changes)
        let width = fieldChanges.map(\.field.name.count).max() ?? 0
        for change in fieldChanges {
            let name = change.field.name.padding(width)
            let note = PlanText.attributionNote(change).map { dim("  (\($0))") } ?? ""
            if g.action == .create {
                out += "      \(green("+")) \(name)  \(PlanText.value(change.after))\(note)\n"
            } else {
                out += "      \(yellow("~")) \(name)  \(PlanText.before(change)) → \(PlanText.value(change.after))\(note)\n"
            }
        }
        let moves = VariantText.moves(plan, in: g)
        for m in moves { out += "      \(yellow("~")) \(VariantText.plainMove(m, info: plan.variantInfo))\n" }
        for op in g.operations {
            guard let op = VariantText.withoutMoved(op, moves) else { continue }
            switch op.kind {
            case .addVariants:
                out +=
                    "      \(green("+")) add \(PlanText.variants(op.variantIDs.count)) in \(PlanText.calls(op.requests.count)): \(Self.ids(op.variantIDs))\n"
            case .removeVariants:
                out +=
                    "      \(red("-")) remove \(PlanText.variants(op.variantIDs.count)) in \(PlanText.calls(op.requests.count))\(PlanText.removalPolicy(op)): \(Self.ids(op.variantIDs))\n"
            case .setInventoryPolicy where op.isChange:
                let where_ = op.location.map { dim("  (\($0.description))") } ?? ""
                out +=
                    "      \(yellow("~")) inventory policy \(PlanText.transition(op)): \(PlanText.variants(op.variantIDs.count)) in \(PlanText.calls(op.requests.count)): \(Self.ids(op.variantIDs))\(where_)\n"
            default: continue
            }
            out += titles(op.variantIDs, plan)
        }
        return out
    }

    /// The lines under an operation that name its variants by product (none without details).
    func titles(_ ids: [Int64], _ plan: Plan) -> String {
        VariantText.plainLines(ids, info: plan.variantInfo).map { "          \($0)\n" }.joined()
    }
}

extension String {
    /// Pads with spaces to `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
