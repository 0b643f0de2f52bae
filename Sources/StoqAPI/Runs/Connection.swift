import StoqCore
import StoqWire

/// The shop a run talks to: the client, and the endpoint as a plan records it.
public struct ShopConnection: Sendable {
    /// The client (and with it the shop's one rate governor).
    public var client: StoqClient
    /// The endpoint with user info, query and fragment removed: what a plan records and a saved
    /// plan is checked against.
    public var endpoint: String
    /// How messages name the shop: the endpoint, or `emulator (FILE)`.
    public var description: String
    /// Reads variants' inventory policies from Shopify; nil when policies cannot be read, so
    /// declared policies are unverified.
    public var policies: PolicyReader?
    /// Plan bodies kept between runs (`--cache`): planning reads through it, an apply of a
    /// configuration too under a stricter rule, an apply of a saved plan never (``ReadCache``).
    public var cache: ReadCache?
    /// Where reads of the shop and of Shopify's policies show how far they are.
    public var progress: ProgressMeter = .silent
    /// Which shop this is, once known (``ShopIdentity``).
    public var shop: ShopIdentity?
    /// The apply lock held for the shop (nil without one).
    ///
    /// Apply asks it before every write and stops writing once it is lost.
    public var lease: (any WriteLease)?

    /// Creates a connection.
    public init(client: StoqClient, endpoint: String, description: String, policies: PolicyReader? = nil) {
        self.client = client
        self.endpoint = Redact.url(endpoint)
        self.description = Redact.url(description)
        self.policies = policies
    }
}

/// Why a run stopped: one diagnostic, and the exit status it calls for.
public struct RunFailure: Error, Sendable {
    /// What went wrong.
    public var diagnostic: Diagnostic
    /// The exit status (1 unless the failure says otherwise).
    public var status: ExitStatus
    /// Diagnostics that explain the failure (the baseline's errors), reported before it.
    public var context: [Diagnostic] = []
    /// Files those diagnostics point into.
    public var sources: [SourceFile] = []

    /// A failure with `code` and `message`, not tied to a file.
    public init(_ code: DiagnosticCode, _ message: String, status: ExitStatus = .failure) {
        self.diagnostic = Diagnostic(code, message, at: nil)
        self.status = status
    }
}

/// Opens the connection once the configuration is known to be valid.
///
/// It gets `settings` from `stoqctl.yaml` (nil for a saved plan) and the endpoint a saved plan was
/// made against. A run that stops before talking to STOQ never calls it, so nothing is opened for
/// invalid input.
public typealias Connect = @Sendable (_ settings: Settings?, _ plannedEndpoint: String?) async throws(RunFailure) -> ShopConnection

extension StoqError {
    /// The error as a diagnostic: `doing` (what failed) and the reason, coded by whether STOQ was
    /// reached at all.
    public func diagnostic(_ doing: String) -> Diagnostic {
        let code: DiagnosticCode
        switch kind {
        case .transport: code = .stoqUnreachable
        case .http, .decoding: code = .stoqRequestFailed
        }
        return Diagnostic(code, "\(doing): \(description)", at: nil)
    }
}

/// The configuration at a baseline, as the caller read it (from git, or a directory).
public struct BaselineFiles: Sendable {
    /// The files, with display paths that name the baseline (`origin/main:shop/fall.yaml`).
    public var config: ConfigInput
    /// Which ref and commit.
    public var info: BaselineInfo

    /// Creates one.
    public init(config: ConfigInput, info: BaselineInfo) {
        self.config = config
        self.info = info
    }
}

/// Reads the configuration at a baseline (a git ref or a directory), for the same paths as the
/// configuration itself.
public typealias ReadBaseline = @Sendable (_ ref: String) async throws(RunFailure) -> BaselineFiles

