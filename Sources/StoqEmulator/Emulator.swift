import HTTPTypes
import StoqWire

/// What the emulator does with a request: answer it, or drop the connection.
public enum EmulatorOutcome: Sendable {
    /// An HTTP response.
    case response(WireResponse)
    /// The connection closes with no response.
    case dropped
}

/// How a rate-limit window counts points.
public enum RateLimitWindowKind: String, Sendable, CaseIterable {
    /// Points spent in the last `window` seconds, at every moment.
    case rolling
    /// Points spent since the window began; a window begins with the first request after the
    /// last one ended.
    case fixed
}

/// Settings of an emulator instance.
public struct EmulatorConfiguration: Sendable {
    /// Points per window (STOQ: 360).
    public var rateLimitPoints = 360
    /// Window length in seconds (STOQ: 60).
    public var rateLimitWindow = 60.0
    /// How the window moves: STOQ documents a rolling window (the default); `fixed` restarts it
    /// with the first request after it ends, as some servers do.
    public var rateLimitWindowKind = RateLimitWindowKind.rolling
    /// How long a `bulk_toggle_inventory_policy` job keeps `ongoing_job` true, seconds.
    public var jobDuration = 2.0
    /// Faults to inject.
    public var faults = FaultSpec()
    /// Seed for faults and latency jitter.
    public var seed: UInt64 = 1
    /// Required `X-Auth-Token`; nil accepts any non-empty token.
    public var token: String?
    /// Default and largest `per_page` of `GET /preorders`.
    public var defaultPageSize = 25
    public var maxPageSize = 250
    /// Most ids one `add_variant` or `remove_variant` call takes.
    public var maxIDsPerMembershipCall = 250
    /// Shopify's GraphQL cost bucket size in points (a standard plan's is 2,000).
    public var shopifyBucketSize = 2_000.0
    /// Points the bucket regains per second (standard 100, Plus 1,000).
    public var shopifyRestoreRate = 100.0
    /// Required `X-Shopify-Access-Token`; nil accepts any non-empty token.
    public var shopifyToken: String?
    /// The store's `myshopifyDomain`, as the Shopify side's `shop` answers it.
    public var shopifyDomain = "emulator.myshopify.com"

    /// Defaults as documented in Docs/Emulator.md.
    public init() {}
}

