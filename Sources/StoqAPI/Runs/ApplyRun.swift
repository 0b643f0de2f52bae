import Foundation
import StoqCore
import StoqWire

/// `stoqctl apply` as one call: plan (or read a saved plan), judge its safety, and execute it.
///
/// Nothing is printed: the caller hears ``Event``s (the plan once judged, then each operation in
/// plan order) and gets an ``Outcome`` with the report, the diagnostics and the exit status.
public enum ApplyRun {
    /// Where the plan comes from.
    public enum Source: Sendable {
        /// Plan the configuration now (a fresh apply).
        case configuration(PlanRun.Input)
        /// A plan saved by `stoqctl plan --out`: its name (for messages), its text, and the
        /// configuration being applied, from which the plan is made again and checked
        /// (``SavedPlanCheck``): the file chooses nothing that is sent.
        case savedPlan(name: String, text: String, config: PlanRun.Input)
    }

    /// What an apply run needs besides the shop.
    public struct Input: Sendable {
        /// The plan's source.
        public var source: Source
        /// `--allow-gate` overrides.
        public var overrides: [GateOverride]
        /// `--allow-deletes`.
        public var allowDeletes: Bool
        /// Wait for the policy jobs apply starts and confirm through Shopify that they took effect
        /// (when policies can be read).
        public var verifyPolicies: Bool
        /// What the names resolved to when the configuration was reviewed (`--reviewed-names`;
        /// fresh applies only, a saved plan carries its own): names that resolve otherwise now are
        /// reported, never sent otherwise.
        public var reviewedNames: [VariantResolution]?
        /// Asked once the plan is made and before anything is written, with the STOQ `shop_id`s the
        /// shop showed: a refusal stops the apply with nothing sent (an apply of several shops at
        /// once refuses two shops that reach one store, ``ShopBarrier``).
        public var beforeWriting: (@Sendable (Set<String>) async -> RunFailure?)?

        /// Creates an input.
        public init(
            source: Source, overrides: [GateOverride] = [], allowDeletes: Bool = false, verifyPolicies: Bool = true,
            reviewedNames: [VariantResolution]? = nil
        ) {
            self.source = source
            self.overrides = overrides
            self.allowDeletes = allowDeletes
            self.verifyPolicies = verifyPolicies
            self.reviewedNames = reviewedNames
        }
    }

    /// What the caller hears while the run goes on.
    public enum Event: Sendable {
        /// The plan, judged; sent before anything is written. `saved` names a saved plan file.
        case planned(Plan, SafetyVerdict, saved: String?)
        /// Execution starts with this many operations.
        case applying(operations: Int)
        /// One operation finished; events come in plan order, `done` counting up to `total`.
        case finished(ApplyReport.Item, done: Int, total: Int)
    }

    /// What an apply run produced.
    public struct Outcome: Sendable {
        /// Every diagnostic: configuration, shop, planner, gates, failed and conflicting operations.
        public var diagnostics: [Diagnostic] = []
        /// The configuration (fresh applies), for source lines under diagnostics.
        public var config: ConfigResult?
        /// The plan that was judged.
        public var plan: Plan?
        /// Its verdict.
        public var verdict: SafetyVerdict?
        /// The report: every operation, or every operation skipped when a gate refused the plan.
        public var report: ApplyReport?
        /// The shop, as messages name it.
        public var shop: String?
        /// Files of the baseline, for source lines under its diagnostics.
        public var baselineSources: [SourceFile] = []
        /// The exit status.
        public var status: ExitStatus = .success
        /// STOQ's `shop_id`s the shop showed while planning (a shop of several).
        public var stoqShopIDs: Set<String> = []
    }

    /// A plan ready to judge and execute.
    struct Prepared {
        /// The plan the gates measure: planned now from the configuration and the live shop.
        var judged: Plan
        /// What is executed: `judged`, or for a saved plan its reviewed operations only.
        var executed: Plan
        /// The hash overrides are pinned to: the judged plan's, or the saved plan's (what the
        /// reviewer saw).
        var hash: String
        var connection: ShopConnection
        var mode: Applier.Mode
        var saved: String?
        /// Saved plans: reviewed operations the shop changed under, and operations not reviewed.
        var changedSinceReview: [PlanOperation] = []
        var inPlace: [PlanOperation] = []
        var notReviewed: [PlanOperation] = []
        /// Saved plans: names that resolve to other variants than in review.
        var resolutionChanges: [NameResolver.Change] = []
        /// With a names record: names that resolve to other variants than it says.
        var recordChanges: [NameResolver.Change] = []
    }

