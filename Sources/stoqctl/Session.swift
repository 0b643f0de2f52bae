import ArgumentParser
import Foundation
import Logging
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire

/// Options of every command that talks to STOQ.
struct RemoteOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "STOQ API base URL, or emulator:FILE to use the built-in emulator over a JSON state file.",
            discussion:
                "Default: $STOQ_API_URL, then `endpoint` in stoqctl.yaml, then https://app.stoqapp.com/api/v1/external. emulator:FILE needs FILE to exist; emulator:new:FILE starts an empty shop when FILE does not exist yet."
        ))
    var endpoint: String?

    @Option(help: "Read the API token from this file instead of $STOQ_API_TOKEN; - reads standard input.", completion: .file())
    var tokenFile: String?

    @Option(help: "Rate limit to keep to, as POINTS/SECONDS (STOQ's is 360/60).")
    var rateLimit: String = "360/60"

    @Option(help: "Most requests in flight at once (the HTTP connection pool keeps as many connections).")
    var concurrency: Int = 16

    @Option(help: "Seconds to wait for a connection.")
    var connectTimeout: Double = 5

    @Option(help: "Seconds a response may go without a byte before the attempt fails.")
    var idleTimeout: Double = 30

    @Option(help: "Most seconds one request may take, retries and their backoff included (waits the rate limit asks for are not counted).")
    var requestTimeout: Double = 35

    @Flag(name: .long, help: "Log every request to standard error (the token is never shown).")
    var debug = false

    @Option(
        help: ArgumentHelp(
            "Keep plan bodies read from STOQ in this directory and read again only plans that changed.",
            discussion:
                "Default: $STOQCTL_CACHE_DIR; off when neither is set. A plan is not read again when its entry is as it was kept and its id, internal_name, updated_at and membership are the list entry's, so an unchanged shop plans with its list pages only. Apply of a configuration uses it only where the list shows the plan's variant ids, removes the entry of every plan it writes before writing, and keeps an update's answer as the new entry; apply of a saved plan reads each plan live."
        ),
        completion: .directory)
    var cache: String?

    @Flag(help: "Read every plan live (the cache is still written).")
    var refresh = false

    /// How requests are retried: the defaults, bounded by `--request-timeout`.
    var retry: RetryPolicy {
        var retry = RetryPolicy()
        retry.maxRequestTime = .seconds(requestTimeout)
        return retry
    }

    /// `--cache`, else `$STOQCTL_CACHE_DIR`.
    var cacheDirectory: String? {
        cache ?? environmentValue("STOQCTL_CACHE_DIR")
    }

    @Option(
        help: ArgumentHelp(
            "Shopify Admin GraphQL URL to read inventory policies from.",
            discussion:
                "Default: $SHOPIFY_ADMIN_URL, then https://SHOP.myshopify.com/admin/api/VERSION/graphql.json for `shopify_shop` in stoqctl.yaml or $SHOPIFY_SHOP. A URL without a path gets /admin/api/VERSION/graphql.json. Plain http:// only to loopback."
        ))
    var shopifyEndpoint: String?

    @Option(
        help: "Read the Shopify Admin API token from this file instead of $SHOPIFY_ADMIN_TOKEN; - reads standard input.",
        completion: .file())
    var shopifyTokenFile: String?

    @Option(
        name: .customLong("allow-host"),
        help: ArgumentHelp(
            "Let a token go to this host when stoqctl.yaml names it (repeatable).",
            discussion:
                "Also $STOQCTL_ALLOW_HOSTS (comma-separated). Without it, an endpoint from stoqctl.yaml may only be STOQ's own (https://app.stoqapp.com); --endpoint, $STOQ_API_URL, --shopify-endpoint and $SHOPIFY_ADMIN_URL are the runner's own choice and need no permission."
        ))
    var allowHosts: [String] = []

    /// The access policy for a run whose repository is `repository`.
    func policy(repository: String?) -> AccessPolicy {
        AccessPolicy(
            allowedHosts: allowHosts + AccessPolicy.hosts(in: environmentValue("STOQCTL_ALLOW_HOSTS") ?? ""), repository: repository)
    }

    /// The budget `--rate-limit` and `--concurrency` describe.
    var budget: RateBudget {
        let parts = rateLimit.split(separator: "/")
        guard parts.count == 2, let points = Int(parts[0]), let seconds = Double(parts[1]) else { return RateBudget() }
        return RateBudget(points: points, window: .seconds(seconds), maxConcurrency: concurrency)
    }

    func validate() throws {
        let parts = rateLimit.split(separator: "/")
        guard parts.count == 2, let points = Int(parts[0]), points > 0, let seconds = Double(parts[1]), seconds > 0, seconds <= 86_400
        else {
            throw ValidationError("--rate-limit must be POINTS/SECONDS with at most 86,400 seconds, e.g. 360/60")
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if tokenFile == "-", shopifyTokenFile == "-" {
            throw ValidationError("--token-file - and --shopify-token-file - cannot both read standard input")
        }
        guard connectTimeout > 0, idleTimeout > 0, requestTimeout > 0 else {
            throw ValidationError("timeouts must be positive numbers of seconds")
        }
        if let endpoint, case .emulator(let path, _) = Endpoint(endpoint), path.isEmpty {
            throw ValidationError(
                "--endpoint \(endpoint): needs a state file, e.g. emulator:shop-state.json or emulator:new:shop-state.json")
        }
    }
}

