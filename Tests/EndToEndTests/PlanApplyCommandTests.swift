import Foundation
import StoqTestSupport
import Testing

@Suite("stoqctl plan and apply, end to end against the in-process emulator", .serialized)
struct PlanApplyCommandTests {
    /// Runs `stoqctl args…` in the repository root and adds what it printed to `transcript`.
    static func run(_ args: [String], input: String? = nil, into transcript: inout Transcript) async throws -> Stoqctl.Outcome {
        let outcome = try await Stoqctl.run(args, input: input)
        transcript.add(args, outcome)
        return outcome
    }

    @Test("plan shows the example shop's changes; apply makes them; plan again says No changes")
    func planApplyPlan() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let endpoint = "emulator:\(state.path)"

        let first = try await Stoqctl.run(["plan", "examples/shop", "--endpoint", endpoint, "--detailed-exitcode"])
        #expect(first.status == 2, "\(first.stderr)")
        #expect(first.stderr.isEmpty)
        // The binary prints the same plan as the library; only the hash differs, because the
        // plan records the endpoint it was made against.
        func withoutHash(_ text: String) -> String {
            text.split(separator: "\n").filter { !$0.hasPrefix("Plan hash: ") && !$0.hasPrefix("Plan: ") }.joined(separator: "\n")
        }
        // The binary's plan also counts the reads an apply repeats.
        #expect(first.stdout.contains("points (5 to read the shop, "), "\(first.stdout)")
        let library = try String(
            contentsOf: Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan/the-example-shop/plan.txt"), encoding: .utf8)
        #expect(withoutHash(first.stdout) == withoutHash(library))
        #expect(first.stdout.contains("\nPlan hash: sha256:"))

        var transcript = Transcript(in: dir)
        // The two creates run at once: which gets the emulator's next id depends on which arrives first.
        transcript.mask(matching: "5e7a0c1d-0000-4000-8000-00000000000[78]", as: "<id of a created plan>")
        let report = dir.appendingPathComponent("report.json")
        let apply = try await Self.run(["apply", "examples/shop", "--endpoint", endpoint, "--report", report.path], into: &transcript)
        #expect(apply.status == 0, "\(apply.stderr)")
        try transcript.add(file: "report.json")

        let again = try await Self.run(["plan", "examples/shop", "--endpoint", endpoint, "--detailed-exitcode"], into: &transcript)
        #expect(again.status == 0)

        let out = dir.appendingPathComponent("plan.json").path
        let json = try await Self.run(
            ["plan", "examples/shop", "--endpoint", endpoint, "--format", "json", "--out", out], into: &transcript)
        #expect(json.status == 0)
        #expect(try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8) == json.stdout)
        transcript.expect(golden: "Tests/Fixtures/plan-apply/the-example-shop-applied-then-no-changes.txt")
    }

    @Test("an invalid configuration makes plan and apply exit 1 without touching the shop")
    func invalid() async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("state.json")
        let shop = dir.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: shop, withIntermediateDirectories: true)
        try "version: 1\nselling_plans:\n  - internal_name: a\n    nmae: A\n".write(
            to: shop.appendingPathComponent("plans.yaml"), atomically: true, encoding: .utf8)
        var transcript = Transcript(in: dir)
        for command in ["plan", "apply"] {
            let r = try await Stoqctl.run([command, "shop", "--endpoint", "emulator:\(state.path)"], in: dir)
            transcript.add([command, "shop", "--endpoint", "emulator:\(state.path)"], r)
            #expect(r.status == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: state.path))
        transcript.expect(golden: "Tests/Fixtures/plan-apply/an-invalid-configuration-sends-nothing.txt")
    }

    @Test("an unknown --target is an error; markdown and github formats render")
    func targetsAndFormats() async throws {
        let dir = try temporaryDirectory()
        var transcript = Transcript(in: dir)
        let missing = try await Self.run(
            ["plan", "examples/shop", "--endpoint", "emulator:\(dir.appendingPathComponent("empty.json").path)"], into: &transcript)
        #expect(missing.status == 1, "a mistyped state file is an error, not an empty shop")
        let endpoint = "emulator:new:\(dir.appendingPathComponent("empty.json").path)"
        let bad = try await Self.run(["plan", "examples/shop", "--endpoint", endpoint, "--target", "fall-drop"], into: &transcript)
        #expect(bad.status == 1)
        for format in ["markdown", "github"] {
            let r = try await Self.run(
                ["plan", "examples/shop", "--endpoint", endpoint, "--format", format, "--target", "fall-drop-2026"], into: &transcript)
            #expect(r.status == 0, "\(format): \(r.stderr)")
        }
        transcript.expect(golden: "Tests/Fixtures/plan-apply/an-unknown-target-and-one-target-in-markdown-and-github.txt")
    }
}

