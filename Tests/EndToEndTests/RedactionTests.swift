import Foundation
import StoqTestSupport
import Testing

/// A server that echoes the token it was sent, and quotes a URL with credentials in its error text:
/// whatever it says, the token reaches no output and the URL's credentials no diagnostic.
@Suite("Secrets reach no output path: a server that echoes the token, on every stream and file", .serialized)
struct RedactionTests {
    static let token = "canary+TOKEN/5f3a=9e1c77"
    static let credentialURL = "https://admin:canary-pw@db.internal/x?key=canary-q"

    /// STOQ's shapes, with the token in a plan's name, in a 500 on the first read of the list
    /// (a retry, logged) and in a 422 to every write.
    static func answer(_ request: FakeHTTPServer.Request, first: Bool) -> FakeHTTPServer.Answer {
        let echoed = request.headers["x-auth-token"] ?? "none"
        let refusal = "{\"error\": \"token \(echoed) may not do this; see \(credentialURL)\"}"
        func fixture(_ name: String) -> String {
            let url = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/api/\(name).json")
            return String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self)
                .replacingOccurrences(of: "Fall Drop — Preorder", with: "Fall Drop \(echoed)")
        }
        guard request.method == "GET" else { return .init(422, refusal) }
        let path = request.target.split(separator: "?").first.map(String.init) ?? ""
        if path == "/api/preorders" { return first ? .init(500, refusal) : .init(200, fixture("list-selling-plans")) }
        if path.hasSuffix("/product_variants") { return .init(200, fixture("product-variants")) }
        return .init(200, fixture("get-selling-plan"))
    }

    func server() throws -> FakeHTTPServer {
        let first = FirstRequest()
        return try FakeHTTPServer { request in Self.answer(request, first: first.take(request)) }
    }

    func expectClean(_ text: String, _ what: String, redacted: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.contains(Self.token), "\(what) shows the token:\n\(text)", sourceLocation: sourceLocation)
        if redacted {
            #expect(text.contains("<redacted>"), "\(what) does not show where the token was:\n\(text)", sourceLocation: sourceLocation)
        }
    }

    @Test("apply: its results on standard output, its diagnostics on standard error, and the --report file")
    func apply() async throws {
        let fake = try server()
        defer { fake.close() }
        let report = try temporaryDirectory().appendingPathComponent("report.json")
        let r = try await Stoqctl.run(
            ["apply", "examples/shop", "--endpoint", "http://127.0.0.1:\(fake.port)/api", "--report", report.path],
            environment: ["STOQ_API_TOKEN": Self.token])
        #expect(r.status == 5, "partly applied: \(r.stderr)")
        expectClean(r.stdout, "standard output")
        expectClean(r.stderr, "standard error")
        expectClean(try String(contentsOf: report, encoding: .utf8), "--report")
        #expect(
            r.stderr.contains("https://db.internal/x") && !r.stderr.contains("canary-pw"), "the URL without its credentials: \(r.stderr)")
    }

    @Test("plan in every format, its log lines, and the --out file")
    func plan() async throws {
        let fake = try server()
        defer { fake.close() }
        let dir = try temporaryDirectory()
        for format in ["text", "json", "github", "markdown"] {
            let saved = dir.appendingPathComponent("plan-\(format).json")
            let r = try await Stoqctl.run(
                [
                    "plan", "examples/shop", "--endpoint", "http://127.0.0.1:\(fake.port)/api", "--format", format, "--out", saved.path,
                    "--debug",
                ],
                environment: ["STOQ_API_TOKEN": Self.token])
            #expect(r.status == 0, "\(format): \(r.stderr)")
            expectClean(r.stdout, "\(format): standard output")
            expectClean(r.stderr, "\(format): the log on standard error", redacted: false)
            expectClean(try String(contentsOf: saved, encoding: .utf8), "\(format): --out")
        }
    }

    @Test("a run that fails: its diagnostics in every format, on standard error or standard output")
    func failed() async throws {
        let fake = try FakeHTTPServer { request in
            .init(422, "{\"error\": \"token \(request.headers["x-auth-token"] ?? "") may not read; see \(Self.credentialURL)\"}")
        }
        defer { fake.close() }
        for format in ["text", "json", "github", "markdown"] {
            let r = try await Stoqctl.run(
                ["plan", "examples/shop", "--endpoint", "http://127.0.0.1:\(fake.port)/api", "--format", format],
                environment: ["STOQ_API_TOKEN": Self.token])
            #expect(r.status == 1, "\(format): \(r.stderr)")
            let shown = format == "text" ? r.stderr : r.stdout
            expectClean(shown, "\(format): the diagnostics")
            expectClean(r.stdout + r.stderr, "\(format): any output", redacted: false)
            #expect(
                shown.contains("https://db.internal/x") && !shown.contains("canary-pw"),
                "\(format): the URL without its credentials: \(shown)")
        }
    }

    @Test("export --out: files written from shop data that carries the token")
    func exported() async throws {
        let fake = try server()
        defer { fake.close() }
        let out = try temporaryDirectory().appendingPathComponent("export")
        let export = try await Stoqctl.run(
            ["export", "--endpoint", "http://127.0.0.1:\(fake.port)/api", "--out", out.path], environment: ["STOQ_API_TOKEN": Self.token])
        #expect(export.status == 0, "\(export.stderr)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        let written = try files.map { try String(contentsOf: out.appendingPathComponent($0), encoding: .utf8) }.joined()
        expectClean(written, "export --out")
        expectClean(export.stdout + export.stderr, "export's output", redacted: false)
    }
}

/// True for the first request to the list, once.
final class FirstRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = false

    func take(_ request: FakeHTTPServer.Request) -> Bool {
        guard request.method == "GET", request.target.hasPrefix("/api/preorders?") else { return false }
        return lock.withLock {
            defer { seen = true }
            return !seen
        }
    }
}
