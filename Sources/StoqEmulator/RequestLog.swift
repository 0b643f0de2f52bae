/// One request the emulator saw, for tests and for `--log`.
public struct LoggedRequest: Sendable, Equatable, CustomStringConvertible {
    /// HTTP method.
    public var method: String
    /// Path and query as received.
    public var target: String
    /// Status sent, or nil when the connection was dropped before a response.
    public var status: Int?
    /// Rate-limit points charged.
    public var cost: Int
    /// Emulator clock time when it arrived.
    public var time: Double
    /// The fault injected, if any (`5xx`, `drop`, `lost`, `429-burst`, `malformed`, `slow`).
    public var fault: String?
    /// True when the request changed state (a successful write).
    public var mutated: Bool
    /// True for a request to the Shopify Admin API (its cost is Shopify's, not STOQ's).
    public var shopify = false
    /// Shopify points charged (`actualQueryCost`; 0 for a refused query and for STOQ's requests).
    public var shopifyPoints = 0
    /// True for a Shopify query refused as `THROTTLED` (the bucket lacked its requested cost, or a
    /// fault forced it).
    public var throttled = false
    /// The body bytes as received.
    public var body: [UInt8] = []

    /// `POST /preorders → 200`.
    public var description: String {
        "\(method) \(target) → \(status.map(String.init) ?? "dropped")\(fault.map { " [\($0)]" } ?? "")"
    }
}
