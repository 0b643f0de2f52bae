import Foundation
import StoqCore
import StoqTestSupport
import Testing

/// A work tree holding a copy of the example configuration, whose `origin` is a bare repository
/// beside it: the git remote the apply lock lives on.
struct LockedCheckout {
    let root: URL
    let work: URL
    let bare: URL

    init() throws {
        root = try temporaryDirectory()
        work = root.appendingPathComponent("work")
        bare = root.appendingPathComponent("remote.git")
        let shop = work.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: shop, withIntermediateDirectories: true)
        try "version: 1\ninventory_policy_source: declared\n".write(
            to: shop.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
        try Self.plans.write(to: shop.appendingPathComponent("plans.yaml"), atomically: true, encoding: .utf8)
        try git(["init", "--quiet", "--bare", bare.path])
        try git(["init", "--quiet", work.path])
        try git(["-C", work.path, "remote", "add", "origin", bare.path])
    }

    /// Four plans of two variants each: eight operations on an empty shop, four of them creates.
    static let plans =
        "version: 1\nselling_plans:\n"
        + (0..<4).map { i in
            """
              - internal_name: lock-drop-\(i)
                name: Lock drop \(i)
                enabled: true
                billing_type: exact_time
                billing_at: 2026-10-01T09:00:00Z
                billing_checkout_charge_type: percentage
                billing_checkout_charge_percentage: 20
                delivery_type: exact_time
                delivery_at: 2026-10-15T09:00:00Z
                inventory_reserve_type: on_sale
                inventory_provider: stoq
                pricing_type: percentage
                pricing_percentage: 10
                product_variants_source: custom
                variants: [\(4_390_091_001_000 + i * 10), \(4_390_091_001_001 + i * 10)]

            """
        }.joined()

    @discardableResult
    func git(_ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + args
        process.environment = ProcessInfo.processInfo.environment.merging([
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
        ]) { _, b in b }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Refs under refs/stoqctl/locks/ on the remote.
    var lockRefs: String { (try? git(["-C", bare.path, "for-each-ref", "refs/stoqctl/locks/"])) ?? "" }
}

/// What a trial of two concurrent applies found.
struct Trial {
    var statuses: [Int32]
    var waited: Int
    var refused: Int
    var duplicated: Bool
    var replanClean: Bool
    var details: String
}

/// Starts two applies of one configuration (4 creates) at once against one HTTP emulator with
/// 30 ms latency, then plans again.
///
/// `staggered` starts the second only once the first holds the
/// lock, with 1.5 s latency so that the first still holds it when the second starts, even on a loaded machine: the two always contend.
func concurrentApplies(lock: [String], wait: String = "300", staggered: Bool = false) async throws -> Trial {
    let checkout = try LockedCheckout()
    let server = try ServedEmulator(
        state: "new:" + checkout.root.appendingPathComponent("state.json").path, extra: ["--latency", staggered ? "1500ms" : "30ms"])
    defer { withExtendedLifetime(server) {} }
    let env = ["STOQ_API_TOKEN": "t", "STOQCTL_LOCK": "auto"]
    let args = ["apply", "shop", "--endpoint", server.base, "--lock-wait", wait, "--color", "never"] + lock
    async let first = Stoqctl.run(args, in: checkout.work, environment: env)
    if staggered {
        let deadline = Date().addingTimeInterval(60)
        while checkout.lockRefs.isEmpty, Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
    }
    async let second = Stoqctl.run(args, in: checkout.work, environment: env)
    let runs = try await [first, second]
    let again = try await Stoqctl.run(
        ["plan", "shop", "--endpoint", server.base, "--detailed-exitcode"], in: checkout.work, environment: env)
    let details = runs.enumerated().map { "apply \($0): \($1.status)\n\($1.stderr)" }.joined(separator: "\n") + "\nplan: \(again.stderr)"
    #expect(checkout.lockRefs.isEmpty || lock == ["--lock", "none"], "every lock is released: \(checkout.lockRefs)")
    return Trial(
        statuses: runs.map(\.status), waited: runs.filter { $0.stderr.contains("holds the apply lock") && $0.status == 0 }.count,
        refused: runs.filter { $0.status == 6 }.count,
        duplicated: again.stderr.contains("ambiguous-remote-plan"), replanClean: again.status == 0 && again.stdout.contains("No changes"),
        details: details)
}

@Suite("One apply per shop at a time: the git lock against an HTTP emulator")
struct ApplyLockCommandTests {
    /// `STOQCTL_LOCK_TRIALS` sets how many trials run (the default keeps `swift test` short).
    static let trials = ProcessInfo.processInfo.environment["STOQCTL_LOCK_TRIALS"].flatMap(Int.init) ?? 3

    @Test("two applies started together: no plan duplicated, the second waits for the first and then finds no changes")
    func concurrent() async throws {
        var waits = 0
        for index in 0..<Self.trials {
            let trial = try await concurrentApplies(lock: [])
            #expect(trial.statuses == [0, 0], "trial \(index): \(trial.details)")
            #expect(!trial.duplicated && trial.replanClean, "trial \(index): \(trial.details)")
            waits += trial.waited
        }
        print("apply lock: \(Self.trials) trials of two concurrent applies, 0 duplicated, \(waits) waited")
        // Started together, the two may or may not overlap; started once the first holds the
        // lock, the second must wait.
        let contended = try await concurrentApplies(lock: [], staggered: true)
        #expect(contended.statuses == [0, 0] && !contended.duplicated && contended.replanClean, "\(contended.details)")
        #expect(contended.waited == 1, "the second apply waited for the first: \(contended.details)")
    }

