import Foundation

/// A point in time on a ``WireClock``: how long after the Unix epoch.
///
/// Kept as a `Duration` (exact to the attosecond), so virtual clocks add up without rounding;
/// ``secondsSinceEpoch`` gives the moment as a wall-clock timestamp (the emulator's `updated_at`).
public struct WireInstant: InstantProtocol, Sendable {
    /// Time since 1970-01-01T00:00:00Z.
    public var sinceEpoch: Duration

    /// The instant `sinceEpoch` after the Unix epoch.
    public init(sinceEpoch: Duration) { self.sinceEpoch = sinceEpoch }

    /// The instant `seconds` after the Unix epoch.
    public init(secondsSinceEpoch seconds: Double) { sinceEpoch = .seconds(seconds) }

    /// Seconds since the Unix epoch.
    public var secondsSinceEpoch: Double { sinceEpoch.inSeconds }

    /// The instant `duration` later.
    public func advanced(by duration: Duration) -> WireInstant { WireInstant(sinceEpoch: sinceEpoch + duration) }

    /// The time from this instant to `other` (negative when `other` is earlier).
    public func duration(to other: WireInstant) -> Duration { other.sinceEpoch - sinceEpoch }

    /// Earlier first.
    public static func < (lhs: WireInstant, rhs: WireInstant) -> Bool { lhs.sinceEpoch < rhs.sinceEpoch }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for figures and messages).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Time as the client's rate governor and the emulator see it: injectable, so tests never sleep.
///
/// A `Clock` whose instants are ``WireInstant``s, so code that waits takes `Duration`s and
/// `sleep(for:)` comes from the standard library.
public protocol WireClock: Clock where Instant == WireInstant {}

extension WireClock {
    /// Any resolution: a deadline is a deadline.
    public var minimumResolution: Duration { .zero }

    /// Suspends until `deadline`; returns at once if it has passed.
    public func sleep(until deadline: WireInstant) async throws { try await sleep(until: deadline, tolerance: nil) }
}

/// The real clock: wall-clock time, so instants are timestamps too.
public struct SystemClock: WireClock {
    /// Creates the system clock.
    public init() {}

    /// Now, from the system's real-time clock.
    public var now: WireInstant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WireInstant(sinceEpoch: .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec))
    }

    /// Sleeps with `Task.sleep`; returns at once if `deadline` has passed.
    public func sleep(until deadline: WireInstant, tolerance: Duration? = nil) async throws {
        let left = now.duration(to: deadline)
        if left > .zero { try await Task.sleep(for: left) }
    }
}

/// A clock that jumps instead of waiting: `sleep(until:)` moves time forward to the deadline and
/// returns at once.
///
/// Concurrent sleepers share one timeline (time only moves forward), so a test
/// can check what *would* have been waited without waiting.
public final class VirtualClock: WireClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: WireInstant

    /// Starts at `start` seconds since the epoch.
    public init(start: Double = 1_800_000_000) { current = WireInstant(secondsSinceEpoch: start) }

    /// Current virtual time.
    public var now: WireInstant { lock.withLock { current } }

    /// Jumps to `deadline` if it is later than now.
    public func sleep(until deadline: WireInstant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        lock.withLock { current = max(current, deadline) }
        await Task.yield()
    }

    /// Moves time forward by `duration` (a test's "wait").
    public func advance(by duration: Duration) {
        lock.withLock { current = current.advanced(by: duration) }
    }
}

/// A small, fast, seedable generator (SplitMix64), so faults and jitter are reproducible.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Seeds the generator.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in `0..<1`.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// A virtual clock on which sleeps overlap, as they do in real time.
///
/// A sleeper waits until the clock reaches its deadline, and the clock moves to the earliest
/// deadline only once nothing else is happening. For tests and simulations of concurrent work
/// (latency hidden by requests in flight) without real waiting; ``VirtualClock`` instead jumps on
/// every sleep, which adds up sleeps that would overlap.
///
/// Use it inside ``run(_:)``, which drives it: after 1.5 ms of real time without any clock
/// activity, time moves to the next deadline.
public final class EventClock: WireClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: WireInstant
    private var sleepers: [(deadline: WireInstant, continuation: CheckedContinuation<Void, Never>)] = []
    private var activity = 0
    private var seen = -1

    /// Starts at `start` seconds since the epoch.
    public init(start: Double = 1_800_000_000) { current = WireInstant(secondsSinceEpoch: start) }

    /// Current virtual time.
    public var now: WireInstant {
        lock.withLock {
            activity += 1
            return current
        }
    }

    /// Waits until the clock reaches `deadline`.
    public func sleep(until deadline: WireInstant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let due = lock.withLock { () -> Bool in
            activity += 1
            return deadline <= current
        }
        if due {
            await Task.yield()
            return
        }
        await withCheckedContinuation { continuation in
            lock.withLock {
                sleepers.append((deadline, continuation))
                activity += 1
            }
        }
    }

    /// Ticks without activity before time moves: a task that is runnable but not yet running
    /// (the machine is busy) gets this many chances to reach its next sleep first.
    static let quietTicks = 3
    private var quiet = 0

    /// Moves to the earliest deadline once nothing happened for ``quietTicks`` calls.
    private func step() {
        var wake: [CheckedContinuation<Void, Never>] = []
        lock.withLock {
            if activity != seen {
                seen = activity
                quiet = 0
                return
            }
            quiet += 1
            guard quiet >= Self.quietTicks, let next = sleepers.map(\.deadline).min() else { return }
            quiet = 0
            current = max(current, next)
            wake = sleepers.filter { $0.deadline <= current }.map(\.continuation)
            sleepers.removeAll { $0.deadline <= current }
            activity += 1
            seen = activity
        }
        for continuation in wake { continuation.resume() }
    }

    /// Runs `body` while driving the clock.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let driver = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .microseconds(500))
                self.step()
            }
        }
        defer { driver.cancel() }
        return try await body()
    }
}
