import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix
import StoqWire

/// The real transport: AsyncHTTPClient with a connect timeout, an idle timeout (no bytes from the
/// server for that long ends the attempt) and a per-request deadline (the request's
/// ``RequestDeadline`` when it has one, so retries together stay within it).
///
/// Plain `http://` is refused except to loopback. Redirects are followed by hand (at most 5): to
/// the same scheme, host and port with the token, to anywhere else without any credential header
/// (STOQ's and Shopify's tokens, `Authorization`, `Cookie`).
public final class HTTPTransport: Transport {
    private let client: HTTPClient
    private let base: URLComponents
    private let connectTimeout: Duration
    private let idleTimeout: Duration
    private let requestTimeout: Duration

    /// Every header that carries a credential: dropped on a redirect to another origin.
    static let credentialHeaders: [HTTPField.Name] = [.xAuthToken, .xShopifyAccessToken, .authorization, .cookie]

    /// Creates a transport for `baseURL` (e.g.
    ///
    /// `https://app.stoqapp.com/api/v1/external`) that keeps up to `maxConnections` connections to
    /// the host, so as many requests can be in flight as the rate governor lets go
    /// (`--concurrency`); HTTP/2 carries them on one connection.
    public init(
        baseURL: String, connectTimeout: Duration = .seconds(5), idleTimeout: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(35), maxConnections: Int = 8
    ) throws(TransportError) {
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(), let host = components.host,
            !host.isEmpty
        else { throw .configuration("`\(Redact.url(baseURL))` is not a URL") }
        switch scheme {
        case "https": break
        case "http":
            guard Self.isLoopback(host) else {
                throw .configuration("plain http:// is refused except to loopback (127.0.0.1, ::1, localhost); use https:// for \(host)")
            }
        default: throw .configuration("`\(Redact.url(baseURL))` must start with https://")
        }
        self.base = components
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: Self.timeAmount(connectTimeout), read: Self.timeAmount(idleTimeout)))
        configuration.httpVersion = .automatic
        // A connection that cannot be made fails at once and is retried by StoqClient, which says
        // what it waits for; the pool's own silent retries would hold each attempt until the
        // connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maxConnections)
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// True for 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    private func url(for request: WireRequest) -> String {
        var basePath = base.path
        while basePath.hasSuffix("/") { basePath.removeLast() }
        var c = base
        c.path = ""
        c.query = nil
        c.fragment = nil
        return (c.string ?? "") + basePath + request.target
    }

    /// Sends the request, following redirects as described on the type.
    public func send(_ request: WireRequest) async throws(TransportError) -> WireResponse {
        var target = url(for: request)
        var headers = request.headers
        var method = request.method
        var body = request.body
        for _ in 0..<6 {
            let response = try await execute(method: method, url: target, headers: headers, body: body)
            guard [301, 302, 303, 307, 308].contains(response.status.code), let location = response.header(.location) else {
                return response
            }
            guard let next = URL(string: location, relativeTo: URL(string: target))?.absoluteURL,
                let nextScheme = next.scheme?.lowercased()
            else { throw .redirectRefused("unreadable Location `\(location)`") }
            if nextScheme == "http", !Self.isLoopback(next.host ?? "") {
                throw .redirectRefused("to plain http://\(next.host ?? "")")
            }
            let original = URL(string: target)
            let sameOrigin =
                next.host?.lowercased() == original?.host?.lowercased() && next.port == original?.port
                && nextScheme == original?.scheme?.lowercased()
            if !sameOrigin { for name in Self.credentialHeaders { headers[name] = nil } }
            if response.status == .seeOther || ((response.status == .movedPermanently || response.status == .found) && method == .post) {
                method = .get
                body = []
            }
            target = next.absoluteString
        }
        throw .redirectRefused("more than 5 redirects")
    }

    private func execute(method: HTTPRequest.Method, url: String, headers: HTTPFields, body: [UInt8]) async throws(TransportError)
        -> WireResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let deadline = RequestDeadline.current
        let left = deadline?.remaining ?? requestTimeout
        let place = Self.place(url)
        guard left > .zero else {
            throw .timeout("no response from \(place) within \(Self.seconds(deadline?.bound ?? requestTimeout))")
        }
        do {
            let response = try await client.execute(request, timeout: Self.timeAmount(min(left, requestTimeout)))
            let collected = try await response.body.collect(upTo: 64 << 20)
            return WireResponse(
                status: HTTPResponse.Status(code: Int(response.status.code)),
                headers: HTTPFields(
                    response.headers.compactMap { h in HTTPField.Name(h.name).map { HTTPField(name: $0, value: h.value) } }),
                body: Array(buffer: collected))
        } catch {
            let sentence = Self.sentence(
                for: error, url: url, connectTimeout: connectTimeout, idleTimeout: idleTimeout,
                requestTimeout: deadline?.bound ?? requestTimeout)
            throw Self.withoutHeaderValues(sentence, headers: headers)
        }
    }

    /// Headers whose values say nothing secret.
    static let plainHeaders: Set<HTTPField.Name> = [.accept, .contentType, .contentLength, .userAgent]

    /// `error` with every value of a header that may hold a secret (a token) replaced by
    /// `<redacted>`, and a refused header described without its values: the HTTP stack quotes
    /// them (`invalidHeaderFieldValues([…])`).
    static func withoutHeaderValues(_ error: TransportError, headers: HTTPFields) -> TransportError {
        guard case .connection(var text) = error else { return error }
        if text.contains("invalidHeaderField") {
            return .connection("a request header holds characters HTTP does not allow (its value is not shown)")
        }
        // A value too short to be a real secret would only mangle the sentence.
        for field in headers where !plainHeaders.contains(field.name) && field.value.count >= 6 {
            text = text.replacingOccurrences(of: field.value, with: "<redacted>")
        }
        return .connection(text)
    }

    /// A failure of the HTTP stack as a sentence a person can act on ("cannot connect to
    /// 127.0.0.1:8080: connection refused"), with any URL in it redacted.
    static func sentence(
        for error: any Error, url: String, connectTimeout: Duration, idleTimeout: Duration = .seconds(30), requestTimeout: Duration
    ) -> TransportError {
        let host = URLComponents(string: url)?.host ?? "the server"
        let place = Self.place(url)
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout:
                return .timeout("timed out connecting to \(place) after \(seconds(connectTimeout))")
            case .readTimeout:
                return .timeout("no response from \(place): nothing received for \(seconds(idleTimeout))")
            case .deadlineExceeded, .writeTimeout:
                return .timeout("no response from \(place) within \(seconds(requestTimeout))")
            case .remoteConnectionClosed:
                return .connection("\(place) closed the connection before answering")
            case .cancelled:
                return .connection("the request to \(place) was cancelled")
            default:
                return .connection("request to \(place) failed: \(Redact.urls(in: String(describing: e)))")
            }
        }
        if let e = error as? NIOConnectionError {
            if e.dnsAError != nil || e.dnsAAAAError != nil { return .connection("cannot resolve the host name \(host)") }
            if let first = e.connectionErrors.first?.error {
                return sentence(
                    for: first, url: url, connectTimeout: connectTimeout, idleTimeout: idleTimeout, requestTimeout: requestTimeout)
            }
            return .connection("cannot connect to \(place)")
        }
        if let e = error as? IOError { return .connection("cannot connect to \(place): \(Self.reason(errno: e.errnoCode))") }
        if let e = error as? ChannelError {
            switch e {
            case .connectTimeout: return .timeout("timed out connecting to \(place) after \(seconds(connectTimeout))")
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed:
                return .connection("\(place) closed the connection before answering")
            default: return .connection("connection to \(place) failed: \(e)")
            }
        }
        let text = Redact.urls(in: String(describing: error))
        if text.lowercased().contains("ssl") || text.lowercased().contains("tls") || text.lowercased().contains("certificate") {
            return .connection("the TLS handshake with \(place) failed: \(text)")
        }
        return .connection("connection to \(place) failed: \(text)")
    }

    /// `host:port` of `url`.
    static func place(_ url: String) -> String {
        let parts = URLComponents(string: url)
        let port = parts?.port ?? (parts?.scheme?.lowercased() == "http" ? 80 : 443)
        return "\(parts?.host ?? "the server"):\(port)"
    }

    /// `30 s`, `2.5 s`.
    static func seconds(_ duration: Duration) -> String {
        let s = duration.inSeconds
        return s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }

    /// `duration` in whole milliseconds, as the HTTP client takes it.
    static func timeAmount(_ duration: Duration) -> TimeAmount { .milliseconds(Int64(duration.inSeconds * 1000)) }

    /// `connection refused` for ECONNREFUSED: strerror's text, lower-cased.
    static func reason(errno code: CInt) -> String {
        guard let c = strerror(code) else { return "error \(code)" }
        let text = String(cString: c)
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// Closes the connection pool.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
