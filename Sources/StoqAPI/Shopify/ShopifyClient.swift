import Foundation
import HTTPTypes
import Logging
import StoqCore
import StoqWire

/// A failed Shopify Admin API call.
public struct ShopifyError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// Shopify answered with this HTTP status.
        case http(status: Int)
        /// No response (timeout, connection).
        case transport(TransportError)
        /// The GraphQL response holds errors (other than throttling).
        case graphQL
        /// A response that could not be understood.
        case decoding
    }

    /// What went wrong.
    public var kind: Kind
    /// Shopify's message, or a description of the failure.
    public var message: String
    /// Attempts made.
    public var attempts: Int = 1

    /// `Shopify GraphQL: HTTP 401: [API] Invalid API key…`.
    public var description: String {
        let what: String
        switch kind {
        case .http(let status): what = "HTTP \(status)"
        case .transport(let t): what = t.description
        case .graphQL: what = "GraphQL error"
        case .decoding: what = "unreadable response"
        }
        return
            "Shopify Admin GraphQL: \(what)\(message.isEmpty ? "" : ": \(message)")\(attempts > 1 ? " (after \(attempts) attempts)" : "")"
    }

    /// The error as a diagnostic: `doing` and the reason.
    public func diagnostic(_ doing: String) -> Diagnostic {
        if case .transport = kind { return Diagnostic(.shopifyUnreachable, "\(doing): \(description)", at: nil) }
        return Diagnostic(.shopifyRequestFailed, "\(doing): \(description)", at: nil)
    }
}

/// Shopify's GraphQL cost bucket as the client sees it: each response's
/// `extensions.cost.throttleStatus` says how many points are available and how fast they return,
/// and the client waits before a query the bucket could not pay for, instead of being throttled.
public actor ShopifyBudget {
    private let clock: any WireClock
    private let maxConcurrency: Int
    private var maximum: Double?
    private var available: Double = 0
    private var restoreRate: Double = 0
    private var observedAt = WireInstant(sinceEpoch: .zero)
    private var reserved = 0
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates a budget; until the first response, one query is in flight at a time.
    public init(clock: any WireClock = SystemClock(), maxConcurrency: Int = 4) {
        self.clock = clock
        self.maxConcurrency = maxConcurrency
    }

    /// The bucket's size and restore rate (points per second) as the last answer told them; nil
    /// before any answer.
    public func limits() -> (maximum: Double, restoreRate: Double)? {
        guard let maximum, restoreRate > 0 else { return nil }
        return (maximum, restoreRate)
    }

    /// Points estimated available now.
    private func estimate(_ now: WireInstant) -> Double {
        guard let maximum else { return .infinity }
        return min(maximum, available + max(0, observedAt.duration(to: now).inSeconds) * restoreRate) - Double(reserved)
    }

    /// Waits until a query of `cost` points can be paid for, then reserves them.
    ///
    /// One query at a time waits for the bucket to refill; the others queue behind it, so their
    /// waits do not add up.
    func acquire(cost: Int) async {
        var sleeping = false
        while true {
            // A cancelled query leaves at once (and lets the others go on).
            if Task.isCancelled {
                if sleeping {
                    refilling = false
                    wakeAll()
                }
                inFlight += 1
                reserved += cost
                return
            }
            let limit = maximum == nil ? 1 : maxConcurrency
            if inFlight >= limit || (refilling && !sleeping) {
                await withCheckedContinuation { waiters.append($0) }
                continue
            }
            let have = estimate(clock.now)
            // Shopify refuses a query the bucket holds even a fraction of a point too few for
            // (the estimate starts from its rounded-down figure, so it never holds more).
            if have >= Double(cost) || restoreRate <= 0 {
                inFlight += 1
                reserved += cost
                if sleeping {
                    refilling = false
                    wakeAll()
                }
                return
            }
            // Queries in flight will say how full the bucket is (and return what they did not
            // use): wait for them before sleeping on an estimate.
            if inFlight > 0 {
                await withCheckedContinuation { waiters.append($0) }
                continue
            }
            sleeping = true
            refilling = true
            // A hundredth of a point past the shortage, so rounding in the clock's arithmetic
            // never wakes it a hair short; at least 10 ms, so the clock moves.
            let wait = Duration.seconds(max(0.01, (Double(cost) - have + 0.01) / restoreRate))
            try? await clock.sleep(for: wait)
        }
    }

    /// A query is waiting for the bucket to refill.
    private var refilling = false

    private func wakeAll() {
        let all = waiters
        waiters = []
        for w in all { w.resume() }
    }

    /// Releases a query's reservation and learns the bucket from its response.
    func release(cost: Int, throttle: (maximum: Double, available: Double, restoreRate: Double)?) {
        inFlight -= 1
        reserved -= cost
        if let throttle {
            maximum = throttle.maximum
            available = throttle.available
            restoreRate = throttle.restoreRate
            observedAt = clock.now
        }
        wakeAll()
    }

    /// The wait after a `THROTTLED` answer for `cost` points, from the status it carried.
    func throttledWait(cost: Int) -> Duration {
        guard restoreRate > 0 else { return .seconds(1) }
        return .seconds(max(0.05, (Double(cost) - available) / restoreRate))
    }
}

