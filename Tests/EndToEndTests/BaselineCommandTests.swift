import Foundation
import StoqTestSupport
import Testing

/// A `GateShop` whose folder is a git repository with the configuration committed as it matches
/// the shop.
struct GitShop {
    let shop: GateShop
    var dir: URL { shop.dir }

    init() throws {
        shop = try GateShop(changed: 0)
        try git(["init", "--quiet", "--initial-branch=main"])
        try git(["add", "shop"])
        try git(["commit", "--quiet", "-m", "shop as applied"])
        // As a clone sees the branch a pull request merges into.
        try git(["update-ref", "refs/remotes/origin/main", "HEAD"])
    }

    /// Runs git in the shop's folder; its output.
    @discardableResult
    func git(_ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["git", "-c", "user.name=stoqctl tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false"] + args
        process.currentDirectoryURL = dir
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "git \(args.joined(separator: " "))")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var plansFile: URL { shop.config.appendingPathComponent("plans.yaml") }

    /// Renames plan-1 in the configuration (a change a pull request makes).
    func changeConfig() throws {
        let text = try String(contentsOf: plansFile, encoding: .utf8)
        try text.replacingOccurrences(of: "\"Plan 1\"\n", with: "\"Plan 1 (new)\"\n").write(
            to: plansFile, atomically: true, encoding: .utf8)
    }

    /// Renames plan-2 in the shop (an edit made in STOQ's dashboard: drift).
    func driftShop(_ name: String = "Plan 2 by staff") throws {
        let text = try shop.stateText()
        #expect(text.contains(#""name": "Plan 2""#))
        try text.replacingOccurrences(of: #""name": "Plan 2""#, with: #""name": "\#(name)""#).write(
            to: shop.state, atomically: true, encoding: .utf8)
    }

    func run(_ args: [String], environment: [String: String] = [:]) async throws -> Stoqctl.Outcome {
        try await Stoqctl.run(args + ["--endpoint", shop.endpoint], in: dir, environment: environment)
    }

    /// Runs `stoqctl args…` and adds what it printed to `transcript` (the endpoint left out).
    func run(_ args: [String], into transcript: inout Transcript, environment: [String: String] = [:]) async throws -> Stoqctl.Outcome {
        let outcome = try await run(args, environment: environment)
        transcript.add(args, outcome)
        return outcome
    }

    /// A transcript of commands in this repository, the commit checked out now shown as `<name>`.
    func transcript(head name: String = "applied") throws -> Transcript {
        var transcript = Transcript(in: dir)
        transcript.mask(commit: try git(["rev-parse", "HEAD"]), as: name)
        return transcript
    }
}