    @Test("with --lock-wait 0 the second apply refuses with exit 6, naming the holder, and sends nothing")
    func refuses() async throws {
        var refusals = 0
        for index in 0..<Self.trials {
            let trial = try await concurrentApplies(lock: [], wait: "0")
            #expect(!trial.duplicated && trial.replanClean, "trial \(index): \(trial.details)")
            #expect(trial.statuses.contains(0), "trial \(index): \(trial.details)")
            refusals += trial.refused
            if trial.refused == 1 {
                #expect(trial.details.contains("another apply of the shop at http://127.0.0.1:"), "\(trial.details)")
                #expect(trial.details.contains("[apply-locked]") && trial.details.contains("nothing was sent"), "\(trial.details)")
            }
        }
        print("apply lock: \(Self.trials) trials with --lock-wait 0, 0 duplicated, \(refusals) refused with exit 6")
        let contended = try await concurrentApplies(lock: [], wait: "0", staggered: true)
        #expect(contended.statuses == [0, 6] && !contended.duplicated && contended.replanClean, "\(contended.details)")
        #expect(contended.details.contains("[apply-locked]") && contended.details.contains("nothing was sent"), "\(contended.details)")
    }

    @Test("a remote that refuses pushes: apply exits 1 naming git's error and sends nothing; --lock none applies")
    func unpushable() async throws {
        let checkout = try LockedCheckout()
        let hook = checkout.bare.appendingPathComponent("hooks/pre-receive")
        try "#!/bin/sh\necho 'read-only mirror' >&2\nexit 1\n".write(to: hook, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook.path)
        let state = checkout.root.appendingPathComponent("state.json").path
        let server = try ServedEmulator(state: "new:" + state)
        defer { withExtendedLifetime(server) {} }
        let env = ["STOQ_API_TOKEN": "t", "STOQCTL_LOCK": "auto"]
        var transcript = Transcript(in: checkout.root)
        transcript.mask(server.base, as: "<server>")
        // The lock's ref names the endpoint, port and all; git names the lock commit it could not push.
        transcript.mask(matching: "127\\.0\\.0\\.1-[0-9]+-", as: "127.0.0.1-<port>-")
        transcript.mask(matching: "[0-9a-f]{40}(?=:refs/)", as: "<lock commit>")
        transcript.note("in <dir>/work, whose origin <dir>/remote.git refuses every push (read-only mirror)")
        func run(_ args: [String]) async throws -> Stoqctl.Outcome {
            let outcome = try await Stoqctl.run(args, in: checkout.work, environment: env)
            transcript.add(args, outcome)
            return outcome
        }
        let refused = try await run(["apply", "shop", "--endpoint", server.base])
        #expect(refused.status == 1, "\(refused.stderr)")
        let plan = try await run(["plan", "shop", "--endpoint", server.base, "--detailed-exitcode"])
        #expect(plan.status == 2, "nothing was sent: \(plan.stdout)")
        transcript.expect(golden: "Tests/Fixtures/apply-lock/a-remote-that-refuses-pushes.txt")
        // Not in the transcript: over HTTP, the order operations finish in, and so the ids STOQ
        // gives the created plans, vary from run to run.
        let unlocked = try await Stoqctl.run(
            ["apply", "shop", "--endpoint", server.base, "--lock", "none", "--report", "report.json"], in: checkout.work, environment: env)
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        let report = try String(contentsOf: checkout.work.appendingPathComponent("report.json"), encoding: .utf8)
        #expect(report.contains(#""shop": "the shop at \#(server.base)""#), "\(report.prefix(300))")
    }

    @Test("emulator: endpoints lock their state file: two in-process applies at once lose no write")
    func emulatorStateFile() async throws {
        let checkout = try LockedCheckout()
        let state = checkout.root.appendingPathComponent("state.json").path
        let args = ["apply", "shop", "--endpoint", "emulator:new:\(state)", "--lock-wait", "60"]
        async let first = Stoqctl.run(args, in: checkout.work, environment: ["STOQCTL_LOCK": "auto"])
        async let second = Stoqctl.run(args, in: checkout.work, environment: ["STOQCTL_LOCK": "auto"])
        let runs = try await [first, second]
        #expect(runs.map(\.status) == [0, 0], "\(runs.map(\.stderr))")
        var transcript = Transcript(in: checkout.root)
        let planArgs = ["plan", "shop", "--endpoint", "emulator:\(state)", "--detailed-exitcode"]
        let plan = try await Stoqctl.run(planArgs, in: checkout.work)
        transcript.add(planArgs, plan)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        transcript.expect(golden: "Tests/Fixtures/apply-lock/after-two-applies-at-once-no-changes.txt")
        #expect(FileManager.default.fileExists(atPath: state + ".lock"))
        #expect(checkout.lockRefs.isEmpty, "no git lock for an emulator: endpoint")
    }
}
