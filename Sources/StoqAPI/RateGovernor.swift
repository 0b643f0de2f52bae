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
/// The server's rate-limit headers are not needed for pacing. A 429 (another app spending the
/// shop's budget, or a server that counts differently) pauses every request for exactly its
/// `Retry-After`, and the pause is recorded with its reason.
public actor RateGovernor {
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
        /// Time requests spent waiting for budget (summed over requests that waited).
        public var budgetWaited = Duration.zero
        /// Most requests in flight at once.
        public var peakInFlight = 0
        /// Pauses of every request (429s).
        public var pauses: [Pause] = []
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
        return spentTotal + inFlightCost
    }

    /// Waits for a slot and `cost` points, then counts them as spent.
    public func acquire(cost: Int) async throws {
        let asked = clock.now
        defer { stats.budgetWaited += max(.zero, asked.duration(to: clock.now)) }
        while true {
            try Task.checkCancellation()
            guard inFlight < budget.maxConcurrency else {
                await withCheckedContinuation { slotWaiters.append($0) }
                continue
            }
            let now = clock.now
            if now < pausedUntil {
                try await clock.sleep(until: pausedUntil)
                continue
            }
            let free = budget.points - used(now)
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
            if let wake {
                try await clock.sleep(until: max(wake, now))
            } else {
                await withCheckedContinuation { budgetWaiters.append($0) }
            }
        }
    }

    /// Frees the slot of a request that cost `cost` and records its charge now.
    public func release(cost: Int) {
        inFlight -= 1
        inFlightCost -= cost
        spent.append((clock.now, cost))
        spentTotal += cost
        if !slotWaiters.isEmpty { slotWaiters.removeFirst().resume() }
        let waiting = budgetWaiters
        budgetWaiters = []
        for waiter in waiting { waiter.resume() }
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
