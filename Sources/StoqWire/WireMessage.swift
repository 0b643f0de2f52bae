import HTTPTypes

/// An HTTP request as the STOQ client sends it and the emulator receives it.
///
/// `path` is relative to the API base (`/preorders/…`), without the query.
public struct WireRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    public var method: HTTPRequest.Method
    /// Path below the API base, e.g.
    ///
    /// `/preorders/abc`.
    public var path: String
    /// Query parameters in order (values not yet percent-encoded).
    public var query: [(String, String)]
    /// Header fields in order.
    public var headers: HTTPFields
    /// The body bytes (empty for none).
    public var body: [UInt8]

    /// Creates a request.
    public init(
        method: HTTPRequest.Method, path: String, query: [(String, String)] = [], headers: HTTPFields = [:], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name`.
    public func header(_ name: HTTPField.Name) -> String? { headers[name] }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    /// True for methods STOQ charges as reads.
    public var isRead: Bool { method == .get || method == .head }

    /// `path?query`, percent-encoded.
    public var target: String {
        guard !query.isEmpty else { return path }
        return path + "?" + WireHeaders.encodeQuery(query)
    }
}

/// An HTTP response.
public struct WireResponse: Sendable {
    /// Status (compare and print its `code`: its description adds the reason phrase).
    public var status: HTTPResponse.Status
    /// Header fields in order.
    public var headers: HTTPFields
    /// Body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name`.
    public func header(_ name: HTTPField.Name) -> String? { headers[name] }

    /// The body as text (lossy).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

extension HTTPField.Name {
    /// STOQ's API token.
    public static let xAuthToken = known("X-Auth-Token")
    /// Shopify's Admin API access token.
    public static let xShopifyAccessToken = known("X-Shopify-Access-Token")
    /// The Admin API version Shopify served.
    public static let xShopifyAPIVersion = known("X-Shopify-API-Version")
    /// STOQ's rate-limit budget per window.
    public static let xRateLimitLimit = known("X-RateLimit-Limit")
    /// Points left in STOQ's current window.
    public static let xRateLimitRemaining = known("X-RateLimit-Remaining")
    /// When STOQ's window resets (seconds since the epoch).
    public static let xRateLimitReset = known("X-RateLimit-Reset")

    /// A name written in this file, which is a valid field name.
    private static func known(_ name: String) -> HTTPField.Name {
        guard let valid = HTTPField.Name(name) else { preconditionFailure("`\(name)` is not an HTTP field name") }
        return valid
    }
}

/// Query encoding (header fields are `HTTPFields`).
public enum WireHeaders {
    /// Percent-encodes everything but unreserved characters and the comma (STOQ's id lists are
    /// comma-separated: `shopify_variant_ids=1,2,3`).
    public static func percentEncode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: ","):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// `a=1&b=2`: the pairs percent-encoded, as a request target carries them.
    public static func encodeQuery(_ query: [(String, String)]) -> String {
        query.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Decodes `%XX` escapes and `+` in a query component.
    public static func percentDecode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.first {
            it = it.dropFirst()
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Splits `a=1&b=2` into decoded pairs.
    public static func parseQuery(_ query: Substring) -> [(String, String)] {
        query.split(separator: "&").map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(kv[0]), kv.count > 1 ? percentDecode(kv[1]) : "")
        }
    }
}
