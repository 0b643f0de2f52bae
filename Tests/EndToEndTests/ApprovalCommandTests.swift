import Foundation
import StoqTestSupport
import Testing

/// Approvals travel from review to merge: a refused change is approved in `stoqctl.yaml` by its
/// change digest, in the pull request itself, and the apply on merge (planned again against the
/// live shop, attributed against the last applied commit) lets exactly that change through.
@Suite("safety.approvals: a gate approved for one configuration change, reviewed with it", .serialized)
struct ApprovalCommandTests {
    /// Renames plans 1…`count` in the configuration (a pull request over the 30 % updates gate).
    static func rename(_ repo: GitShop, _ count: Int, suffix: String = "(renamed)") throws {
        var text = try String(contentsOf: repo.plansFile, encoding: .utf8)
        for i in 1...count { text = text.replacingOccurrences(of: "\"Plan \(i)\"\n", with: "\"Plan \(i) \(suffix)\"\n") }
        try text.write(to: repo.plansFile, atomically: true, encoding: .utf8)
    }

    static func settings(_ repo: GitShop, _ yaml: String) throws {
        try ("version: 1\n" + yaml).write(
            to: repo.shop.config.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
    }

    /// The change digest a refused plan prints for `gate`.
    static func digest(_ output: String, gate: String) throws -> String {
        let marker = "{gate: \(gate), change: "
        let start = try #require(output.range(of: marker)?.upperBound, "no approval hint in: \(output)")
        return String(output[start...].prefix(16))
    }

    @Test("refused, approved in the pull request by its digest (shown first as a permission change), applied on merge")
    func approvedChange() async throws {
        let repo = try GitShop()
        let applied = try repo.git(["rev-parse", "HEAD"])
        try Self.rename(repo, 5)
        let refused = try await repo.run(["plan", "shop", "--baseline", "origin/main"])
        #expect(refused.status == 3, "\(refused.stderr)")
        let digest = try Self.digest(refused.stdout, gate: "updates")

        try Self.settings(repo, "safety:\n  approvals:\n    - {gate: updates, change: \(digest), note: spring rename}\n")
        let approved = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--detailed-exitcode"])
        #expect(approved.status == 2, "\(approved.stderr)")
        let first = approved.stdout.split(separator: "\n").prefix(2).joined(separator: "\n")
        #expect(first.hasPrefix("This change raises its own permissions in stoqctl.yaml (since the baseline origin/main ("))
        #expect(first.contains("! adds the approval updates change \(digest)"))
        #expect(
            approved.stdout.contains(
                "Safety gate `updates` is let through by the approval in stoqctl.yaml of change \(digest) (spring rename): 5 of 12 managed plans updated"
            ))
        for (format, first) in [
            ("markdown", "> [!WARNING]\n> **This change raises its own permissions"),
            ("github", "::warning title=stoqctl plan%3A permissions::This change raises its own permissions"),
        ] {
            let shown = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--format", format])
            let lines = shown.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let start = format == "markdown" ? lines.dropFirst(2).joined(separator: "\n") : shown.stdout
            #expect(start.hasPrefix(first), "\(format): \(shown.stdout)")
        }
        let json = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--format", "json"])
        #expect(json.stdout.contains(#""setting": "safety.approvals""#) && json.stdout.contains(#""after": "updates change \#(digest)""#))

        // The merge: the apply on main plans again against the live shop, attributed against the
        // last applied commit, and the approval holds for what is applied.
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "rename five plans"])
        let apply = try await repo.run(["apply", "shop", "--baseline", applied])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("5 applied"))
        let after = try await repo.run(["plan", "shop", "--detailed-exitcode"])
        #expect(after.status == 0 && after.stdout.hasPrefix("No changes."), "\(after.stdout)")
    }

    @Test("an approval does not approve drift: drift alone over the gate is still refused, naming why")
    func driftIsNotApproved() async throws {
        let repo = try GitShop()
        try Self.rename(repo, 4)
        let refused = try await repo.run(["plan", "shop", "--baseline", "origin/main"])
        let digest = try Self.digest(refused.stdout, gate: "updates")
        try Self.settings(repo, "safety:\n  approvals:\n    - {gate: updates, change: \(digest)}\n")
        // Staff edit four other plans in STOQ: reverting them is drift nobody reviewed.
        var state = try repo.shop.stateText()
        for i in 6...9 { state = state.replacingOccurrences(of: #""name": "Plan \#(i)""#, with: #""name": "Plan \#(i) by staff""#) }
        try state.write(to: repo.shop.state, atomically: true, encoding: .utf8)
        let drift = try await repo.run(["plan", "shop", "--baseline", "origin/main"])
        #expect(drift.status == 3, "\(drift.stdout)")
        #expect(
            drift.stdout.contains(
                "the approval of change \(digest) covers the configuration's part; drift alone goes over: 4 against 3 allowed"))
    }

    @Test("an approval never carries over: another change to the same plans has another digest and is refused")
    func approvalDoesNotCarryOver() async throws {
        let repo = try GitShop()
        try Self.rename(repo, 5)
        let digest = try Self.digest(try await repo.run(["plan", "shop", "--baseline", "origin/main"]).stdout, gate: "updates")
        try Self.settings(repo, "safety:\n  approvals:\n    - {gate: updates, change: \(digest)}\n")
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "rename, approved"])
        try repo.git(["update-ref", "refs/remotes/origin/main", "HEAD"])
        // The next pull request renames the same plans again, leaving the old approval in place.
        try Self.rename(repo, 5, suffix: "(again)")
        var text = try String(contentsOf: repo.plansFile, encoding: .utf8)
        text = text.replacingOccurrences(of: "(renamed) (again)", with: "(again)")
        try text.write(to: repo.plansFile, atomically: true, encoding: .utf8)
        let next = try await repo.run(["plan", "shop", "--baseline", "origin/main"])
        #expect(next.status == 3, "\(next.stdout)")
        #expect(next.stdout.contains("safety.approvals names change \(digest) for this gate, but this plan's change is "))
    }

    @Test("a pull request that raises a threshold says so first, in every format")
    func raisedThreshold() async throws {
        let repo = try GitShop()
        try Self.rename(repo, 5)
        try Self.settings(repo, "safety:\n  max_update_percent: 100\n")
        let plan = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--detailed-exitcode"])
        #expect(plan.status == 2, "\(plan.stderr)")
        #expect(plan.stdout.hasPrefix("This change raises its own permissions in stoqctl.yaml"))
        #expect(plan.stdout.contains("  ! raises safety.max_update_percent from 30 to 100\n"))
        let markdown = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--format", "markdown"])
        #expect(markdown.stdout.contains("This pull request raises safety.max\\_update\\_percent from 30 to 100."), "\(markdown.stdout)")
        let unchanged = try await repo.run(["plan", "shop", "--detailed-exitcode"])
        #expect(!unchanged.stdout.contains("its own permissions"), "without a baseline there is nothing to compare")
    }

    @Test("a malformed approval is a located error")
    func malformed() async throws {
        let repo = try GitShop()
        try Self.settings(repo, "safety:\n  approvals:\n    - {gate: update, change: xyz}\n    - {change: 0123456789abcdef}\n")
        let r = try await Stoqctl.run(["validate", "shop"], in: repo.dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("shop/stoqctl.yaml:4:14: error: `update` is not a safety gate"), "\(r.stdout)")
        #expect(r.stdout.contains("shop/stoqctl.yaml:4:30: error: `safety.approvals.change` must be the change digest"))
        #expect(r.stdout.contains("shop/stoqctl.yaml:5:7: error: an approval needs `gate`"))
    }
}
