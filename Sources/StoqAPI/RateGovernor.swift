import StoqWire

/// The shop's rate limit, and how many requests may be in flight at once.
public struct RateBudget: Sendable, Equatable {
    /// Points per window (STOQ: 360).
    public var points: Int = 360
    /// Window length (STOQ: 60 s).
    public var window: Duration = .seconds(60)
    /// Most requests in flight at once: hides latency without bursting past the budget.
    public var maxConcurrency: Int = 8

    /// STOQ's documented budget.
    public init() {}

    /// A budget of `points` per `window`.
    public init(points: Int, window: Duration, maxConcurrency: Int = 8) {
        self.points = points
        self.window = window
        self.maxConcurrency = maxConcurrency
    }
}

/// One per shop: every request waits here for a concurrency slot and enough budget.
///
/// Keeps its own record of the points spent in the last `window` seconds and never exceeds the
/// budget in any window, rolling or fixed (a rolling window is the stricter of the two). A request
/// counts against the budget from the moment it is sent and is recorded as charged when its answer
/// arrives: the server charged it on arrival, which is no later, so a point is reused only after
/// the server has let it go, whatever the latency. While budget remains, up to `maxConcurrency`
/// requests are in flight, so latency stays hidden; when it runs out, waiters sleep until the
/// oldest charges leave the window (no rounding to whole seconds).
///
/// The server's budget is followed for the whole run: every answer's `X-RateLimit-Remaining`
/// (with `X-RateLimit-Limit` and `X-RateLimit-Reset`) says what the shop has left, so points
/// another run or app spent in the window (a plan right after another, a pull request's plan
/// overlapping the merge's apply) count here too, until the time the server says they come back.
/// What the server says is compared with the charges it has surely counted (answered ones), so a
/// run alone is never slowed by its own requests in flight. While others spend, a margin of
/// `maxConcurrency` writes is kept free for their requests still on the way. The first request
/// goes alone, and so does the first after another's spending was due to come back: nothing
/// more is sent before an answer says what is left.
///
/// A 429 (a server that counts differently, or a burst nothing announced) pauses every request
/// for exactly its `Retry-After`, and the pause is recorded with its reason.
public actor RateGovernor {
    /// What one answer's rate-limit headers say.
    public struct ServerBudget: Sendable, Hashable {
        /// `X-RateLimit-Remaining`: points left in the shop's window.
        public var remaining: Int
        /// `X-RateLimit-Limit`: points per window, when sent.
        public var limit: Int?
        /// `X-RateLimit-Reset`: Unix seconds when spent points come back, when sent.
        public var reset: Double?

        /// Creates one.
        public init(remaining: Int, limit: Int? = nil, reset: Double? = nil) {
            self.remaining = remaining
            self.limit = limit
            self.reset = reset
        }

        /// The headers of `response`, or nil without a readable `X-RateLimit-Remaining`.
        public init?(_ response: WireResponse) {
            guard let text = response.header(.xRateLimitRemaining), let remaining = Int(text), remaining >= 0 else { return nil }
            // Figures beyond any real budget are capped, so no sum of them can overflow.
            self.remaining = min(remaining, Self.most)
            limit = response.header(.xRateLimitLimit).flatMap { Int($0) }.flatMap { $0 > 0 ? min($0, Self.most) : nil }
            reset = response.header(.xRateLimitReset).flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil }
        }

        /// The largest figure taken from a header.
        public static let most = 1 << 32
    }

    /// A pause of every request, and why.
    public struct Pause: Sendable, Hashable {
        /// How long every request waited.
        public var duration: Duration
        /// Why (`429 on GET /preorders/{id}: Retry-After 1 s`).
        public var reason: String
    }

    /// What the governor saw, for the report and `--debug`.
    public struct Statistics: Sendable, Hashable {
        /// Requests sent and points spent.
        public var requests = 0, points = 0
        /// Time requests spent held back (for budget, a slot or a pause), summed over requests:
        /// eight requests waiting one second each add eight seconds.
        public var budgetWaited = Duration.zero
        /// Wall time during which at least one request was held back: at most the run's length.
        public var budgetWaitWall = Duration.zero
        /// Most requests in flight at once.
        public var peakInFlight = 0
        /// Pauses of every request (429s).
        public var pauses: [Pause] = []
        /// The most points the server counted as spent by others (another run, another app) at
        /// once.
        public var othersSeen = 0
    }

    private let budget: RateBudget
    private let clock: any WireClock
    /// Answered requests, charged at their answer's time, oldest first.
    private var spent: [(time: WireInstant, cost: Int)] = []
    private var spentHead = 0
    private var spentTotal = 0
    private var inFlight = 0
    private var inFlightCost = 0
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    private var budgetWaiters: [CheckedContinuation<Void, Never>] = []
    private var pausedUntil = WireInstant(sinceEpoch: .zero)
    private var stats = Statistics()
    /// Requests inside ``acquire(cost:)`` now, and since when at least one has been.
    private var held = 0
    private var heldSince = WireInstant(sinceEpoch: .zero)
    /// Points others spent in the server's window, as its last answer said, until `externalUntil`.
    private var external = 0
    private var externalUntil = WireInstant(sinceEpoch: .zero)
    /// The server's own limit, when lower than the budget's.
    private var serverLimit: Int?
    /// False until an answer arrives, and again once others' spending was due to come back: then
    /// one request at a time, until an answer says what is left.
    private var synced = false

    /// Requests allowed in flight now.
    private var allowedInFlight: Int { synced ? budget.maxConcurrency : 1 }

    /// Points the window holds: the budget's, or the server's when it says less.
    private var limit: Int { min(budget.points, serverLimit ?? budget.points) }

    /// Creates a governor.
    public init(budget: RateBudget = RateBudget(), clock: any WireClock = SystemClock()) {
        self.budget = budget
        self.clock = clock
    }

    /// Points charged in the window ending at `now`, in flight included.
    private func used(_ now: WireInstant) -> Int {
        let windowStart = now.advanced(by: .zero - budget.window)
        while spentHead < spent.count, spent[spentHead].time <= windowStart {
            spentTotal -= spent[spentHead].cost
            spentHead += 1
        }
        if spentHead > 1024 {
            spent.removeFirst(spentHead)
            spentHead = 0
        }
        if external > 0, now >= externalUntil {
            // Others' points are due back: look before spending them.
            external = 0
            synced = false
        }
        let margin = external > 0 ? 2 * budget.maxConcurrency : 0
        return spentTotal + inFlightCost + external + margin
    }

    /// Waits for a slot and `cost` points, then counts them as spent.
    public func acquire(cost: Int) async throws {
        let asked = clock.now
        held += 1
        if held == 1 { heldSince = asked }
        defer {
            let now = clock.now
            stats.budgetWaited += max(.zero, asked.duration(to: now))
            held -= 1
            if held == 0 { stats.budgetWaitWall += max(.zero, heldSince.duration(to: now)) }
        }
        while true {
            try Task.checkCancellation()
            guard inFlight < allowedInFlight else {
                await withCheckedContinuation { slotWaiters.append($0) }
                continue
            }
            let now = clock.now
            if now < pausedUntil {
                try await clock.sleep(until: pausedUntil)
                continue
            }
            // A limit below one request's cost (a server that says 1) still lets one through at a time.
            let free = max(limit, cost) - used(now)
            if free >= cost {
                inFlight += 1
                inFlightCost += cost
                stats.peakInFlight = max(stats.peakInFlight, inFlight)
                stats.requests += 1
                stats.points += cost
                return
            }
            // Sleep until enough answered charges leave the window; if requests in flight hold
            // what is missing, until one of them is answered.
            var freed = free
            var wake: WireInstant?
            for i in spentHead..<spent.count {
                freed += spent[i].cost
                if freed >= cost {
                    wake = spent[i].time.advanced(by: budget.window)
                    break
                }
            }
            // Others' points come back at `externalUntil`; with nothing in flight to wake us
            // earlier, that is when to look again.
            if external > 0, let soonest = wake ?? (inFlight == 0 ? externalUntil : nil) { wake = min(soonest, externalUntil) }
            if let wake {
                try await clock.sleep(until: max(wake, now))
            } else {
                await withCheckedContinuation { budgetWaiters.append($0) }
            }
        }
    }

    /// Frees the slot of a request that cost `cost`, records its charge now, and takes in what
    /// its answer's headers say of the shop's budget.
    public func release(cost: Int, server: ServerBudget? = nil) {
        inFlight -= 1
        inFlightCost -= cost
        spent.append((clock.now, cost))
        spentTotal += cost
        if let server { sync(server) }
        synced = true
        for _ in 0..<max(0, allowedInFlight - inFlight) where !slotWaiters.isEmpty { slotWaiters.removeFirst().resume() }
        let waiting = budgetWaiters
        budgetWaiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// Others' spending: what the server counts beyond the charges it has surely counted of ours
    /// (the answered ones in the window), until the time it says points come back (at most one
    /// window from now; now + one window without `X-RateLimit-Reset`).
    private func sync(_ server: ServerBudget) {
        let now = clock.now
        // Header figures are capped (``ServerBudget/most``), so none of this can overflow.
        let serverLimit = server.limit ?? budget.points
        self.serverLimit = server.limit
        external = 0
        _ = used(now)
        let serverUsed = max(0, serverLimit - server.remaining)
        let others = serverUsed - spentTotal - inFlightCost
        guard others > 0 else { return }
        let back = server.reset.map { max(0, min($0 - now.secondsSinceEpoch, budget.window.inSeconds)) } ?? budget.window.inSeconds
        external = others
        externalUntil = now.advanced(by: .seconds(back))
        stats.othersSeen = max(stats.othersSeen, others)
    }

    /// Pauses every request until `deadline` (a 429's `Retry-After`), for `reason`.
    public func pause(until deadline: WireInstant, reason: String) {
        let now = clock.now
        guard deadline > pausedUntil else { return }
        stats.pauses.append(Pause(duration: max(now, pausedUntil).duration(to: deadline), reason: reason))
        pausedUntil = deadline
    }

    /// What the governor saw so far.
    public var statistics: Statistics { stats }
}