/// A connection to STOQ (or to the in-process emulator) for one command run: opened as
/// ``AccessPolicy`` decides, so this file parses nothing and decides nothing about hosts, files
/// or tokens.
final class Session: Sendable {
    let connection: ShopConnection
    /// The in-process emulator's state file, when the session uses one (``EmulatorFiles``).
    private let stateFile: String?

    private init(connection: ShopConnection, stateFile: String? = nil) {
        self.connection = connection
        self.stateFile = stateFile
    }

    /// What a session is opened from: the options, the policy, and for a saved plan its name and
    /// endpoint.
    struct Request {
        var options: RemoteOptions
        var policy: AccessPolicy
        var settings: Settings?
        var savedPlan: (name: String, endpoint: String?)?
        var logger: Logger
    }

    /// Picks the endpoint, loads the token, and builds the client.
    static func open(_ request: Request) async throws(RunFailure) -> Session {
        let options = request.options
        let chosen = try chosenEndpoint(request)
        var session: Session
        switch chosen.endpoint {
        case .emulator(let path, let create): session = try await openEmulator(path: path, create: create, request)
        case .http(let url): session = try await openHTTP(url, request)
        }
        if let root = options.cacheDirectory {
            var connection = session.connection
            // Shops of one repository share STOQ's endpoint: each keeps its own entries.
            let key = request.settings?.shop.map { "\(connection.endpoint) shop:\($0.name.value)" } ?? connection.endpoint
            connection.cache = ReadCache(root: root, endpoint: key, refresh: options.refresh)
            session = Session(connection: connection, stateFile: session.stateFile)
        }
        return session
    }

    /// The endpoint `request` opens, as its policy chooses it.
    static func chosenEndpoint(_ request: Request) throws(RunFailure) -> ChosenEndpoint {
        try request.policy.endpoint(
            flag: request.options.endpoint, environment: environmentValue("STOQ_API_URL"), settings: request.settings?.endpoint,
            savedPlan: request.savedPlan)
    }

    /// The in-process emulator over the state file at `path`: the file is opened once per
    /// process (``EmulatorFiles``), so the shops of one run share it; a shop of a repository of
    /// several gets its own shop of a multi-shop file, or the one shop of a single-shop file.
    private static func openEmulator(path: String, create: Bool, _ request: Request) async throws(RunFailure) -> Session {
        guard !path.isEmpty else { throw RunFailure(.usage, "--endpoint emulator: needs a state file", status: .usage) }
        let shops = try await EmulatorFiles.shared.open(path: path, create: create)
        let transport: InProcessTransport
        if let single = shops.single {
            transport = InProcessTransport(responder: { await single.respond($0) })
        } else if let shop = request.settings?.shop {
            let name = shop.name.value
            guard shops.shop(named: name) != nil else {
                _ = try? await EmulatorFiles.shared.close(path: path)
                throw RunFailure(
                    .emulatorState,
                    "shop `\(shop.name.value)`: the emulator state file \(path) has no shop of that name (it has \(shops.names.joined(separator: ", ")))"
                )
            }
            // In process the state file's tokens stand in for the runner's: a demo needs none.
            transport = InProcessTransport(responder: { await shops.respond($0, asShop: name) })
        } else {
            _ = try? await EmulatorFiles.shared.close(path: path)
            throw RunFailure(
                .emulatorState,
                "the emulator state file \(path) holds several shops (\(shops.names.joined(separator: ", "))); a configuration uses them through `shops:` in stoqctl.yaml"
            )
        }
        var retry = RetryPolicy()
        retry.expectedJobDuration = .seconds(EmulatorFiles.jobDuration)
        let governor = RateGovernor(budget: request.options.budget)
        let client = StoqClient(transport: transport, token: .emulator, governor: governor, retry: retry, logger: request.logger)
        var policies: PolicyReader?
        if request.settings?.policySource != .declared {
            policies =
                try shopifyReader(request)
                ?? PolicyReader(
                    client: ShopifyClient(
                        transport: transport, path: ShopifyClient.graphQLPath(version: version(request.settings)), token: .emulator,
                        logger: request.logger), source: "emulator")
        }
        let endpoint = Endpoint.emulator(path: path, create: create).recorded
        return Session(
            connection: ShopConnection(client: client, endpoint: endpoint, description: "emulator (\(path))", policies: policies),
            stateFile: path)
    }

