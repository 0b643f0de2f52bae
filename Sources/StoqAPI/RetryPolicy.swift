import Foundation
import StoqWire

/// How failed calls are retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Most attempts for a call that fails with 5xx, a timeout or a connection error.
    public var maxAttempts = 5
    /// First backoff, seconds; doubles per attempt.
    public var baseDelay = 0.5
    /// Longest backoff, seconds.
    public var maxDelay = 20.0
    /// Longest time one call may take, seconds, retries and their backoff included (429 waits
    /// excluded): a server that accepts and never answers fails within it.
    public var maxRequestSeconds = 35.0
    /// Most 429 answers one call may wait out (each waits `Retry-After`).
    public var maxRateLimitWaits = 10
    /// Longest total wait for a plan's `ongoing_job` to clear after a 409, seconds.
    public var maxJobWait = 180.0
    /// How long a policy job is expected to run, seconds: after a toggle or a 409, the plan is read
    /// again only once this has passed, then every half of it, so waiting costs a few reads.
    public var expectedJobSeconds = 2.0

    /// Defaults.
    public init() {}

    /// The backoff before attempt `attempt + 1` (attempt counts from 1): half fixed, half random,
    /// so concurrent retries spread out but always wait.
    func backoff(after attempt: Int, random: inout SeededRandom) -> Double {
        let cap = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 20)))
        return cap / 2 + random.unit() * cap / 2
    }
}

/// The wall-clock bound on one request, retries and their backoff included (429 waits, which the
/// server asks for, are not counted): each attempt is given what is left of it, and no retry
/// starts that could not finish inside it.
struct RequestBound {
    /// The bound, seconds.
    let seconds: Double
    /// When the request started, seconds since the epoch (moved on by waits that do not count).
    private var started = Date().timeIntervalSince1970

    init(seconds: Double) { self.seconds = seconds }

    /// Seconds left.
    var remaining: Double { started + seconds - Date().timeIntervalSince1970 }

    /// True when a retry after `delay` seconds still has time to run.
    func allowsRetry(after delay: Double) -> Bool { remaining - delay > 0.05 }

    /// Why a failed request is not tried again.
    var exhausted: String {
        "not retried: the request's time limit of \(seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)") s (--request-timeout) leaves no time"
    }

    /// Leaves `wait` (a 429's `Retry-After`, a wait for the rate budget) out of the bound.
    mutating func exclude(_ wait: Double) { started += wait }

    /// Sends `request` with the bound's deadline visible to the transport.
    func send(_ request: WireRequest, through transport: any Transport) async -> Result<WireResponse, TransportError> {
        await RequestDeadline.$current.withValue(RequestDeadline(at: started + seconds, bound: seconds)) {
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
    /// Seconds since the epoch.
    public var at: Double
    /// The whole bound, seconds (for messages).
    public var bound: Double

    /// The deadline of the request the current task sends, if it has one.
    @TaskLocal public static var current: RequestDeadline?
}

extension WireResponse {
    /// The seconds a 429 asks to wait (`Retry-After`, white space trimmed), kept within 0…60 s:
    /// both STOQ's window and Shopify's bucket refill within a minute, so a larger value is wrong.
    var retryAfter: Double? {
        header("Retry-After").flatMap { Double($0.trimmingWhitespace) }.map { min(max($0, 0), 60) }
    }
}