    /// Runs an apply against the shop `connect` opens; `events` hears progress.
    public static func run(
        _ input: Input, connect: Connect, events: @escaping @Sendable (Event) async -> Void = { _ in }
    ) async -> Outcome {
        var outcome = Outcome()
        var prepared: Prepared
        switch input.source {
        case .configuration(let planInput):
            guard let fresh = await planFresh(planInput, input, readsThroughCache: true, connect: connect, outcome: &outcome) else {
                return outcome
            }
            prepared = Prepared(
                judged: fresh.plan, executed: fresh.plan, hash: PlanJSON.hash(fresh.plan), connection: fresh.connection, mode: .fresh)
            // A re-plan at merge: every name that resolves otherwise than at the last apply.
            if let record = planInput.namesRecord {
                prepared.recordChanges = NameResolver.changes(from: record, to: fresh.plan.resolutions)
            }
            // The review the merged configuration had: every name that resolves otherwise now.
            if let reviewed = input.reviewedNames {
                prepared.resolutionChanges = NameResolver.changes(from: reviewed, to: fresh.plan.resolutions)
                outcome.diagnostics += prepared.resolutionChanges.map { change in
                    Diagnostic(
                        .resolutionChanged,
                        "\(change.description) (reviewed → now); the apply goes by what it resolves to now", at: nil)
                }
            }
        case .savedPlan(let name, let text, let planInput):
            guard let ready = await prepareSaved(name, text, planInput, input, connect: connect, outcome: &outcome) else {
                return outcome
            }
            prepared = ready
        }
        if let check = input.beforeWriting, let failure = await check(outcome.stoqShopIDs) {
            outcome.diagnostics.append(failure.diagnostic)
            outcome.status = failure.status
            return outcome
        }
        return await execute(prepared, input, outcome: outcome, events: events)
    }

    /// Loads the configuration and its baseline, connects, and plans: from live reads, or with
    /// `readsThroughCache` through the connection's read cache under the apply's rule.
    static func planFresh(
        _ planInput: PlanRun.Input, _ input: Input, readsThroughCache: Bool, connect: Connect, outcome: inout Outcome
    ) async -> (
        plan: Plan, connection: ShopConnection, desired: DesiredState
    )? {
        var planInput = planInput
        planInput.overrides = input.overrides
        planInput.allowDeletes = input.allowDeletes
        let (prepared, ready) = await PlanRun.prepare(planInput, connect: connect)
        outcome.config = prepared.config
        outcome.diagnostics = prepared.diagnostics
        outcome.baselineSources = prepared.baselineSources
        outcome.shop = prepared.shop
        guard let ready else {
            outcome.status = prepared.failure ?? .failure
            return nil
        }
        // A configuration is planned through the read cache under the apply's rule (``ReadCache``);
        // a saved plan from live reads only. Either way the applier keeps the cache's entries of
        // the plans it writes from going stale.
        var reading = ready.connection
        if readsThroughCache {
            reading.cache?.purpose = .apply
        } else {
            reading.cache = nil
        }
        let planned = await PlanRun.plan(ready.config, planInput, baseline: ready.baseline, connection: reading, outcome: prepared)
        outcome.diagnostics = planned.diagnostics
        outcome.stoqShopIDs = planned.stoqShopIDs
        guard let plan = planned.plan, let desired = planned.planned else {
            outcome.status = planned.failure ?? .failure
            return nil
        }
        return (plan, ready.connection, desired)
    }