/// The Shopify Admin GraphQL endpoint: one POST per query, with the access token, paced by the
/// cost bucket, retried on transport errors and 5xx, and waiting out `THROTTLED` answers.
public struct ShopifyClient: Sendable {
    /// Where requests go (the HTTP transport's base URL, or the in-process emulator).
    public let transport: any Transport
    /// The path of the GraphQL endpoint: `/admin/api/{version}/graphql.json`.
    public let path: String
    let token: APIToken
    /// The bucket.
    public let budget: ShopifyBudget
    let retry: RetryPolicy
    let clock: any WireClock
    let logger: Logger
    let random: RandomSource
    let versionWarning = Once()

    /// The Admin API version stoqctl speaks (Shopify supports each quarterly version for a year).
    public static let defaultVersion = "2026-10"

    /// A client of the emulator's Shopify side over `transport` (in-process or HTTP): the default
    /// API version's path, the emulator's token, and a budget of its own on `clock`.
    public static func emulated(transport: any Transport, clock: any WireClock = SystemClock()) -> ShopifyClient {
        ShopifyClient(
            transport: transport, path: graphQLPath(version: defaultVersion), token: .emulator, budget: ShopifyBudget(clock: clock),
            clock: clock)
    }

    /// Creates a client.
    public init(
        transport: any Transport, path: String, token: APIToken, budget: ShopifyBudget = ShopifyBudget(),
        retry: RetryPolicy = RetryPolicy(),
        clock: any WireClock = SystemClock(), logger: Logger = Logger(label: "stoqctl.shopify", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.transport = transport
        self.path = path
        self.token = token
        self.budget = budget
        self.retry = retry
        self.clock = clock
        self.logger = logger
        self.random = RandomSource(seed: 0x5140_F1)
    }

    /// The GraphQL path for an API version.
    public static func graphQLPath(version: String) -> String { "/admin/api/\(version)/graphql.json" }

    /// What one query returned, and what it cost.
    public struct Answer: Sendable {
        /// `data`.
        public var data: JSONValue
        /// `actualQueryCost` (or the requested cost when Shopify did not say).
        public var cost: Int
        /// `THROTTLED` answers waited out before this one.
        public var throttled: Int
    }

    /// Runs `query` with `variables`, expected to cost `cost` points.
    ///
    /// Retried with backoff: transport errors, 5xx and transient GraphQL errors
    /// (``transientCodes``). A 429 waits its `Retry-After` (without using up an attempt, up to
    /// ``RetryPolicy/maxRateLimitWaits``); a `THROTTLED` answer waits for the points it needs.
    public func query(_ query: String, variables: JSONValue, cost: Int) async throws(ShopifyError) -> Answer {
        let body = JSONValue.object([("query", .string(query)), ("variables", variables)]).bytes
        let request = WireRequest(
            method: .post, path: path,
            headers: [.xShopifyAccessToken: token.value, .contentType: "application/json", .accept: "application/json"],
            body: body)
        var attempt = 0
        var throttles = 0
        var rateLimitWaits = 0
        var bound = RequestBound(limit: retry.maxRequestTime, clock: clock)
        while true {
            attempt += 1
            let queued = clock.now
            await budget.acquire(cost: cost)
            bound.exclude(queued.duration(to: clock.now))  // waiting for points is not the server's time
            let result = await bound.send(request, through: transport)
            let json = (try? result.get()).flatMap { (try? JSONValue.parse($0.body)) }
            await budget.release(cost: cost, throttle: Self.throttleStatus(json))
            logger.debug("POST \(path) (\(cost) points) → \((try? result.get()).map { String($0.status.code) } ?? "no response")")
            if let response = try? result.get() { await checkVersion(response) }
            var delay: Duration?
            switch try classify(result, json: json, attempt: attempt) {
            case .answer(let data):
                let actual = json?["extensions"]?["cost"]?["actualQueryCost"]?.int64Value.map { Int($0) } ?? cost
                return Answer(data: data, cost: actual, throttled: throttles)
            case .throttled:
                throttles += 1
                guard throttles <= 50 else {
                    throw ShopifyError(kind: .graphQL, message: "throttled 50 times in a row", attempts: attempt)
                }
                let wait = await budget.throttledWait(cost: cost)
                logger.notice("Shopify's query cost limit answered THROTTLED: waiting \(StoqClient.seconds(wait)) for \(cost) points")
                try? await clock.sleep(for: wait)
                bound.exclude(wait)
                attempt -= 1
                continue
            case .rateLimited(let failure, let retryAfter):
                rateLimitWaits += 1
                guard rateLimitWaits <= retry.maxRateLimitWaits else { throw failure }
                let wait = retryAfter ?? random.backoff(retry, after: rateLimitWaits)
                logger.notice("Shopify answered HTTP 429: waiting \(StoqClient.seconds(wait))\(retryAfter == nil ? "" : " (Retry-After)")")
                try? await clock.sleep(for: wait)
                bound.exclude(wait)
                attempt -= 1  // a 429 was not processed: it does not use up an attempt
                continue
            case .transient(var failure):
                guard attempt < retry.maxAttempts else { throw failure }
                delay = random.backoff(retry, after: attempt)
                guard bound.allowsRetry(after: delay ?? .zero) else {
                    failure.message += (failure.message.isEmpty ? "" : "; ") + bound.exhausted
                    throw failure
                }
                logger.notice(
                    "\(failure); retrying in \(StoqClient.seconds(delay ?? .zero)) (attempt \(attempt + 1) of \(retry.maxAttempts))")
            }
            try? await clock.sleep(for: delay ?? .zero)
        }
    }

    /// GraphQL error codes that say Shopify failed this once: retried with backoff.
    public static let transientCodes: Set<String> = ["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"]

    /// What one attempt's outcome calls for.
    enum Step {
        case answer(JSONValue)
        case throttled
        case rateLimited(ShopifyError, retryAfter: Duration?)
        case transient(ShopifyError)
    }

    /// The step after one attempt, or the failure that ends the query.
    func classify(_ result: Result<WireResponse, TransportError>, json: JSONValue?, attempt: Int) throws(ShopifyError) -> Step {
        let response: WireResponse
        switch result {
        case .failure(let e): return .transient(ShopifyError(kind: .transport(e), message: "", attempts: attempt))
        case .success(let r): response = r
        }
        let failure = ShopifyError(kind: .http(status: response.status.code), message: Self.serverText(response.body), attempts: attempt)
        switch response.status.code {
        case 200..<300: break
        case HTTPResponse.Status.tooManyRequests.code:
            return .rateLimited(failure, retryAfter: response.retryAfter)
        case 500...: return .transient(failure)
        default: throw failure
        }
        guard let json else { throw ShopifyError(kind: .decoding, message: "the response is not JSON", attempts: attempt) }
        if let errors = json["errors"]?.arrayValue, !errors.isEmpty {
            let codes = errors.compactMap { $0["extensions"]?["code"]?.stringValue }
            if codes.contains("THROTTLED") { return .throttled }
            let messages = errors.compactMap { $0["message"]?.stringValue }.joined(separator: "; ")
            let error = ShopifyError(kind: .graphQL, message: ServerText.oneLine(messages), attempts: attempt)
            if !codes.isEmpty, codes.allSatisfy(Self.transientCodes.contains) { return .transient(error) }
            throw error
        }
        guard let data = json["data"], !data.isNull else {
            throw ShopifyError(kind: .decoding, message: "the response has no data", attempts: attempt)
        }
        return .answer(data)
    }

    /// A response body as one shortened line of text (Shopify's message, or an HTML page's text).
    static func serverText(_ body: [UInt8]) -> String { ServerText.oneLine(StoqError.message(from: body)) }

    /// The Admin API version this client asks for (from its path).
    public var version: String? {
        let parts = path.split(separator: "/")
        guard let api = parts.firstIndex(of: "api"), api + 1 < parts.count else { return nil }
        return String(parts[api + 1])
    }

    /// Warns, once per client, when Shopify answers with another API version than the one asked
    /// for (it serves the oldest supported version for one it no longer supports, and says which in
    /// `X-Shopify-API-Version`).
    func checkVersion(_ response: WireResponse) async {
        guard let asked = version, let served = response.header(.xShopifyAPIVersion)?.trimmingWhitespace, !served.isEmpty,
            served != asked, await versionWarning.first()
        else { return }
        logger.warning(
            "Shopify answered with Admin API version \(ServerText.oneLine(served, limit: 40)), not \(asked) as asked: \(asked) is not a version Shopify supports; set shopify_api_version in stoqctl.yaml to a supported one"
        )
    }

    /// `extensions.cost.throttleStatus`, when the response carries it.
    static func throttleStatus(_ json: JSONValue?) -> (maximum: Double, available: Double, restoreRate: Double)? {
        // A server's figures, bounded: `1e999` reads as infinity, and nothing downstream (the
        // budget's waits, a plan's estimate and its JSON) should meet one.
        let status = json?["extensions"]?["cost"]?["throttleStatus"]
        let figure = { (key: String) -> Double? in
            status?[key]?.numberText.flatMap(Double.init).map { $0.isFinite ? min(max($0, 0), 1e9) : 1e9 }
        }
        guard let maximum = figure("maximumAvailable"), let available = figure("currentlyAvailable"), let rate = figure("restoreRate")
        else { return nil }
        return (maximum, available, rate)
    }
}

/// Reads variants' inventory policies from Shopify: `nodes(ids:)` in pages of at most 250 ids
/// (Shopify's input limit), a few pages in flight, paced by the cost bucket.
public struct PolicyReader: Sendable {
    /// The client.
    public let client: ShopifyClient
    /// Where the policies come from, as messages name it (`acme.myshopify.com`, `emulator`).
    public let source: String
    /// Ids per query.
    public var pageSize = 250

