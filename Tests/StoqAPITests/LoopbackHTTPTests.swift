import Foundation
import HTTPTypes
import Logging
import StoqEmulator
import StoqTestSupport
import StoqWire
import Testing

@testable import StoqAPI

/// Starts the emulator's HTTP server on 127.0.0.1 with a free port for the duration of `body`.
func withServer<T: Sendable>(
    configuration: EmulatorConfiguration = EmulatorConfiguration(), state: String = "",
    _ body: @Sendable (Emulator, String) async throws -> T
) async throws -> T {
    let emulator = try Emulator(stateBytes: Array(state.utf8), configuration: configuration)
    let ready = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "test.emulator")
    logger.logLevel = .critical
    let server = Task {
        try await EmulatorServer.run(
            emulator, port: 0, logger: logger,
            onReady: { port in
                ready.continuation.yield(port)
                ready.continuation.finish()
            })
    }
    defer { server.cancel() }
    var iterator = ready.stream.makeAsyncIterator()
    let port = try #require(await iterator.next())
    return try await body(emulator, "http://127.0.0.1:\(port)/api/v1/external")
}

@Suite("Client and emulator over real HTTP on loopback", .serialized)
struct LoopbackHTTPTests {
    @Test("every kind of call works over HTTP, with rate-limit headers")
    func overHTTP() async throws {
        try await withServer { emulator, base in
            let transport = try HTTPTransport(baseURL: base, connectTimeout: .seconds(2), requestTimeout: .seconds(10))
            defer { Task { await transport.shutdown() } }
            let client = StoqClient(transport: transport, token: try #require(APIToken("t")), governor: RateGovernor())
            let created = try await client.create(internalName: "fall", fields: [("name", .string("Fall — Drop"))])
            let id = try #require(created.plan["id"]?.stringValue)
            #expect(try await client.get(id: id)["name"] == .string("Fall — Drop"))
            _ = try await client.update(id: id, fields: [("billing_checkout_charge_amount", .null), ("enabled", .bool(false))])
            #expect(try await client.addVariants(planID: id, ids: [1, 2]).added == [1, 2])
            _ = try await client.removeVariants(planID: id, ids: [2], inventoryPolicy: .deny)
            #expect(try await client.productVariants(planID: id).count == 1)
            #expect(try await client.listAll().items.count == 1)
            try await client.delete(id: id)
            let raw = try await transport.send(WireRequest(method: .get, path: "/preorders", headers: [.xAuthToken: "t"]))
            #expect(raw.header(.xRateLimitLimit) == "360")
            #expect(raw.header(.xRateLimitRemaining).flatMap(Int.init).map { $0 < 360 } == true)
            #expect(await emulator.requestLog.count >= 9)
        }
    }

    @Test("flooding over HTTP gets a 429 with Retry-After")
    func floodOverHTTP() async throws {
        var configuration = EmulatorConfiguration()
        configuration.rateLimitPoints = 5
        try await withServer(configuration: configuration) { _, base in
            let transport = try HTTPTransport(baseURL: base)
            defer { Task { await transport.shutdown() } }
            var last = WireResponse(status: 0)
            for _ in 0..<6 {
                last = try await transport.send(WireRequest(method: .get, path: "/preorders", headers: [.xAuthToken: "t"]))
            }
            #expect(last.status == 429)
            #expect(last.header(.retryAfter) != nil)
            #expect((try JSONValue.parse(last.body))["error"] == .string("Rate limit exceeded"))
        }
    }

    @Test("a dropped connection over HTTP is a connection error, and a retried read succeeds")
    func droppedOverHTTP() async throws {
        var configuration = EmulatorConfiguration()
        configuration.faults.drop = 0.5
        configuration.seed = 11
        try await withServer(configuration: configuration) { emulator, base in
            let transport = try HTTPTransport(baseURL: base, connectTimeout: .seconds(2), requestTimeout: .seconds(5))
            defer { Task { await transport.shutdown() } }
            var retry = RetryPolicy()
            retry.baseDelay = .milliseconds(10)
            retry.maxAttempts = 10
            let client = StoqClient(transport: transport, token: try #require(APIToken("t")), governor: RateGovernor(), retry: retry)
            for _ in 0..<5 { _ = try await client.listPage(page: 1, perPage: 10) }
            #expect(await emulator.requestLog.contains { $0.fault == "drop" })
        }
    }

    @Test("plain http is refused except to loopback; nothing listening fails fast with the connect timeout")
    func transportSafety() async throws {
        #expect(throws: TransportError.self) { try HTTPTransport(baseURL: "http://app.stoqapp.com/api/v1/external") }
        #expect(throws: TransportError.self) { try HTTPTransport(baseURL: "ftp://app.stoqapp.com") }
        #expect(throws: TransportError.self) { try HTTPTransport(baseURL: "not a url") }
        for ok in ["https://app.stoqapp.com/api/v1/external", "http://127.0.0.1:9/x", "http://localhost:9", "http://[::1]:9"] {
            let t = try HTTPTransport(baseURL: ok)
            await t.shutdown()
        }
        let t = try HTTPTransport(baseURL: "http://127.0.0.1:9/api/v1/external", connectTimeout: .seconds(1), requestTimeout: .seconds(30))
        defer { Task { await t.shutdown() } }
        await #expect(throws: TransportError.self) { try await t.send(WireRequest(method: .get, path: "/preorders")) }
    }
}

@Suite("The token never reaches output, logs or files", .serialized)
struct CanaryTokenTests {
    @Test func canary() async throws {
        let canary = "canary-9f8e7d6c5b4a-SECRET"
        let captured = CapturedLog()
        let logger: Logger = {
            var l = Logger(label: "canary") { _ in captured }
            l.logLevel = .trace
            return l
        }()
        try await withServer { emulator, base in
            let transport = try HTTPTransport(baseURL: base)
            defer { Task { await transport.shutdown() } }
            let token = try #require(APIToken(canary))
            var retry = RetryPolicy()
            retry.maxAttempts = 1
            let client = StoqClient(transport: transport, token: token, governor: RateGovernor(), retry: retry, logger: logger)
            let created = try await client.create(internalName: "c", fields: [])
            let id = try #require(created.plan["id"]?.stringValue)
            _ = try await client.update(id: id, fields: [("name", .string("x"))])
            var errors: [String] = []
            do { _ = try await client.get(id: "missing") } catch { errors.append("\(error)"); errors.append(String(reflecting: error)) }
            do { _ = try await client.update(id: id, fields: [("billing_type", .string("bad"))]) } catch { errors.append("\(error)") }
            let outputs = [
                captured.text, errors.joined(separator: "\n"), await emulator.stateJSON(),
                (await emulator.requestLog).map(\.description).joined(separator: "\n"),
                "\(token)", String(reflecting: token),
                {
                    var s = ""; dump(token, to: &s); return s
                }(),
                String(describing: client),
            ]
            #expect(!captured.text.isEmpty, "debug logging was on")
            for (i, text) in outputs.enumerated() {
                #expect(!text.contains(canary), "output \(i) leaks the token")
            }
            #expect(String(describing: token) == "<redacted>")
        }
    }
}

@Suite("Header values never reach the HTTP stack's error sentences")
struct RefusedHeaderTests {
    @Test("a header the HTTP stack refuses is described without its value")
    func refusedHeader() {
        let error = HTTPTransport.withoutHeaderValues(
            .connection(#"invalidHeaderFieldValues(["canary-SECRET"])"#), headers: [.xAuthToken: "canary-SECRET"])
        #expect(error.description == "a request header holds characters HTTP does not allow (its value is not shown)")
    }

    @Test("a secret header's value quoted by the stack is redacted; plain headers' values stay")
    func quotedValue() {
        let error = HTTPTransport.withoutHeaderValues(
            .connection("request with canary-SECRET as application/json failed"),
            headers: [.xAuthToken: "canary-SECRET", .contentType: "application/json"])
        #expect(error.description == "request with <redacted> as application/json failed")
    }
}

@Suite("Fetching the example shop")
struct FetchExampleTests {
    @Test("one list page plus one read per managed plan; unmanaged plans counted, not read")
    func fetchExample() async throws {
        let state = String(decoding: try fixture("examples/shop/remote-state.json"), as: UTF8.self)
        let h = try Harness(state: state)
        let names: Set<String> = [
            "fall-drop-2026", "holiday-gift-sets", "holiday-deposit", "always-on-backorder", "new-arrivals-collection", "spring-2026",
        ]
        let result = try await Fetcher(client: h.client).fetch(internalNames: names, ids: ["9b2f4c1e-4a57-4d0c-9a51-2f0c1d7e8a10"])
        #expect(result.listRequests == 1)
        #expect(result.planRequests == 4)
        #expect(result.state.listed.count == 6)
        #expect(result.state.unmanagedCount == 2)
        #expect(result.state.managed.map(\.internalName) == ["fall-drop-2026", "holiday-gift-sets", "always-on-backorder", "new-arrivals"])
        let log = await h.emulator.requestLog
        #expect(log.first?.target == "/preorders?page=1&per_page=250")
        #expect(Set(log.dropFirst().map(\.target)) == Set(result.state.managed.map { "/preorders/\($0.id)" }))
        #expect(log.count == 5)
        #expect(result.problems.isEmpty)
    }
}

@Suite("Redirects over real sockets: credentials stay with their origin")
struct RedirectTests {
    @Test("a redirect to another origin carries no credential header; one to the same origin keeps the token")
    func credentialsStayHome() async throws {
        let elsewhere = try FakeHTTPServer { _ in .init(200, "{}") }
        defer { elsewhere.close() }
        let home = try FakeHTTPServer { request in
            request.target.hasPrefix("/api/away")
                ? .init(302, "{}", headers: [("Location", "http://127.0.0.1:\(elsewhere.port)/landed")])
                : request.target.hasPrefix("/api/near") ? .init(307, "{}", headers: [("Location", "/api/here")]) : .init(200, "{}")
        }
        defer { home.close() }
        let transport = try HTTPTransport(baseURL: "http://127.0.0.1:\(home.port)/api", requestTimeout: .seconds(10))
        defer { Task { await transport.shutdown() } }
        let credentials: HTTPFields = [
            .xAuthToken: "stoq-secret", .xShopifyAccessToken: "shopify-secret", .authorization: "Bearer b", .cookie: "c=1",
        ]
        _ = try await transport.send(WireRequest(method: .get, path: "/away", headers: credentials))
        let landed = try #require(elsewhere.requests.first)
        #expect(landed.target == "/landed")
        for name in ["x-auth-token", "x-shopify-access-token", "authorization", "cookie"] {
            #expect(landed.headers[name] == nil, "\(name) followed the redirect to another origin")
        }
        _ = try await transport.send(WireRequest(method: .get, path: "/near", headers: credentials))
        let here = try #require(home.requests.last)
        #expect(here.target == "/api/here")
        #expect(here.headers["x-auth-token"] == "stoq-secret", "the same origin keeps the token")
    }
}

@Suite("Requests in flight over HTTP/1.1 follow the transport's connection limit")
struct ConnectionLimitTests {
    /// The most requests a slow server held at once when `requests` were sent together through a
    /// transport allowed `connections`.
    func peak(connections: Int, requests: Int) async throws -> Int {
        let gauge = InFlight()
        let server = try FakeHTTPServer { _ in
            gauge.enter()
            Thread.sleep(forTimeInterval: 0.3)
            gauge.leave()
            return .init(200, "{}")
        }
        defer { server.close() }
        let transport = try HTTPTransport(
            baseURL: "http://127.0.0.1:\(server.port)/api", requestTimeout: .seconds(30), maxConnections: connections)
        defer { Task { await transport.shutdown() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<requests { group.addTask { _ = try await transport.send(WireRequest(method: .get, path: "/preorders")) } }
            try await group.waitForAll()
        }
        return gauge.peak
    }

    @Test("--concurrency 16 puts 16 requests in flight at the server; the default keeps 8")
    func followsConcurrency() async throws {
        #expect(try await peak(connections: 16, requests: 16) == 16)
        #expect(try await peak(connections: 8, requests: 16) == 8)
    }
}

/// Counts requests a server is holding, and the most at once.
final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0
    private var most = 0

    func enter() {
        lock.withLock {
            now += 1
            most = max(most, now)
        }
    }

    func leave() { lock.withLock { now -= 1 } }

    var peak: Int { lock.withLock { most } }
}