    /// A saved plan: decoded, its endpoint checked against where this apply writes, the plan made
    /// again from the configuration and the live shop, and the two reconciled.
    static func prepareSaved(
        _ name: String, _ text: String, _ planInput: PlanRun.Input, _ input: Input, connect: Connect, outcome: inout Outcome
    ) async -> Prepared? {
        let saved: Plan
        let hash: String
        do {
            (saved, hash) = try PlanJSON.decode(text)
        } catch {
            outcome.refuse(name, error.message)
            return nil
        }
        guard var fresh = await planFresh(planInput, input, readsThroughCache: false, connect: connect, outcome: &outcome) else {
            return nil
        }
        if let recorded = saved.baseline, fresh.plan.baseline?.commit != recorded.commit {
            let now = fresh.plan.baseline.map { "against \($0.description)" } ?? "without one"
            outcome.refuse(
                name,
                "it was attributed against the baseline \(recorded.description) and this apply is attributed \(now); apply it with --baseline naming the same commit, so the gates count what they counted in review"
            )
            return nil
        }
        if saved.shop != planInput.shop {
            let file = saved.shop.map { "shop `\($0)`" } ?? "a repository of one shop"
            let now = planInput.shop.map { "shop `\($0)`" } ?? "a repository of one shop"
            outcome.refuse(
                name, "it is the plan of \(file), and this apply writes to \(now); a shop's part of a plan applies only to that shop")
            return nil
        }
        if let planned = saved.endpoint, planned != fresh.connection.endpoint {
            outcome.refuse(
                name,
                "it was planned against \(planned), but this apply writes to \(fresh.connection.endpoint); a saved plan applies only where it was planned, and only where the command line or the environment points"
            )
            return nil
        }
        if let source = saved.policySource, fresh.connection.policies == nil,
            saved.operations.contains(where: { $0.kind == .setInventoryPolicy })
        {
            outcome.diagnostics.append(
                Diagnostic(
                    .missingShopifyCredentials,
                    "\(name) compared inventory policies with Shopify (\(source)); apply checks them again before sending, so it needs the Shopify shop and token too; nothing was sent",
                    at: nil))
            outcome.status = .failure
            return nil
        }
        guard let resolutionChanges = await checkNames(saved, &fresh.plan, connection: fresh.connection, name: name, outcome: &outcome)
        else { return nil }
        // The configuration with its names resolved: what the saved operations must be declared in.
        let check = SavedPlanCheck.reconcile(saved: saved, fresh: fresh.plan, desired: fresh.desired)
        if let refusal = check.refusal {
            outcome.refuse(name, "the configuration being applied does not declare what it does: \(refusal)")
            return nil
        }
        var executed = check.plan
        executed.baseline = saved.baseline
        // Deletes the review showed but this apply may not make are judged, so the gate refuses them.
        var judged = fresh.plan
        let blocked = Dictionary(fresh.plan.blockedDeletes.map { ($0.plan.internalName, $0) }, uniquingKeysWith: { a, _ in a })
        for op in check.inPlace where op.kind == .delete {
            guard let held = blocked[op.plan.internalName] else { continue }
            judged.operations.append(Safety.admitDeletes([held], allowDeletes: true).operations[0])
        }
        return Prepared(
            judged: judged, executed: executed, hash: hash, connection: fresh.connection, mode: .compareAndSet, saved: name,
            changedSinceReview: check.changedSinceReview, inPlace: check.inPlace.filter { blocked[$0.plan.internalName] == nil },
            notReviewed: check.notReviewed, resolutionChanges: resolutionChanges)
    }

    /// What was reviewed is what is applied: the saved plan's names must reach what they reached.
    ///
    /// Every variant the saved plan resolved a name to must still carry that SKU or barcode, or
    /// still belong to that product (one `nodes` read of their identities); else the apply is
    /// refused, naming each variant, with the names that moved to another variant. Names that
    /// resolve differently now for another reason (a product gained a variant) are listed;
    /// planning again found operations the review did not hold, and those are not sent.
    ///
    /// - Returns: the names that resolve otherwise than in review, or nil when the apply is refused.
    static func checkNames(_ saved: Plan, _ fresh: inout Plan, connection: ShopConnection, name: String, outcome: inout Outcome) async
        -> [NameResolver.Change]?
    {
        fresh.moves = NameResolver.moves(in: fresh, previous: saved.resolutions)
        let named = saved.resolutions.filter(\.selector.isName)
        if !named.isEmpty {
            guard let reader = connection.policies else {
                outcome.diagnostics.append(
                    Diagnostic(
                        .missingShopifyCredentials,
                        "\(name) resolved variant names through Shopify; apply checks that each variant still carries its name, so it needs the Shopify shop and token too; nothing was sent",
                        at: nil))
                outcome.status = .failure
                return nil
            }
            let identities: [Int64: CatalogueVariant]
            do throws(ShopifyError) {
                identities = try await reader.catalogue.identities(named.flatMap(\.ids))
                    .variants
            } catch {
                outcome.diagnostics.append(
                    error.diagnostic(
                        "checking through Shopify (\(reader.source)) that the variants \(name) names still carry their names failed; nothing was sent"
                    ))
                outcome.status = .failure
                return nil
            }
            let problems = nameProblems(
                named, identities: identities, titles: saved.variantInfo.merging(fresh.variantInfo) { reviewed, _ in reviewed })
            if !problems.isEmpty {
                let moved = fresh.moves.map { "`\($0.selector)` moved: \($0.from) → \($0.to)" }
                let lines = moved + problems
                let shown = lines.prefix(10).joined(separator: "; ")
                let more = lines.count > 10 ? "; and \(lines.count - 10) more" : ""
                outcome.refuse(name, "what was reviewed is not what would be applied: \(shown)\(more); plan again and review")
                return nil
            }
        }
        let changes = NameResolver.changes(from: saved.resolutions, to: fresh.resolutions)
        outcome.diagnostics += changes.map { change in
            Diagnostic(
                .resolutionChanged,
                "\(change.description) (reviewed → now); what planning now finds for it and the review did not hold is not sent", at: nil)
        }
        return changes
    }