/// A stand-in for STOQ's v1 Preorders API: state store plus request handler.
///
/// Knows only the wire format (it never imports the planner). Every assumption it makes where
/// STOQ's documentation is silent is listed in `Docs/Emulator.md`.
public actor Emulator {
    private var state: EmulatorState
    private let configuration: EmulatorConfiguration
    private let clock: any WireClock
    private var random: SeededRandom
    private var windowStart: Double?
    private var pointsUsed = 0
    /// Rolling window: the charges of the last `window` seconds, oldest first.
    private var charges: [(time: Double, cost: Int)] = []
    private var chargesHead = 0
    private var burstRemaining = 0
    private var log: [LoggedRequest] = []
    /// Number of requests handled at this moment, and the most seen at once.
    private var inFlight = 0
    private var maxInFlight = 0

    /// The API path prefix the HTTP server strips (`/api/v1/external`).
    public static let basePath = "/api/v1/external"
    /// Shopify's Admin API prefix: `/admin/api/{version}/graphql.json` is served too.
    public static let shopifyPath = "/admin/api/"

    /// The Admin API versions the emulated Shopify supports, oldest first.
    ///
    /// Each stable version is supported for a year. A request for another version is served as the oldest, as Shopify
    /// falls forward, and `X-Shopify-API-Version` says which version answered.
    public static let shopifyVersions = ["2026-01", "2026-04", "2026-07", "2026-10"]

    /// The version that answers a request for `asked`.
    static func servedVersion(_ asked: Substring) -> String {
        shopifyVersions.first { $0 == asked } ?? shopifyVersions[0]
    }

    /// What the Shopify query being handled was charged, and whether it was refused as
    /// `THROTTLED` (for the request log).
    private var shopifyCharge = (points: 0, throttled: false)

    /// Shopify's bucket: points available at `shopifyBucketTime`.
    private var shopifyAvailable: Double?
    private var shopifyBucketTime = 0.0

    /// Creates an emulator over the JSON state in `stateBytes` (empty for a new shop).
    public init(
        stateBytes: [UInt8] = [], configuration: EmulatorConfiguration = EmulatorConfiguration(), clock: any WireClock = SystemClock()
    ) throws {
        self.state = try EmulatorState.load(stateBytes)
        self.configuration = configuration
        self.clock = clock
        self.random = SeededRandom(seed: configuration.seed)
    }

    // MARK: Inspection (tests, state files)

    /// Every request seen so far, in arrival order.
    public var requestLog: [LoggedRequest] { log }
    /// Clears the request log.
    public func clearLog() { log = [] }
    /// The most requests that were in flight at once.
    public var peakConcurrency: Int { maxInFlight }
    /// The state as JSON, for the state file.
    public func stateJSON() -> String {
        settleJobs()
        return state.json()
    }
    /// Number of plans that are not discarded.
    public var activePlanCount: Int { state.plans.filter { $0.discardedAt == nil }.count }
    /// The current policy of `variant`, as Shopify would report it.
    public func inventoryPolicy(of variant: Int64) -> String? {
        settleJobs()
        return state.variantPolicies[variant]
    }
    /// Sets the policy of variants directly (a test's "someone changed it in Shopify").
    public func setInventoryPolicy(_ policy: String, for variants: [Int64]) {
        for v in variants { state.variantPolicies[v] = policy }
    }
    /// Edits a plan's field directly, as a merchant editing in the STOQ dashboard would.
    public func editPlan(id: String, field: String, value: JSONValue) {
        guard let i = state.index(of: id) else { return }
        state.plans[i].fields[field] = value
        state.plans[i].updatedAt = clock.now.secondsSinceEpoch
    }

    // MARK: Handling

    /// Handles one request for an in-process caller: the response, or nil when the connection
    /// was dropped (the caller reports it as a connection error).
    public func respond(_ request: WireRequest) async -> WireResponse? {
        switch await handle(request) {
        case .response(let r): return r
        case .dropped: return nil
        }
    }

    /// Handles one request (the HTTP server and the in-process transport both call this).
    public func handle(_ request: WireRequest) async -> EmulatorOutcome {
        await handleLogged(request).outcome
    }

    /// Handles one request and gives its log entry too (requests in flight at once finish in any
    /// order, so the log's last entry may be another's).
    func handleLogged(_ request: WireRequest) async -> (outcome: EmulatorOutcome, entry: LoggedRequest) {
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        defer { inFlight -= 1 }
        let arrival = clock.now.secondsSinceEpoch
        let shopify = Self.isShopify(request)
        let cost = shopify ? 0 : request.isRead ? 1 : 2
        var entry = LoggedRequest(
            method: request.method.rawValue, target: request.target, status: nil, cost: cost, time: arrival, fault: nil, mutated: false)
        entry.shopify = shopify
        entry.body = request.body
        let outcome = await handle(request, shopify: shopify, entry: &entry)
        log.append(entry)
        return (outcome, entry)
    }

    /// Whether a request goes to the Shopify side (the Admin API prefix) rather than STOQ's.
    static func isShopify(_ request: WireRequest) -> Bool { request.path.hasPrefix(shopifyPath) }

    private func handle(_ request: WireRequest, shopify: Bool, entry: inout LoggedRequest) async -> EmulatorOutcome {
        let path = request.path.hasPrefix(Self.basePath) ? String(request.path.dropFirst(Self.basePath.count)) : request.path
        let cost = entry.cost
        // Latency first, as the network would add it.
        let f = configuration.faults
        var delay = f.latency + (f.jitter > 0 ? (random.unit() * 2 - 1) * f.jitter : 0)
        if f.slow > 0, random.unit() < f.slow {
            delay += f.slowness
            entry.fault = "slow"
        }
        if delay > 0 { try? await clock.sleep(for: .seconds(delay)) }

        if f.drop > 0, random.unit() < f.drop {
            entry.fault = "drop"
            return .dropped
        }
        settleJobs()
        shopifyCharge = (0, false)
        let forced = burstStarts()
        if forced { entry.fault = "429-burst" }
        var response = shopify ? (forced ? shopifyForcedThrottle(request) : nil) : rateLimit(cost: cost, forcedBurst: forced)
        if response == nil, let outage = f.outage, path.contains(outage) {
            entry.fault = "outage"
            response = errorResponse(503, "Service unavailable")
        } else if response == nil, f.serverError > 0, random.unit() < f.serverError {
            entry.fault = "5xx"
            let status = HTTPResponse.Status(code: [500, 502, 503][Int(random.next() % 3)])
            response = errorResponse(status, "Internal server error")
        }
        var handled = false
        if response == nil {
            handled = true
            let before = mutationCount
            var r = shopify ? shopifyGraphQL(request) : route(method: request.method, path: path, request: request)
            entry.mutated = mutationCount != before
            if request.isRead, r.status == 200, f.malformed > 0, random.unit() < f.malformed {
                entry.fault = "malformed"
                r.body = Array(r.body.prefix(max(1, r.body.count / 2)))
            }
            response = r
        }
        guard var final = response else { return .dropped }
        if shopify {
            entry.shopifyPoints = shopifyCharge.points
            entry.throttled = shopifyCharge.throttled
        }
        if !shopify { final.headers += rateLimitHeaders() }
        if shopify { Self.addVersionHeader(&final, request) }
        entry.status = final.status.code
        // Only a request that was handled can have its response lost.
        if handled, f.lost > 0, random.unit() < f.lost {
            entry.fault = "lost"
            entry.status = nil
            return .dropped
        }
        return .response(final)
    }

    /// `X-Shopify-API-Version`: the version that answered a Shopify request.
    static func addVersionHeader(_ response: inout WireResponse, _ request: WireRequest) {
        if let version = request.path.dropFirst(shopifyPath.count).split(separator: "/").first {
            response.headers.append(HTTPField(name: .xShopifyAPIVersion, value: servedVersion(version)))
        }
    }

    private var mutationCount = 0

    /// How many requests changed the shop so far (a saver writes the state only when it moved).
    public var mutations: Int { mutationCount }

    private func burstStarts() -> Bool {
        let f = configuration.faults
        if burstRemaining > 0 {
            burstRemaining -= 1
            return true
        }
        if f.rateLimitBurst > 0, random.unit() < f.rateLimitBurst {
            burstRemaining = f.burstLength - 1
            return true
        }
        return false
    }

    // MARK: Rate limit

    /// Points used in the window at `now`, and when the window next frees points (fixed: when
    /// it ends; rolling: when the oldest charge leaves it).
    private func window(_ now: Double) -> (used: Int, reset: Double) {
        let length = configuration.rateLimitWindow
        switch configuration.rateLimitWindowKind {
        case .fixed:
            if let start = windowStart, now < start + length { return (pointsUsed, start + length) }
            windowStart = now
            pointsUsed = 0
            return (0, now + length)
        case .rolling:
            while chargesHead < charges.count, charges[chargesHead].time <= now - length {
                pointsUsed -= charges[chargesHead].cost
                chargesHead += 1
            }
            if chargesHead > 4096 {
                charges.removeFirst(chargesHead)
                chargesHead = 0
            }
            return (pointsUsed, chargesHead < charges.count ? charges[chargesHead].time + length : now + length)
        }
    }

    /// Seconds until `cost` points are free (rolling: as old charges leave the window).
    private func secondsUntilFree(_ cost: Int, now: Double, used: Int, reset: Double) -> Double {
        guard configuration.rateLimitWindowKind == .rolling else { return reset - now }
        var free = configuration.rateLimitPoints - used
        for i in chargesHead..<charges.count {
            free += charges[i].cost
            if free >= cost { return charges[i].time + configuration.rateLimitWindow - now }
        }
        return configuration.rateLimitWindow
    }

    /// Charges `cost` points, or answers 429 (also when a fault burst forces one).
    private func rateLimit(cost: Int, forcedBurst: Bool) -> WireResponse? {
        let now = clock.now.secondsSinceEpoch
        let (used, reset) = window(now)
        if forcedBurst || used + cost > configuration.rateLimitPoints {
            let wait = forcedBurst ? 1 : max(1, Int(secondsUntilFree(cost, now: now, used: used, reset: reset).rounded(.up)))
            let limit = configuration.rateLimitPoints
            let window = Int(configuration.rateLimitWindow)
            let body = JSONValue.object([
                ("error", .string("Rate limit exceeded")),
                ("retry_after", .integer(Int64(wait))),
                (
                    "message",
                    .string(
                        "You have exceeded the rate limit of \(limit) points per \(window) seconds. Read requests cost 1 point(s) and write requests cost 2 point(s)."
                    )
                ),
            ])
            return WireResponse(
                status: .tooManyRequests, headers: [.contentType: "application/json", .retryAfter: String(wait)], body: body.bytes)
        }
        pointsUsed += cost
        if configuration.rateLimitWindowKind == .rolling { charges.append((now, cost)) }
        return nil
    }

    private func rateLimitHeaders() -> HTTPFields {
        let (used, reset) = window(clock.now.secondsSinceEpoch)
        return [
            .xRateLimitLimit: String(configuration.rateLimitPoints),
            .xRateLimitRemaining: String(max(0, configuration.rateLimitPoints - used)),
            .xRateLimitReset: String(Int64(reset.rounded(.up))),
        ]
    }

    // MARK: Shopify

    /// Points in Shopify's bucket now (it refills at the restore rate up to its size).
    private func shopifyPoints(_ now: Double) -> Double {
        let size = configuration.shopifyBucketSize
        let available = min(size, (shopifyAvailable ?? size) + max(0, now - shopifyBucketTime) * configuration.shopifyRestoreRate)
        shopifyAvailable = available
        shopifyBucketTime = now
        return available
    }

    private func shopifyCost(requested: Int, actual: Int?) -> JSONValue {
        .object([
            (
                "cost",
                .object([
                    ("requestedQueryCost", .integer(Int64(requested))), ("actualQueryCost", actual.map { .integer(Int64($0)) } ?? .null),
                    (
                        "throttleStatus",
                        .object([
                            ("maximumAvailable", .number(Self.points(configuration.shopifyBucketSize))),
                            ("currentlyAvailable", .integer(Int64((shopifyAvailable ?? configuration.shopifyBucketSize).rounded(.down)))),
                            ("restoreRate", .number(Self.points(configuration.shopifyRestoreRate))),
                        ])
                    ),
                ])
            )
        ])
    }

    /// `2000.0`, as Shopify writes bucket figures.
    static func points(_ value: Double) -> String {
        value == value.rounded() ? "\(Int64(value)).0" : String(value)
    }

    /// A `THROTTLED` forced by a fault: the bucket is emptied first (as another app sharing it
    /// would), so the answer's `throttleStatus` agrees with it.
    private func shopifyForcedThrottle(_ request: WireRequest) -> WireResponse {
        _ = shopifyPoints(clock.now.secondsSinceEpoch)
        shopifyAvailable = 0
        let requested =
            (try? JSONValue.parse(request.body)).flatMap { body in
                body["query"]?.stringValue.flatMap { try? ShopifyGraphQL.prepare($0, variables: body["variables"]).requestedCost }
            } ?? 1
        return shopifyThrottled(requested: requested)
    }

    /// Shopify's answer when the bucket lacks the requested points: HTTP 200 with a `THROTTLED`
    /// error, nothing charged.
    private func shopifyThrottled(requested: Int) -> WireResponse {
        _ = shopifyPoints(clock.now.secondsSinceEpoch)
        shopifyCharge = (0, true)
        let body = JSONValue.object([
            (
                "errors",
                .array([
                    .object([
                        ("message", .string("Throttled")),
                        (
                            "extensions",
                            .object([
                                ("code", .string("THROTTLED")), ("documentation", .string("https://shopify.dev/api/usage/rate-limits")),
                            ])
                        ),
                    ])
                ])
            ),
            ("extensions", shopifyCost(requested: requested, actual: nil)),
        ])
        return json(200, body)
    }

    /// `POST /admin/api/{version}/graphql.json`: the catalogue queries (`nodes`, `product`,
    /// `productVariants`, `products`, `collections`; see `ShopifyData` for what is known), with
    /// Shopify's costs: refused when the bucket lacks the requested cost, charged the actual one.
    private func shopifyGraphQL(_ request: WireRequest) -> WireResponse {
        guard let token = request.header(.xShopifyAccessToken), !token.isEmpty,
            configuration.shopifyToken == nil || configuration.shopifyToken == token
        else { return Self.unauthorized(shopify: true) }
        guard request.path.hasSuffix("/graphql.json"), request.path.split(separator: "/").count == 4 else {
            return json(404, .object([("errors", .string("Not Found"))]))
        }
        guard request.method == .post else { return json(405, .object([("errors", .string("Method Not Allowed"))])) }
        guard let body = try? JSONValue.parse(request.body), let source = body["query"]?.stringValue else {
            return json(400, .object([("errors", .object([("query", .string("Required parameter missing or invalid"))]))]))
        }
        let query: ShopifyGraphQL.Query
        do {
            query = try ShopifyGraphQL.prepare(source, variables: body["variables"])
        } catch {
            return json(200, .object([("errors", .array([error.json]))]))
        }
        let now = clock.now.secondsSinceEpoch
        guard shopifyPoints(now) >= Double(query.requestedCost) else { return shopifyThrottled(requested: query.requestedCost) }
        var executor = ShopifyExecutor(data: ShopifyData(state: state, domain: configuration.shopifyDomain))
        let data = executor.run(query)
        let actual = max(1, executor.actualCost)
        shopifyAvailable = (shopifyAvailable ?? configuration.shopifyBucketSize) - Double(actual)
        shopifyCharge = (actual, false)
        var extensions = shopifyCost(requested: query.requestedCost, actual: actual)
        if !query.searchWarnings.isEmpty, case .object(let members) = extensions {
            extensions = .object(members + [("search", .array(query.searchWarnings))])
        }
        return json(200, .object([("data", data), ("extensions", extensions)]))
    }

    /// The Shopify selling plan and selling plan group ids of a plan (derived from its id).
    static func shopifyIDs(of plan: PlanRecord) -> (plan: Int64, group: Int64) {
        let n = Int64(abs(plan.id.hashValueStable % 1_000_000))
        return (690_000_000 + n, 680_000_000 + n)
    }

    // MARK: Jobs

    /// Finishes every job whose time has come: its variants get their new policy.
    private func settleJobs() {
        let now = clock.now.secondsSinceEpoch
        for i in state.plans.indices {
            guard let job = state.plans[i].job, job.endsAt <= now else { continue }
            let fail = configuration.faults.jobFailure
            for v in job.variantIDs where fail <= 0 || random.unit() >= fail { state.variantPolicies[v] = job.policy }
            state.plans[i].job = nil
        }
    }

    private func hasRunningJob(_ index: Int) -> Bool {
        guard let job = state.plans[index].job else { return false }
        return job.endsAt > clock.now.secondsSinceEpoch
    }

    // MARK: Responses

    private func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> WireResponse {
        Self.json(status, value)
    }

    private static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> WireResponse {
        WireResponse(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: value.bytes)
    }

    /// The 401 for a missing or wrong token: STOQ's, or Shopify's on the Admin API.
    static func unauthorized(shopify: Bool) -> WireResponse {
        shopify
            ? json(401, .object([("errors", .string("[API] Invalid API key or access token (unrecognized login or wrong password)"))]))
            : json(401, .object([("error", .string("Unauthorized"))]))
    }

    private func errorResponse(_ status: HTTPResponse.Status, _ message: String) -> WireResponse {
        json(status, .object([("error", .string(message))]))
    }

    private func planObject(_ p: PlanRecord, now: Double) -> JSONValue {
        var members: [(String, JSONValue)] = [("id", .string(p.id))]
        for field in EmulatorSchema.fields where !field.writeOnly {
            members.append((field.name, EmulatorSchema.echo(field, p.fields[field.name] ?? .null)))
        }
        members += [
            ("selling_plan_product_variants_count", .integer(Int64(p.variantIDs.count))),
            ("shopify_selling_plan_id", .integer(Self.shopifyIDs(of: p).plan)),
            ("shopify_selling_plan_group_id", .integer(Self.shopifyIDs(of: p).group)),
            ("shop_id", .integer(state.shopID)),
            ("market_id", .null),
            ("created_at", .string(EmulatorTime.format(p.createdAt))),
            ("updated_at", .string(EmulatorTime.format(p.updatedAt))),
            ("discarded_at", p.discardedAt.map { .string(EmulatorTime.format($0)) } ?? .null),
            ("ongoing_job", .bool(p.job.map { $0.endsAt > now } ?? false)),
            ("shopify_variant_ids", .array(p.variantIDs.map { .integer($0) })),
        ]
        return .object(members)
    }

    private func summaryObject(_ p: PlanRecord) -> JSONValue {
        .object([
            ("id", .string(p.id)), ("name", p.fields["name"] ?? .null), ("internal_name", p.fields["internal_name"] ?? .null),
            ("enabled", p.fields["enabled"] ?? .null), ("selling_plan_product_variants_count", .integer(Int64(p.variantIDs.count))),
            ("created_at", .string(EmulatorTime.format(p.createdAt))), ("updated_at", .string(EmulatorTime.format(p.updatedAt))),
            ("shopify_variant_ids", .array(p.variantIDs.map { .integer($0) })),
        ])
    }

    // MARK: Routing

    private func route(method: HTTPRequest.Method, path: String, request: WireRequest) -> WireResponse {
        guard let token = request.header(.xAuthToken), !token.isEmpty,
            configuration.token == nil || configuration.token == token
        else { return Self.unauthorized(shopify: false) }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.first == "preorders" else { return errorResponse(404, "Not found") }
        switch (method, parts.count) {
        case (.get, 1): return list(request)
        case (.post, 1): return create(request)
        case (.get, 2): return withPlan(parts[1]) { i in json(200, planObject(state.plans[i], now: clock.now.secondsSinceEpoch)) }
        case (.put, 2), (.patch, 2): return withPlan(parts[1]) { i in update(i, request) }
        case (.delete, 2): return withPlan(parts[1]) { i in delete(i) }
        case (.post, 3) where parts[2] == "add_variant": return withPlan(parts[1]) { i in addVariants(i, request) }
        case (.delete, 3) where parts[2] == "remove_variant": return withPlan(parts[1]) { i in removeVariants(i, request) }
        case (.get, 3) where parts[2] == "product_variants": return withPlan(parts[1]) { i in productVariants(i, request) }
        case (.post, 3) where parts[2] == "bulk_toggle_inventory_policy": return withPlan(parts[1]) { i in toggle(i, request) }
        default: return errorResponse(404, "Not found")
        }
    }

    private func withPlan(_ id: String, _ body: (Int) -> WireResponse) -> WireResponse {
        guard let i = state.index(of: id), state.plans[i].discardedAt == nil else {
            return errorResponse(404, "Selling plan not found")
        }
        return body(i)
    }

    private func list(_ request: WireRequest) -> WireResponse {
        let page = Int(request.queryValue("page") ?? "1") ?? 0
        let perPageRaw = Int(request.queryValue("per_page") ?? String(configuration.defaultPageSize)) ?? 0
        guard page >= 1, perPageRaw >= 1 else { return errorResponse(400, "page and per_page must be positive integers") }
        let perPage = min(perPageRaw, configuration.maxPageSize)
        var plans = state.plans.filter { $0.discardedAt == nil }
        if let name = request.queryValue("name"), !name.isEmpty {
            let needle = name.lowercased()
            plans = plans.filter { p in
                [p.fields["name"]?.stringValue, p.fields["internal_name"]?.stringValue].contains {
                    $0?.lowercased().contains(needle) == true
                }
            }
        }
        let total = plans.count
        let pages = max(1, (total + perPage - 1) / perPage)
        let slice = plans.dropFirst((page - 1) * perPage).prefix(perPage)
        return json(
            200,
            .object([
                ("selling_plans", .array(slice.map(summaryObject))),
                (
                    "meta",
                    .object([
                        ("total_count", .integer(Int64(total))), ("page", .integer(Int64(page))),
                        ("per_page", .integer(Int64(perPage))), ("total_pages", .integer(Int64(pages))),
                    ])
                ),
            ]))
    }

    /// The `selling_plan` object of a create/update body, or an error response.
    private func input(_ request: WireRequest) -> Result<[(String, JSONValue)], WireResponseBox> {
        guard let body = try? JSONValue.parse(request.body) else {
            return .failure(WireResponseBox(errorResponse(400, "Request body is not valid JSON")))
        }
        // Rails' `params.require(:selling_plan)` refuses an empty hash as it does a missing one.
        guard let plan = body["selling_plan"]?.objectValue, !plan.isEmpty else {
            return .failure(WireResponseBox(errorResponse(400, "param is missing or the value is empty: selling_plan")))
        }
        var errors: [(String, JSONValue)] = []
        var accepted: [(String, JSONValue)] = []
        for (key, value) in plan {
            // Unknown keys are dropped silently, as Rails strong parameters do.
            guard let field = EmulatorSchema.byName[key] else { continue }
            let problems = EmulatorSchema.problems(field, value)
            if problems.isEmpty {
                accepted.append((key, value))
            } else {
                errors.append((key, .array(problems.map { .string($0) })))
            }
        }
        if !errors.isEmpty {
            return .failure(WireResponseBox(json(422, .object([("errors", .object(errors))]))))
        }
        return .success(accepted)
    }

    private func create(_ request: WireRequest) -> WireResponse {
        let accepted: [(String, JSONValue)]
        switch input(request) {
        case .failure(let box): return box.response
        case .success(let a): accepted = a
        }
        let now = clock.now.secondsSinceEpoch
        var fields: [String: JSONValue] = [:]
        for field in EmulatorSchema.fields { fields[field.name] = field.defaultValue }
        for (k, v) in accepted { fields[k] = v }
        if fields["internal_name"]?.isNull ?? true { fields["internal_name"] = fields["name"] }
        let record = PlanRecord(id: state.makeID(), fields: fields, variantIDs: [], createdAt: now, updatedAt: now)
        state.plans.append(record)
        mutationCount += 1
        return json(200, planObject(record, now: now))
    }

    private func update(_ i: Int, _ request: WireRequest) -> WireResponse {
        switch input(request) {
        case .failure(let box): return box.response
        case .success(let accepted):
            for (k, v) in accepted { state.plans[i].fields[k] = v }
            state.plans[i].updatedAt = clock.now.secondsSinceEpoch
            mutationCount += 1
            return json(200, planObject(state.plans[i], now: clock.now.secondsSinceEpoch))
        }
    }

    private func delete(_ i: Int) -> WireResponse {
        state.plans[i].discardedAt = clock.now.secondsSinceEpoch
        state.plans[i].job = nil
        mutationCount += 1
        return json(200, .object([("success", .bool(true)), ("message", .string("Selling plan deleted successfully"))]))
    }

    private func ids(_ value: JSONValue?) -> [Int64]? {
        guard let items = value?.arrayValue, !items.isEmpty else { return nil }
        let ids = items.compactMap(\.int64Value)
        return ids.count == items.count && ids.allSatisfy({ $0 > 0 }) ? ids : nil
    }

    private func jobConflict() -> WireResponse {
        errorResponse(409, "Another job is in progress for this selling plan; try again when it finishes")
    }

    private func addVariants(_ i: Int, _ request: WireRequest) -> WireResponse {
        guard let body = try? JSONValue.parse(request.body), let ids = ids(body["shopify_variant_ids"]) else {
            return errorResponse(400, "shopify_variant_ids is required and must be a non-empty array of variant ids")
        }
        if hasRunningJob(i) { return jobConflict() }
        guard ids.count <= configuration.maxIDsPerMembershipCall else {
            return errorResponse(422, "Too many variants in one request (at most \(configuration.maxIDsPerMembershipCall))")
        }
        guard state.plans[i].fields["product_variants_source"]?.stringValue == "custom" else {
            return errorResponse(422, "Variants can only be added to a selling plan whose product_variants_source is custom")
        }
        let members = Set(state.plans[i].variantIDs)
        let existing = ids.filter(members.contains)
        if !existing.isEmpty {
            return json(
                422,
                .object([
                    ("error", .string("Some variants are already added to this selling plan")),
                    ("existing_variants", .array(existing.map { .integer($0) })),
                ]))
        }
        var seen = Set<Int64>()
        let added = ids.filter { seen.insert($0).inserted }
        state.plans[i].variantIDs += added
        for v in added where state.variantPolicies[v] == nil { state.variantPolicies[v] = "DENY" }
        state.plans[i].updatedAt = clock.now.secondsSinceEpoch
        mutationCount += 1
        return json(
            200,
            .object([
                ("success", .bool(true)), ("message", .string("Variants added successfully")),
                ("variants_added", .array(added.map { .integer($0) })),
            ]))
    }

    private func removeVariants(_ i: Int, _ request: WireRequest) -> WireResponse {
        guard let raw = request.queryValue("shopify_variant_ids"), !raw.isEmpty else {
            return errorResponse(400, "shopify_variant_ids is required")
        }
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false)
        let ids = parts.compactMap { Int64(String($0).trimming(" ")) }
        guard ids.count == parts.count, ids.allSatisfy({ $0 > 0 }) else {
            return errorResponse(400, "shopify_variant_ids must be a comma-separated list of variant ids")
        }
        let policy = request.queryValue("inventory_policy")
        if let policy, policy != "CONTINUE", policy != "DENY" {
            return errorResponse(422, "inventory_policy must be CONTINUE or DENY")
        }
        if hasRunningJob(i) { return jobConflict() }
        guard ids.count <= configuration.maxIDsPerMembershipCall else {
            return errorResponse(422, "Too many variants in one request (at most \(configuration.maxIDsPerMembershipCall))")
        }
        let remove = Set(ids)
        let removed = state.plans[i].variantIDs.filter(remove.contains)
        state.plans[i].variantIDs.removeAll(where: remove.contains)
        if let policy { for v in ids { state.variantPolicies[v] = policy } }
        if !removed.isEmpty || policy != nil {
            state.plans[i].updatedAt = clock.now.secondsSinceEpoch
            mutationCount += 1
        }
        return json(
            200,
            .object([
                ("success", .bool(true)), ("message", .string("Variants removed successfully")),
                ("variants_removed", .array(removed.map { .integer($0) })),
            ]))
    }

    /// The product a variant belongs to, and the titles STOQ reports: the catalogue's, or made up
    /// (product id = variant id ÷ 100, or the id itself below 100) for a variant outside it.
    private func productOf(_ v: Int64) -> (id: Int64, title: String, variantTitle: String?) {
        if let (variant, product) = state.catalogue.variant(v) {
            return (product.id, product.title, variant.title == "Default Title" ? nil : variant.title)
        }
        // As the Shopify side answers for it (``ShopifyData/variant(_:)``): a catalogue product
        // with that id keeps its title.
        let product = ShopifyData.outsideProductID(of: v)
        let title = state.catalogue.product(product)?.title ?? ShopifyData.outsideProduct(product).title
        return (product, title, v % 100 == 0 ? nil : "Variant \(v % 100)")
    }

    private func variantDetails(_ v: Int64, _ plan: PlanRecord) -> JSONValue {
        let product = productOf(v)
        return .object([
            ("shopify_product_id", .integer(product.id)), ("shopify_variant_id", .integer(v)),
            ("product_title", .string(product.title)), ("variant_title", product.variantTitle.map { .string($0) } ?? .null),
            ("preorder_units_sold", .integer(0)), ("preorder_max_count", .null),
            ("shipping_text", plan.fields["shipping_text"] ?? .null),
        ])
    }

    private func productVariants(_ i: Int, _ request: WireRequest) -> WireResponse {
        let plan = state.plans[i]
        let byProduct = request.queryValue("shopify_product_id").flatMap { Int64($0) }
        let byVariant = request.queryValue("shopify_variant_id").flatMap { Int64($0) }
        if byProduct != nil, byVariant != nil { return errorResponse(400, "Cannot filter by both product and variant ID") }
        if let byVariant {
            guard plan.variantIDs.contains(byVariant) else { return errorResponse(404, "Variant not found in this selling plan") }
            return json(200, variantDetails(byVariant, plan))
        }
        let variants = plan.variantIDs.filter { byProduct == nil || productOf($0).id == byProduct }
        return json(
            200,
            .object([
                ("selling_plan_id", .string(plan.id)), ("selling_plan_name", plan.fields["name"] ?? .null), ("currency", .string("USD")),
                ("product_variants", .array(variants.map { variantDetails($0, plan) })),
                ("meta", .object([("total_variants", .integer(Int64(variants.count))), ("total_units_sold", .integer(0))])),
            ]))
    }

    private func toggle(_ i: Int, _ request: WireRequest) -> WireResponse {
        guard let body = try? JSONValue.parse(request.body), let ids = ids(body["shopify_variant_ids"]) else {
            return errorResponse(400, "shopify_variant_ids is required and must be a non-empty array of variant ids")
        }
        guard let policy = body["inventory_policy"]?.stringValue else { return errorResponse(400, "inventory_policy is required") }
        guard policy == "CONTINUE" || policy == "DENY" else { return errorResponse(422, "Invalid inventory policy") }
        if hasRunningJob(i) { return jobConflict() }
        state.plans[i].job = PolicyJob(endsAt: clock.now.secondsSinceEpoch + configuration.jobDuration, policy: policy, variantIDs: ids)
        if configuration.jobDuration <= 0 { settleJobs() }
        mutationCount += 1
        return json(
            200,
            .object([
                ("success", .bool(true)), ("message", .string("Inventory policy update has been queued")),
                ("variants_queued", .array(ids.map { .integer($0) })),
            ]))
    }
}

/// Wraps a response so it can be a `Result` failure.
struct WireResponseBox: Error {
    var response: WireResponse
    init(_ response: WireResponse) { self.response = response }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: Int {
        var h: UInt64 = 1_469_598_103_934_665_603
        for b in utf8 {
            h ^= UInt64(b)
            h = h &* 1_099_511_628_211
        }
        return Int(truncatingIfNeeded: h >> 1)
    }
}
