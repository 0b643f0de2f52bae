import Foundation
import StoqTestSupport
import Testing

@Suite("Settings errors and servers that misbehave: one error line, every client shut down", .serialized)
struct OddServerTests {
    /// A folder with one plan and `settings` as its stoqctl.yaml.
    func shop(_ settings: String) throws -> URL {
        let dir = try temporaryDirectory()
        let shop = dir.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: shop, withIntermediateDirectories: true)
        try "version: 1\nselling_plans:\n  - internal_name: a\n    name: A\n".write(
            to: shop.appendingPathComponent("plans.yaml"), atomically: true, encoding: .utf8)
        try settings.write(to: shop.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test("inventory_policy_source: shopify without a shop, over HTTP: one error line with its code, exit 1, no crash")
    func shopifyWithoutSettings() async throws {
        let dir = try shop("version: 1\ninventory_policy_source: shopify\n")
        for command in ["plan", "apply", "fetch"] {
            let r = try await Stoqctl.run(
                [command, "shop", "--endpoint", "http://127.0.0.1:1/api/v1/external"], in: dir, environment: ["STOQ_API_TOKEN": "t"])
            #expect(r.status == 1, "\(command): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(command): \(r.stderr)")
            #expect(
                lines.first?.hasPrefix("error: inventory_policy_source: shopify needs the shop") == true
                    && lines.first?.hasSuffix("[missing-shopify-credentials]") == true, "\(command): \(r.stderr)")
        }
    }

    @Test("a server that accepts and never answers: the idle timeout and the request's bound end it, retries included, naming the host")
    func silentServer() async throws {
        let silent = try SilentServer()
        defer { silent.close() }
        let started = Date()
        let r = try await Stoqctl.run(
            [
                "fetch", "examples/shop", "--endpoint", "http://127.0.0.1:\(silent.port)/api/v1/external", "--idle-timeout", "1",
                "--request-timeout", "2.5",
            ], environment: ["STOQ_API_TOKEN": "t"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 1, "\(r.stderr)")
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("error: reading the shop failed: GET /preorders: no response from 127.0.0.1:\(silent.port)"), "\(r.stderr)")
        #expect(last.hasSuffix("[stoq-unreachable]"), "\(r.stderr)")
        // Behaviour, not speed: with a 2.5 s bound the run cannot last the 5 attempts of 1 s each
        // and their backoff that idle timeouts alone would allow.
        #expect(r.stderr.contains("--request-timeout"), "\(r.stderr)")
        #expect(elapsed < 60, "\(elapsed)")
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections and never answers.
final class SilentServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private var accepted: [Int32] = []
    private let lock = NSLock()

    init() throws {
        (fd, port) = try LoopbackSocket.listen(backlog: 16)
        let listener = fd
        Thread { [weak self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                self?.keep(client)
            }
        }.start()
    }

    private func keep(_ client: Int32) { lock.withLock { accepted.append(client) } }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        for client in lock.withLock({ accepted }) { Glibc.close(client) }
    }
}