    /// One sentence for each variant a reviewed name no longer reaches, each variant once.
    static func nameProblems(_ named: [VariantResolution], identities: [Int64: CatalogueVariant], titles: [Int64: CatalogueVariant])
        -> [String]
    {
        // Byte for byte, as names resolve: another Unicode form of the same text is another name.
        func same(_ live: String?, _ name: String) -> Bool { live.map { $0.utf8.elementsEqual(name.utf8) } ?? false }
        var problems: [String] = []
        var seen = Set<String>()
        for resolution in named {
            for id in resolution.ids {
                let variant = "variant \(id)" + (titles[id]?.displayTitle.map { " (\(NameResolver.short($0, 80)))" } ?? "")
                let selector = "`\(resolution.selector)`"
                let problem: String?
                if let now = identities[id] {
                    func shown(_ text: String?) -> String { text.map { "`\(NameResolver.short($0, 60))`" } ?? "empty" }
                    switch resolution.selector {
                    case .sku(let sku) where !same(now.sku, sku):
                        problem = "\(variant) no longer carries \(selector): its SKU is now \(shown(now.sku))"
                    case .barcode(let barcode) where !same(now.barcode, barcode):
                        problem = "\(variant) no longer carries \(selector): its barcode is now \(shown(now.barcode))"
                    case .product(let handle) where !same(now.productHandle, handle):
                        problem =
                            "\(variant) is no longer a variant of \(selector): its product's handle is now \(shown(now.productHandle))"
                    default:
                        problem = nil
                    }
                } else {
                    problem = "\(variant), which \(selector) named in review, no longer exists in Shopify"
                }
                if let problem, seen.insert(problem).inserted { problems.append(problem) }
            }
        }
        return problems
    }

    /// Judges the plan, then executes it unless a gate refuses.
    static func execute(_ prepared: Prepared, _ input: Input, outcome: Outcome, events: @escaping @Sendable (Event) async -> Void) async
        -> Outcome
    {
        var outcome = outcome
        let plan = prepared.executed
        let hash = prepared.hash
        outcome.shop = prepared.connection.description
        let verdict = Safety.verdict(for: prepared.judged, planHash: hash, overrides: input.overrides, allowDeletes: input.allowDeletes)
        outcome.plan = plan
        outcome.verdict = verdict
        await events(.planned(plan, verdict, saved: prepared.saved))
        outcome.diagnostics += verdict.notices.map { Diagnostic($0.code, $0.text, at: nil) }
        guard !verdict.refuses else {
            outcome.diagnostics += verdict.refusals.map { Diagnostic($0.code, $0.text, at: nil) }
            outcome.diagnostics.append(Diagnostic(.safetyGate, "the plan is refused; nothing was sent", at: nil))
            outcome.report = ApplyReport.refused(plan, planHash: hash, reasons: verdict.refusals)
            outcome.report?.baseline = plan.baseline
            // What the names resolve to, and what changed since review, also when nothing was sent.
            outcome.report?.resolutions = prepared.judged.resolutions
            outcome.report?.resolutionChanges = prepared.resolutionChanges
            outcome.report?.recordChanges = prepared.recordChanges
            return outcome.stopped(.refused)
        }
        let unsent = unsentItems(prepared, after: plan.operations.count)
        let total = plan.operations.count + unsent.count
        outcome.diagnostics += prepared.notReviewed.map { op in
            Diagnostic(
                .conflict,
                "\(SavedPlanCheck.describe(op)): planning now finds this change, which the saved plan does not hold (the shop changed since the review); not sent",
                at: nil)
        }
        var report = ApplyReport(items: [], seconds: 0)
        if total > 0 { await events(.applying(operations: total)) }
        let connection = prepared.connection
        if !plan.operations.isEmpty {
            let sequencer = InPlanOrder(total: total, events: events)
            let applier = Applier(
                client: connection.client, policies: connection.policies, verifyPolicies: input.verifyPolicies, lease: connection.lease,
                cache: connection.cache)
            report = await applier.apply(plan, mode: prepared.mode) { item, _, _ in
                await sequencer.add(item)
            }
            // What the report's `seconds` measure (from the first write): a saved plan's figure
            // (with its compare-and-set reads); for a fresh plan, the estimate of everything less
            // that of the planning reads already done (they spent the budget the writes start with).
            let everything = plan.applyEstimate
            report.estimatedSeconds =
                prepared.mode == .fresh ? max(1, everything.seconds - everything.readSeconds) : plan.estimatedSeconds
            report.figures = await connection.client.governor.statistics
        }
        for item in unsent {
            report.items.append(item)
            await events(.finished(item, done: item.index + 1, total: total))
        }
        report.planHash = hash
        report.baseline = plan.baseline
        report.resolutions = prepared.judged.resolutions
        report.resolutionChanges = prepared.resolutionChanges
        report.recordChanges = prepared.recordChanges
        return await conclude(outcome, report: report, prepared)
    }