@Suite("--baseline: changes of the configuration told from drift, end to end with git", .serialized)
struct BaselineCommandTests {
    @Test("a pull request's plan against origin's commit: the rename is the PR's, the staff edit is drift; --changes picks the exit")
    func attribution() async throws {
        let repo = try GitShop()
        var transcript = try repo.transcript()
        let head = try repo.git(["rev-parse", "HEAD"])
        try repo.changeConfig()
        try repo.driftShop()
        transcript.note("plan-1 renamed in the configuration, plan-2 renamed by staff in STOQ")

        let plan = try await repo.run(["plan", "shop", "--baseline", "origin/main"], into: &transcript)
        #expect(plan.status == 0, "\(plan.stderr)")
        // The README shows this output (its commit is another).
        let readme = try String(contentsOf: Golden.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let shown = plan.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Plan hash:") }
            .joined(separator: "\n").replacingOccurrences(of: String(head.prefix(12)), with: "f89e4983f5d7")
        #expect(readme.contains("```\n" + shown + "```\n"), "README shows:\n\(shown)")

        // The same from the environment.
        let fromEnvironment = try await repo.run(["plan", "shop"], environment: ["STOQCTL_BASELINE": "origin/main"])
        #expect(fromEnvironment.stdout == plan.stdout)

        for (changes, status) in [("all", Int32(2)), ("config", 2), ("drift", 2)] {
            let r = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--detailed-exitcode", "--changes", changes])
            #expect(r.status == status, "--changes \(changes): \(r.stderr)")
        }
        // Staff undo their edit: no drift left, the PR's change remains.
        let text = try repo.shop.stateText()
        try text.replacingOccurrences(of: "Plan 2 by staff", with: "Plan 2").write(to: repo.shop.state, atomically: true, encoding: .utf8)
        let noDrift = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--detailed-exitcode", "--changes", "drift"])
        #expect(noDrift.status == 0, "\(noDrift.stdout)")
        let config = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--detailed-exitcode", "--changes", "config"])
        #expect(config.status == 2)
        // The PR's change reverted, the shop edited again: drift only.
        try repo.git(["checkout", "--quiet", "--", "shop"])
        try repo.driftShop()
        let onlyDrift = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--detailed-exitcode", "--changes", "config"])
        #expect(onlyDrift.status == 0, "\(onlyDrift.stdout)")
        let drifted = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--detailed-exitcode", "--changes", "drift"])
        #expect(drifted.status == 2)

        // Without a baseline, --changes config cannot be answered: a usage error.
        let noBaseline = try await repo.run(["plan", "shop", "--detailed-exitcode", "--changes", "drift"], into: &transcript)
        #expect(noBaseline.status == 64)
        transcript.expect(golden: "Tests/Fixtures/baseline/a-pull-requests-change-told-from-drift.txt")
    }

    @Test("apply against a baseline sets both back; then the plan against the same baseline is empty")
    func applyConverges() async throws {
        let repo = try GitShop()
        var transcript = try repo.transcript()
        try repo.changeConfig()
        try repo.driftShop()
        transcript.note("plan-1 renamed in the configuration, plan-2 renamed by staff in STOQ")
        let apply = try await repo.run(["apply", "shop", "--baseline", "HEAD"], into: &transcript)
        #expect(apply.status == 0, "\(apply.stderr)")
        let state = try repo.shop.stateText()
        #expect(state.contains("Plan 1 (new)") && !state.contains("Plan 2 by staff"))
        let plan = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--detailed-exitcode"], into: &transcript)
        #expect(plan.status == 0, "\(plan.stdout)")
        transcript.expect(golden: "Tests/Fixtures/baseline/apply-against-a-baseline-then-no-changes.txt")
    }

    @Test("a baseline that cannot be read is a clear error: exit 1, nothing sent, the shop untouched")
    func unreadable() async throws {
        let repo = try GitShop()
        var transcript = try repo.transcript()
        try repo.changeConfig()
        let before = try repo.shop.stateText()

        let missing = try await repo.run(["apply", "shop", "--baseline", "no-such-branch"], into: &transcript)
        #expect(missing.status == 1)
        #expect(try repo.shop.stateText() == before)

        // Outside any git repository.
        let plain = try GateShop(changed: 1)
        transcript.mask(plain.dir.path, as: "<another dir>")
        transcript.note("in <another dir>, which is not in a git repository")
        let outside = try await plain.run(["plan", "shop", "--baseline", "origin/main"], into: &transcript)
        #expect(outside.status == 1)

        // A baseline whose configuration has errors: located at the ref, and nothing is sent.
        try "version: 1\nselling_plans:\n  - internal_name: plan-1\n    nmae: x\n".write(
            to: repo.plansFile, atomically: true, encoding: .utf8)
        try repo.git(["commit", "--quiet", "-am", "a broken commit"])
        try repo.git(["checkout", "--quiet", "HEAD~1", "--", "shop"])
        try repo.changeConfig()
        transcript.mask(commit: try repo.git(["rev-parse", "HEAD"]), as: "broken")
        transcript.note("back in <dir>, HEAD is <broken>: a commit whose plans.yaml has an unknown key")
        let broken = try await repo.run(["apply", "shop", "--baseline", "HEAD"], into: &transcript)
        #expect(broken.status == 1)
        #expect(try repo.shop.stateText() == before)
        transcript.expect(golden: "Tests/Fixtures/baseline/a-baseline-that-cannot-be-read.txt")
    }

    @Test(
        "a baseline ref that does not exist, in every format: one located sentence, exit 1, nothing sent",
        arguments: [("text", "plan.txt"), ("json", "plan.json"), ("markdown", "plan.md"), ("github", "plan.github.txt")])
    func unreadableGolden(format: String, file: String) async throws {
        let repo = try GitShop()
        try repo.changeConfig()
        let before = try repo.shop.stateText()
        let r = try await repo.run(["plan", "shop", "--baseline", "origin/no-such-branch", "--format", format])
        #expect(r.status == 1)
        #expect(try repo.shop.stateText() == before)
        // The repository is a temporary folder: named by a placeholder.
        let top = try repo.git(["rev-parse", "--show-toplevel"])
        let shown =
            "$ stoqctl plan shop --baseline origin/no-such-branch --format \(format)\n--- standard output ---\n\(r.stdout)--- standard error ---\n\(r.stderr)"
            .replacingOccurrences(of: top, with: "<repository>")
        if let failure = Golden.check(shown, against: "Tests/Fixtures/baseline/a-baseline-ref-that-does-not-exist/\(file)") {
            Issue.record(Comment(rawValue: failure))
        }
    }

    @Test("a saved plan records its baseline's commit; applying it needs --baseline naming that commit, and says so")
    func savedPlan() async throws {
        let repo = try GitShop()
        var transcript = try repo.transcript()
        let head = try repo.git(["rev-parse", "HEAD"])
        try repo.changeConfig()
        let save = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--out", "plan.json"], into: &transcript)
        #expect(save.status == 0, "\(save.stderr)")
        let saved = try String(contentsOf: repo.dir.appendingPathComponent("plan.json"), encoding: .utf8)
        #expect(saved.contains(#""commit": "\#(head)""#))
        #expect(saved.contains(#""changes_from_config": 1"#))

        let before = try repo.shop.stateText()
        let refused = try await repo.run(["apply", "plan.json", "shop"], into: &transcript)
        #expect(refused.status == 1)
        #expect(try repo.shop.stateText() == before, "nothing was sent")
        let apply = try await repo.run(["apply", "plan.json", "shop", "--baseline", "HEAD", "--report", "report.json"], into: &transcript)
        #expect(apply.status == 0, "\(apply.stderr)")
        try transcript.add(file: "report.json")
        transcript.expect(golden: "Tests/Fixtures/baseline/a-saved-plan-applies-only-with-its-baseline.txt")
    }

    @Test("a baseline of files in folders, with its stoqctl.yaml, is read whole: the settings stay settings, a nested one is misplaced")
    func folders() async throws {
        let repo = try GitShop()
        let sub = repo.shop.config.appendingPathComponent("more/deeper")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        for i in 1...30 {
            try "version: 1\nselling_plans:\n  - internal_name: extra-\(i)\n    name: \"Extra \(i)\"\n".write(
                to: sub.appendingPathComponent("extra \(i).yaml"), atomically: true, encoding: .utf8)
        }
        try "version: 1\nprune: false\n".write(
            to: repo.shop.config.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "more plans"])
        // The 30 new plans are in the baseline but not in the shop: deleted in STOQ, drift.
        let plan = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--format", "json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains(#""changes_from_config": 0"#) && plan.stdout.contains(#""changes_from_remote": 30"#))
        // A stoqctl.yaml below the root is misplaced at the baseline as it is in the configuration.
        try "version: 1\n".write(to: sub.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "a misplaced settings file"])
        try FileManager.default.removeItem(at: sub.appendingPathComponent("stoqctl.yaml"))
        var transcript = try repo.transcript(head: "HEAD")
        transcript.note("HEAD has a stoqctl.yaml in shop/more/deeper; the work tree does not")
        let misplaced = try await repo.run(["plan", "shop", "--baseline", "HEAD"], into: &transcript)
        #expect(misplaced.status == 1)
        transcript.expect(golden: "Tests/Fixtures/baseline/a-nested-stoqctl-yaml-at-the-baseline-is-misplaced.txt")
    }

