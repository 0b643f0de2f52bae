import Foundation
import StoqCore

/// A held apply lock: taken by ``acquire(_:shop:timing:environment:waiting:)``, renewed in the
/// background well before its lease ends, asked before every write, and released at the end.
public actor ApplyLease: WriteLease {
    /// How long a lease lasts, how long to wait for another apply, and how often to look.
    public struct Timing: Sendable {
        /// Seconds a lease lasts without renewal: how long a killed apply's lock blocks others.
        public var lease: TimeInterval = 180
        /// Seconds to wait while another apply holds the lock (0: refuse at once).
        public var wait: TimeInterval = 300
        /// Seconds between looks while waiting.
        public var poll: TimeInterval = 2

        /// Seconds between renewals; by default a third of the lease, so two renewals can fail
        /// before it ends.
        public var renewal: TimeInterval?

        /// Seconds between renewals.
        public var renewEvery: TimeInterval { renewal ?? lease / 3 }
        /// Writing stops this long before the lease ends when no renewal succeeded, so no write
        /// is sent after another apply could have taken over.
        public var margin: TimeInterval { lease / 6 }

        /// The defaults: a lease of 180 seconds, a wait of 300.
        public init() {}
    }

    /// The lock.
    public nonisolated let lock: any ApplyLock
    /// The shop it is for.
    public nonisolated let shop: ShopIdentity
    let timing: Timing
    private var holder: LockHolder
    private var lostReason: String?
    private var released = false
    private var renewalFailed = false
    private var renewal: Task<Void, Never>?

    private init(lock: any ApplyLock, shop: ShopIdentity, timing: Timing, holder: LockHolder) {
        self.lock = lock
        self.shop = shop
        self.timing = timing
        self.holder = holder
    }

    /// Takes `lock` for `shop`, waiting up to `timing.wait` seconds while another apply holds it;
    /// `waiting` hears who holds it, each time the holder changes.
    ///
    /// Throws a failure with ``ExitStatus/locked`` when the wait ends with the lock still held,
    /// and one with status 1 when the lock cannot be read or written (git's message).
    public static func acquire(
        _ lock: any ApplyLock, shop: ShopIdentity, timing: Timing = Timing(), environment: [String: String],
        waiting: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(RunFailure) -> ApplyLease {
        let deadline = Date() + timing.wait
        var named: String?
        while true {
            let holder = LockHolder.current(lease: timing.lease, environment: environment)
            let attempt: LockAttempt
            do {
                attempt = try await lock.attempt(holder, now: Date())
            } catch {
                throw RunFailure(
                    .applyLockFailed,
                    "the apply lock of \(shop) (\(lock.description)) cannot be taken: \(error.description); nothing was sent. Give --lock file:PATH or --lock none to apply without it"
                )
            }
            switch attempt {
            case .acquired:
                let lease = ApplyLease(lock: lock, shop: shop, timing: timing, holder: holder)
                await lease.startRenewing()
                return lease
            case .raced:
                guard deadline.timeIntervalSinceNow > -timing.poll * 5 else {
                    throw RunFailure(
                        .applyLocked,
                        "the apply lock of \(shop) (\(lock.description)) kept changing while apply tried to take it; nothing was sent. Run apply again",
                        status: .locked)
                }
                try? await Task.sleep(for: .milliseconds(Int.random(in: 20...200)))
            case .held(let other):
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else {
                    throw RunFailure(
                        .applyLocked,
                        "another apply of \(shop) holds the apply lock (\(lock.description)): \(other); waited \(Int(timing.wait.rounded())) s (--lock-wait); nothing was sent. Run apply again once it finished",
                        status: .locked)
                }
                if named != other {
                    named = other
                    waiting("another apply of \(shop) holds the apply lock: \(other); waiting up to \(Int(left.rounded())) s")
                }
                try? await Task.sleep(for: .seconds(min(timing.poll, left)))
            }
        }
    }

    /// Nil while the lock is held; why writing stops once another apply took it over, or once
    /// the lease is about to end without a renewal.
    public func lost() -> String? {
        if let lostReason { return lostReason }
        if lock.leased, Date() > holder.expires - timing.margin {
            return
                "the apply lock of \(shop) could not be renewed before its lease ends (\(LockHolder.format(holder.expires))), so another apply may take it; stopped writing"
        }
        return nil
    }

    /// Stops renewing and gives the lock up; a warning when it could not be released (it then
    /// ends with its lease).
    public func release() async -> String? {
        guard !released else { return nil }
        released = true
        renewal?.cancel()
        renewal = nil
        guard lostReason == nil else { return nil }
        do {
            try await lock.release()
            return nil
        } catch {
            return
                "the apply lock of \(shop) (\(lock.description)) could not be released: \(error.description); it ends with its lease at \(LockHolder.format(holder.expires))"
        }
    }

    private func startRenewing() {
        guard lock.leased else { return }
        renewal = Task { [weak self] in
            while let self, await self.renewOnce() {}
        }
    }

    /// Waits, then renews once; false when renewing is over (released, lost, cancelled).
    private func renewOnce() async -> Bool {
        // After a failed renewal, try again sooner.
        let pause = renewalFailed ? timing.renewEvery / 4 : timing.renewEvery
        do {
            try await Task.sleep(for: .seconds(pause))
        } catch {
            return false
        }
        guard !released, lostReason == nil else { return false }
        let next = holder.renewed(lease: timing.lease)
        do {
            renewalFailed = false
            if try await lock.renew(next) {
                holder = next
            } else {
                lostReason = "another apply took over the apply lock of \(shop) (\(lock.description)); stopped writing"
                return false
            }
        } catch {
            renewalFailed = true
            if Date() > holder.expires - timing.margin {
                lostReason = "the apply lock of \(shop) could not be renewed (\(error.description)); stopped writing"
                return false
            }
        }
        return !released
    }
}