    /// STOQ over HTTP at `url`, with the runner's token.
    ///
    /// Every setting is checked before a client is opened, and a client opened before a later
    /// failure is shut down before the failure is thrown.
    private static func openHTTP(_ url: String, _ request: Request) async throws(RunFailure) -> Session {
        let options = request.options
        let token = try stoqToken(options, shop: request.settings?.shop)
        var policies: PolicyReader?
        switch request.settings?.policySource ?? .auto {
        case .declared: policies = nil
        case .auto: policies = try shopifyReader(request)
        case .shopify:
            guard let reader = try shopifyReader(request) else {
                if let shop = request.settings?.shop {
                    throw RunFailure(
                        .missingShopifyCredentials,
                        "shop `\(shop.name.value)`: inventory_policy_source: shopify needs its Shopify token: set \(shop.shopifyTokenVariable.value) (`shopify_token_env` of the shop in stoqctl.yaml); nothing was sent"
                    )
                }
                throw RunFailure(
                    .missingShopifyCredentials,
                    "inventory_policy_source: shopify needs the shop (shopify_shop in stoqctl.yaml, SHOPIFY_SHOP, or --shopify-endpoint) and a token (SHOPIFY_ADMIN_TOKEN or --shopify-token-file); nothing was sent"
                )
            }
            policies = reader
        }
        let transport: HTTPTransport
        do throws(RunFailure) {
            transport = try Self.transport(url, options: options, naming: "--endpoint")
        } catch {
            await policies?.client.transport.shutdown()
            throw error
        }
        let client = StoqClient(
            transport: transport, token: token, governor: RateGovernor(budget: options.budget), retry: options.retry, logger: request.logger
        )
        let endpoint = Endpoint.http(url).recorded
        return Session(connection: ShopConnection(client: client, endpoint: endpoint, description: endpoint, policies: policies))
    }

    /// An HTTP transport to `url` with the options' time limits; `naming` is the option a bad URL
    /// is reported under.
    static func transport(_ url: String, options: RemoteOptions, naming: String) throws(RunFailure) -> HTTPTransport {
        do {
            return try HTTPTransport(
                baseURL: url, connectTimeout: .seconds(options.connectTimeout), idleTimeout: .seconds(options.idleTimeout),
                requestTimeout: .seconds(options.requestTimeout), maxConnections: options.concurrency)
        } catch {
            throw RunFailure(.invalidURL, "\(naming) \(Redact.url(url)): \(error)")
        }
    }

    /// The Admin API version: `shopify_api_version`, else the one stoqctl speaks.
    static func version(_ settings: Settings?) -> String { settings?.shopifyAPIVersion?.value ?? ShopifyClient.defaultVersion }

    /// The Shopify policy reader the options, settings and environment describe: nil when they
    /// name no shop or give no token.
    static func shopifyReader(_ request: Request) throws(RunFailure) -> PolicyReader? {
        let env = ProcessInfo.processInfo.environment
        let options = request.options
        var url: String
        let source: String
        let chooser: Chooser
        if let flag = options.shopifyEndpoint {
            (url, source, chooser) = (flag, Redact.url(flag), .runner("--shopify-endpoint"))
        } else if let given = environmentValue("SHOPIFY_ADMIN_URL") {
            (url, source, chooser) = (given, Redact.url(given), .runner("SHOPIFY_ADMIN_URL"))
        } else if let shop = request.settings?.shopifyShop, let domain = ShopDomain.normalize(shop.value) {
            (url, source, chooser) = ("https://\(domain)", domain, .repository(shop.location))
        } else if let raw = env["SHOPIFY_SHOP"], !raw.isEmpty {
            guard let domain = ShopDomain.normalize(raw) else {
                throw RunFailure(.invalidShopDomain, "SHOPIFY_SHOP must be the shop's myshopify.com domain or its name, but is `\(raw)`")
            }
            (url, source, chooser) = ("https://\(domain)", domain, .runner("SHOPIFY_SHOP"))
        } else {
            return nil
        }
        try checkStore(url, chooser: chooser, shop: request.settings?.shop)
        guard let token = try shopifyToken(options, shop: request.settings?.shop) else { return nil }
        try request.policy.checkHost(url, service: .shopify, chooser: chooser)
        let path: String
        (url, path) = try graphQLAddress(url, version: version(request.settings))
        let transport = try Self.transport(url, options: options, naming: "--shopify-endpoint")
        return PolicyReader(
            client: ShopifyClient(transport: transport, path: path, token: token, retry: options.retry, logger: request.logger),
            source: source)
    }