    @Test("a directory is a baseline too, with its files' paths in diagnostics")
    func directory() async throws {
        let repo = try GitShop()
        let old = repo.dir.appendingPathComponent("applied")
        try FileManager.default.copyItem(at: repo.shop.config, to: old)
        try repo.changeConfig()
        var transcript = Transcript(in: repo.dir)
        transcript.note("applied/ holds the configuration as applied; plan-1 renamed in shop/ since")
        let text = try await repo.run(["plan", "shop", "--baseline", "applied"], into: &transcript)
        #expect(text.status == 0, "\(text.stderr)")
        transcript.expect(golden: "Tests/Fixtures/baseline/a-directory-as-the-baseline.txt")
        let plan = try await repo.run(["plan", "shop", "--baseline", "applied", "--format", "json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains(#""ref": "applied""#))
        #expect(plan.stdout.contains(#""changes_from_config": 1"#) && plan.stdout.contains(#""changes_from_remote": 0"#))
    }
}

@Suite("A git baseline is read by object id: any file name, sizes checked before reading", .serialized)
struct BaselineBlobTests {
    @Test("a file name with a line break neither breaks nor shifts the files read after it")
    func lineBreakInName() async throws {
        let repo = try GitShop()
        let extra = { (name: String) in "version: 1\nselling_plans:\n  - internal_name: \(name)\n    name: \"\(name)\"\n" }
        try extra("odd-1").write(to: repo.shop.config.appendingPathComponent("a\nodd.yaml"), atomically: true, encoding: .utf8)
        try extra("odd-2").write(to: repo.shop.config.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try extra("odd-3").write(to: repo.shop.config.appendingPathComponent("c.yaml\nd.yaml"), atomically: true, encoding: .utf8)
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "odd names"])
        var transcript = try repo.transcript(head: "HEAD")
        transcript.note("HEAD adds shop/a⏎odd.yaml, shop/b.yaml and shop/c.yaml⏎d.yaml (⏎: a line break in the name)")
        let text = try await repo.run(["plan", "shop", "--baseline", "HEAD"], into: &transcript)
        #expect(text.status == 0, "\(text.stderr)")
        transcript.expect(golden: "Tests/Fixtures/baseline/a-file-name-with-a-line-break.txt")
        let plan = try await repo.run(["plan", "shop", "--baseline", "HEAD", "--format", "json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        // The three plans are in the baseline and the configuration, not in the shop: drift.
        #expect(plan.stdout.contains(#""changes_from_config": 0"#) && plan.stdout.contains(#""changes_from_remote": 3"#), "\(plan.stdout)")
    }

    @Test("a baseline file over the size limit is refused at its path without being read")
    func oversized() async throws {
        let repo = try GitShop()
        let big = repo.shop.config.appendingPathComponent("big.yaml")
        var text = "version: 1\n"
        text += String(repeating: "# padding padding padding padding padding padding padding padding\n", count: (17 << 20) / 66)
        try text.write(to: big, atomically: true, encoding: .utf8)
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "a big file"])
        try FileManager.default.removeItem(at: big)
        var transcript = try repo.transcript(head: "HEAD")
        transcript.note("HEAD has shop/big.yaml of 17 MiB; the work tree does not")
        let plan = try await repo.run(["plan", "shop", "--baseline", "HEAD"], into: &transcript)
        #expect(plan.status == 1)
        transcript.expect(golden: "Tests/Fixtures/baseline/a-baseline-file-over-the-size-limit.txt")
    }
}
