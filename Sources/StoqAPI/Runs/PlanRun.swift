import StoqCore
import StoqWire

/// The `stoqctl plan` run, in one call.
///
/// Loads and validates the configuration, reads the shop, plans, and judges the plan's safety.
/// Inputs come in as values and everything comes back as values; nothing is printed.
///
/// Stages: ``ConfigPipeline`` → (connect) → ``Fetcher`` → ``Planner`` → ``Safety``. A stage that
/// fails stops the run with its diagnostics; an invalid configuration stops it before anything is
/// opened or sent.
public enum PlanRun {
    /// What a plan run needs besides the shop.
    public struct Input: Sendable {
        /// The configuration files.
        public var config: ConfigInput
        /// `--target` names.
        public var targets: [String] = []
        /// `--allow-deletes`.
        public var allowDeletes = false
        /// `--allow-gate` overrides, judged as apply would judge them.
        public var overrides: [GateOverride] = []
        /// Rate budget for the time estimate.
        public var budget = RateBudget()
        /// The baseline to attribute differences against (`--baseline`; else `baseline:` in
        /// stoqctl.yaml), and how to read it.
        public var baseline: String?
        /// Reads a baseline.
        public var readBaseline: ReadBaseline?
        /// What the configuration's names resolved to before (`--names-record`): names whose
        /// variant changed since are shown as moves.
        public var namesRecord: [VariantResolution]?

        /// Creates an input.
        public init(config: ConfigInput) { self.config = config }
    }

    /// What a plan run produced.
    public struct Outcome: Sendable {
        /// The configuration as loaded (with its sources, for diagnostics).
        public var config: ConfigResult
        /// Every diagnostic of the run: configuration, shop, planner; sorted.
        public var diagnostics: [Diagnostic]
        /// The plan, when the run got that far.
        public var plan: Plan?
        /// The configuration the plan was made from: as loaded, with every name replaced by the
        /// ids it resolved to (set with `plan`).
        public var planned: DesiredState?
        /// The safety verdict on the plan with the given overrides and permission.
        public var verdict: SafetyVerdict?
        /// The shop, as messages name it (nil when the run stopped before connecting).
        public var shop: String?
        /// What reading policies from Shopify found and cost (nil without a reader).
        public var policyRead: PolicyReader.Result?
        /// Files of the baseline, for source lines under its diagnostics.
        public var baselineSources: [SourceFile] = []

        /// The exit status when only changes of `attribution` count for `--detailed-exitcode`
        /// (`.both`: every change).
        public func status(detailedExitcode: Bool, counting attribution: Attribution) -> ExitStatus {
            if let failure { return failure }
            guard let plan, let verdict else { return .success }
            return .shown(plan, verdict: verdict, detailedExitcode: detailedExitcode, counting: attribution)
        }
        /// The status a failure calls for (nil when the run succeeded).
        public var failure: ExitStatus?

    }

    /// What a run needs before it reads the shop.
    struct Ready {
        /// The configuration, valid.
        var config: ConfigResult
        /// Its baseline, when there is one.
        var baseline: Baseline?
        /// The shop.
        var connection: ShopConnection
    }

    /// Runs a plan against the shop `connect` opens.
    public static func run(_ input: Input, connect: Connect) async -> Outcome {
        let (outcome, ready) = await prepare(input, connect: connect)
        guard let ready else { return outcome }
        return await plan(ready.config, input, baseline: ready.baseline, connection: ready.connection, outcome: outcome)
    }

    /// Loads and validates the configuration, reads its baseline and connects (plan and apply
    /// alike); without a `Ready`, the outcome says what stopped it.
    static func prepare(_ input: Input, connect: Connect) async -> (Outcome, Ready?) {
        let config = ConfigPipeline.run(input.config)
        var outcome = Outcome(config: config, diagnostics: config.diagnostics)
        guard !config.hasErrors else {
            outcome.failure = .failure
            return (outcome, nil)
        }
        let baseline: Baseline?
        switch await RunSteps.loadBaseline(input.baseline, settings: config.desired.settings, read: input.readBaseline) {
        case .failure(let failure):
            outcome.baselineSources = failure.sources
            outcome.diagnostics += failure.context
            return (outcome.failing(failure), nil)
        case .success(let (loaded, sources)):
            baseline = loaded
            outcome.baselineSources = sources
        }
        let connection: ShopConnection
        do {
            connection = try await connect(config.desired.settings, nil)
        } catch {
            return (outcome.failing(error), nil)
        }
        outcome.shop = connection.description
        return (outcome, Ready(config: config, baseline: baseline, connection: connection))
    }

