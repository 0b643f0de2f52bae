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
    }

    /// Reads the shop `connect` opens and exports it as files (`asFiles`) or as one document.
    ///
    /// When the connection reads Shopify and `names` is true, members are written by SKU where
    /// ``VariantNaming`` allows: the members are read by id (their SKUs and policies), then those
    /// SKUs are resolved as `plan` resolves them. Otherwise only the policies are read, and
    /// members are written by id.
    public static func run(asFiles: Bool, names: Bool = true, connect: Connect) async -> Outcome {
        var outcome = Outcome()
        let connection: ShopConnection
        do {
            connection = try await connect(nil, nil)
        } catch {
            outcome.diagnostics.append(error.diagnostic)
            outcome.status = error.status
            return outcome
        }
        outcome.shop = connection.description
        let fetched: Fetcher.Result
        do {
            fetched = try await Fetcher(client: connection.client, cache: connection.cache, progress: connection.progress).fetchAll()
        } catch {
            outcome.diagnostics.append(error.diagnostic("reading the shop failed"))
            outcome.status = .failure
            return outcome
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
                return outcome
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
                return outcome
            case .success(let read):
                policies = read?.state
                outcome.policySource = read?.state.source
                outcome.shopifyQueries = read?.queries ?? 0
                outcome.shopifyPoints = read?.points ?? 0
            }
        }
        let result: ExportResult
        if asFiles {
            result = Exporter.export(fetched.state.managed, policies: policies, naming: outcome.naming)
            outcome.files = result
        } else {
            let (text, r) = Exporter.document(fetched.state.managed, policies: policies, naming: outcome.naming)
            outcome.document = text
            result = r
        }
        outcome.diagnostics += result.warnings.map { Diagnostic(.exportLeftOut, $0, at: nil) }
        if !result.notes.isEmpty {
            let n = result.notes.count
            outcome.diagnostics.append(
                Diagnostic(
                    .exportTypeChoiceLeftOut,
                    "\(n) type choice\(n == 1 ? "" : "s") left out (unmanaged) because STOQ returned the field \(n == 1 ? "it requires" : "they require") empty, e.g. \(result.notes[0]); each is a comment in its file",
                    at: nil))
        }
        return outcome
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
