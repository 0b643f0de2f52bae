import Foundation
import HTTPTypes
import Logging
import StoqCore
import StoqWire

/// Typed calls for every v1 Preorders endpoint, through one ``RateGovernor`` and a
/// ``RetryPolicy``.
///
/// Reads and idempotent writes are retried on 429, 5xx, timeouts and connection errors. A create
/// is never retried blindly: after an unclear failure the plan is looked up by `internal_name`
/// and adopted if it exists. A 409 "job in progress" waits, bounded, for the plan's `ongoing_job`.
public struct StoqClient: Sendable {
    /// Where requests go.
    public let transport: any Transport
    /// The shop's governor (share one per shop).
    public let governor: RateGovernor
    /// Retry behaviour.
    public let retry: RetryPolicy
    let token: APIToken
    let clock: any WireClock
    let logger: Logger
    let random: RandomSource
    /// Largest `per_page` asked of `GET /preorders`.
    public var pageSize = 250

    /// Creates a client.
    public init(
        transport: any Transport, token: APIToken, governor: RateGovernor, retry: RetryPolicy = RetryPolicy(),
        clock: any WireClock = SystemClock(), logger: Logger = Logger(label: "stoqctl.api", factory: { _ in SwiftLogNoOpLogHandler() }),
        seed: UInt64 = 0x5EED
    ) {
        self.transport = transport
        self.token = token
        self.governor = governor
        self.retry = retry
        self.clock = clock
        self.logger = logger
        self.random = RandomSource(seed: seed)
    }

    // MARK: Sending

    /// Whether a failed call may be sent again unchanged.
    enum Replay {
        /// Safe to repeat (reads, PUT, DELETE, membership, toggles).
        case idempotent
        /// Never repeat automatically (create): only 429 answers, which STOQ did not process.
        case onlyIfNotProcessed
    }

    /// The request for `endpoint` on the plan `id`, with `query` and a JSON `body`.
    static func request(
        _ endpoint: StoqEndpoint, id: String? = nil, query: [(String, String)] = [], body: JSONValue? = nil
    ) -> WireRequest {
        WireRequest(method: endpoint.method, path: endpoint.path(id: id.map(escape)), query: query, body: body?.bytes ?? [])
    }

