import StoqWire

/// How failed calls are retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Most attempts for a call that fails with 5xx, a timeout or a connection error.
    public var maxAttempts = 5
    /// First backoff, seconds; doubles per attempt.
    public var baseDelay = 0.5
    /// Longest backoff, seconds.
    public var maxDelay = 20.0
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