    /// Reads the shop and plans; the configuration is valid.
    static func plan(_ config: ConfigResult, _ input: Input, baseline: Baseline?, connection: ShopConnection, outcome: Outcome) async
        -> Outcome
    {
        var outcome = outcome
        var fetched: Fetcher.Result
        let scope = input.targets.isEmpty ? nil : Set(input.targets)
        var desired = config.desired
        var resolutions: [VariantResolution] = []
        var catalogue: Catalogue?
        let names = NameResolver.names(in: desired, plans: scope)
        if names.isEmpty {
            switch await RunSteps.readShopAndPolicies(desired, plans: scope, with: connection) {
            case .failure(let failure): return outcome.failing(failure)
            case .success(let (result, policies, warnings)):
                fetched = result
                fetched.state.policies = policies?.state
                outcome.policyRead = policies
                outcome.diagnostics += warnings
            }
        } else {
            guard let reader = connection.policies else { return outcome.failing(RunSteps.namesNeedShopify(names)) }
            switch await RunSteps.readShopAndCatalogue(desired, names: names, plans: scope, with: connection, reader: reader) {
            case .failure(let failure): return outcome.failing(failure)
            case .success(let (result, read, warnings)):
                fetched = result
                outcome.diagnostics += warnings
                let resolved = NameResolver.resolve(desired, catalogue: read.catalogue, plans: scope)
                outcome.diagnostics += resolved.diagnostics
                guard !resolved.hasErrors else {
                    outcome.diagnostics.sort(by: Diagnostic.stableOrder)
                    outcome.failure = .failure
                    return outcome
                }
                desired = resolved.desired
                resolutions = resolved.resolutions
                catalogue = read.catalogue
                let policies = read.catalogue.policies(of: RunSteps.declaredPolicyIDs(desired, plans: scope))
                fetched.state.policies = policies
                outcome.policyRead = PolicyReader.Result(
                    state: policies, queries: read.queries, points: read.points, throttled: read.throttled)
            }
        }
        var options = PlanOptions()
        options.allowDeletes = input.allowDeletes
        options.targets = input.targets
        options.budgetPoints = input.budget.points
        options.budgetWindow = input.budget.window.inSeconds
        let (plan, planning) = Planner.plan(desired: desired, remote: fetched.state, baseline: baseline, options: options)
        outcome.diagnostics = (outcome.diagnostics + planning).sorted(by: Diagnostic.stableOrder)
        guard var plan else {
            outcome.failure = .failure
            return outcome
        }
        plan.endpoint = connection.endpoint
        outcome.planned = desired
        plan.resolutions = resolutions
        if let record = input.namesRecord { plan.moves = NameResolver.moves(in: plan, previous: record) }
        if var catalogue, let reader = connection.policies {
            // The variants the plan shows whose product was not read (members it removes were
            // not read at all): one more pass, with their products, gives them titles and marks
            // those of draft or archived products. Only the few shown, never every name resolved.
            let missing = plan.shownVariantIDs.filter { catalogue.variants[$0]?.productStatus == nil }.subtracting(catalogue.unknown)
            if !missing.isEmpty {
                let catalogueReader = reader.catalogue
                var request = CatalogueReader.Request(variantIDs: missing)
                request.withProducts = true
                do throws(ShopifyError) {
                    let read = try await catalogueReader.read(request, progress: connection.progress)
                    catalogue.merge(read.catalogue)
                    outcome.policyRead?.queries += read.queries
                    outcome.policyRead?.points += read.points
                    outcome.policyRead?.throttled += read.throttled
                } catch {
                    // Titles only: the plan stands without them, shown by id.
                    outcome.diagnostics.append(
                        Diagnostic(
                            .remoteValueUnreadable,
                            "the titles of \(missing.count) variant\(missing.count == 1 ? "" : "s") the plan removes could not be read from Shopify (\(reader.source)): \(error.message); they are shown by id",
                            at: nil))
                }
            }
            plan.variantInfo = RunSteps.shownDetails(of: plan, in: catalogue)
        }
        outcome.plan = plan
        outcome.verdict = Safety.verdict(
            for: plan, planHash: PlanJSON.hash(plan), overrides: input.overrides, allowDeletes: input.allowDeletes)
        return outcome
    }
}

extension PlanRun.Outcome {
    /// This outcome, stopped by `failure`.
    func failing(_ failure: RunFailure) -> Self {
        var copy = self
        copy.diagnostics.append(failure.diagnostic)
        copy.failure = failure.status
        return copy
    }
}
