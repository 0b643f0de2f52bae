import Foundation
import StoqTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("stoqctl emulator and fetch, end to end", .serialized)
struct EmulatorCommandTests {
    @Test("the emulator serves STOQ's shapes on a free port, with rate-limit headers and a 429 when flooded")
    func servesOverHTTP() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let process = Process()
        process.executableURL = Stoqctl.executable
        process.arguments = ["emulator", "--state", state.path, "--port", "0", "--rate-limit", "5/60"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate() }
        let firstLine = try #require(readLine(from: out.fileHandleForReading))
        #expect(firstLine.hasPrefix("stoqctl emulator listening on http://127.0.0.1:"))
        let base = try #require(firstLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))

        func get(_ path: String) async throws -> (Int, [String: String], String) {
            var request = URLRequest(url: try #require(URL(string: base + path)))
            request.setValue("any", forHTTPHeaderField: "X-Auth-Token")
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            let headers = Dictionary(uniqueKeysWithValues: http.allHeaderFields.map { ("\($0.key)".lowercased(), "\($0.value)") })
            return (http.statusCode, headers, String(decoding: data, as: UTF8.self))
        }
        let (status, headers, body) = try await get("/preorders?per_page=2")
        #expect(status == 200)
        #expect(body.hasPrefix(#"{"selling_plans":[{"id":"5e7a0c1d-0000-4000-8000-000000000001","name":"Fall Drop — Preorder""#))
        #expect(body.contains(#""meta":{"total_count":6,"page":1,"per_page":2,"total_pages":3}"#))
        #expect(headers["x-ratelimit-limit"] == "5")
        #expect(headers["x-ratelimit-remaining"] == "4")
        var last = 0
        var retryAfter: String?
        for _ in 0..<5 {
            let (s, h, _) = try await get("/preorders/5e7a0c1d-0000-4000-8000-000000000002")
            last = s
            retryAfter = h["retry-after"]
        }
        #expect(last == 429)
        #expect(retryAfter != nil)
    }

    @Test("a two-shop state file is served on one port: each token reaches its shop, --token is refused, --log names the shop")
    func servesTwoShops() async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("shops.json")
        try """
        {"shops": {
          "eu": {"stoq_token": "stoq-eu-e2e", "shopify_token": "shpat-eu-e2e", "shopify_domain": "acme-eu.myshopify.com",
                 "state": {"shop_id": 1, "plans": [{"id": "eu-1", "name": "EU plan"}]}},
          "us": {"stoq_token": "stoq-us-e2e", "shopify_token": "shpat-us-e2e", "shopify_domain": "acme-us.myshopify.com",
                 "state": {"shop_id": 2}}}}
        """.write(to: state, atomically: true, encoding: .utf8)
        let refused = try await Stoqctl.run(["emulator", "--state", state.path, "--port", "0", "--token", "x"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--token cannot be used with \(state.path): it holds several shops"))

        let process = Process()
        process.executableURL = Stoqctl.executable
        process.arguments = ["emulator", "--state", state.path, "--port", "0", "--log"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { process.terminate() }
        let firstLine = try #require(readLine(from: out.fileHandleForReading))
        #expect(firstLine.contains("(state: \(state.path); shops: eu, us)"), "\(firstLine)")
        let base = try #require(firstLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))

        func send(_ method: String, _ path: String, token: String, body: String? = nil) async throws -> (Int, String) {
            var request = URLRequest(url: try #require(URL(string: base + path)))
            request.httpMethod = method
            request.setValue(token, forHTTPHeaderField: "X-Auth-Token")
            request.httpBody = body.map { Data($0.utf8) }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        let eu = try await send("GET", "/preorders", token: "stoq-eu-e2e")
        #expect(eu.0 == 200 && eu.1.contains("EU plan"))
        let created = try await send("POST", "/preorders", token: "stoq-us-e2e", body: #"{"selling_plan": {"name": "US new"}}"#)
        #expect(created.0 == 200)
        let wrong = try await send("GET", "/preorders", token: "stoq-xx-e2e")
        #expect(wrong.0 == 401 && !wrong.1.contains("e2e"))
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("[eu] GET /api/v1/external/preorders → 200"), "\(log)")
        #expect(log.contains("[us] POST /api/v1/external/preorders → 200"))
        #expect(log.contains("[no shop] GET /api/v1/external/preorders → 401"))
        #expect(!log.contains("e2e"), "no token in the log")
        let written = try String(contentsOf: state, encoding: .utf8)
        #expect(written.hasPrefix("{\n  \"shops\": {\n    \"eu\": {"))
        #expect(written.contains("US new") && written.contains("acme-us.myshopify.com"))
    }

    @Test("fetch reads the example shop through the in-process emulator and leaves the state file alone")
    func fetchExample() async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("state.json")
        let original = Golden.repositoryRoot.appendingPathComponent("examples/shop/remote-state.json")
        try FileManager.default.copyItem(at: original, to: state)
        let r = try await Stoqctl.run(["fetch", "examples/shop", "--endpoint", "emulator:\(state.path)"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "Fetched 6 plans from emulator (\(state.path)): 4 managed, 2 unmanaged.")
        #expect(lines.dropFirst().first?.hasPrefix("5 requests (1 list pages, 4 plan reads) in ") == true)
        #expect(try Data(contentsOf: state) == Data(contentsOf: original), "a read-only command does not rewrite the state")
    }

    @Test("commands that talk to STOQ need a token, and refuse plain http to a remote host, before sending anything")
    func tokenAndTransport() async throws {
        let noToken = try await Stoqctl.run(["fetch", "examples/shop", "--endpoint", "https://app.stoqapp.com/api/v1/external"])
        #expect(noToken.status == 1)
        #expect(noToken.stderr.contains("no API token: set STOQ_API_TOKEN or pass --token-file"))
        let plain = try await Stoqctl.run(
            ["fetch", "examples/shop", "--endpoint", "http://example.com/api"], environment: ["STOQ_API_TOKEN": "canary-e2e-secret"])
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("plain http:// is refused except to loopback"))
        #expect(!(plain.stdout + plain.stderr).contains("canary-e2e-secret"))
    }

    @Test("an invalid configuration sends nothing")
    func invalidSendsNothing() async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("state.json")
        let r = try await Stoqctl.run(["fetch", "examples/invalid/version-2.yaml", "--endpoint", "emulator:\(state.path)"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("nothing was sent"))
        #expect(!FileManager.default.fileExists(atPath: state.path))
    }
}

/// Reads one line from a pipe (the emulator prints its address first).
func readLine(from handle: FileHandle) -> String? {
    var bytes: [UInt8] = []
    while true {
        let chunk = handle.readData(ofLength: 1)
        guard let byte = chunk.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
        if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
    }
}
