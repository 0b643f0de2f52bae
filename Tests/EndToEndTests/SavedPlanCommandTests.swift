import Foundation
import StoqTestSupport
import Testing

/// A shop of 12 managed plans (so the percentage gates apply) plus one unmanaged plan, and a
/// config that renames `changed` of them.
struct GateShop {
    let dir: URL
    let config: URL
    let state: URL
    var endpoint: String { "emulator:\(state.path)" }

    init(changed: Int, prune: Bool = false) throws {
        dir = try temporaryDirectory()
        config = dir.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        var yaml = "version: 1\nselling_plans:\n"
        var plans: [String] = []
        for i in 1...12 {
            yaml += "  - internal_name: plan-\(i)\n    name: \"Plan \(i)\(i <= changed ? " (new)" : "")\"\n"
            plans.append(#"{"id": "p\#(i)", "internal_name": "plan-\#(i)", "name": "Plan \#(i)"}"#)
        }
        plans.append(#"{"id": "p99", "internal_name": "leftover", "name": "Leftover"}"#)
        try yaml.write(to: config.appendingPathComponent("plans.yaml"), atomically: true, encoding: .utf8)
        if prune {
            try "version: 1\nprune: true\n".write(to: config.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
        }
        state = dir.appendingPathComponent("state.json")
        try "{\"plans\": [\(plans.joined(separator: ",\n"))]}".write(to: state, atomically: true, encoding: .utf8)
    }

    func run(_ args: [String]) async throws -> Stoqctl.Outcome { try await Stoqctl.run(args + ["--endpoint", endpoint], in: dir) }

    /// Runs `stoqctl args…` and adds what it printed to `transcript` (the endpoint left out).
    func run(_ args: [String], into transcript: inout Transcript) async throws -> Stoqctl.Outcome {
        let outcome = try await run(args)
        transcript.add(args, outcome)
        return outcome
    }

    /// `plan --out plan.json`, returning the plan's short hash (hex only).
    func savePlan(_ extra: [String] = [], status: Int32 = 0) async throws -> String {
        let r = try await run(["plan", "shop", "--out", "plan.json"] + extra)
        #expect(r.status == status, "\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("Plan hash: sha256:") })
        return String(line.dropFirst("Plan hash: sha256:".count))
    }

    func stateText() throws -> String { try String(contentsOf: state, encoding: .utf8) }
}

@Suite("stoqctl show PLANFILE renders a saved plan offline", .serialized)
struct ShowCommandTests {
    @Test("show prints exactly what plan printed, in every format, with plan's exit codes, and refuses a tampered file")
    func sameAsPlan() async throws {
        let shop = try GateShop(changed: 5)  // 5 of 12 updated: over the default 30 % updates gate
        let hash = try await shop.savePlan(status: 3)
        let before = try shop.stateText()
        for format in ["text", "markdown", "json", "github"] {
            let planned = try await shop.run(["plan", "shop", "--format", format, "--color", "never"])
            let shown = try await Stoqctl.run(["show", "plan.json", "--format", format, "--color", "never"], in: shop.dir)
            #expect(shown.stdout == planned.stdout, "\(format)")
            #expect(shown.status == 3 && planned.status == 3, "\(format): apply would refuse both")
        }
        let refusedDetailed = try await Stoqctl.run(["show", "plan.json", "--detailed-exitcode"], in: shop.dir)
        #expect(refusedDetailed.status == 3, "a refused plan exits 3 with --detailed-exitcode too")
        let allowed = try await Stoqctl.run(["show", "plan.json", "--allow-gate", "updates=\(hash)"], in: shop.dir)
        #expect(allowed.status == 0)
        let detailed = try await Stoqctl.run(["show", "plan.json", "--allow-gate", "updates=\(hash)", "--detailed-exitcode"], in: shop.dir)
        #expect(detailed.status == 2)
        var text = try String(contentsOf: shop.dir.appendingPathComponent("plan.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "Plan 1 (new)", with: "Plan 1 (NEW)")
        try text.write(to: shop.dir.appendingPathComponent("tampered.json"), atomically: true, encoding: .utf8)
        let tampered = try await Stoqctl.run(["show", "tampered.json", "--format", "markdown"], in: shop.dir)
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("[saved-plan-refused]"))
        #expect(tampered.stdout.hasPrefix("### stoqctl plan: failed"))
        let missing = try await Stoqctl.run(["show", "nope.json"], in: shop.dir)
        #expect(missing.status == 1 && missing.stderr.contains("nope.json: cannot be read"))
        #expect(try shop.stateText() == before, "show never touches the shop")
    }
}

@Suite("stoqctl apply PLANFILE: stale plans, tampering, safety gates and partial failure, end to end", .serialized)
struct SavedPlanCommandTests {
    @Test("a saved plan applies; the same file applied again is all in place; plan then says No changes")
    func savedPlanApplies() async throws {
        let shop = try GateShop(changed: 2)
        _ = try await shop.savePlan()
        var transcript = Transcript(in: shop.dir)
        let apply = try await shop.run(["apply", "plan.json", "shop", "--report", "report.json"], into: &transcript)
        #expect(apply.status == 0, "\(apply.stderr)")
        try transcript.add(file: "report.json")
        let again = try await shop.run(["apply", "plan.json", "shop"], into: &transcript)
        #expect(again.status == 0)
        let plan = try await shop.run(["plan", "shop", "--detailed-exitcode"], into: &transcript)
        #expect(plan.status == 0)
        transcript.expect(golden: "Tests/Fixtures/saved-plan/applies-then-in-place.txt")
    }

    @Test("while apply runs, the report file already lists the finished operations (complete: false)")
    func reportDuringApply() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let server = try ServedEmulator(state: state.path, extra: ["--latency", "400ms", "--job-duration", "0.1"])
        defer { withExtendedLifetime(server) {} }
        let base = server.base

        let report = dir.appendingPathComponent("report.json")
        let apply = Process()
        apply.executableURL = Stoqctl.executable
        apply.arguments = ["apply", "examples/shop", "--endpoint", base, "--report", report.path]
        apply.currentDirectoryURL = Golden.repositoryRoot
        apply.environment = ["STOQ_API_TOKEN": "e2e", "NO_COLOR": "1"]
        apply.standardOutput = FileHandle.nullDevice
        apply.standardError = FileHandle.nullDevice
        try apply.run()
        var sawPartial = false
        while apply.isRunning {
            if let text = try? String(contentsOf: report, encoding: .utf8), text.contains(#""complete": false"#) { sawPartial = true }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        apply.waitUntilExit()
        #expect(apply.terminationStatus == 0)
        #expect(sawPartial)
        let final = try String(contentsOf: report, encoding: .utf8)
        #expect(final.contains(#""complete": true"#) && final.contains(#""applied": 12"#))
    }

    @Test("the remote edited between plan and apply: the edited item conflicts (exit 4), the rest is applied")
    func stale() async throws {
        let shop = try GateShop(changed: 2)
        _ = try await shop.savePlan()
        // Staff rename plan-1 in the dashboard after the plan was reviewed.
        let edited = try shop.stateText().replacingOccurrences(of: #""name": "Plan 1""#, with: #""name": "Plan 1 by staff""#)
        try edited.write(to: shop.state, atomically: true, encoding: .utf8)
        var transcript = Transcript(in: shop.dir)
        let apply = try await shop.run(["apply", "plan.json", "shop", "--report", "report.json"], into: &transcript)
        #expect(apply.status == 4, "\(apply.stderr)")
        #expect(try shop.stateText().contains("Plan 1 by staff"), "the staff edit was not overwritten")
        #expect(try shop.stateText().contains("Plan 2 (new)"), "the unrelated item was applied")
        try transcript.add(file: "report.json")
        transcript.expect(golden: "Tests/Fixtures/saved-plan/a-conflict-since-the-review.txt")
    }

    @Test("a tampered or unknown-version plan file is refused with exit 1 and nothing is sent")
    func tampered() async throws {
        let shop = try GateShop(changed: 2)
        _ = try await shop.savePlan()
        let file = shop.dir.appendingPathComponent("plan.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        let before = try shop.stateText()

        try original.replacingOccurrences(of: "Plan 2 (new)", with: "Plan 2 (evil)").write(to: file, atomically: true, encoding: .utf8)
        let tampered = try await shop.run(["apply", "plan.json", "shop"])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("error: plan.json: plan_hash does not match the content"))
        #expect(tampered.stderr.contains("nothing was sent"))

        try original.replacingOccurrences(of: #""format_version": 1"#, with: #""format_version": 7"#).write(
            to: file, atomically: true, encoding: .utf8)
        let version = try await shop.run(["apply", "plan.json", "shop"])
        #expect(version.status == 1)
        #expect(version.stderr.contains("unknown format_version 7"))

        try original.write(to: file, atomically: true, encoding: .utf8)
        let elsewhere = try await Stoqctl.run(
            ["apply", "plan.json", "shop", "--endpoint", "emulator:new:\(shop.dir.appendingPathComponent("other.json").path)"], in: shop.dir
        )
        #expect(elsewhere.status == 1)
        #expect(elsewhere.stderr.contains("was planned against emulator:\(shop.state.path), but this apply writes to emulator:"))
        #expect(try shop.stateText() == before)
    }

    @Test("the updates gate refuses (exit 3, naming the gate and the excess); a pinned override lets exactly this plan through")
    func updatesGate() async throws {
        let shop = try GateShop(changed: 5)
        let hash = try await shop.savePlan(status: 3)
        var transcript = Transcript(in: shop.dir)
        let plan = try await shop.run(["plan", "shop"], into: &transcript)
        #expect(plan.status == 3, "plan exits 3 when apply would refuse the plan")
        let detailed = try await shop.run(["plan", "shop", "--detailed-exitcode"])
        #expect(detailed.status == 3, "--detailed-exitcode does not turn a refusal into changes (2)")
        #expect(detailed.stdout == plan.stdout)
        let pinned = try await shop.run(["plan", "shop", "--allow-gate", "updates=\(hash)", "--detailed-exitcode"], into: &transcript)
        #expect(pinned.status == 2, "with the same pinned override, plan says what apply would do: apply, with changes")
        let before = try shop.stateText()

        let refused = try await shop.run(["apply", "plan.json", "shop", "--report", "report.json"], into: &transcript)
        #expect(refused.status == 3)
        #expect(try shop.stateText() == before)
        try transcript.add(file: "report.json")

        let wrongPin = try await shop.run(["apply", "plan.json", "shop", "--allow-gate", "updates=0123456789abcdef"], into: &transcript)
        #expect(wrongPin.status == 3)
        #expect(try shop.stateText() == before)

        let otherGate = try await shop.run(["apply", "plan.json", "shop", "--allow-gate", "deletes=\(hash)"], into: &transcript)
        #expect(otherGate.status == 3)

        let fresh = try await shop.run(["apply", "shop"], into: &transcript)
        #expect(fresh.status == 3, "a fresh apply is gated too")

        let allowed = try await shop.run(["apply", "plan.json", "shop", "--allow-gate", "updates=\(hash)"], into: &transcript)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        transcript.expect(golden: "Tests/Fixtures/saved-plan/the-updates-gate-and-a-pinned-override.txt")
    }

    @Test("a saved plan that deletes needs --allow-deletes at apply too (exit 3)")
    func deletesNeedTheFlag() async throws {
        let shop = try GateShop(changed: 0, prune: true)
        _ = try await shop.savePlan(["--allow-deletes"])
        var transcript = Transcript(in: shop.dir)
        let refused = try await shop.run(["apply", "plan.json", "shop"], into: &transcript)
        #expect(refused.status == 3)
        #expect(try shop.stateText().contains("Leftover"))
        let allowed = try await shop.run(["apply", "plan.json", "shop", "--allow-deletes"], into: &transcript)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        transcript.expect(golden: "Tests/Fixtures/saved-plan/deletes-need-the-flag-at-apply.txt")
    }

    @Test("with one endpoint down, apply exits 5 with a report; once it is back, apply again converges")
    func partialFailure() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let token = ["STOQ_API_TOKEN": "e2e-token"]

        func serve(_ extra: [String]) throws -> (Process, String) {
            let process = Process()
            process.executableURL = Stoqctl.executable
            process.arguments = ["emulator", "--state", state.path, "--port", "0", "--job-duration", "0.2"] + extra
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = try #require(readLine(from: out.fileHandleForReading))
            let base = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
            return (process, base)
        }

        let (down, downURL) = try serve(["--faults", "outage=add_variant"])
        let report = dir.appendingPathComponent("report.json")
        let first = try await Stoqctl.run(["apply", "examples/shop", "--endpoint", downURL, "--report", report.path], environment: token)
        down.terminate()
        down.waitUntilExit()
        #expect(first.status == 5, "\(first.stderr)")
        #expect(first.stderr.contains("error: add_variants "))
        #expect(first.stdout.contains("skipped: add_variants of "))
        let text = try String(contentsOf: report, encoding: .utf8)
        #expect(text.contains(#""status": "failed""#) && text.contains(#""status": "skipped""#) && text.contains(#""status": "applied""#))

        let (up, upURL) = try serve([])
        defer { up.terminate() }
        let second = try await Stoqctl.run(["apply", "examples/shop", "--endpoint", upURL], environment: token)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stdout.contains("✓ create"), "the plans created by the first run are not created again")
        let plan = try await Stoqctl.run(["plan", "examples/shop", "--endpoint", upURL, "--detailed-exitcode"], environment: token)
        #expect(plan.status == 0, "\(plan.stdout)")

        // A plan records its endpoint without user info or query, which could hold credentials.
        let withSecrets = upURL.replacingOccurrences(of: "http://", with: "http://user:secret-pw@") + "?key=secret-q"
        let saved = dir.appendingPathComponent("plan.json")
        let planned = try await Stoqctl.run(["plan", "examples/shop", "--endpoint", withSecrets, "--out", saved.path], environment: token)
        #expect(planned.status == 0, "\(planned.stderr)")
        let savedText = try String(contentsOf: saved, encoding: .utf8)
        #expect(savedText.contains("\"endpoint\": \"\(upURL)\""))
        #expect(!savedText.contains("secret") && !planned.stdout.contains("secret") && !planned.stderr.contains("secret"))
    }
}

@Suite("stoqctl export, end to end", .serialized)
struct ExportCommandTests {
    @Test("export the example shop, then plan: No changes; a second export does not overwrite without --overwrite")
    func exportThenPlan() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let endpoint = "emulator:\(state.path)"
        let export = try await Stoqctl.run(["export", "--out", "shop", "--endpoint", endpoint], in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.hasPrefix("Exported 6 plans to shop (6 files) from emulator"))
        #expect(export.stderr.hasPrefix("note: 5 type choices left out (unmanaged)"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("shop/preorders").path).sorted()
        #expect(files.count == 6 && files.first == "always-on-backorder.yaml")

        let plan = try await Stoqctl.run(["plan", "shop", "--endpoint", endpoint, "--detailed-exitcode"], in: dir)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.hasPrefix("No changes. The shop matches the configuration.\n"))
        // The example shop's SKUs are unique, so the export names its variants: what resolving them cost.
        #expect(
            plan.stderr.hasPrefix("Read Shopify (emulator) to resolve ") && plan.stderr.split(separator: "\n").count == 1, "\(plan.stderr)")

        let before = try String(contentsOf: dir.appendingPathComponent("shop/preorders/fall-drop-2026.yaml"), encoding: .utf8)
        let again = try await Stoqctl.run(["export", "--out", "shop", "--endpoint", endpoint], in: dir)
        #expect(again.status == 1)
        #expect(again.stderr.contains("6 files already exist"))
        let overwritten = try await Stoqctl.run(["export", "--out", "shop", "--endpoint", endpoint, "--overwrite"], in: dir)
        #expect(overwritten.status == 0)
        #expect(try String(contentsOf: dir.appendingPathComponent("shop/preorders/fall-drop-2026.yaml"), encoding: .utf8) == before)
    }

    @Test("export to standard output is one stable document (golden) that also plans to No changes")
    func exportToStandardOutput() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let export = try await Stoqctl.run(["export", "--endpoint", "emulator:\(state.path)"], in: dir)
        #expect(export.status == 0)
        let golden = Golden.check(export.stdout, against: "Tests/Fixtures/export/the-example-shop.yaml")
        #expect(golden == nil, "\(golden ?? "")")
        try export.stdout.write(to: dir.appendingPathComponent("all.yaml"), atomically: true, encoding: .utf8)
        let plan = try await Stoqctl.run(["plan", "all.yaml", "--endpoint", "emulator:\(state.path)", "--detailed-exitcode"], in: dir)
        #expect(plan.status == 0, "\(plan.stdout)")
    }
}