    /// Sends `request` to `endpoint` through the governor with retries; returns a 2xx response or
    /// throws.
    ///
    /// Every retry and every wait for the rate limit is logged at `notice` level with what it
    /// waits for, so a person watching sees why nothing seems to happen.
    func send(_ request: WireRequest, to endpoint: StoqEndpoint, replay: Replay = .idempotent) async throws(StoqError)
        -> WireResponse
    {
        let label = endpoint.label
        var request = request
        request.headers.append(HTTPField(name: .xAuthToken, value: token.value))
        request.headers.append(HTTPField(name: .accept, value: "application/json"))
        if !request.body.isEmpty { request.headers.append(HTTPField(name: .contentType, value: "application/json")) }
        let cost = endpoint.cost
        var attempt = 0
        var rateLimitWaits = 0
        var bound = RequestBound(limit: retry.maxRequestTime, clock: clock)
        while true {
            attempt += 1
            let queued = clock.now
            do {
                try await governor.acquire(cost: cost)
            } catch {
                throw StoqError(kind: .transport(.connection("cancelled")), endpoint: label, message: "", attempts: attempt)
            }
            bound.exclude(queued.duration(to: clock.now))  // waiting for the rate budget is not the server's time
            let result = await bound.send(request, through: transport)
            let response = try? result.get()
            await governor.release(cost: cost, server: response.flatMap(RateGovernor.ServerBudget.init))
            logger.debug(
                "\(request.method) \(request.target) → \(response.map { String($0.status.code) } ?? "no response")\(response?.header(.xRateLimitRemaining).map { " (\($0) points left)" } ?? "")"
            )
            switch result {
            case .success(let r) where r.status.kind == .successful:
                return r
            case .success(let r) where r.status == .tooManyRequests:
                rateLimitWaits += 1
                guard rateLimitWaits <= retry.maxRateLimitWaits else {
                    throw StoqError.http(r, endpoint: label, attempts: attempt)
                }
                let wait =
                    r.retryAfter
                    ?? (try? JSONValue.parse(r.body))?["retry_after"]?.numberText.flatMap(Double.init).map(Duration.seconds)
                    ?? retry.baseDelay
                let reason = "429 on \(label): Retry-After \(Self.seconds(wait))"
                logger.notice("STOQ's rate limit answered \(label) with 429: every request waits \(Self.seconds(wait)) (Retry-After)")
                await governor.pause(until: clock.now.advanced(by: max(wait, .milliseconds(1))), reason: reason)
                bound.exclude(wait)
                attempt -= 1  // a 429 was not processed: it does not use up an attempt
                continue
            case .success(let r) where r.status.code >= 500 && replay == .idempotent && attempt < retry.maxAttempts:
                let delay = random.backoff(retry, after: attempt)
                guard bound.allowsRetry(after: delay) else {
                    var error = StoqError.http(r, endpoint: label, attempts: attempt)
                    error.message += (error.message.isEmpty ? "" : "; ") + bound.exhausted
                    throw error
                }
                logger.notice(
                    "\(label) answered HTTP \(r.status.code); retrying in \(Self.seconds(delay)) (attempt \(attempt + 1) of \(retry.maxAttempts))"
                )
                try? await clock.sleep(for: delay)
            case .success(let r):
                throw StoqError.http(r, endpoint: label, attempts: attempt)
            case .failure(let e) where replay == .idempotent && attempt < retry.maxAttempts:
                let delay = random.backoff(retry, after: attempt)
                guard bound.allowsRetry(after: delay) else {
                    throw StoqError(kind: .transport(e), endpoint: label, message: bound.exhausted, attempts: attempt)
                }
                logger.notice("\(label): \(e); retrying in \(Self.seconds(delay)) (attempt \(attempt + 1) of \(retry.maxAttempts))")
                try? await clock.sleep(for: delay)
            case .failure(let e):
                throw StoqError(kind: .transport(e), endpoint: label, message: "", attempts: attempt)
            }
        }
    }

    /// `1.3 s`.
    static func seconds(_ duration: Duration) -> String { String(format: "%.1f s", duration.inSeconds) }

