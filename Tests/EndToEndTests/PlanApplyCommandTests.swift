import Foundation
import StoqTestSupport
import Testing

@Suite("stoqctl plan and apply, end to end against the in-process emulator", .serialized)
struct PlanApplyCommandTests {
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
            text.split(separator: "\n").filter { !$0.hasPrefix("Plan hash: ") }.joined(separator: "\n")
        }
        let library = try String(
            contentsOf: Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan/the-example-shop/plan.txt"), encoding: .utf8)
        #expect(withoutHash(first.stdout) == withoutHash(library))
        #expect(first.stdout.contains("\nPlan hash: sha256:"))

        let report = dir.appendingPathComponent("report.json")
        let apply = try await Stoqctl.run(["apply", "examples/shop", "--endpoint", endpoint, "--report", report.path])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("[10/10] ✓"))
        #expect(apply.stdout.contains("Apply finished in"))
        #expect(apply.stdout.contains("10 applied, 0 failed, 0 skipped, 0 conflicts."))
        let reportText = try String(contentsOf: report, encoding: .utf8)
        #expect(reportText.contains(#""applied": 10"#))
        #expect(reportText.contains(#""verification": "confirmed in Shopify""#))

        let again = try await Stoqctl.run(["plan", "examples/shop", "--endpoint", endpoint, "--detailed-exitcode"])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("No changes. The shop matches the configuration.\n"))

        let json = try await Stoqctl.run([
            "plan", "examples/shop", "--endpoint", endpoint, "--format", "json", "--out", dir.appendingPathComponent("plan.json").path,
        ])
        #expect(json.status == 0)
        #expect(json.stdout.contains(#""has_changes": false"#))
        #expect(try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8) == json.stdout)
    }

    @Test("an invalid configuration makes plan and apply exit 1 without touching the shop")
    func invalid() async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("state.json")
        for command in ["plan", "apply"] {
            let r = try await Stoqctl.run([command, "examples/invalid", "--endpoint", "emulator:\(state.path)"])
            #expect(r.status == 1)
            #expect(r.stderr.contains("error: the configuration is invalid; nothing was sent"))
            #expect(r.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: state.path))
    }

    @Test("an unknown --target is an error; markdown and github formats render")
    func targetsAndFormats() async throws {
        let dir = try temporaryDirectory()
        let missing = try await Stoqctl.run([
            "plan", "examples/shop", "--endpoint", "emulator:\(dir.appendingPathComponent("empty.json").path)",
        ])
        #expect(missing.status == 1, "a mistyped state file is an error, not an empty shop")
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.contains("empty.json does not exist; to start an empty shop there, use --endpoint emulator:new:"))
        #expect(missing.stderr.hasSuffix("[emulator-state]\n"))
        let endpoint = "emulator:new:\(dir.appendingPathComponent("empty.json").path)"
        let bad = try await Stoqctl.run(["plan", "examples/shop", "--endpoint", endpoint, "--target", "fall-drop"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--target fall-drop: no plan has this internal_name; did you mean `fall-drop-2026`? [unknown-target]"))
        let md = try await Stoqctl.run([
            "plan", "examples/shop", "--endpoint", endpoint, "--format", "markdown", "--target", "fall-drop-2026",
        ])
        #expect(md.status == 0)
        #expect(md.stdout.hasPrefix("### stoqctl plan: apply will proceed\n\n**Plan: 1 to create, 0 to update, 0 to delete;"))
        let gh = try await Stoqctl.run([
            "plan", "examples/shop", "--endpoint", endpoint, "--format", "github", "--target", "fall-drop-2026",
        ])
        #expect(
            gh.stdout.contains(
                "\n::notice file=examples/shop/preorders/fall-drop.yaml,line=13,col=5,title=stoqctl plan%3A create fall-drop-2026::"))
        #expect(gh.stdout.hasPrefix("::warning "), "an empty shop knows none of the variants")
        #expect(gh.stdout.contains("::warning file=examples/shop/preorders/fall-drop.yaml,line=56,col=9,title=stoqctl unknown-variant::"))
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

        let withoutToken = try await Stoqctl.run(["plan", "examples/shop", "--endpoint", base])
        #expect(withoutToken.status == 1)
        #expect(withoutToken.stderr.contains("no API token"))

        let piped = try await Stoqctl.run(
            ["plan", "examples/shop", "--endpoint", base, "--token-file", "-"], input: "secret-from-a-pipe\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout.contains("Plan: "))
        #expect(!(piped.stdout + piped.stderr).contains("secret-from-a-pipe"))

        let empty = try await Stoqctl.run(["plan", "examples/shop", "--endpoint", base, "--token-file", "-"], input: "")
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("--token-file -: standard input is empty"))

        let both = try await Stoqctl.run(
            ["plan", "examples/shop", "--endpoint", base, "--token-file", "-", "--shopify-token-file", "-"], input: "x\n")
        #expect(both.status == 64)
        #expect(both.stderr.contains("cannot both read standard input"))
    }
}

@Suite("--cache: plans of an unchanged shop read only the list")
struct CacheCommandTests {
    @Test("the second plan reads no plan, STOQCTL_CACHE_DIR equals --cache, --refresh reads them all, apply reads live")
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
        #expect(warm.stdout == cold.stdout, "the same plan from kept bodies")
        let refreshed = try await Stoqctl.run(base + ["--cache", cache, "--refresh"])
        #expect(reads(refreshed) == 4)
        let applied = try await Stoqctl.run(
            ["apply", "examples/shop", "--endpoint", "emulator:\(state.path)", "--debug", "--cache", cache, "--color", "never"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(reads(applied) >= 4, "apply plans from live reads")
    }
}