    /// Creates a reader.
    public init(client: ShopifyClient, source: String) {
        self.client = client
        self.source = source
    }

    static let query = """
        query VariantPolicies($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id inventoryPolicy } } }
        """

    /// What a read found, and what it cost.
    public struct Result: Sendable {
        /// The policies.
        public var state: PolicyState
        /// Queries sent (not counting throttled ones sent again).
        public var queries: Int
        /// Points Shopify charged (`actualQueryCost`).
        public var points: Int
        /// `THROTTLED` answers waited out.
        public var throttled = 0
    }

    /// The current policy of each of `ids` (each read once), showing how far it is on `progress`.
    public func read(_ ids: [Int64], progress: ProgressMeter = .silent) async throws(ShopifyError) -> Result {
        let unique = Array(Set(ids)).sorted()
        let phase = progress.start("reading Shopify policies", unit: "variants", total: unique.count)
        defer { phase.end() }
        let pages = stride(from: 0, to: unique.count, by: max(1, pageSize)).map { Array(unique[$0..<min($0 + pageSize, unique.count)]) }
        let client = self.client
        var state = PolicyState(source: source)
        var points = 0
        var throttled = 0
        // Every page runs to its end (a failed page does not cancel the others, which would leave
        // them waiting for points); the first failure is reported after all have finished.
        typealias Page = (page: [Int64], nodes: [Int64: JSONValue], cost: Int, throttled: Int)
        let outcomes = await withTaskGroup(of: Swift.Result<Page, ShopifyError>.self) { group in
            for page in pages {
                group.addTask {
                    let variables = JSONValue.object([("ids", .array(page.map { .string("gid://shopify/ProductVariant/\($0)") }))])
                    do throws(ShopifyError) {
                        let answer = try await client.query(Self.query, variables: variables, cost: page.count)
                        return .success((page, try Self.match(answer.data, to: page), answer.cost, answer.throttled))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var all: [Swift.Result<Page, ShopifyError>] = []
            for await outcome in group {
                if case .success(let read) = outcome { phase.advance(by: read.page.count) }
                all.append(outcome)
            }
            return all
        }
        for outcome in outcomes {
            let (page, nodes, cost, throttles) = try outcome.get()
            points += cost
            throttled += throttles
            for id in page {
                if let text = nodes[id]?["inventoryPolicy"]?.stringValue, let policy = InventoryPolicy(rawValue: text) {
                    state.current[id] = policy
                } else {
                    state.unknown.insert(id)
                }
            }
        }
        return Result(state: state, queries: pages.count, points: points, throttled: throttled)
    }

    /// The nodes of an answer to `page`, by variant id: one entry per id asked for; every node that
    /// is not `null` or `{}` (an id Shopify does not know, or not a variant) carries the `id` of one
    /// variant of the page, each once.
    static func match(_ data: JSONValue, to page: [Int64]) throws(ShopifyError) -> [Int64: JSONValue] {
        guard let nodes = data["nodes"]?.arrayValue, nodes.count == page.count else {
            throw ShopifyError(kind: .decoding, message: "`nodes` does not hold one entry per id")
        }
        let asked = Set(page)
        var matched: [Int64: JSONValue] = [:]
        for node in nodes where !node.isNull && node.objectValue?.isEmpty != true {
            guard let gid = node["id"]?.stringValue else {
                throw ShopifyError(
                    kind: .decoding, message: "a node without an id (\(ServerText.oneLine(node.renderCompact(), limit: 80)))")
            }
            let prefix = "gid://shopify/ProductVariant/"
            guard gid.hasPrefix(prefix), let id = Int64(gid.dropFirst(prefix.count)), asked.contains(id) else {
                throw ShopifyError(kind: .decoding, message: "a node for \(ServerText.oneLine(gid, limit: 80)), which was not asked for")
            }
            guard matched.updateValue(node, forKey: id) == nil else {
                throw ShopifyError(kind: .decoding, message: "two nodes for \(gid)")
            }
        }
        return matched
    }
}

/// True the first time only.
actor Once {
    private var done = false
    func first() -> Bool {
        defer { done = true }
        return !done
    }
}