/// Steps the runs share.
enum RunSteps {
    /// Reads the shop for `desired`: the list, then the plans it manages; warnings for values
    /// that could not be read.
    static func readShop(
        _ desired: DesiredState, with client: StoqClient, cache: ReadCache? = nil, progress: ProgressMeter = .silent
    ) async -> Result<(Fetcher.Result, [Diagnostic]), RunFailure> {
        let fetched: Fetcher.Result
        do {
            fetched = try await Fetcher(client: client, cache: cache, progress: progress).fetch(
                internalNames: Set(desired.plans.map(\.internalName.value)), ids: desired.pinnedIDs)
        } catch {
            var failure = RunFailure(.stoqRequestFailed, "")
            failure.diagnostic = error.diagnostic("reading the shop failed")
            return .failure(failure)
        }
        return .success((fetched, warnings(fetched)))
    }

    /// Reads the shop and, at the same time, the Shopify policies of the variants `desired`
    /// declares a policy for in `plans` (two budgets, spent concurrently).
    static func readShopAndPolicies(
        _ desired: DesiredState, plans: Set<String>?, with connection: ShopConnection
    ) async -> Result<(Fetcher.Result, PolicyReader.Result?, [Diagnostic]), RunFailure> {
        let ids = declaredPolicyIDs(desired, plans: plans)
        async let shop = readShop(desired, with: connection.client, cache: connection.cache, progress: connection.progress)
        async let policies = readPolicies(ids, with: connection.policies, progress: connection.progress)
        let (shopResult, policyResult) = await (shop, policies)
        switch (shopResult, policyResult) {
        case (.failure(let failure), _), (_, .failure(let failure)):
            return .failure(failure)
        case (.success(let (fetched, warnings)), .success(let read)):
            return .success((fetched, read, warnings))
        }
    }

    /// Reads the shop and, at the same time, Shopify's catalogue: every name `desired` writes,
    /// and the variants it declares a policy for by id (two budgets, spent concurrently).
    static func readShopAndCatalogue(
        _ desired: DesiredState, names: NameResolver.Names, plans: Set<String>?, with connection: ShopConnection, reader: PolicyReader
    ) async -> Result<(Fetcher.Result, CatalogueReader.Result, [Diagnostic]), RunFailure> {
        let catalogueReader = reader.catalogue
        var request = CatalogueReader.Request()
        request.skus = names.skus
        request.barcodes = names.barcodes
        request.productHandles = names.productHandles
        request.collectionHandles = names.collectionHandles
        request.variantIDs = Set(declaredPolicyIDs(desired, plans: plans))
        async let shop = readShop(desired, with: connection.client, cache: connection.cache, progress: connection.progress)
        async let catalogue = { () async -> Result<CatalogueReader.Result, RunFailure> in
            do throws(ShopifyError) {
                return .success(try await catalogueReader.read(request, progress: connection.progress))
            } catch {
                var failure = RunFailure(.shopifyRequestFailed, "")
                failure.diagnostic = error.diagnostic("resolving variant names through Shopify (\(reader.source)) failed; nothing was sent")
                return .failure(failure)
            }
        }()
        let (shopResult, catalogueResult) = await (shop, catalogue)
        switch (shopResult, catalogueResult) {
        case (.failure(let failure), _), (_, .failure(let failure)):
            return .failure(failure)
        case (.success(let (fetched, warnings)), .success(let read)):
            return .success((fetched, read, warnings))
        }
    }

    /// The failure of a configuration that writes names without a way to read Shopify.
    static func namesNeedShopify(_ names: NameResolver.Names) -> RunFailure {
        let kinds: [(String, Set<String>)] = [
            ("sku", names.skus), ("barcode", names.barcodes), ("product", names.productHandles), ("collection", names.collectionHandles),
        ]
        var first = ""
        for (kind, values) in kinds {
            if let value = values.min() {
                first = "\(kind):\(value)"
                break
            }
        }
        return RunFailure(
            .missingShopifyCredentials,
            "the configuration names \(names.count) variant\(names.count == 1 ? "" : "s") or handle\(names.count == 1 ? "" : "s") (such as `\(Sanitiser.shown(first))`), which only Shopify can resolve: set `shopify_shop` in stoqctl.yaml and the Admin API token in SHOPIFY_ADMIN_TOKEN (or --shopify-token-file), or write variant ids; nothing was sent"
        )
    }

