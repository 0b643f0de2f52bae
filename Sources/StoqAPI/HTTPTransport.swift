import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StoqWire

/// The real transport: AsyncHTTPClient with a connect timeout and a per-request deadline.
///
/// Plain `http://` is refused except to loopback. Redirects are followed by hand (at most 5): to
/// the same scheme, host and port with the token, to anywhere else without it.
public final class HTTPTransport: Transport {
    private let client: HTTPClient
    private let base: URLComponents
    private let requestTimeout: TimeAmount

    /// The token header, which never leaves the original host.
    static let tokenHeader = "x-auth-token"

    /// Creates a transport for `baseURL` (e.g.
    ///
    /// `https://app.stoqapp.com/api/v1/external`).
    public init(baseURL: String, connectTimeout: Double = 5, requestTimeout: Double = 30) throws(TransportError) {
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(), let host = components.host,
            !host.isEmpty
        else { throw .configuration("`\(baseURL)` is not a URL") }
        switch scheme {
        case "https": break
        case "http":
            guard Self.isLoopback(host) else {
                throw .configuration("plain http:// is refused except to loopback (127.0.0.1, ::1, localhost); use https:// for \(host)")
            }
        default: throw .configuration("`\(baseURL)` must start with https://")
        }
        self.base = components
        self.requestTimeout = .milliseconds(Int64(requestTimeout * 1000))
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(connectTimeout * 1000)), read: .milliseconds(Int64(requestTimeout * 1000))))
        configuration.httpVersion = .automatic
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
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.header("Location") else {
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
            if !sameOrigin { headers.removeAll { $0.0.lowercased() == Self.tokenHeader } }
            if response.status == 303 || ((response.status == 301 || response.status == 302) && method == "POST") {
                method = "GET"
                body = []
            }
            target = next.absoluteString
        }
        throw .redirectRefused("more than 5 redirects")
    }

    private func execute(method: String, url: String, headers: [(String, String)], body: [UInt8]) async throws(TransportError)
        -> WireResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: requestTimeout)
            let collected = try await response.body.collect(upTo: 64 << 20)
            return WireResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(buffer: collected))
        } catch let error as HTTPClientError {
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout:
                throw .timeout("\(method) \(Self.redactedPath(url)): \(error)")
            default:
                throw .connection("\(method) \(Self.redactedPath(url)): \(error)")
            }
        } catch {
            throw .connection("\(method) \(Self.redactedPath(url)): \(error)")
        }
    }

    /// The URL without its query (which never holds secrets, but keeps messages short).
    static func redactedPath(_ url: String) -> String { String(url.split(separator: "?", maxSplits: 1).first ?? "") }

    /// Closes the connection pool.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