    /// A shop of several never sends its Shopify token to another store: a runner's Shopify
    /// address (`--shopify-endpoint`, `SHOPIFY_ADMIN_URL`) at a myshopify.com store other than the
    /// shop's `shopify_shop` is refused before any token is read. (Another host, such as an
    /// emulator serving every shop, is the runner's choice; the shop's domain is checked there.)
    static func checkStore(_ url: String, chooser: Chooser, shop: ShopSettings?) throws(RunFailure) {
        guard case .runner(let name) = chooser, let shop, let configured = shop.shopifyShop.flatMap({ ShopDomain.normalize($0.value) }),
            let host = URLComponents(string: url)?.host?.lowercased(), host.hasSuffix(".myshopify.com"), host != configured
        else { return }
        throw RunFailure(
            .shopMismatch,
            "shop `\(shop.name.value)`: \(name) points at \(Sanitiser.shown(String(host.prefix(80)))), another store than its `shopify_shop` \(configured); its Shopify token is not sent there, and nothing was sent"
        )
    }

    /// `url` split into the base URL and the GraphQL path (the versioned Admin API path when it
    /// has none).
    static func graphQLAddress(_ url: String, version: String) throws(RunFailure) -> (base: String, path: String) {
        guard var parts = URLComponents(string: url), parts.host != nil else {
            throw RunFailure(.invalidURL, "--shopify-endpoint \(Redact.url(url)) is not a URL")
        }
        var path = parts.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.isEmpty { path = ShopifyClient.graphQLPath(version: version) }
        parts.path = ""
        parts.query = nil
        parts.fragment = nil
        return (parts.string ?? url, path)
    }

    /// STOQ's token: `--token-file`, else `STOQ_API_TOKEN`; for a shop of several, `--token-file`
    /// else the shop's own variable.
    static func stoqToken(_ options: RemoteOptions, shop: ShopSettings? = nil) throws(RunFailure) -> APIToken {
        if let file = options.tokenFile { return try TokenSource.read(file, option: "--token-file", code: .missingToken) }
        if let shop {
            let variable = shop.stoqTokenVariable.value
            guard let token = try TokenSource.environment(variable, in: ProcessInfo.processInfo.environment, code: .missingToken) else {
                throw RunFailure(
                    .missingToken,
                    "shop `\(shop.name.value)`: no STOQ API token: set \(variable) (`stoq_token_env` of the shop in stoqctl.yaml), or give this one shop its token with --shop \(shop.name.value) --token-file FILE"
                )
            }
            return token
        }
        guard let token = try TokenSource.environment("STOQ_API_TOKEN", in: ProcessInfo.processInfo.environment, code: .missingToken) else {
            throw RunFailure(
                .missingToken,
                "no API token: set STOQ_API_TOKEN or pass --token-file (or try the built-in emulator: --endpoint emulator:new:state.json)")
        }
        return token
    }

    /// Shopify's token: `--shopify-token-file`, else `SHOPIFY_ADMIN_TOKEN`; nil without either.
    static func shopifyToken(_ options: RemoteOptions, shop: ShopSettings? = nil) throws(RunFailure) -> APIToken? {
        if let file = options.shopifyTokenFile {
            return try TokenSource.read(file, option: "--shopify-token-file", code: .missingShopifyCredentials)
        }
        if let shop {
            return try TokenSource.environment(
                shop.shopifyTokenVariable.value, in: ProcessInfo.processInfo.environment, code: .missingShopifyCredentials)
        }
        return try TokenSource.environment("SHOPIFY_ADMIN_TOKEN", in: ProcessInfo.processInfo.environment, code: .missingShopifyCredentials)
    }

