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

    @Option(help: "Read the API token from this file instead of $STOQ_API_TOKEN; - reads standard input.")
    var tokenFile: String?

    @Option(help: "Rate limit to keep to, as POINTS/SECONDS (STOQ's is 360/60).")
    var rateLimit: String = "360/60"

    @Option(help: "Most requests in flight at once.")
    var concurrency: Int = 8

    @Option(help: "Seconds to wait for a connection.")
    var connectTimeout: Double = 5

    @Option(help: "Seconds to wait for a response.")
    var requestTimeout: Double = 30

    @Flag(name: .long, help: "Log every request to standard error (the token is never shown).")
    var debug = false

    @Option(
        help: ArgumentHelp(
            "Keep plan bodies read from STOQ in this directory and read again only plans that changed.",
            discussion:
                "Default: $STOQCTL_CACHE_DIR; off when neither is set. A plan whose list entry shows the same updated_at and membership as when it was kept is not read again, so an unchanged shop plans with its list pages only. Apply of a configuration never uses it; apply of a saved plan reads each plan again before writing."
        ))
    var cache: String?

    @Flag(help: "Read every plan live (the cache is still written).")
    var refresh = false

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

    @Option(help: "Read the Shopify Admin API token from this file instead of $SHOPIFY_ADMIN_TOKEN; - reads standard input.")
    var shopifyTokenFile: String?

    static let production = "https://app.stoqapp.com/api/v1/external"

    /// The budget `--rate-limit` and `--concurrency` describe.
    var budget: RateBudget {
        let parts = rateLimit.split(separator: "/")
        guard parts.count == 2, let points = Int(parts[0]), let seconds = Double(parts[1]) else { return RateBudget() }
        return RateBudget(points: points, window: seconds, maxConcurrency: concurrency)
    }

    func validate() throws {
        let parts = rateLimit.split(separator: "/")
        guard parts.count == 2, let points = Int(parts[0]), points > 0, let seconds = Double(parts[1]), seconds > 0 else {
            throw ValidationError("--rate-limit must be POINTS/SECONDS, e.g. 360/60")
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if tokenFile == "-", shopifyTokenFile == "-" {
            throw ValidationError("--token-file - and --shopify-token-file - cannot both read standard input")
        }
        guard connectTimeout > 0, requestTimeout > 0 else { throw ValidationError("timeouts must be positive numbers of seconds") }
        if let endpoint, endpoint.hasPrefix("emulator:"), Endpoint.emulator(endpoint)?.path.isEmpty != false {
            throw ValidationError(
                "--endpoint \(endpoint): needs a state file, e.g. emulator:shop-state.json or emulator:new:shop-state.json")
        }
    }
}

/// Where requests go, as chosen from `--endpoint`, `$STOQ_API_URL`, `stoqctl.yaml`, a saved
/// plan's endpoint, and the production default, in that order.
enum Endpoint {
    /// The in-process emulator over a state file; `create` allows the file to be missing.
    case emulator(path: String, create: Bool)
    /// STOQ (or a server standing in for it) over HTTP.
    case http(String)

    /// Parses `emulator:FILE` / `emulator:new:FILE`.
    static func emulator(_ text: String) -> (path: String, create: Bool)? {
        guard text.hasPrefix("emulator:") else { return nil }
        let rest = String(text.dropFirst("emulator:".count))
        if rest.hasPrefix("new:") { return (String(rest.dropFirst("new:".count)), true) }
        return (rest, false)
    }

    init(_ text: String) {
        if let (path, create) = Self.emulator(text) {
            self = .emulator(path: path, create: create)
        } else {
            self = .http(text)
        }
    }

    /// The endpoint as a plan records it: `emulator:FILE` (whether or not it may be new), or the
    /// URL without user info, query or fragment.
    var recorded: String {
        switch self {
        case .emulator(let path, _): "emulator:\(path)"
        case .http(let url): Redact.url(url)
        }
    }
}

/// A connection to STOQ (or to the in-process emulator) for one command run.
final class Session: @unchecked Sendable {
    private(set) var connection: ShopConnection
    private let emulator: Emulator?
    private let stateFile: String?
    private let stateBefore: String?

    private init(connection: ShopConnection, emulator: Emulator?, stateFile: String?, stateBefore: String?) {
        self.connection = connection
        self.emulator = emulator
        self.stateFile = stateFile
        self.stateBefore = stateBefore
    }