    /// The report's failures and conflicts as diagnostics, and the status the run exits with.
    static func conclude(_ outcome: Outcome, report: ApplyReport, _ prepared: Prepared) async -> Outcome {
        var outcome = outcome
        outcome.report = report
        for item in report.items {
            guard let code = item.outcome.code else { continue }
            let what = "\(item.operation.kind.rawValue) \(item.operation.plan.internalName): \(item.message ?? "")"
            outcome.diagnostics.append(Diagnostic(code, what, at: nil))
        }
        // A lease that lapses after the last write took nothing away: only a run with operations
        // left unsent is stopped by it.
        if report.count(.failed) + report.count(.skipped) > 0, let lost = await prepared.connection.lease?.lost() {
            outcome.diagnostics.append(Diagnostic(.applyLockLost, lost, at: nil))
            outcome.status = .locked
        } else if report.count(.conflict) > 0 || !prepared.notReviewed.isEmpty {
            outcome.diagnostics.append(
                Diagnostic(
                    .conflict, "STOQ changed since the plan was made; the conflicting operations were not sent. Plan again and review",
                    at: nil))
            outcome.status = .conflict
        } else if !report.succeeded {
            outcome.status = .partialFailure
        }
        return outcome
    }

    /// Saved plans: the reviewed operations not sent, numbered after the executed ones: those the
    /// shop already has (in place) and those it changed under since the review (conflicts).
    static func unsentItems(_ prepared: Prepared, after executed: Int) -> [ApplyReport.Item] {
        let inPlace = prepared.inPlace.map { ($0, ApplyOutcome.inPlace(.nothingToDo)) }
        let changed = prepared.changedSinceReview.map { ($0, ApplyOutcome.changedSinceReview) }
        return (inPlace + changed).enumerated().map { offset, entry in
            ApplyReport.Item(index: executed + offset, operation: entry.0, outcome: entry.1, planID: entry.0.plan.id, adopted: false)
        }
    }
}

extension ApplyRun.Outcome {
    /// Stops a saved plan's apply before anything is sent.
    mutating func refuse(_ name: String, _ message: String) {
        diagnostics.append(Diagnostic(.savedPlanRefused, "\(name): \(message); nothing was sent", at: nil))
        status = .failure
    }

    func stopped(_ status: ExitStatus) -> Self {
        var copy = self
        copy.status = status
        return copy
    }

    func stopped(by failure: RunFailure) -> Self {
        var copy = self
        copy.diagnostics.append(failure.diagnostic)
        copy.status = failure.status
        return copy
    }
}

/// Passes finished operations on in plan order, numbered 1…total, however they complete.
actor InPlanOrder {
    let total: Int
    let events: @Sendable (ApplyRun.Event) async -> Void
    private var waiting: [Int: ApplyReport.Item] = [:]
    private var next = 0
    private var draining = false

    init(total: Int, events: @escaping @Sendable (ApplyRun.Event) async -> Void) {
        self.total = total
        self.events = events
    }

    func add(_ item: ApplyReport.Item) async {
        waiting[item.index] = item
        // One caller drains at a time; items that arrive meanwhile are picked up by its loop.
        guard !draining else { return }
        draining = true
        while let ready = waiting.removeValue(forKey: next) {
            next += 1
            await events(.finished(ready, done: next, total: total))
        }
        draining = false
    }
}
