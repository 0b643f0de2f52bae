import StoqWire

/// The shop's rate limit, and how many requests may be in flight at once.
public struct RateBudget: Sendable, Equatable {
    /// Points per window (STOQ: 360).
    public var points: Int = 360
    /// Window length in seconds (STOQ: 60).
    public var window: Double = 60
    /// Cost of a read (STOQ: 1).
    public var readCost: Int = 1
    /// Cost of a write (STOQ: 2).
    public var writeCost: Int = 2
    /// Most requests in flight at once: hides latency without bursting past the budget.
    public var maxConcurrency: Int = 8

    /// STOQ's documented budget.
    public init() {}

    /// A budget of `points` per `window` seconds.
    public init(points: Int, window: Double, maxConcurrency: Int = 8) {
        self.points = points
        self.window = window
        self.maxConcurrency = maxConcurrency
    }
}

/// One per shop: every request waits here for a concurrency slot and enough budget.
///
/// Keeps its own record of points spent in the last `window` seconds (so it never exceeds the
/// budget in any window, whether STOQ's window is rolling or fixed) and follows the server's
/// `X-RateLimit-Remaining`/`X-RateLimit-Reset` when they say less is left. A 429's `Retry-After`
/// pauses every request, not only the one that got it. When the budget runs out, requests in
/// flight are allowed to land before anyone waits for the next window, so none is counted by a
/// fixed-window server against a window it was not charged to.
public actor RateGovernor {
    private let budget: RateBudget
    private let clock: any WireClock
    private var spent: [(time: Double, cost: Int)] = []
    private var spentHead = 0
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var pausedUntil: Double = 0
    /// What the server last said: points left until `serverReset`, minus what was sent since.
    private var serverRemaining: Int?
    private var serverReset: Double = 0
    /// Statistics.
    private(set) var totalWaited: Double = 0
    private(set) var peakInFlight = 0

    /// Creates a governor.
    public init(budget: RateBudget = RateBudget(), clock: any WireClock = SystemClock()) {
        self.budget = budget
        self.clock = clock
    }

    /// The budget it enforces.
    public var rateBudget: RateBudget { budget }

    /// The cost of a request with `method`.
    public nonisolated func cost(of method: String) -> Int {
        method == "GET" || method == "HEAD" ? budget.readCost : budget.writeCost
    }

    private func spentInWindow(_ now: Double) -> Int {
        while spentHead < spent.count, spent[spentHead].time <= now - budget.window { spentHead += 1 }
        if spentHead > 1024 {
            spent.removeFirst(spentHead)
            spentHead = 0
        }
        var total = 0
        for i in spentHead..<spent.count { total += spent[i].cost }
        return total
    }

    /// Waits for a slot and `cost` points, then charges them.
    public func acquire(cost: Int) async throws {
        while true {
            try Task.checkCancellation()
            guard inFlight < budget.maxConcurrency else {
                await withCheckedContinuation { waiters.append($0) }
                continue
            }
            let now = clock.now()
            if now < pausedUntil {
                try await wait(until: pausedUntil, from: now)
                continue
            }
            let local = budget.points - spentInWindow(now)
            var available = local
            if let remaining = serverRemaining, now < serverReset { available = min(available, remaining) }
            if available >= cost {
                inFlight += 1
                peakInFlight = max(peakInFlight, inFlight)
                spent.append((now, cost))
                if let remaining = serverRemaining { serverRemaining = remaining - cost }
                return
            }
            // Out of budget. Let requests in flight land first: otherwise one could arrive after a
            // fixed server window rolls over and be counted against the next one.
            if inFlight > 0 {
                await withCheckedContinuation { waiters.append($0) }
                continue
            }
            // Wake when enough local spend leaves the window, or when the server's window resets.
            var wake = now + budget.window
            if local < cost {
                var freed = local
                for i in spentHead..<spent.count {
                    freed += spent[i].cost
                    if freed >= cost {
                        wake = spent[i].time + budget.window
                        break
                    }
                }
            } else {
                wake = serverReset
            }
            try await wait(until: max(wake, now + 0.001), from: now)
        }
    }

    private func wait(until deadline: Double, from now: Double) async throws {
        totalWaited += max(0, deadline - now)
        try await clock.sleep(until: deadline)
    }

    /// Frees the slot and learns from the response's rate-limit headers.
    public func release(remaining: Int?, resetAt: Double?) {
        inFlight -= 1
        if let remaining, let resetAt {
            let now = clock.now()
            // Ignore a reset that is in the past or implausibly far away (clock skew).
            if resetAt > now, resetAt <= now + budget.window + 5 {
                serverRemaining = remaining
                serverReset = resetAt
            }
        }
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Pauses every request until `deadline` (a 429's `Retry-After`).
    public func pause(until deadline: Double) {
        pausedUntil = max(pausedUntil, deadline)
        serverRemaining = 0
        serverReset = max(serverReset, deadline)
    }

    /// Seconds spent waiting for budget, and the most requests in flight at once.
    public var statistics: (waited: Double, peakInFlight: Int) { (totalWaited, peakInFlight) }
}