    /// Picks the endpoint, loads the token, and builds the client.
    static func open(_ options: RemoteOptions, settings: Settings?, planned: String?, console: Console) async throws(RunFailure)
        -> Session
    {
        let session = try await openUncached(options, settings: settings, planned: planned, console: console)
        if let root = options.cacheDirectory {
            session.connection.cache = ReadCache(root: root, endpoint: session.connection.endpoint, refresh: options.refresh)
        }
        return session
    }

    private static func openUncached(_ options: RemoteOptions, settings: Settings?, planned: String?, console: Console)
        async throws(RunFailure) -> Session
    {
        let env = ProcessInfo.processInfo.environment
        let text =
            options.endpoint ?? environmentValue("STOQ_API_URL") ?? settings?.endpoint?.value ?? planned
            ?? RemoteOptions.production
        let endpoint = Endpoint(text)
        let logger = Logger(label: "stoqctl") { console.logHandler(label: $0, debug: options.debug) }
        let governor = RateGovernor(budget: options.budget)
        switch endpoint {
        case .emulator(let path, let create):
            guard !path.isEmpty else { throw RunFailure(.usage, "--endpoint emulator: needs a state file", status: .usage) }
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
            // In-process runs are demos and tests: keep policy jobs short so 409 waits are brief.
            configuration.jobDuration = 0.5
            let emulator: Emulator
            do {
                emulator = try Emulator(stateBytes: bytes, configuration: configuration)
            } catch {
                throw RunFailure(.emulatorState, "\(path): \(error)")
            }
            let transport = InProcessTransport(responder: { await emulator.respond($0) })
            var retry = RetryPolicy()
            retry.expectedJobSeconds = configuration.jobDuration
            let client = StoqClient(transport: transport, token: .emulator, governor: governor, retry: retry, logger: logger)
            var policies: PolicyReader?
            if settings?.policySource != .declared {
                policies =
                    try Self.shopifyReader(options, settings: settings, env: env, logger: logger)
                    ?? PolicyReader(
                        client: ShopifyClient(
                            transport: transport, path: ShopifyClient.graphQLPath(version: Self.version(settings)), token: .emulator,
                            logger: logger), source: "emulator")
            }
            return Session(
                connection: ShopConnection(
                    client: client, endpoint: endpoint.recorded, description: "emulator (\(path))", policies: policies),
                emulator: emulator, stateFile: path, stateBefore: create && bytes.isEmpty ? nil : await emulator.stateJSON())
        case .http(let url):
            let token = try Self.token(options, env: env)
            let transport: HTTPTransport
            do {
                transport = try HTTPTransport(
                    baseURL: url, connectTimeout: options.connectTimeout, requestTimeout: options.requestTimeout)
            } catch {
                throw RunFailure(.invalidURL, "--endpoint \(Redact.url(url)): \(error)")
            }
            let client = StoqClient(transport: transport, token: token, governor: governor, logger: logger)
            var policies: PolicyReader?
            switch settings?.policySource ?? .auto {
            case .declared: policies = nil
            case .auto: policies = try Self.shopifyReader(options, settings: settings, env: env, logger: logger)
            case .shopify:
                guard let reader = try Self.shopifyReader(options, settings: settings, env: env, logger: logger) else {
                    throw RunFailure(
                        .missingShopifyCredentials,
                        "inventory_policy_source: shopify needs the shop (shopify_shop in stoqctl.yaml, SHOPIFY_SHOP, or --shopify-endpoint) and a token (SHOPIFY_ADMIN_TOKEN or --shopify-token-file); nothing was sent"
                    )
                }
                policies = reader
            }
            return Session(
                connection: ShopConnection(
                    client: client, endpoint: endpoint.recorded, description: endpoint.recorded, policies: policies), emulator: nil,
                stateFile: nil, stateBefore: nil)
        }
    }

    /// The Admin API version: `shopify_api_version`, else the one stoqctl speaks.
    static func version(_ settings: Settings?) -> String { settings?.shopifyAPIVersion?.value ?? ShopifyClient.defaultVersion }