@Suite("--token-file - reads the token from standard input")
struct TokenFromStandardInputTests {
    @Test("a token piped in is used (no STOQ_API_TOKEN); empty input and two readers of standard input are clear errors")
    func tokenFromStandardInput() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let server = try ServedEmulator(state: state.path)
        defer { withExtendedLifetime(server) {} }
        let base = server.base
        var transcript = Transcript(in: dir)
        transcript.mask(base, as: "<server>")

        let withoutToken = try await PlanApplyCommandTests.run(["plan", "examples/shop", "--endpoint", base], into: &transcript)
        #expect(withoutToken.status == 1)

        transcript.note("a token on standard input")
        let piped = try await PlanApplyCommandTests.run(
            ["plan", "examples/shop", "--endpoint", base, "--token-file", "-"], input: "secret-from-a-pipe\n", into: &transcript)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!(piped.stdout + piped.stderr).contains("secret-from-a-pipe"))

        transcript.note("nothing on standard input")
        let empty = try await PlanApplyCommandTests.run(
            ["plan", "examples/shop", "--endpoint", base, "--token-file", "-"], input: "", into: &transcript)
        #expect(empty.status == 1)

        transcript.note("one line on standard input, for two readers")
        let both = try await PlanApplyCommandTests.run(
            ["plan", "examples/shop", "--endpoint", base, "--token-file", "-", "--shopify-token-file", "-"], input: "x\n",
            into: &transcript)
        #expect(both.status == 64)
        transcript.expect(golden: "Tests/Fixtures/plan-apply/the-token-from-standard-input.txt")
    }
}

@Suite("--cache: plans of an unchanged shop read only the list")
struct CacheCommandTests {
    @Test("the second plan reads no plan, STOQCTL_CACHE_DIR equals --cache, --refresh reads them all, apply reads none either")
    func warmCache() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let cache = dir.appendingPathComponent("cache").path
        let base = ["plan", "examples/shop", "--endpoint", "emulator:\(state.path)", "--debug", "--color", "never"]
        func reads(_ r: Stoqctl.Outcome) -> Int {
            r.stderr.split(separator: "\n").filter { $0.contains("GET /preorders/") && !$0.contains("/product_variants") }.count
        }
        let cold = try await Stoqctl.run(base + ["--cache", cache])
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(reads(cold) == 4)
        let warm = try await Stoqctl.run(base, environment: ["STOQCTL_CACHE_DIR": cache])
        #expect(reads(warm) == 0)
        // The same plan from kept bodies; only the estimate knows the apply would read less.
        func withoutCost(_ text: String) -> String {
            text.split(separator: "\n").filter { !$0.hasPrefix("Plan: ") }.joined(separator: "\n")
        }
        #expect(withoutCost(warm.stdout) == withoutCost(cold.stdout), "the same plan from kept bodies")
        #expect(
            cold.stdout.contains("(5 to read the shop, ") && warm.stdout.contains("(1 to read the shop, "), "\(cold.stdout)\(warm.stdout)")
        let refreshed = try await Stoqctl.run(base + ["--cache", cache, "--refresh"])
        #expect(reads(refreshed) == 4)
        let applied = try await Stoqctl.run(
            ["apply", "examples/shop", "--endpoint", "emulator:\(state.path)", "--debug", "--cache", cache, "--color", "never"])
        #expect(applied.status == 0, "\(applied.stderr)")
        // Apply plans through the cache too: between its list page and its first write it reads no plan.
        let lines = applied.stderr.split(separator: "\n")
        let listed = try #require(lines.firstIndex { $0.contains("GET /preorders?page=1&per_page=250") })
        let planning = lines[listed...].prefix { !$0.contains("→") || $0.contains("GET ") || $0.contains("graphql") }
        #expect(planning.filter { $0.contains("GET /preorders/") }.isEmpty, "\(planning)")
        #expect(planning.count < lines.count - listed, "the apply wrote")
    }
}
