import StoqCore
import StoqWire

/// Sends one request and returns the response: the seam between the STOQ client and the network.
///
/// Implementations: ``HTTPTransport`` (AsyncHTTPClient) and ``InProcessTransport`` (a closure, e.g.
/// the emulator's handler, with no sockets).
public protocol Transport: Sendable {
    /// Sends `request`; throws ``TransportError`` when no response arrives.
    func send(_ request: WireRequest) async throws(TransportError) -> WireResponse
    /// Releases connections; the transport is unusable afterwards.
    func shutdown() async
}

/// Why a request got no response.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection or the response took longer than allowed (the text is a sentence).
    case timeout(String)
    /// Could not connect, or the connection broke (the text is a sentence).
    case connection(String)
    /// A redirect that stoqctl will not follow.
    case redirectRefused(String)
    /// The transport is misconfigured (bad URL, plain http to a remote host).
    case configuration(String)

    /// One line for messages.
    public var description: String {
        switch self {
        case .timeout(let m): m
        case .connection(let m): m
        case .redirectRefused(let m): "redirect refused: \(m)"
        case .configuration(let m): m
        }
    }
}

/// A transport that calls a closure in-process: tests and `--endpoint emulator:FILE` use it with
/// the emulator's handler.
public struct InProcessTransport: Transport {
    private let handler: @Sendable (WireRequest) async throws(TransportError) -> WireResponse

    /// Wraps `handler`.
    public init(_ handler: @escaping @Sendable (WireRequest) async throws(TransportError) -> WireResponse) {
        self.handler = handler
    }

    /// Wraps a responder that returns nil for a dropped connection, such as the emulator's `respond`.
    public init(responder: @escaping @Sendable (WireRequest) async -> WireResponse?) {
        self.handler = { (request: WireRequest) async throws(TransportError) -> WireResponse in
            guard let response = await responder(request) else {
                throw .connection("the connection closed before an answer (reset by peer)")
            }
            return response
        }
    }

    /// Calls the handler.
    public func send(_ request: WireRequest) async throws(TransportError) -> WireResponse {
        try await handler(request)
    }

    /// Nothing to release.
    public func shutdown() async {}
}

/// The API token.
///
/// Its description is always redacted, so it cannot reach output by accident.
public struct APIToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself; read only where the header is set.
    let value: String

    /// The token sent to the built-in emulator, which accepts any.
    public static let emulator = APIToken(unchecked: "emulator")

    private init(unchecked value: String) { self.value = value }

    /// Longest token accepted, in bytes (UTF-8).
    public static let maxBytes = 4_096

    /// Why text is not a token.
    ///
    /// Never quotes the text.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// Nothing but white space.
        case empty
        /// Longer than ``APIToken/maxBytes``.
        case tooLong
        /// A control character (CR, LF, NUL, …) inside, at this 1-based character position.
        case controlCharacter(position: Int)

        /// `is empty`, `is longer than 4,096 bytes`, `holds a control character (character 12)`.
        public var description: String {
            switch self {
            case .empty: "is empty"
            case .tooLong: "is longer than \(PlanText.count(APIToken.maxBytes)) bytes"
            case .controlCharacter(let position): "holds a control character (character \(position)), which no HTTP header may carry"
            }
        }
    }

    /// Wraps `value`, surrounding white space removed; refuses an empty token, one over
    /// ``maxBytes``, and one with a control character inside.
    ///
    /// The token is registered with ``Secrets``, so no output stoqctl writes can carry it.
    public init(validating value: String) throws(Problem) {
        let trimmed = value.trimmingWhitespace
        guard !trimmed.isEmpty else { throw .empty }
        guard trimmed.utf8.count <= Self.maxBytes else { throw .tooLong }
        if let index = trimmed.unicodeScalars.firstIndex(where: { $0.properties.generalCategory == .control }) {
            throw .controlCharacter(position: trimmed.unicodeScalars.distance(from: trimmed.unicodeScalars.startIndex, to: index) + 1)
        }
        self.value = trimmed
        Secrets.register(trimmed)
    }

    /// Wraps `value` (surrounding whitespace removed); nil when ``init(validating:)`` refuses it.
    public init?(_ value: String) {
        guard let token = try? APIToken(validating: value) else { return nil }
        self = token
    }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }
    /// Always `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// Hides the value from `dump` and mirrors.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
