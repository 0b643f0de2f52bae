import StoqCore
import StoqWire

/// `stoqctl fetch` as one call: validate the configuration, then read the shop the way `plan`
/// does.
public enum FetchRun {
    /// What a fetch produced.
    public struct Outcome: Sendable {
        /// The configuration as loaded.
        public var config: ConfigResult
        /// Every diagnostic.
        public var diagnostics: [Diagnostic]
        /// What was read, when the run got that far.
        public var fetched: Fetcher.Result?
        /// The shop, as messages name it.
        public var shop: String?
        /// The exit status.
        public var status: ExitStatus = .success
    }

    /// Validates `config` and reads the shop `connect` opens.
    public static func run(_ config: ConfigInput, shop: String? = nil, connect: Connect) async -> Outcome {
        var loaded = ConfigPipeline.run(config)
        var outcome = Outcome(config: loaded, diagnostics: loaded.diagnostics)
        guard !loaded.hasErrors else {
            outcome.status = .failure
            return outcome
        }
        switch ShopChecks.narrow(loaded.desired, to: shop) {
        case .failure(let failure):
            outcome.diagnostics.append(failure.diagnostic)
            outcome.status = failure.status
            return outcome
        case .success(let narrowed): loaded.desired = narrowed
        }
        let connection: ShopConnection
        do {
            connection = try await connect(loaded.desired.settings, nil)
        } catch {
            outcome.diagnostics.append(error.diagnostic)
            outcome.status = error.status
            return outcome
        }
        outcome.shop = connection.description
        switch await RunSteps.readShop(loaded.desired, with: connection.client, cache: connection.cache, progress: connection.progress) {
        case .failure(let failure):
            outcome.diagnostics.append(failure.diagnostic)
            outcome.status = failure.status
        case .success(let (fetched, warnings)):
            outcome.fetched = fetched
            outcome.diagnostics += warnings
        }
        return outcome
    }
}

/// `stoqctl export` as one call: read every plan and turn the shop into configuration.
public enum ExportRun {
    /// What an export produced.
    public struct Outcome: Sendable {
        /// Every diagnostic: values STOQ returned that stoqctl cannot read, plans and values left
        /// out, type choices left out.
        public var diagnostics: [Diagnostic] = []
        /// One file per plan (for `--out`).
        public var files: ExportResult?
        /// One document (for standard output).
        public var document: String?
        /// Plans the shop lists.
        public var listed = 0
        /// Requests the read took.
        public var requests = 0
        /// The shop, as messages name it.
        public var shop: String?
        /// Where inventory policies were read, when they were.
        public var policySource: String?
        /// Queries sent to Shopify (policies, SKUs and their confirmation).
        public var shopifyQueries = 0
        /// Points Shopify charged for them.
        public var shopifyPoints = 0
        /// How the members were written, when they were named (nil: by id, without comments).
        public var naming: VariantNaming?
        /// The exit status.
        public var status: ExitStatus = .success

        /// The outcome, stopped by `failure`.
        func failing(_ failure: RunFailure) -> Outcome {
            var outcome = self
            outcome.diagnostics += failure.context + [failure.diagnostic]
            outcome.status = max(outcome.status, failure.status)
            return outcome
        }
    }

    /// Reads the shop `connect` opens and exports it as files (`asFiles`) or as one document.
    ///
    /// When the connection reads Shopify and `names` is true, members are written by SKU where
    /// ``VariantNaming`` allows: the members are read by id (their SKUs and policies), then those
    /// SKUs are resolved as `plan` resolves them. Otherwise only the policies are read, and
    /// members are written by id.
    public static func run(asFiles: Bool, names: Bool = true, connect: Connect) async -> Outcome {
        var outcome = Outcome()
        guard let read = await read(names: names, settings: nil, connect: connect, into: &outcome) else { return outcome }
        let result: ExportResult
        if asFiles {
            result = Exporter.export(read.plans, policies: read.policies, naming: outcome.naming)
            outcome.files = result
        } else {
            let (text, r) = Exporter.document(read.plans, policies: read.policies, naming: outcome.naming)
            outcome.document = text
            result = r
        }
        outcome.diagnostics += diagnostics(of: result)
        return outcome
    }