    func decode(_ response: WireResponse, endpoint: StoqEndpoint) throws(StoqError) -> JSONValue {
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw StoqError(kind: .decoding, endpoint: endpoint.label, message: "response is not JSON (\(error))")
        }
    }

    /// Sends a read and decodes its body, retrying a body that does not parse (reads are safe to repeat).
    func read(_ request: WireRequest, endpoint: StoqEndpoint) async throws(StoqError) -> JSONValue {
        var attempt = 0
        while true {
            attempt += 1
            let response = try await send(request, to: endpoint)
            do {
                return try decode(response, endpoint: endpoint)
            } catch {
                guard attempt < retry.maxAttempts else { throw error }
                let delay = random.backoff(retry, after: attempt)
                logger.notice("\(endpoint.label) returned a body that is not JSON; reading again in \(Self.seconds(delay))")
                try? await clock.sleep(for: delay)
            }
        }
    }

    // MARK: Endpoints

    /// `GET /preorders?page&per_page&name` — one page, decoded defensively.
    public func listPage(page: Int, perPage: Int, name: String? = nil) async throws(StoqError) -> ListPage {
        var query = [("page", String(page)), ("per_page", String(perPage))]
        if let name { query.append(("name", name)) }
        let json = try await read(Self.request(.list, query: query), endpoint: .list)
        return try ListPage.decode(json, requestedPerPage: perPage)
    }

    /// Every plan the list returns, page by page at the largest page size, and the pages read.
    ///
    /// When the first page says how many pages there are, the others are read at once (the rate
    /// governor still paces them); otherwise one after another until one says it is the last.
    public func listAll(name: String? = nil) async throws(StoqError) -> (items: [JSONValue], pages: Int) {
        let first = try await listPage(page: 1, perPage: pageSize, name: name)
        if let total = first.totalPages, total > 1, total <= Self.concurrentListPages, first.hasMore(page: 1) {
            let rest: [(Int, ListPage)]
            do {
                rest = try await withThrowingTaskGroup(of: (Int, ListPage).self) { group in
                    for page in 2...total {
                        group.addTask { (page, try await self.listPage(page: page, perPage: self.pageSize, name: name)) }
                    }
                    var out: [(Int, ListPage)] = []
                    for try await r in group { out.append(r) }
                    return out.sorted { $0.0 < $1.0 }
                }
            } catch let error as StoqError {
                throw error
            } catch {
                throw StoqError(kind: .transport(.connection("\(error)")), endpoint: StoqEndpoint.list.label, message: "")
            }
            var items = first.items
            var previousFirstID = first.items.first?["id"]?.stringValue
            for (_, p) in rest {
                // A server that ignores `page` returns page 1 again: stop there.
                let firstID = p.items.first?["id"]?.stringValue
                if firstID != nil, firstID == previousFirstID { break }
                previousFirstID = firstID
                items += p.items
                if p.items.isEmpty { break }
            }
            return (items, total)
        }
        var items: [JSONValue] = []
        var page = 1
        var previousFirstID: String?
        var next: ListPage? = first
        while true {
            let p: ListPage
            if let known = next {
                p = known
                next = nil
            } else {
                p = try await listPage(page: page, perPage: pageSize, name: name)
            }
            // A server that ignores `page` would return page 1 forever.
            let firstID = p.items.first?["id"]?.stringValue
            if page > 1, firstID != nil, firstID == previousFirstID { break }
            previousFirstID = firstID
            items += p.items
            guard p.hasMore(page: page), page < 100_000 else { break }
            page += 1
        }
        return (items, page)
    }

    /// The most pages a list reads at once once the first page gives their number (a larger
    /// number is read page by page).
    static let concurrentListPages = 100

    /// `GET /preorders/{id}` — the full plan object.
    public func get(id: String) async throws(StoqError) -> JSONValue {
        try await read(Self.request(.read, id: id), endpoint: .read)
    }

    /// `POST /preorders` — creates a plan, never twice.
    ///
    /// After an unclear failure (no response,
    /// 5xx, unreadable body) the plan is looked up by `internal_name` and adopted if found.
    public func create(internalName: String, fields: [(String, JSONValue)]) async throws(StoqError) -> CreateResult {
        var members = fields.filter { $0.0 != "internal_name" }
        members.insert(("internal_name", .string(internalName)), at: 0)
        return try await createAdopting(Self.request(.create, body: PlannedRequest.sellingPlanBody(members)), internalName: internalName)
    }

    /// Sends the create `request` at most once per attempt; after an unclear outcome looks the plan
    /// up by `internalName` and adopts it if it exists, else tries again (within `maxAttempts`).
    func createAdopting(_ request: WireRequest, internalName: String) async throws(StoqError) -> CreateResult {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await send(request, to: .create, replay: .onlyIfNotProcessed)
                if let plan = try? decode(response, endpoint: .create), plan["id"]?.stringValue != nil {
                    return CreateResult(plan: plan, adopted: false)
                }
                // Created, but the body is unreadable: fall through to the lookup.
            } catch {
                let unclear: Bool
                switch error.kind {
                case .transport, .decoding: unclear = true
                case .http(let status): unclear = status >= 500
                }
                guard unclear else { throw error }
                logger.notice(
                    "the create of \(internalName) had an unclear outcome (\(error)); looking it up by internal_name before trying again")
            }
            if let existing = try await find(internalName: internalName) {
                return CreateResult(plan: existing, adopted: true)
            }
            guard attempt < retry.maxAttempts else {
                throw StoqError(
                    kind: .transport(.connection("no clear answer")), endpoint: StoqEndpoint.create.label,
                    message: "could not confirm that `\(internalName)` was created", attempts: attempt)
            }
            try? await clock.sleep(for: random.backoff(retry, after: attempt))
        }
    }

    /// The plan whose `internal_name` is exactly `internalName`, read in full, if one exists.
    public func find(internalName: String) async throws(StoqError) -> JSONValue? {
        let matches = try await listAll(name: internalName).items.filter { $0["internal_name"]?.stringValue == internalName }
        guard let id = matches.first?["id"]?.stringValue else { return nil }
        return try await get(id: id)
    }

    /// `PUT /preorders/{id}` with only `fields` (`JSONValue.null` sends an explicit null).
    public func update(id: String, fields: [(String, JSONValue)]) async throws(StoqError) -> JSONValue {
        let request = Self.request(.update, id: id, body: PlannedRequest.sellingPlanBody(fields))
        let response = try await send(request, to: .update)
        return (try? decode(response, endpoint: .update)) ?? .null
    }

    /// `DELETE /preorders/{id}` (a soft delete).
    ///
    /// A 404 means it is already gone: success.
    public func delete(id: String) async throws(StoqError) {
        _ = try await deliver(PlannedRequest(planID: id, payload: .delete), to: id)
    }

    /// `POST /preorders/{id}/add_variant`.
    ///
    /// A 422 listing `existing_variants` is a partial success:
    /// those ids are already members, and the rest are sent again without them.
    public func addVariants(planID: String, ids: [Int64]) async throws(StoqError) -> AddVariantsResult {
        let done = try await deliver(PlannedRequest(planID: planID, payload: .addVariants(ids: ids)), to: planID)
        let added = done.response.map { response in
            (try? JSONValue.parse(response.body))?["variants_added"]?.arrayValue?.compactMap(\.int64Value) ?? done.sent.variantIDs
        }
        return AddVariantsResult(added: added ?? [], alreadyPresent: done.alreadyPresent)
    }

    /// `DELETE /preorders/{id}/remove_variant?shopify_variant_ids=1,2,3[&inventory_policy=…]`.
    public func removeVariants(planID: String, ids: [Int64], inventoryPolicy: InventoryPolicy? = nil) async throws(StoqError) -> JSONValue {
        let request = PlannedRequest(planID: planID, payload: .removeVariants(ids: ids, inventoryPolicy: inventoryPolicy))
        let done = try await deliver(request, to: planID)
        return done.response.flatMap { try? JSONValue.parse($0.body) } ?? .null
    }

    /// `GET /preorders/{id}/product_variants` — all variants with their per-variant settings.
    public func productVariants(planID: String) async throws(StoqError) -> [JSONValue] {
        let json = try await read(Self.request(.productVariants, id: planID), endpoint: .productVariants)
        return json["product_variants"]?.arrayValue ?? json.arrayValue ?? []
    }

    /// `POST /preorders/{id}/bulk_toggle_inventory_policy` — queues the change; returns the ids queued.
    public func toggleInventoryPolicy(planID: String, ids: [Int64], policy: InventoryPolicy) async throws(StoqError) -> [Int64] {
        let request = PlannedRequest(planID: planID, payload: .toggleInventoryPolicy(ids: ids, policy: policy))
        let done = try await deliver(request, to: planID)
        return done.response.flatMap { try? JSONValue.parse($0.body) }?["variants_queued"]?.arrayValue?.compactMap(\.int64Value) ?? ids
    }

    /// Sends a membership or policy call; on a 409 "job in progress" waits for the plan's job
    /// (``awaitIdle(planID:running:)``; all waits together bounded by `maxJobWait`) and sends again.
    func sendWaitingForJob(_ request: WireRequest, to endpoint: StoqEndpoint, planID: String) async throws(StoqError) -> WireResponse {
        let start = clock.now
        while true {
            do {
                return try await send(request, to: endpoint)
            } catch  where error.status == 409 {
                guard start.duration(to: clock.now) < retry.maxJobWait else {
                    throw StoqError(
                        kind: error.kind, endpoint: endpoint.label,
                        message: "\(error.message) (still busy after \(Int(retry.maxJobWait.inSeconds)) s)", attempts: error.attempts)
                }
                logger.debug("\(endpoint.label): a job is running on plan \(planID); waiting for it to finish")
                do {
                    try await awaitIdle(planID: planID, running: true)
                } catch let waited where waited.status == 409 {
                    // The job outlasted the wait: report the refused call, with STOQ's words.
                    throw StoqError(
                        kind: error.kind, endpoint: endpoint.label,
                        message: "\(error.message) (still busy after \(Int(retry.maxJobWait.inSeconds)) s)", attempts: error.attempts)
                }
            }
        }
    }

    /// Waits until the plan has no running job.
    ///
    /// Reads the plan every half of the job's expected duration (each read costs a point), for at
    /// most `maxJobWait` seconds; when the job is known to be `running` (a toggle was just sent, or
    /// a 409 just came back), the first read waits the expected duration, since reading at once
    /// would only spend a point. Writing into a running job would be refused with a 409 and cost a
    /// write's points for nothing.
    public func awaitIdle(planID: String, running: Bool = false) async throws(StoqError) {
        let start = clock.now
        if running { try? await clock.sleep(for: retry.expectedJobDuration) }
        let poll = max(.milliseconds(500), retry.expectedJobDuration / 2)
        while true {
            let plan = try await get(id: planID)
            if plan["ongoing_job"]?.boolValue != true { return }
            guard start.duration(to: clock.now) < retry.maxJobWait else {
                throw StoqError(
                    kind: .http(status: 409), endpoint: StoqEndpoint.read.label,
                    message: "plan \(planID) still has a running job after \(Int(retry.maxJobWait.inSeconds)) s")
            }
            logger.debug("plan \(planID) has a running job; reading it again in \(Self.seconds(poll))")
            try? await clock.sleep(for: poll)
        }
    }

    static func escape(_ id: String) -> String { WireHeaders.percentEncode(id) }

    // MARK: Planned requests

    /// Sends one request a plan states, to the plan `planID` (nil only for a create).
    ///
    /// Method, path, body and query all come from the request; how it is sent comes from its
    /// endpoint's ``StoqEndpoint/traits``: a create never twice (adopting the plan after an unclear
    /// outcome), a membership or policy call waiting out a running job, an add treating
    /// `existing_variants` as present, a delete that finds the plan gone succeeding.
    public func perform(_ request: PlannedRequest, planID: String?) async throws(StoqError) -> PerformResult {
        let endpoint = request.endpoint
        if endpoint.traits.contains(.adoptsOnUnclearOutcome) {
            guard let name = request.createdName else {
                throw StoqError(kind: .decoding, endpoint: endpoint.label, message: "the create sends no internal_name")
            }
            let result = try await createAdopting(Self.wire(request, planID: nil), internalName: name)
            guard let id = result.plan["id"]?.stringValue else {
                throw StoqError(kind: .decoding, endpoint: endpoint.label, message: "the created plan has no id")
            }
            return PerformResult(planID: id, adopted: result.adopted, body: result.plan)
        }
        guard let id = planID else {
            throw StoqError(kind: .decoding, endpoint: endpoint.label, message: "no plan id to act on")
        }
        let done = try await deliver(request, to: id)
        let body = endpoint == .update ? done.response.flatMap { try? JSONValue.parse($0.body) } : nil
        return PerformResult(planID: id, adopted: false, body: body)
    }

    /// The wire request for `request` on the plan `planID`: its endpoint's method and path, its
    /// payload's query and body.
    static func wire(_ request: PlannedRequest, planID: String?) -> WireRequest {
        Self.request(request.endpoint, id: planID, query: request.query, body: request.body)
    }

    /// What ``deliver(_:to:)`` did: the last response (nil when nothing was left to send or the
    /// plan was gone), the request as last sent, and the ids STOQ said were already members.
    struct Delivered {
        var response: WireResponse?
        var sent: PlannedRequest
        var alreadyPresent: [Int64]
    }

    /// Sends `request` to the plan `planID` with the job and gone traits of `endpoint`: the
    /// response, or nil when the plan was already gone.
    func send(_ request: WireRequest, to endpoint: StoqEndpoint, planID: String) async throws(StoqError) -> WireResponse? {
        do {
            return endpoint.traits.contains(.waitsOutJobs)
                ? try await sendWaitingForJob(request, to: endpoint, planID: planID) : try await send(request, to: endpoint)
        } catch  where error.status == 404 && endpoint.traits.contains(.goneIsDone) {
            return nil
        }
    }

    /// Sends `request` to the plan `id` with its endpoint's traits (all but the create's).
    func deliver(_ request: PlannedRequest, to id: String) async throws(StoqError) -> Delivered {
        let endpoint = request.endpoint
        var pending = request
        var already: [Int64] = []
        while true {
            do {
                let response = try await send(Self.wire(pending, planID: id), to: endpoint, planID: id)
                return Delivered(response: response, sent: pending, alreadyPresent: already)
            } catch  where error.status == 422 && endpoint.traits.contains(.existingVariantsArePresent) {
                guard case .some(let existing) = error.existingVariants, !existing.isEmpty else { throw error }
                let existingSet = Set(existing)
                let present = pending.variantIDs.filter(existingSet.contains)
                guard !present.isEmpty else { throw error }
                already += present
                guard let rest = pending.keeping(ids: Set(pending.variantIDs).subtracting(existingSet)) else {
                    return Delivered(response: nil, sent: pending, alreadyPresent: already)
                }
                pending = rest
            }
        }
    }
}

