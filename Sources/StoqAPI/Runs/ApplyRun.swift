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
        /// A plan saved by `stoqctl plan --out`: its name (for messages) and its text.
        case savedPlan(name: String, text: String)
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

        /// Creates an input.
        public init(source: Source, overrides: [GateOverride] = [], allowDeletes: Bool = false, verifyPolicies: Bool = true) {
            self.source = source
            self.overrides = overrides
            self.allowDeletes = allowDeletes
            self.verifyPolicies = verifyPolicies
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
    }

    /// Runs an apply against the shop `connect` opens; `events` hears progress.
    public static func run(
        _ input: Input, connect: Connect, events: @escaping @Sendable (Event) async -> Void = { _ in }
    ) async -> Outcome {
        var outcome = Outcome()
        let plan: Plan
        let hash: String
        var connection: ShopConnection
        let mode: Applier.Mode
        var saved: String?
        switch input.source {
        case .configuration(var planInput):
            planInput.overrides = input.overrides
            planInput.allowDeletes = input.allowDeletes
            let config = ConfigPipeline.run(planInput.config)
            outcome.config = config
            outcome.diagnostics = config.diagnostics
            guard !config.hasErrors else { return outcome.stopped(.failure) }
            let baseline: Baseline?
            switch await RunSteps.loadBaseline(planInput.baseline, settings: config.desired.settings, read: planInput.readBaseline) {
            case .failure(let failure):
                outcome.baselineSources = failure.sources
                outcome.diagnostics += failure.context
                return outcome.stopped(by: failure)
            case .success(let (loaded, sources)):
                baseline = loaded
                outcome.baselineSources = sources
            }
            do {
                connection = try await connect(config.desired.settings, nil)
            } catch {
                return outcome.stopped(by: error)
            }
            // What is written is planned from live reads only, never from kept bodies.
            connection.cache = nil
            let planned = await PlanRun.plan(
                config, planInput, baseline: baseline, connection: connection,
                outcome: PlanRun.Outcome(config: config, diagnostics: config.diagnostics))
            outcome.diagnostics = planned.diagnostics
            guard let fresh = planned.plan, let verdict = planned.verdict else { return outcome.stopped(planned.failure ?? .failure) }
            plan = fresh
            hash = verdict.planHash
            mode = .fresh
        case .savedPlan(let name, let text):
            let decoded: (plan: Plan, hash: String)
            do {
                decoded = try PlanJSON.decode(text)
            } catch {
                outcome.diagnostics.append(Diagnostic(.savedPlanRefused, "\(name): \(error.message); nothing was sent", at: nil))
                return outcome.stopped(.failure)
            }
            (plan, hash) = decoded
            do {
                connection = try await connect(nil, plan.endpoint)
            } catch {
                return outcome.stopped(by: error)
            }
            if let planned = plan.endpoint, planned != connection.endpoint {
                outcome.diagnostics.append(
                    Diagnostic(
                        .savedPlanRefused,
                        "\(name) was planned against \(planned), but this apply would write to \(connection.endpoint); apply it where it was planned, or plan again; nothing was sent",
                        at: nil))
                return outcome.stopped(.failure)
            }
            if let source = plan.policySource, connection.policies == nil,
                plan.operations.contains(where: { $0.kind == .setInventoryPolicy })
            {
                outcome.diagnostics.append(
                    Diagnostic(
                        .missingShopifyCredentials,
                        "\(name) compared inventory policies with Shopify (\(source)); apply checks them again before sending, so it needs the Shopify shop and token too; nothing was sent",
                        at: nil))
                return outcome.stopped(.failure)
            }
            mode = .compareAndSet
            saved = name
        }
        outcome.shop = connection.description
        let verdict = Safety.verdict(for: plan, planHash: hash, overrides: input.overrides, allowDeletes: input.allowDeletes)
        outcome.plan = plan
        outcome.verdict = verdict
        await events(.planned(plan, verdict, saved: saved))
        outcome.diagnostics += verdict.notices.map { Diagnostic(.gateOverridden, $0, at: nil) }
        guard !verdict.refuses else {
            for refusal in verdict.refusals {
                let code: DiagnosticCode = refusal.hasPrefix("safety gate") ? .safetyGate : .deletesNeedPermission
                outcome.diagnostics.append(Diagnostic(code, refusal, at: nil))
            }
            outcome.diagnostics.append(Diagnostic(.safetyGate, "the plan is refused; nothing was sent", at: nil))
            outcome.report = ApplyReport.refused(plan, planHash: hash, reasons: verdict.refusals)
            outcome.report?.baseline = plan.baseline
            return outcome.stopped(.refused)
        }
        guard !plan.operations.isEmpty else {
            var empty = ApplyReport(items: [], seconds: 0)
            empty.planHash = hash
            empty.baseline = plan.baseline
            outcome.report = empty
            return outcome
        }
        await events(.applying(operations: plan.operations.count))
        let sequencer = InPlanOrder(total: plan.operations.count, events: events)
        let applier = Applier(client: connection.client, policies: connection.policies, verifyPolicies: input.verifyPolicies)
        var report = await applier.apply(plan, mode: mode) { item, _, _ in
            await sequencer.add(item)
        }
        report.planHash = hash
        report.baseline = plan.baseline
        report.estimatedSeconds = plan.estimatedSeconds
        report.figures = await connection.client.governor.statistics
        outcome.report = report
        for item in report.items where item.status == .failed || item.status == .conflict {
            let what = "\(item.operation.kind.rawValue) \(item.operation.plan.internalName): \(item.message ?? "")"
            let code: DiagnosticCode =
                item.status == .conflict
                ? .conflict : (item.message?.hasPrefix("after the job finished") == true ? .policyNotApplied : .operationFailed)
            outcome.diagnostics.append(Diagnostic(code, what, at: nil))
        }
        if report.count(.conflict) > 0 {
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
}

extension ApplyRun.Outcome {
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
