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
    /// The most variants one plan reads titles for (2 Shopify points each, with their product):
    /// enough for any plan a person reviews line by line; a plan adding 20,000 variants shows
    /// the first 1,000 with titles and the rest by SKU or id, instead of spending 40,000 points.
    public static let titleReadLimit = 1_000
    /// Without Shopify, the most plans whose removed members' titles are read from STOQ (one
    /// `GET /preorders/{id}/product_variants` each, 1 point).
    public static let memberTitlePlanLimit = 10

    /// What reading members' titles from STOQ cost.
    public struct MemberTitleReads: Sendable, Hashable {
        /// Plans read (one request each) and plans whose read failed.
        public var plans = 0, failed = 0
        /// Members the plan removes that got a title, and those left by id because their plan
        /// was over ``PlanRun/memberTitlePlanLimit``.
        public var titled = 0, untitled = 0
    }

    /// What reading titles from Shopify cost, and what went wrong (titles only: a failed read
    /// leaves the variants shown by id and the plan stands).
    public struct TitleRead: Sendable {
        public var queries = 0, points = 0, throttled = 0
        public var diagnostics: [Diagnostic] = []
    }

    /// Sets `plan.variantInfo` for the variants it shows, reading from Shopify those not read yet.
    ///
    /// Those `catalogue` (what resolving names read, if any) knows with their product are taken
    /// from it; the others are read now with their product (members it removes, every variant of
    /// a configuration that writes ids), which gives them titles and marks those of draft or
    /// archived products. Only variants the plan shows, never every name resolved, and at most
    /// ``titleReadLimit``.
    public static func readTitles(
        of plan: inout Plan, catalogue: Catalogue?, reader: PolicyReader, progress: ProgressMeter = .silent
    ) async -> TitleRead {
        var result = TitleRead()
        var catalogue = catalogue ?? Catalogue(source: reader.source)
        catalogue.unknown.formUnion(plan.unknownVariants.map(\.id))
        let shown = plan.shownVariantIDsInOrder.filter { catalogue.variants[$0]?.productStatus == nil && !catalogue.unknown.contains($0) }
        let missing = Set(shown.prefix(titleReadLimit))
        if shown.count > missing.count {
            result.diagnostics.append(
                Diagnostic(
                    .titlesNotRead,
                    "the plan shows \(PlanText.count(shown.count)) variants without their titles; titles were read for the first \(PlanText.count(titleReadLimit)) and the other \(PlanText.count(shown.count - missing.count)) are shown by SKU or id",
                    at: nil))
        }
        if !missing.isEmpty {
            var request = CatalogueReader.Request(variantIDs: missing)
            request.withProducts = true
            do throws(ShopifyError) {
                let read = try await reader.catalogue.read(request, progress: progress)
                catalogue.merge(read.catalogue)
                result.queries = read.queries
                result.points = read.points
                result.throttled = read.throttled
            } catch {
                result.diagnostics.append(
                    Diagnostic(
                        .remoteValueUnreadable,
                        "the titles of \(PlanText.variants(missing.count)) the plan shows could not be read from Shopify (\(reader.source)): \(error.message); they are shown by id",
                        at: nil))
            }
        }
        plan.variantInfo = RunSteps.shownDetails(of: plan, in: catalogue)
        return result
    }

    /// Without Shopify: the titles STOQ gives for the members the plan removes, read per plan,
    /// at most ``memberTitlePlanLimit`` plans (variants it adds are not members yet: STOQ has
    /// nothing to say about them).
    ///
    /// Only ids that are members of the plan read and that the plan removes are kept, whatever
    /// else the answer holds; titles are the shop's text and are sanitised where shown.
    static func memberTitles(of plan: Plan, remote: RemoteState, client: StoqClient) async -> (
        [Int64: CatalogueVariant], MemberTitleReads
    ) {
        var members: [String: Set<Int64>] = [:]
        for p in remote.managed { members[p.id] = Set(p.variantIDs) }
        var ordered: [(id: String, ids: Set<Int64>)] = []
        for op in plan.operations where op.kind == .removeVariants {
            guard let id = op.plan.id, let current = members[id] else { continue }
            let removed = Set(op.variantIDs).intersection(current)
            guard !removed.isEmpty else { continue }
            if let i = ordered.firstIndex(where: { $0.id == id }) {
                ordered[i].ids.formUnion(removed)
            } else {
                ordered.append((id, removed))
            }
        }
        var read = MemberTitleReads()
        read.untitled = ordered.dropFirst(memberTitlePlanLimit).reduce(0) { $0 + $1.ids.count }
        var titles: [Int64: CatalogueVariant] = [:]
        var answers: [(Int, Bool, [Int64: CatalogueVariant])] = []
        await withTaskGroup(of: (Int, Bool, [Int64: CatalogueVariant]).self) { group in
            for (index, w) in ordered.prefix(memberTitlePlanLimit).enumerated() {
                group.addTask {
                    do throws(StoqError) {
                        var found: [Int64: CatalogueVariant] = [:]
                        for item in try await client.productVariants(planID: w.id) {
                            guard let vid = item["shopify_variant_id"]?.int64Value, w.ids.contains(vid) else { continue }
                            let product = item["product_title"]?.stringValue
                            let title = item["variant_title"]?.stringValue
                            guard product != nil || title != nil else { continue }
                            found[vid] = CatalogueVariant(
                                id: vid, title: title, productTitle: product, productID: item["shopify_product_id"]?.int64Value)
                        }
                        return (index, true, found)
                    } catch {
                        return (index, false, [:])
                    }
                }
            }
            for await answer in group { answers.append(answer) }
        }
        // In plan order, whatever order the answers came in: a variant removed from two plans
        // keeps the first plan's titles, so the same shop always gives the same plan.
        for (_, ok, found) in answers.sorted(by: { $0.0 < $1.0 }) {
            read.plans += 1
            if !ok { read.failed += 1 }
            titles.merge(found) { first, _ in first }
        }
        read.titled = titles.count
        return (titles, read)
    }

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
        /// In a repository of several shops: the shop to plan (`--shop`); the configuration is
        /// narrowed to it (``DesiredState/forShop(_:)``), its baseline too.
        public var shop: String?
        /// The configuration already loaded and validated from `config` (a run of several shops
        /// loads it once); nil to load it here.
        public var loaded: ConfigResult?

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
        /// Without Shopify: what reading the shown members' titles from STOQ cost.
        public var memberTitleReads = MemberTitleReads()
        /// Files of the baseline, for source lines under its diagnostics.
        public var baselineSources: [SourceFile] = []
        /// STOQ's `shop_id`s the shop's list showed: the store the token reached (a run of several
        /// shops refuses two shops that reach the same one).
        public var stoqShopIDs: Set<String> = []

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
        var config = input.loaded ?? ConfigPipeline.run(input.config)
        var outcome = Outcome(config: config, diagnostics: config.diagnostics)
        guard !config.hasErrors else {
            outcome.failure = .failure
            return (outcome, nil)
        }
        switch ShopChecks.narrow(config.desired, to: input.shop) {
        case .failure(let failure): return (outcome.failing(failure), nil)
        case .success(let narrowed):
            config.desired = narrowed
            outcome.config = config
        }
        let baseline: Baseline?
        switch await RunSteps.loadBaseline(
            input.baseline, settings: config.desired.settings, read: input.readBaseline, shop: input.shop)
        {
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
        if let failure = await ShopChecks.shopifyDomain(of: config.desired.settings.shop, reader: connection.policies) {
            return (outcome.failing(failure), nil)
        }
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
        if desired.settings.shop != nil {
            switch await ShopChecks.stoqShopIDs(fetched.state, client: connection.client) {
            case .failure(let failure): return outcome.failing(failure)
            case .success(let (ids, reads)):
                fetched.planRequests += reads
                if let failure = ShopChecks.stoqShop(ids, shop: desired.settings.shop) { return outcome.failing(failure) }
                outcome.stoqShopIDs = ids
            }
        }
        var options = PlanOptions()
        options.allowDeletes = input.allowDeletes
        options.targets = input.targets
        if desired.settings.shop != nil, !input.targets.isEmpty {
            // An offer of the repository that is not for this shop: nothing to do here.
            let repository = input.loaded ?? ConfigPipeline.run(input.config)
            options.targetsOfOtherShops = Set(repository.desired.plans.map(\.internalName.value))
        }
        options.budgetPoints = input.budget.points
        options.budgetWindow = input.budget.window.inSeconds
        let (plan, planning) = Planner.plan(desired: desired, remote: fetched.state, baseline: baseline, options: options)
        outcome.diagnostics = (outcome.diagnostics + planning).sorted(by: Diagnostic.stableOrder)
        guard var plan else {
            outcome.failure = .failure
            return outcome
        }
        plan.endpoint = connection.endpoint
        plan.shop = desired.settings.shop?.name.value
        plan.reads.stoqRequests = fetched.listRequests + fetched.planRequests
        outcome.planned = desired
        plan.resolutions = resolutions
        if let record = input.namesRecord { plan.moves = NameResolver.moves(in: plan, previous: record) }
        if let reader = connection.policies {
            let titles = await readTitles(of: &plan, catalogue: catalogue, reader: reader, progress: connection.progress)
            outcome.diagnostics += titles.diagnostics
            outcome.policyRead?.queries += titles.queries
            outcome.policyRead?.points += titles.points
            outcome.policyRead?.throttled += titles.throttled
        } else {
            // Apply reads them too (at most 10 points): the titles are part of the plan hash, so
            // a plan and an apply of the same shop must show the same.
            let (titles, read) = await memberTitles(of: plan, remote: fetched.state, client: connection.client)
            plan.variantInfo = titles
            outcome.memberTitleReads = read
            plan.reads.stoqRequests += read.plans  // an apply reads them again
            if read.failed > 0 {
                outcome.diagnostics.append(
                    Diagnostic(
                        .remoteValueUnreadable,
                        "the titles of the members of \(read.failed) plan\(read.failed == 1 ? "" : "s") could not be read from STOQ; they are shown by id",
                        at: nil))
            }
        }
        if let read = outcome.policyRead, let reader = connection.policies {
            plan.reads.shopifyPoints = read.points
            if let limits = await reader.client.budget.limits() {
                plan.reads.shopifyBucket = limits.maximum
                plan.reads.shopifyRestoreRate = limits.restoreRate
            }
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