    /// What the catalogue says about the variants `plan` shows (only entries with a SKU, barcode or
    /// title: an id Shopify told nothing more about is shown by id).
    static func shownDetails(of plan: Plan, in catalogue: Catalogue) -> [Int64: CatalogueVariant] {
        var details: [Int64: CatalogueVariant] = [:]
        for id in plan.shownVariantIDs {
            guard let variant = catalogue.variants[id],
                variant.sku != nil || variant.barcode != nil || variant.title != nil || variant.productTitle != nil
            else { continue }
            details[id] = variant
        }
        return details
    }

    /// The variants `desired` declares a policy for, in the plans named (all when nil).
    static func declaredPolicyIDs(_ desired: DesiredState, plans: Set<String>?) -> [Int64] {
        var ids = Set<Int64>()
        for spec in desired.plans where plans?.contains(spec.internalName.value) ?? true {
            for declared in spec.inventoryPolicy.values { ids.formUnion(declared.map(\.value)) }
        }
        return ids.sorted()
    }

    /// The policies of `ids`, or nil without a reader.
    static func readPolicies(
        _ ids: [Int64], with reader: PolicyReader?, progress: ProgressMeter = .silent
    ) async -> Result<PolicyReader.Result?, RunFailure> {
        guard let reader else { return .success(nil) }
        guard !ids.isEmpty else { return .success(PolicyReader.Result(state: PolicyState(source: reader.source), queries: 0, points: 0)) }
        do {
            return .success(try await reader.read(ids, progress: progress))
        } catch {
            var failure = RunFailure(.shopifyRequestFailed, "")
            failure.diagnostic = error.diagnostic("reading inventory policies from Shopify (\(reader.source)) failed")
            return .failure(failure)
        }
    }

    /// The baseline `ref` or the settings name, loaded, with its files.
    ///
    /// Nil without one; a failure when it cannot be read or has errors, never silently ignored.
    /// Its warnings are not returned: they were reported when it was the configuration.
    static func loadBaseline(
        _ ref: String?, settings: Settings, read: ReadBaseline?, shop: String? = nil
    ) async -> Result<(Baseline?, [SourceFile]), RunFailure> {
        guard let ref = ref ?? settings.baseline?.value else { return .success((nil, [])) }
        guard let read else { return .failure(RunFailure(.baselineUnreadable, "--baseline \(ref): no way to read a baseline here")) }
        let files: BaselineFiles
        do {
            files = try await read(ref)
        } catch {
            return .failure(error)
        }
        let loaded = ConfigPipeline.run(files.config)
        if loaded.hasErrors {
            var failure = RunFailure(
                .invalidBaseline,
                "the configuration at the baseline \(files.info.description) has errors (above), so changes cannot be told from drift; fix them there or choose another baseline; nothing was sent"
            )
            failure.context = loaded.diagnostics
            failure.sources = loaded.sources
            return .failure(failure)
        }
        guard let shop else { return .success((Baseline(desired: loaded.desired, info: files.info), loaded.sources)) }
        // A shop the baseline does not describe (added since, or a baseline from before `shops:`)
        // had nothing declared there: each of its differences is a change of the configuration.
        let desired = loaded.desired.forShop(shop) ?? DesiredState(settings: settings, files: loaded.desired.files)
        return .success((Baseline(desired: desired, info: files.info), loaded.sources))
    }

    /// One warning per plan whose values could not all be read.
    static func warnings(_ fetched: Fetcher.Result) -> [Diagnostic] {
        fetched.problems.sorted(by: { $0.key < $1.key }).map { id, problems in
            Diagnostic(
                .remoteValueUnreadable, "plan \(id): STOQ returned values stoqctl cannot read: \(problems.joined(separator: "; "))",
                at: nil)
        }
    }
}