    /// What an export of several shops produced.
    public struct ShopsOutcome: Sendable {
        /// Each shop's read, in the order asked: its diagnostics (not naming the shop), counts and
        /// status.
        public var shops: [(shop: String, outcome: Outcome)] = []
        /// The files, when every shop was read.
        public var files: ExportResult?
        /// What the export left out, each naming its shop.
        public var diagnostics: [Diagnostic] = []
        /// The exit status: the worst of the shops'.
        public var status: ExitStatus = .success
    }

    /// Reads every shop of `shops` (of the repository `desired`, with `shops:`) at once, each on
    /// the connection `connect(shop)` opens with the shop's own settings, then exports them as
    /// one set of files (``Exporter/export(shops:repositoryShops:)``).
    ///
    /// As plan does, a shop whose tokens reach another store than the one stoqctl.yaml names, or
    /// two shops that reach the same STOQ store, are refused. Files are made only when every shop
    /// was read: an export missing a shop would say its offers are not there.
    public static func run(
        shops: [String], of desired: DesiredState, names: Bool = true, connect: @escaping @Sendable (String) -> Connect
    ) async -> ShopsOutcome {
        var result = ShopsOutcome()
        let read: [(shop: String, outcome: Outcome, read: Read?)] = await withTaskGroup(of: (Int, Outcome, Read?).self) { group in
            for (index, shop) in shops.enumerated() {
                let settings = desired.settings(forShop: shop)
                group.addTask {
                    var outcome = Outcome()
                    guard let settings else {
                        return (index, outcome.failing(RunFailure(.unknownShop, "stoqctl.yaml has no shop `\(shop)`", status: .usage)), nil)
                    }
                    let read = await Self.read(names: names, settings: settings, connect: connect(shop), into: &outcome)
                    return (index, outcome, read)
                }
            }
            var done: [(Int, Outcome, Read?)] = []
            for await one in group { done.append(one) }
            return done.sorted { $0.0 < $1.0 }.map { (shop: shops[$0.0], outcome: $0.1, read: $0.2) }
        }
        let crossed = ShopChecks.crossed(read.compactMap { one in one.read.map { (one.shop, $0.stoqShopIDs) } })
        var exports: [ShopExport] = []
        for (shop, outcome, shopRead) in read {
            var outcome = outcome
            if let failure = crossed[shop] { outcome = outcome.failing(failure) }
            if let shopRead, crossed[shop] == nil {
                exports.append(ShopExport(shop: shop, plans: shopRead.plans, policies: shopRead.policies, naming: outcome.naming))
            }
            result.status = max(result.status, outcome.status)
            result.shops.append((shop, outcome))
        }
        guard result.status == .success else { return result }
        let files = Exporter.export(shops: exports, repositoryShops: desired.shopNames)
        result.files = files
        result.diagnostics = diagnostics(of: files)
        return result
    }

    /// What one shop's read gave the export.
    struct Read: Sendable {
        var plans: [RemotePlan]
        var policies: PolicyState?
        var stoqShopIDs: Set<String> = []
    }

    /// The export's warnings, and one summary of the type choices left out.
    static func diagnostics(of result: ExportResult) -> [Diagnostic] {
        var diagnostics = result.warnings.map { Diagnostic(.exportLeftOut, $0, at: nil) }
        if !result.notes.isEmpty {
            let n = result.notes.count
            diagnostics.append(
                Diagnostic(
                    .exportTypeChoiceLeftOut,
                    "\(n) type choice\(n == 1 ? "" : "s") left out (unmanaged) because STOQ returned the field \(n == 1 ? "it requires" : "they require") empty, e.g. \(result.notes[0]); each is a comment in its file",
                    at: nil))
        }
        return diagnostics
    }

