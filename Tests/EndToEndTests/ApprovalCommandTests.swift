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
        var transcript = try repo.transcript()
        let applied = try repo.git(["rev-parse", "HEAD"])
        try Self.rename(repo, 5)
        transcript.note("plans 1 to 5 renamed in the configuration")
        let refused = try await repo.run(["plan", "shop", "--baseline", "origin/main"], into: &transcript)
        #expect(refused.status == 3, "\(refused.stderr)")
        let digest = try Self.digest(refused.stdout, gate: "updates")

        try Self.settings(repo, "safety:\n  approvals:\n    - {gate: updates, change: \(digest), note: spring rename}\n")
        transcript.note("stoqctl.yaml approves that change of the updates gate")
        let approved = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--detailed-exitcode"], into: &transcript)
        #expect(approved.status == 2, "\(approved.stderr)")
        for format in ["markdown", "github", "json"] {
            _ = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--format", format], into: &transcript)
        }

        // The merge: the apply on main plans again against the live shop, attributed against the
        // last applied commit, and the approval holds for what is applied.
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "rename five plans"])
        transcript.note("merged; the apply on main is attributed against the last applied commit")
        let apply = try await repo.run(["apply", "shop", "--baseline", applied], into: &transcript)
        #expect(apply.status == 0, "\(apply.stderr)")
        let after = try await repo.run(["plan", "shop", "--detailed-exitcode"], into: &transcript)
        #expect(after.status == 0, "\(after.stdout)")
        transcript.expect(golden: "Tests/Fixtures/approval/refused-approved-in-the-pull-request-applied-on-merge.txt")
    }

    @Test("an approval does not approve drift: drift alone over the gate is still refused, naming why")
    func driftIsNotApproved() async throws {
        let repo = try GitShop()
        var transcript = try repo.transcript()
        try Self.rename(repo, 4)
        let refused = try await repo.run(["plan", "shop", "--baseline", "origin/main"])
        let digest = try Self.digest(refused.stdout, gate: "updates")
        try Self.settings(repo, "safety:\n  approvals:\n    - {gate: updates, change: \(digest)}\n")
        transcript.note("plans 1 to 4 renamed in the configuration, that change approved in stoqctl.yaml")
        // Staff edit four other plans in STOQ: reverting them is drift nobody reviewed.
        var state = try repo.shop.stateText()
        for i in 6...9 { state = state.replacingOccurrences(of: #""name": "Plan \#(i)""#, with: #""name": "Plan \#(i) by staff""#) }
        try state.write(to: repo.shop.state, atomically: true, encoding: .utf8)
        transcript.note("staff rename plans 6 to 9 in STOQ")
        let drift = try await repo.run(["plan", "shop", "--baseline", "origin/main"], into: &transcript)
        #expect(drift.status == 3, "\(drift.stdout)")
        transcript.expect(golden: "Tests/Fixtures/approval/drift-alone-over-the-gate-is-refused.txt")
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
        let merged = try await repo.run(["apply", "shop"])
        #expect(merged.status == 0, "\(merged.stderr)")
        var transcript = Transcript(in: repo.dir)
        transcript.mask(commit: try repo.git(["rev-parse", "HEAD"]), as: "merged")
        transcript.note("plans 1 to 5 renamed and approved (change \(digest)), merged and applied")
        // The next pull request renames the same plans again, leaving the old approval in place.
        let text = try String(contentsOf: repo.plansFile, encoding: .utf8)
        try text.replacingOccurrences(of: " (renamed)\"", with: " (again)\"").write(to: repo.plansFile, atomically: true, encoding: .utf8)
        transcript.note("the next pull request renames the same plans again")
        let next = try await repo.run(["plan", "shop", "--baseline", "origin/main"], into: &transcript)
        #expect(next.status == 3, "\(next.stdout)")
        transcript.expect(golden: "Tests/Fixtures/approval/an-approval-never-carries-over.txt")
    }

    @Test("a pull request that raises a threshold says so first, in every format")
    func raisedThreshold() async throws {
        let repo = try GitShop()
        var transcript = try repo.transcript()
        try Self.rename(repo, 5)
        try Self.settings(repo, "safety:\n  max_update_percent: 100\n")
        transcript.note("plans 1 to 5 renamed; stoqctl.yaml raises max_update_percent to 100")
        let plan = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--detailed-exitcode"], into: &transcript)
        #expect(plan.status == 2, "\(plan.stderr)")
        for format in ["markdown", "github"] {
            _ = try await repo.run(["plan", "shop", "--baseline", "origin/main", "--format", format], into: &transcript)
        }
        let unchanged = try await repo.run(["plan", "shop", "--detailed-exitcode"], into: &transcript)
        #expect(unchanged.status == 2, "without a baseline there is nothing to compare, and nothing refused")
        transcript.expect(golden: "Tests/Fixtures/approval/a-raised-threshold-is-said-first.txt")
    }

    @Test("a malformed approval is a located error")
    func malformed() async throws {
        let repo = try GitShop()
        try Self.settings(repo, "safety:\n  approvals:\n    - {gate: update, change: xyz}\n    - {change: 0123456789abcdef}\n")
        var transcript = Transcript(in: repo.dir)
        let r = try await Stoqctl.run(["validate", "shop"], in: repo.dir)
        transcript.add(["validate", "shop"], r)
        #expect(r.status == 1)
        transcript.expect(golden: "Tests/Fixtures/approval/a-malformed-approval.txt")
    }
}
