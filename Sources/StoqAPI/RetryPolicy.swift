import Foundation
import HTTPTypes
import StoqWire

/// How failed calls are retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Most attempts for a call that fails with 5xx, a timeout or a connection error.
    public var maxAttempts = 5
    /// First backoff; doubles per attempt.
    public var baseDelay = Duration.milliseconds(500)
    /// Longest backoff.
    public var maxDelay = Duration.seconds(20)
    /// Longest time one call may take, retries and their backoff included (429 waits excluded):
    /// a server that accepts and never answers fails within it.
    public var maxRequestTime = Duration.seconds(35)
    /// Most 429 answers one call may wait out (each waits `Retry-After`).
    public var maxRateLimitWaits = 10
    /// Longest total wait for a plan's `ongoing_job` to clear after a 409.
    public var maxJobWait = Duration.seconds(180)
    /// How long a policy job is expected to run: after a toggle or a 409, the plan is read again
    /// only once this has passed, then every half of it, so waiting costs a few reads.
    public var expectedJobDuration = Duration.seconds(2)

    /// Defaults.
    public init() {}

    /// The backoff before attempt `attempt + 1` (attempt counts from 1): half fixed, half random,
    /// so concurrent retries spread out but always wait.
    func backoff(after attempt: Int, random: inout SeededRandom) -> Duration {
        let cap = min(maxDelay.inSeconds, baseDelay.inSeconds * Double(1 << min(attempt - 1, 20)))
        return .seconds(cap / 2 + random.unit() * cap / 2)
    }
}

/// The time limit of one request, retries and their backoff included (429 waits, which the
/// server asks for, are not counted), on the client's clock: each attempt is given what is left
/// of it, and no retry starts that could not finish inside it.
struct RequestBound {
    /// The limit.
    let limit: Duration
    let clock: any WireClock
    /// When the request started (moved on by waits that do not count).
    private var started: WireInstant

    init(limit: Duration, clock: any WireClock) {
        self.limit = limit
        self.clock = clock
        started = clock.now
    }

    /// Time left.
    var remaining: Duration { clock.now.duration(to: started.advanced(by: limit)) }

    /// True when a retry after `delay` still has time to run.
    func allowsRetry(after delay: Duration) -> Bool { remaining - delay > .milliseconds(50) }

    /// Why a failed request is not tried again.
    var exhausted: String {
        let seconds = limit.inSeconds
        return
            "not retried: the request's time limit of \(seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)") s (--request-timeout) leaves no time"
    }

    /// Leaves `wait` (a 429's `Retry-After`, a wait for the rate budget) out of the bound.
    mutating func exclude(_ wait: Duration) { started = started.advanced(by: wait) }

    /// Sends `request` with the bound's deadline visible to the transport.
    func send(_ request: WireRequest, through transport: any Transport) async -> Result<WireResponse, TransportError> {
        let deadline = RequestDeadline(at: started.advanced(by: limit), bound: limit, clock: clock)
        return await RequestDeadline.$current.withValue(deadline) {
            do throws(TransportError) {
                return .success(try await transport.send(request))
            } catch {
                return .failure(error)
            }
        }
    }
}

/// The deadline of the request being sent, for transports that can bound an attempt by it.
public struct RequestDeadline: Sendable {
    /// When the request's time is up, on ``clock``.
    public var at: WireInstant
    /// The whole limit (for messages).
    public var bound: Duration
    /// The clock the request is timed on (the client's).
    public var clock: any WireClock

    /// Time left until ``at``.
    public var remaining: Duration { clock.now.duration(to: at) }

    /// The deadline of the request the current task sends, if it has one.
    @TaskLocal public static var current: RequestDeadline?
}

extension WireResponse {
    /// The wait a 429 asks for (`Retry-After` in seconds, white space trimmed), kept within 0…60 s:
    /// both STOQ's window and Shopify's bucket refill within a minute, so a larger value is wrong.
    var retryAfter: Duration? {
        header(.retryAfter).flatMap { Double($0.trimmingWhitespace) }.map { .seconds(min(max($0, 0), 60)) }
    }
}