    /// Reads the shop `connect` opens with `settings` (nil: a repository of one shop, as before).
    ///
    /// Every plan and, when Shopify can be read, the members' policies and names; records what it
    /// did in `outcome`. Nil after a failure (recorded in `outcome`).
    ///
    /// With a shop's settings (a repository of several), the shop's tokens are checked to reach
    /// the stores stoqctl.yaml names, as plan checks them.
    static func read(names: Bool, settings: Settings?, connect: Connect, into outcome: inout Outcome) async -> Read? {
        let connection: ShopConnection
        do {
            connection = try await connect(settings, nil)
        } catch {
            outcome = outcome.failing(error)
            return nil
        }
        outcome.shop = connection.description
        if let failure = await ShopChecks.shopifyDomain(of: settings?.shop, reader: connection.policies) {
            outcome = outcome.failing(failure)
            return nil
        }
        var fetched: Fetcher.Result
        do {
            fetched = try await Fetcher(client: connection.client, cache: connection.cache, progress: connection.progress).fetchAll()
        } catch {
            outcome.diagnostics.append(error.diagnostic("reading the shop failed"))
            outcome.status = .failure
            return nil
        }
        var stoqShopIDs = Set<String>()
        if let shop = settings?.shop {
            switch await ShopChecks.stoqShopIDs(fetched.state, client: connection.client) {
            case .failure(let failure):
                outcome = outcome.failing(failure)
                return nil
            case .success(let (ids, reads)):
                fetched.planRequests += reads
                if let failure = ShopChecks.stoqShop(ids, shop: shop) {
                    outcome = outcome.failing(failure)
                    return nil
                }
                stoqShopIDs = ids
            }
        }
        outcome.diagnostics += RunSteps.warnings(fetched)
        outcome.listed = fetched.state.listed.count
        outcome.requests = fetched.listRequests + fetched.planRequests
        // The policies of every member of a custom-source plan, so the export declares them.
        let members = fetched.state.managed.filter { $0.fields[.productVariantsSource] == .string("custom") }.flatMap(\.variantIDs)
        var policies: PolicyState?
        if names, let reader = connection.policies, !members.isEmpty {
            switch await readNames(members, with: reader, progress: connection.progress) {
            case .failure(let failure):
                outcome.diagnostics.append(failure.diagnostic)
                outcome.status = failure.status
                return nil
            case .success(let read):
                policies = read.policies
                outcome.naming = read.naming
                outcome.policySource = reader.source
                outcome.shopifyQueries = read.queries
                outcome.shopifyPoints = read.points
            }
        } else {
            switch await RunSteps.readPolicies(members, with: connection.policies, progress: connection.progress) {
            case .failure(let failure):
                outcome.diagnostics.append(failure.diagnostic)
                outcome.status = failure.status
                return nil
            case .success(let read):
                policies = read?.state
                outcome.policySource = read?.state.source
                outcome.shopifyQueries = read?.queries ?? 0
                outcome.shopifyPoints = read?.points ?? 0
            }
        }
        return Read(plans: fetched.state.managed, policies: policies, stoqShopIDs: stoqShopIDs)
    }

    /// The members' policies and names: the members read by id (SKUs, policies), then their
    /// SKUs resolved through searches and exact comparison, as `plan` resolves names.
    static func readNames(
        _ members: [Int64], with policies: PolicyReader, progress: ProgressMeter
    ) async -> Result<(policies: PolicyState, naming: VariantNaming, queries: Int, points: Int), RunFailure> {
        let reader = policies.catalogue
        do throws(ShopifyError) {
            let details = try await reader.read(CatalogueReader.Request(variantIDs: Set(members)), progress: progress)
            let skus = VariantNaming.candidates(members: members, details: details.catalogue)
            var confirmation = CatalogueReader.Result(catalogue: Catalogue(source: reader.source), queries: 0, points: 0, throttled: 0)
            if !skus.isEmpty {
                var request = CatalogueReader.Request(skus: skus)
                // The members were read live moments ago: a search that finds one needs no second read.
                request.alreadyRead = details.catalogue.variants
                confirmation = try await reader.read(request, progress: progress)
            }
            let naming = VariantNaming.decide(members: members, details: details.catalogue, confirmation: confirmation.catalogue)
            return .success(
                (
                    details.catalogue.policies(of: members), naming, details.queries + confirmation.queries,
                    details.points + confirmation.points
                ))
        } catch {
            var failure = RunFailure(.shopifyRequestFailed, "")
            failure.diagnostic = error.diagnostic(
                "reading the variants' SKUs and inventory policies from Shopify (\(reader.source)) failed")
            return .failure(failure)
        }
    }
}