/// What a planned request did: the plan it acted on (a create's new id), and whether a create
/// adopted a plan that already existed.
public struct PerformResult: Sendable, Equatable {
    /// The plan's id after the request.
    public var planID: String
    /// True when a create found its plan already there (a lost earlier response) and adopted it.
    public var adopted: Bool
    /// The plan object STOQ answered with: a create's or an update's (nil for other requests).
    public var body: JSONValue? = nil
}

/// The outcome of ``StoqClient/create(internalName:fields:)``.
public struct CreateResult: Sendable {
    /// The plan object STOQ holds.
    public var plan: JSONValue
    /// True when the plan already existed (a lost response to an earlier attempt) and was adopted.
    public var adopted: Bool
}

/// The outcome of ``StoqClient/addVariants(planID:ids:)``.
public struct AddVariantsResult: Sendable, Equatable {
    /// Ids this call added.
    public var added: [Int64]
    /// Ids that were already members (STOQ's 422 `existing_variants`).
    public var alreadyPresent: [Int64]

    /// Creates a result.
    public init(added: [Int64], alreadyPresent: [Int64]) {
        self.added = added
        self.alreadyPresent = alreadyPresent
    }
}

extension StoqError {
    /// The `existing_variants` of an add_variant 422 body.
    var existingVariants: [Int64]? { body?["existing_variants"]?.arrayValue?.compactMap(\.int64Value) }
}

/// A thread-safe seeded random source for backoff jitter.
final class RandomSource: @unchecked Sendable {
    private var generator: SeededRandom
    private let lock = NSLock()

    init(seed: UInt64) { generator = SeededRandom(seed: seed) }

    func backoff(_ policy: RetryPolicy, after attempt: Int) -> Duration {
        lock.withLock { policy.backoff(after: attempt, random: &generator) }
    }
}