    /// The Shopify policy reader the options, settings and environment describe: nil when they
    /// name no shop or give no token.
    static func shopifyReader(_ options: RemoteOptions, settings: Settings?, env: [String: String], logger: Logger) throws(RunFailure)
        -> PolicyReader?
    {
        let version = Self.version(settings)
        var url: String
        var source: String
        if let given = options.shopifyEndpoint ?? environmentValue("SHOPIFY_ADMIN_URL") {
            url = given
            source = Redact.url(given)
        } else if let shop = (settings?.shopifyShop?.value ?? env["SHOPIFY_SHOP"]).flatMap(ShopDomain.normalize) {
            url = "https://\(shop)"
            source = shop
        } else if let raw = env["SHOPIFY_SHOP"], !raw.isEmpty {
            throw RunFailure(.invalidShopDomain, "SHOPIFY_SHOP must be the shop's myshopify.com domain or its name, but is `\(raw)`")
        } else {
            return nil
        }
        let token: APIToken
        if let file = options.shopifyTokenFile {
            token = try readToken(file, option: "--shopify-token-file", code: .missingShopifyCredentials)
        } else if let t = env["SHOPIFY_ADMIN_TOKEN"].flatMap(APIToken.init) {
            token = t
        } else {
            return nil
        }
        guard var parts = URLComponents(string: url), parts.host != nil else {
            throw RunFailure(.invalidURL, "--shopify-endpoint \(Redact.url(url)) is not a URL")
        }
        var path = parts.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.isEmpty { path = ShopifyClient.graphQLPath(version: version) }
        parts.path = ""
        parts.query = nil
        parts.fragment = nil
        url = parts.string ?? url
        let transport: HTTPTransport
        do {
            transport = try HTTPTransport(baseURL: url, connectTimeout: options.connectTimeout, requestTimeout: options.requestTimeout)
        } catch {
            throw RunFailure(.invalidURL, "--shopify-endpoint \(Redact.url(url)): \(error)")
        }
        return PolicyReader(client: ShopifyClient(transport: transport, path: path, token: token, logger: logger), source: source)
    }

    /// The token in `file`, or on standard input for `-` (so a secret manager can pipe it in
    /// without a file on disk).
    static func readToken(_ file: String, option: String, code: DiagnosticCode) throws(RunFailure) -> APIToken {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let read = FileManager.default.contents(atPath: file) else {
                throw RunFailure(code, "\(option) \(file): cannot be read")
            }
            data = read
        }
        guard let token = APIToken(String(decoding: data, as: UTF8.self)) else {
            throw RunFailure(code, file == "-" ? "\(option) -: standard input is empty" : "\(option) \(file) is empty")
        }
        return token
    }

    static func token(_ options: RemoteOptions, env: [String: String]) throws(RunFailure) -> APIToken {
        if let file = options.tokenFile {
            return try readToken(file, option: "--token-file", code: .missingToken)
        }
        guard let token = env["STOQ_API_TOKEN"].flatMap(APIToken.init) else {
            throw RunFailure(
                .missingToken,
                "no API token: set STOQ_API_TOKEN or pass --token-file (or try the built-in emulator: --endpoint emulator:new:state.json)")
        }
        return token
    }

    /// Writes the emulator's state back if it changed, and closes connections.
    ///
    /// A state that cannot be written fails the command: the changes would be lost.
    func close() async throws(RunFailure) {
        await connection.client.transport.shutdown()
        await connection.policies?.client.transport.shutdown()
        guard let emulator, let stateFile else { return }
        let after = await emulator.stateJSON()
        guard after != stateBefore else { return }
        do {
            try Data(after.utf8).write(to: URL(fileURLWithPath: stateFile), options: .atomic)
        } catch {
            throw RunFailure(
                .emulatorState,
                "the emulator state could not be written to \(stateFile) (\(error.localizedDescription)); its changes are lost")
        }
    }
}

/// Opens the session when a run asks for it, and closes it when the command is done.
final class SessionSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var session: Session?
    let options: RemoteOptions
    let console: Console

    init(_ options: RemoteOptions, console: Console) {
        self.options = options
        self.console = console
    }

    /// The run's ``Connect``.
    var connect: Connect {
        { settings, planned throws(RunFailure) in
            let session = try await Session.open(self.options, settings: settings, planned: planned, console: self.console)
            self.lock.withLock { self.session = session }
            return session.connection
        }
    }

    /// Closes the session, if one was opened; a failure is reported and returned as the status.
    func close() async -> ExitStatus? {
        guard let session = lock.withLock({ session }) else { return nil }
        do {
            try await session.close()
            return nil
        } catch {
            console.report([error.diagnostic])
            return error.status
        }
    }
}
