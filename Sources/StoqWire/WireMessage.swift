/// An HTTP request as the STOQ client sends it and the emulator receives it.
///
/// `path` is relative to the API base (`/preorders/…`), without the query.
public struct WireRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    public var method: String
    /// Path below the API base, e.g.
    ///
    /// `/preorders/abc`.
    public var path: String
    /// Query parameters in order (values not yet percent-encoded).
    public var query: [(String, String)]
    /// Header fields in order.
    public var headers: [(String, String)]
    /// The body bytes (empty for none).
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { WireHeaders.first(name, in: headers) }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    /// True for methods STOQ charges as reads.
    public var isRead: Bool { method == "GET" || method == "HEAD" }

    /// `path?query`, percent-encoded.
    public var target: String {
        guard !query.isEmpty else { return path }
        return path + "?" + WireHeaders.encodeQuery(query)
    }
}

/// An HTTP response.
public struct WireResponse: Sendable {
    /// Status code.
    public var status: Int
    /// Header fields in order.
    public var headers: [(String, String)]
    /// Body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { WireHeaders.first(name, in: headers) }

    /// The body as text (lossy).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Helpers for header lists and query encoding.
public enum WireHeaders {
    /// The first value of `name` in `headers`, compared case-insensitively.
    public static func first(_ name: String, in headers: [(String, String)]) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.0.lowercased() == lowered }?.1
    }

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
