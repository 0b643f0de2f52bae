import Foundation

/// Time as the client's rate governor and the emulator see it: injectable, so tests never sleep.
public protocol WireClock: Sendable {
    /// Seconds since the Unix epoch.
    func now() -> Double
    /// Suspends until `deadline` (seconds since the epoch); returns at once if it has passed.
    func sleep(until deadline: Double) async throws
}

extension WireClock {
    /// Suspends for `seconds`.
    public func sleep(for seconds: Double) async throws {
        try await sleep(until: now() + max(0, seconds))
    }
}

/// The real clock.
public struct SystemClock: WireClock {
    /// Creates the system clock.
    public init() {}

    /// Wall-clock seconds since the epoch.
    public func now() -> Double { Date().timeIntervalSince1970 }

    /// Sleeps with `Task.sleep`.
    public func sleep(until deadline: Double) async throws {
        let seconds = deadline - now()
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
    }
}

/// A clock that jumps instead of waiting: `sleep(until:)` moves time forward to the deadline and
/// returns at once.
///
/// Concurrent sleepers share one timeline (time only moves forward), so a test
/// can check what *would* have been waited without waiting.
public final class VirtualClock: WireClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double
    private var slept: Double = 0

    /// Starts at `start` seconds since the epoch.
    public init(start: Double = 1_800_000_000) { current = start }

    /// Current virtual time.
    public func now() -> Double { lock.withLock { current } }

    /// Total virtual seconds that sleeps moved the clock forward.
    public var totalSlept: Double { lock.withLock { slept } }

    /// Jumps to `deadline` if it is later than now.
    public func sleep(until deadline: Double) async throws {
        try Task.checkCancellation()
        lock.withLock {
            if deadline > current {
                slept += deadline - current
                current = deadline
            }
        }
        await Task.yield()
    }

    /// Moves time forward by `seconds` (a test's "wait").
    public func advance(by seconds: Double) {
        lock.withLock { current += seconds }
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
    private var current: Double
    private var sleepers: [(deadline: Double, continuation: CheckedContinuation<Void, Never>)] = []
    private var activity = 0
    private var seen = -1

    /// Starts at `start` seconds since the epoch.
    public init(start: Double = 1_800_000_000) { current = start }

    /// Current virtual time.
    public func now() -> Double {
        lock.withLock {
            activity += 1
            return current
        }
    }

    /// Waits until the clock reaches `deadline`.
    public func sleep(until deadline: Double) async throws {
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
                try? await Task.sleep(nanoseconds: 500_000)
                self.step()
            }
        }
        defer { driver.cancel() }
        return try await body()
    }
}
