import Foundation
import StoqTestSupport
import Testing

/// The README's tour, run with the built binary in a scratch copy of the repository's example,
/// each step's standard output, standard error and exit code compared whole with a golden file
/// under `Tests/Fixtures/tour/` (recorded only with `RECORD_GOLDENS=1`).
///
/// Durations are the only machine-specific output; they are replaced by `<seconds>`.
@Suite("The README tour, end to end, against golden files", .serialized)
struct TourTests {
    /// A scratch directory holding `examples/shop` and the shop's state as `shop-state.json`.
    struct Tour {
        let dir: URL
        var step = 0

        init() throws {
            dir = try temporaryDirectory()
            let examples = dir.appendingPathComponent("examples")
            try FileManager.default.createDirectory(at: examples, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: Golden.repositoryRoot.appendingPathComponent("examples/shop"), to: examples.appendingPathComponent("shop"))
            try resetShop()
        }

        func resetShop() throws {
            let state = dir.appendingPathComponent("shop-state.json")
            try? FileManager.default.removeItem(at: state)
            try FileManager.default.copyItem(at: dir.appendingPathComponent("examples/shop/remote-state.json"), to: state)
        }

        /// Replaces `old` with `new` in the file at `path` (relative to the tour directory).
        func edit(_ path: String, replacing old: String, with new: String) throws {
            let url = dir.appendingPathComponent(path)
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text.contains(old), "\(path) holds \(old)")
            try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
        }

        /// Runs `stoqctl args…` as step `name`, compares it with its golden, and returns it.
        @discardableResult
        mutating func run(_ name: String, _ args: [String], note: String? = nil, sourceLocation: SourceLocation = #_sourceLocation)
            async throws -> Stoqctl.Outcome
        {
            step += 1
            let r = try await Stoqctl.run(args, in: dir)
            var text = note.map { "# \($0)\n" } ?? ""
            text += "$ stoqctl \(args.joined(separator: " "))\n"
            text += "exit \(r.status)\n--- stdout\n\(Self.placeholders(r.stdout))--- stderr\n\(Self.placeholders(r.stderr))"
            let file = String(format: "Tests/Fixtures/tour/%02d-%@.txt", step, name)
            if let failure = Golden.check(text, against: file) {
                Issue.record(Comment(rawValue: failure), sourceLocation: sourceLocation)
            }
            return r
        }

        /// `in 2.0 s` and `in 0.01 s` become `in <seconds> s`.
        static func placeholders(_ text: String) -> String {
            text.replacingOccurrences(of: #"in [0-9]+\.[0-9]+ s"#, with: "in <seconds> s", options: .regularExpression)
        }
    }

    @Test(
        "plan, apply, plan again; drift held by the CONTINUE gate, then overridden; export and plan it; a stale and a tampered saved plan")
    func tour() async throws {
        var tour = try Tour()
        let endpoint = ["--endpoint", "emulator:shop-state.json"]

        try await tour.run("plan", ["plan", "examples/shop"] + endpoint)
        try await tour.run("apply", ["apply", "examples/shop"] + endpoint)
        try await tour.run("plan-again", ["plan", "examples/shop", "--detailed-exitcode"] + endpoint)

        // STOQ sells a variant out and sets it to DENY: drift, which apply would undo only with an override.
        try tour.edit(
            "shop-state.json", replacing: "\"title\": \"Black / XS\",\n          \"inventory_policy\": \"CONTINUE\"",
            with: "\"title\": \"Black / XS\",\n          \"inventory_policy\": \"DENY\"")
        let drift = try await tour.run(
            "drift", ["plan", "examples/shop", "--detailed-exitcode"] + endpoint,
            note: "STOQ set variant 43900910010834 to DENY when it sold out")
        try await tour.run("apply-the-drift", ["apply", "examples/shop"] + endpoint)
        let hash = try #require(drift.stdout.split(separator: "\n").first { $0.hasPrefix("Plan hash: sha256:") })
            .dropFirst("Plan hash: sha256:".count)
        try await tour.run("apply-with-the-override", ["apply", "examples/shop", "--allow-gate", "continue_flips=\(hash)"] + endpoint)

        try await tour.run("export", ["export", "--out", "exported"] + endpoint)
        try await tour.run("plan-the-export", ["plan", "exported", "--detailed-exitcode"] + endpoint)
        try await tour.run("fetch", ["fetch", "examples/shop"] + endpoint)

        // Saved plans: reviewed on the pull request, applied on merge.
        try tour.resetShop()
        try await tour.run("save-a-plan", ["plan", "examples/shop", "--out", "plan.json"] + endpoint)
        try tour.edit("shop-state.json", replacing: "Ships late October", with: "Ships in November (staff)")
        try await tour.run(
            "apply-a-stale-plan", ["apply", "plan.json", "examples/shop", "--report", "report.json"] + endpoint,
            note: "someone changed fall-drop-2026's shipping_text in STOQ after the plan was made")
        try tour.resetShop()
        try await tour.run("save-the-plan-again", ["plan", "examples/shop", "--out", "plan.json"] + endpoint)
        try tour.edit("plan.json", replacing: #""after": "Ships mid-October""#, with: #""after": "Ships whenever""#)
        try await tour.run(
            "apply-a-tampered-plan", ["apply", "plan.json", "examples/shop"] + endpoint, note: "plan.json was edited after plan wrote it")
    }
}
