import StoqWire

/// Faults the emulator injects, reproducibly from a seed.
///
/// Spec syntax (comma-separated, any subset): `latency=50ms`, `jitter=10ms`, `5xx=0.05`,
/// `drop=0.02` (connection dropped before the request is handled), `lost=0.02` (handled, then the
/// response is lost: the client cannot know a write happened), `429=0.01` (starts a burst of
/// `burst=3` rate-limit responses), `malformed=0.01` (a truncated JSON body on reads),
/// `slow=0.01` (one response takes `slowness=5s`), `outage=add_variant` (every request whose path
/// contains the text gets a 503: one endpoint down, deterministically), `jobfail=0.05` (a finishing
/// policy job leaves each of its variants unchanged with this probability). Example:
/// `latency=50ms,jitter=10ms,5xx=0.05,drop=0.02`.
public struct FaultSpec: Sendable, Equatable {
    /// Base latency per request, seconds.
    public var latency: Double = 0
    /// Uniform jitter added to the latency, ± seconds.
    public var jitter: Double = 0
    /// Probability of a 500/502/503 response.
    public var serverError: Double = 0
    /// Probability the connection drops before handling.
    public var drop: Double = 0
    /// Probability the response is lost after handling.
    public var lost: Double = 0
    /// Probability a 429 burst starts.
    public var rateLimitBurst: Double = 0
    /// Length of a 429 burst.
    public var burstLength: Int = 3
    /// Probability of a malformed body on a read.
    public var malformed: Double = 0
    /// Probability of a slow response.
    public var slow: Double = 0
    /// Extra seconds of a slow response.
    public var slowness: Double = 5
    /// Requests whose path contains this text always get a 503 (nil: none).
    public var outage: String?
    /// Probability that a policy job leaves one of its variants unchanged (STOQ's jobs swallow
    /// per-variant failures).
    public var jobFailure: Double = 0

    /// No faults.
    public init() {}

    /// Why a spec was refused.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// Message naming the bad part.
        public var description: String
    }

    /// Parses a spec such as `latency=50ms,5xx=0.05`.
    public init(parsing spec: String) throws(ParseError) {
        for part in spec.split(separator: ",") where !part.isEmpty {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw ParseError(description: "`\(part)` is not key=value") }
            let key = String(kv[0]).trimming(" ")
            let raw = String(kv[1]).trimming(" ")
            func duration() throws(ParseError) -> Double {
                guard let v = FaultSpec.seconds(raw) else { throw ParseError(description: "`\(raw)` is not a duration like 50ms or 2s") }
                return v
            }
            func probability() throws(ParseError) -> Double {
                guard let v = Double(raw), v >= 0, v <= 1 else {
                    throw ParseError(description: "`\(key)` needs a probability between 0 and 1")
                }
                return v
            }
            switch key {
            case "latency": latency = try duration()
            case "jitter": jitter = try duration()
            case "slowness": slowness = try duration()
            case "5xx": serverError = try probability()
            case "drop": drop = try probability()
            case "lost": lost = try probability()
            case "429": rateLimitBurst = try probability()
            case "malformed": malformed = try probability()
            case "jobfail": jobFailure = try probability()
            case "slow": slow = try probability()
            case "outage":
                guard !raw.isEmpty else { throw ParseError(description: "`outage` needs part of a path, e.g. outage=add_variant") }
                outage = raw
            case "burst":
                guard let n = Int(raw), n >= 1 else { throw ParseError(description: "`burst` needs a whole number ≥ 1") }
                burstLength = n
            default:
                throw ParseError(
                    description:
                        "unknown fault `\(key)` (known: latency, jitter, 5xx, drop, lost, 429, burst, malformed, slow, slowness, outage, jobfail)"
                )
            }
        }
    }

    /// `50ms`, `2s`, `1.5s`, `0` → seconds.
    public static func seconds(_ text: String) -> Double? {
        if text.hasSuffix("ms"), let v = Double(text.dropLast(2)), v >= 0 { return v / 1000 }
        if text.hasSuffix("s"), let v = Double(text.dropLast()), v >= 0 { return v }
        if let v = Double(text), v >= 0 { return v }
        return nil
    }
}

extension String {
    func trimming(_ set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
