import Foundation
import StoqTestSupport
import Testing

/// A repository of three stores planned and applied through `stoqctl emulator` over HTTP, each
/// store's tokens a canary: each token reaches its own store, a token that reaches another store
/// writes nothing, and no token is printed.
@Suite("several shops over HTTP: each token reaches its own store")
struct ShopsCommandTests {
    /// The example repository of three stores, served by one emulator whose shops have canary tokens.
    static func serve(_ dir: URL) throws -> (process: Process, base: String, state: URL) {
        let example = Golden.repositoryRoot.appendingPathComponent("examples/shops")
        try FileManager.default.copyItem(at: example, to: dir.appendingPathComponent("repo"))
        let state = dir.appendingPathComponent("state.json")
        var text = try String(contentsOf: example.appendingPathComponent("remote-state.json"), encoding: .utf8)
        for shop in ["us", "eu", "uk"] {
            text = text.replacingOccurrences(of: "\"emulator-stoq-\(shop)\"", with: "\"canary-stoq-\(shop)-e2e\"")
            text = text.replacingOccurrences(of: "\"emulator-shopify-\(shop)\"", with: "\"canary-shpat-\(shop)-e2e\"")
        }
        try text.write(to: state, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Stoqctl.executable
        process.arguments = ["emulator", "--state", state.path, "--port", "0", "--job-duration", "0.2s"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let first = try #require(readLine(from: out.fileHandleForReading))
        let base = try #require(first.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        return (process, base, state)
    }

    static func environment(swapping swap: (String, String)? = nil) -> [String: String] {
        var env: [String: String] = [:]
        for shop in ["us", "eu", "uk"] {
            env["STOQ_API_TOKEN_\(shop.uppercased())"] = "canary-stoq-\(shop)-e2e"
            env["SHOPIFY_ADMIN_TOKEN_\(shop.uppercased())"] = "canary-shpat-\(shop)-e2e"
        }
        if let (a, b) = swap {
            let first = env[a]
            env[a] = env[b]
            env[b] = first
        }
        return env
    }

    static func arguments(_ command: String, _ dir: URL, base: String, _ more: [String] = []) -> [String] {
        let root = String(base.dropLast("/api/v1/external".count))
        return [
            command, dir.appendingPathComponent("repo").path, "--endpoint", base, "--allow-host", "127.0.0.1", "--shopify-endpoint", root,
        ]
            + more
    }

    @Test("plan and apply every shop at once, then no changes anywhere; no token is printed")
    func planApplyConverge() async throws {
        let dir = try temporaryDirectory()
        let (process, base, state) = try Self.serve(dir)
        defer { process.terminate() }
        let plan = try await Stoqctl.run(
            Self.arguments("plan", dir, base: base, ["--out", dir.appendingPathComponent("plan.json").path]),
            environment: Self.environment())
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.hasPrefix("Plan of 3 shops:\n  us: apply will proceed."), "\(plan.stdout)")
        #expect(plan.stdout.contains("Ships early November from Rotterdam"))
        let apply = try await Stoqctl.run(Self.arguments("apply", dir, base: base, ["--lock", "none"]), environment: Self.environment())
        #expect(apply.status == 0, "\(apply.stderr)")
        for shop in ["us", "eu", "uk"] { #expect(apply.stdout.contains("[\(shop)] Apply finished"), "\(shop)") }
        let again = try await Stoqctl.run(Self.arguments("plan", dir, base: base, ["--detailed-exitcode"]), environment: Self.environment())
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        for shop in ["us", "eu", "uk"] { #expect(again.stdout.contains("\n  \(shop): no changes. "), "\(again.stdout)") }
        for output in [plan, apply, again] { #expect(!(output.stdout + output.stderr).contains("-e2e"), "a token was printed") }
        // Each store got its own offers: the EU store its own shipping text, the mug not at all.
        process.terminate()
        process.waitUntilExit()
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as? [String: Any]
        let shops = try #require(written?["shops"] as? [String: [String: Any]])
        func plans(_ shop: String) -> [String: String] {
            let list = ((shops[shop]?["state"] as? [String: Any])?["plans"] as? [[String: Any]]) ?? []
            return Dictionary(
                uniqueKeysWithValues: list.map { ($0["internal_name"] as? String ?? "", $0["shipping_text"] as? String ?? "") })
        }
        #expect(plans("eu") == ["fall-tee-2026": "Ships early November from Rotterdam"])
        #expect(plans("uk")["holiday-mug-2026"] == "Ships in December" && plans("uk")["fall-tee-2026"] == "Ships early November from Leeds")
        #expect(plans("us")["fall-tee-2026"] == "Ships late October")
    }

    @Test("a STOQ token that reaches another store, or a Shopify token of another store, writes nothing")
    func swappedTokens() async throws {
        let dir = try temporaryDirectory()
        let (process, base, state) = try Self.serve(dir)
        defer { process.terminate() }
        let before = try Data(contentsOf: state)
        // The UK shop's STOQ variable holds the US store's token: uk's stoq_shop_id (7003) catches it.
        let stoq = try await Stoqctl.run(
            Self.arguments("apply", dir, base: base, ["--lock", "none", "--shop", "uk"]),
            environment: Self.environment(swapping: ("STOQ_API_TOKEN_UK", "STOQ_API_TOKEN_US")))
        #expect(stoq.status == 1)
        #expect(stoq.stderr.contains("reaches STOQ shop_id 7001, not 7003"), "\(stoq.stderr)")
        // Swapped between two shops without stoq_shop_id: applied together, the barrier catches it.
        let both = try await Stoqctl.run(
            Self.arguments("apply", dir, base: base, ["--lock", "none", "--shop", "us", "--shop", "eu"]),
            environment: Self.environment(swapping: ("SHOPIFY_ADMIN_TOKEN_US", "SHOPIFY_ADMIN_TOKEN_EU")))
        #expect(both.status == 1)
        #expect(
            both.stderr.contains(
                "the Shopify token in SHOPIFY_ADMIN_TOKEN_US reaches acme-apparel-eu.myshopify.com, not acme-apparel.myshopify.com"),
            "\(both.stderr)")
        // The EU shop's STOQ variable holds the US store's token too, and EU names no stoq_shop_id:
        // applied together, both reach store 7001, and the barrier before writing refuses both.
        var shared = Self.environment()
        shared["STOQ_API_TOKEN_EU"] = shared["STOQ_API_TOKEN_US"]
        let crossed = try await Stoqctl.run(
            Self.arguments("apply", dir, base: base, ["--lock", "none", "--shop", "us", "--shop", "eu"]), environment: shared)
        #expect(crossed.status == 1)
        #expect(crossed.stderr.contains("shops `us` and `eu` reach the same STOQ store (shop_id 7001)"), "\(crossed.stderr)")
        // A missing variable names the shop and the variable.
        var missing = Self.environment()
        missing["STOQ_API_TOKEN_EU"] = nil
        let unset = try await Stoqctl.run(Self.arguments("plan", dir, base: base, ["--shop", "eu"]), environment: missing)
        #expect(unset.status == 1)
        #expect(unset.stderr.contains("shop `eu`: no STOQ API token: set STOQ_API_TOKEN_EU"), "\(unset.stderr)")
        for output in [stoq, both, crossed, unset] { #expect(!(output.stdout + output.stderr).contains("-e2e"), "a token was printed") }
        process.terminate()
        process.waitUntilExit()
        #expect(try Data(contentsOf: state) == before, "nothing was written to any store")
    }

    @Test("shops applied at once under one --lock file:PATH share it, instead of waiting for each other")
    func oneLockFile() async throws {
        let dir = try temporaryDirectory()
        let (process, base, _) = try Self.serve(dir)
        defer { process.terminate() }
        let lock = dir.appendingPathComponent("apply.lock").path
        // Each shop waiting for the lock another shop of this run holds until every shop planned
        // would wait out --lock-wait: with 0, every shop but one was refused at once.
        let apply = try await Stoqctl.run(
            Self.arguments("apply", dir, base: base, ["--lock", "file:\(lock)", "--lock-wait", "0"]), environment: Self.environment())
        #expect(apply.status == 0, "\(apply.stderr)")
        for shop in ["us", "eu", "uk"] { #expect(apply.stdout.contains("[\(shop)] Apply finished"), "\(shop)") }
        #expect(!apply.stderr.contains("holds the apply lock"), "\(apply.stderr)")
        // Released when the run ended: the next apply takes it at once.
        let again = try await Stoqctl.run(
            Self.arguments("apply", dir, base: base, ["--lock", "file:\(lock)", "--lock-wait", "0", "--shop", "eu"]),
            environment: Self.environment())
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test("plan --shop A --shop B of a repository of several shops with an error shows the error")
    func invalidWithShops() async throws {
        let dir = try temporaryDirectory()
        let repo = dir.appendingPathComponent("repo")
        try FileManager.default.copyItem(at: Golden.repositoryRoot.appendingPathComponent("examples/shops"), to: repo)
        let settings = repo.appendingPathComponent("stoqctl.yaml")
        try (String(contentsOf: settings, encoding: .utf8) + "bogus_key: 1\n").write(to: settings, atomically: true, encoding: .utf8)
        let plan = try await Stoqctl.run(
            ["plan", repo.path, "--endpoint", "emulator:\(repo.path)/remote-state.json", "--shop", "us", "--shop", "eu"])
        #expect(plan.status == 1, "\(plan.stderr)")
        #expect(plan.stderr.contains("bogus_key"), "\(plan.stderr)")
        #expect(!plan.stderr.contains("has no `shops:`"), "\(plan.stderr)")
    }

    @Test("apply of a saved plan of several shops with one shop named twice applies that shop's part")
    func savedPlanShopTwice() async throws {
        let dir = try temporaryDirectory()
        let repo = dir.appendingPathComponent("repo")
        try FileManager.default.copyItem(at: Golden.repositoryRoot.appendingPathComponent("examples/shops"), to: repo)
        let endpoint = "emulator:\(repo.path)/remote-state.json"
        let saved = dir.appendingPathComponent("plan.json").path
        let plan = try await Stoqctl.run(["plan", repo.path, "--endpoint", endpoint, "--out", saved])
        #expect(plan.status == 0, "\(plan.stderr)")
        let apply = try await Stoqctl.run([
            "apply", saved, repo.path, "--endpoint", endpoint, "--lock", "none", "--shop", "eu", "--shop", "eu",
        ])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("Applying the saved plan"), "\(apply.stdout)")
    }

    @Test("a runner's Shopify address at another myshopify.com store than the shop's is refused before its token is sent")
    func shopifyEndpointOfAnotherStore() async throws {
        let dir = try temporaryDirectory()
        let repo = dir.appendingPathComponent("repo")
        try FileManager.default.copyItem(at: Golden.repositoryRoot.appendingPathComponent("examples/shops"), to: repo)
        let endpoint = "emulator:\(repo.path)/remote-state.json"
        for (flag, environment) in [
            (["--shopify-endpoint", "http://acme-apparel.myshopify.com"], [:]),
            ([], ["SHOPIFY_ADMIN_URL": "http://ACME-APPAREL.myshopify.com/admin/api/2026-10/graphql.json"]),
        ] {
            let plan = try await Stoqctl.run(
                ["plan", repo.path, "--endpoint", endpoint, "--shop", "eu"] + flag,
                environment: environment.merging(["SHOPIFY_ADMIN_TOKEN_EU": "canary-shpat-eu-e2e"]) { a, _ in a })
            #expect(plan.status == 1, "\(plan.stderr)")
            #expect(
                plan.stderr.contains(
                    "points at acme-apparel.myshopify.com, another store than its `shopify_shop` acme-apparel-eu.myshopify.com"),
                "\(plan.stderr)")
            #expect(!(plan.stdout + plan.stderr).contains("-e2e"))
        }
    }
}
