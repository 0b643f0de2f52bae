import StoqWire

/// A failed STOQ call: what was called, what came back, and a message fit for a person.
public struct StoqError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// STOQ answered with this status.
        case http(status: Int)
        /// No response (timeout, connection).
        case transport(TransportError)
        /// A 2xx response whose body could not be understood.
        case decoding
    }

    /// What went wrong.
    public var kind: Kind
    /// The endpoint, with the id as a placeholder: `PUT /preorders/{id}`.
    public var endpoint: String
    /// The message from STOQ's error body, or a description of the failure.
    public var message: String
    /// How many attempts were made.
    public var attempts: Int
    /// The error body, when it was JSON.
    public var body: JSONValue?

    /// Creates an error.
    public init(kind: Kind, endpoint: String, message: String, attempts: Int = 1, body: JSONValue? = nil) {
        self.kind = kind
        self.endpoint = endpoint
        self.message = message
        self.attempts = attempts
        self.body = body
    }

    /// An error for a non-2xx response.
    static func http(_ response: WireResponse, endpoint: String, attempts: Int) -> StoqError {
        StoqError(
            kind: .http(status: response.status.code), endpoint: endpoint, message: message(from: response.body), attempts: attempts,
            body: try? JSONValue.parse(response.body))
    }

    /// The HTTP status, if STOQ answered.
    public var status: Int? {
        if case .http(let s) = kind { return s }
        return nil
    }

    /// `PUT /preorders/{id}: HTTP 422: name can't be blank`.
    public var description: String {
        let what: String
        switch kind {
        case .http(let status): what = "HTTP \(status)"
        case .transport(let t): what = t.description
        case .decoding: what = "unreadable response"
        }
        let tries = attempts > 1 ? " (after \(attempts) attempts)" : ""
        return "\(endpoint): \(what)\(message.isEmpty ? "" : ": \(message)")\(tries)"
    }

    /// Reads STOQ's error bodies leniently: `error`, `errors` (list or map of field → messages),
    /// `message`; otherwise the raw text (an HTML page's text) on one line, shortened
    /// (``ServerText``).
    public static func message(from body: [UInt8]) -> String {
        guard let json = try? JSONValue.parse(body) else { return ServerText.oneLine(String(decoding: body, as: UTF8.self)) }
        var parts: [String] = []
        switch json["errors"] {
        case .array(let items)?:
            parts += items.map { $0.stringValue ?? $0.renderCompact() }
        case .object(let members)?:
            for (field, value) in members {
                let messages =
                    value.arrayValue?.map { $0.stringValue ?? $0.renderCompact() } ?? [value.stringValue ?? value.renderCompact()]
                parts += messages.map { "\(field) \($0)" }
            }
        case .string(let s)?:
            parts.append(s)
        default: break
        }
        if let e = json["error"]?.stringValue { parts.append(e) }
        if let m = json["message"]?.stringValue, !parts.contains(m) { parts.append(m) }
        if parts.isEmpty {
            let text = json.renderCompact()
            return text.count > 300 ? String(text.prefix(300)) + "…" : text
        }
        return parts.joined(separator: "; ")
    }
}