    /// Closes connections, and writes the emulator's state back if it changed and no other
    /// session of this process still uses it.
    ///
    /// A state that cannot be written fails the command: the changes would be lost.
    func close() async throws(RunFailure) {
        await connection.client.transport.shutdown()
        await connection.policies?.client.transport.shutdown()
        guard let stateFile else { return }
        try await EmulatorFiles.shared.close(path: stateFile)
    }
}

/// The emulator state files this process has open: each read once, shared by every session that
/// opens it (the shops of a run of several), and written back when the last one closes.
actor EmulatorFiles {
    static let shared = EmulatorFiles()
    /// In-process runs are demos and tests: keep policy jobs short so 409 waits are brief.
    static let jobDuration = 0.5

    private struct Open {
        var shops: EmulatorShops
        var before: String?
        var users: Int
    }
    private var files: [String: Open] = [:]

    /// The shops of the state file at `path`, read on the first open (`create`: a missing file
    /// starts an empty shop).
    func open(path: String, create: Bool) async throws(RunFailure) -> EmulatorShops {
        if var open = files[path] {
            open.users += 1
            files[path] = open
            return open.shops
        }
        let bytes: [UInt8]
        if let data = FileManager.default.contents(atPath: path) {
            bytes = Array(data)
        } else if FileManager.default.fileExists(atPath: path) {
            throw RunFailure(.emulatorState, "emulator state file \(path) cannot be read")
        } else if create {
            bytes = []
        } else {
            throw RunFailure(
                .emulatorState,
                "emulator state file \(path) does not exist; to start an empty shop there, use --endpoint emulator:new:\(path)")
        }
        var configuration = EmulatorConfiguration()
        configuration.jobDuration = Self.jobDuration
        let shops: EmulatorShops
        do {
            shops = try EmulatorShops(stateBytes: bytes, configuration: configuration)
        } catch {
            throw RunFailure(.emulatorState, "\(path): \(error)")
        }
        // A new empty shop is written even unchanged; another state only when it changed.
        let before = create && bytes.isEmpty ? nil : await shops.stateJSON()
        if var open = files[path] {
            // Another session opened it while this one read the file: share that one.
            open.users += 1
            files[path] = open
            return open.shops
        }
        files[path] = Open(shops: shops, before: before, users: 1)
        return shops
    }

    /// One user of `path` is done; the last one writes the state back if it changed.
    func close(path: String) async throws(RunFailure) {
        guard var open = files[path] else { return }
        open.users -= 1
        guard open.users == 0 else {
            files[path] = open
            return
        }
        files[path] = nil
        let after = await open.shops.stateJSON()
        guard after != open.before else { return }
        do {
            try Data(after.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RunFailure(
                .emulatorState,
                "the emulator state could not be written to \(path) (\(error.localizedDescription)); its changes are lost")
        }
    }
}

/// Opens the session when a run asks for it, and closes it when the command is done.
actor SessionSlot {
    private var session: Session?
    let options: RemoteOptions
    let console: Console
    let repository: String?
    let savedPlan: (name: String, endpoint: String?)?

    /// A slot for a run of the configuration at `repository`, or of the saved plan `savedPlan`
    /// (its file name, and the endpoint it records).
    init(_ options: RemoteOptions, console: Console, repository: String? = nil, savedPlan: (name: String, endpoint: String?)? = nil) {
        self.options = options
        self.console = console
        self.repository = repository
        self.savedPlan = savedPlan
    }

    /// The run's ``Connect``.
    nonisolated var connect: Connect {
        { settings, planned throws(RunFailure) in try await self.open(settings: settings, planned: planned) }
    }

    /// What a connect with `settings` opens.
    nonisolated func request(settings: Settings?, planned: String?) -> Session.Request {
        let console = console
        let debug = options.debug
        return Session.Request(
            options: options, policy: options.policy(repository: repository), settings: settings,
            savedPlan: savedPlan.map { ($0.name, $0.endpoint ?? planned) },
            logger: Logger(label: "stoqctl") { console.logHandler(label: $0, debug: debug) })
    }

    private func open(settings: Settings?, planned: String?) async throws(RunFailure) -> ShopConnection {
        let opened = try await Session.open(request(settings: settings, planned: planned))
        session = opened
        var connection = opened.connection
        connection.progress = console.meter
        return connection
    }

    /// Closes the session, if one was opened; a failure is reported and returned as the status.
    func close() async -> ExitStatus? {
        guard let session else { return nil }
        do {
            try await session.close()
            return nil
        } catch {
            console.report([error.diagnostic])
            return error.status
        }
    }
}
