import Foundation
import StoqCore
import Testing

@Suite("Refusals and notices are facts that know their code and their words")
struct SafetyFindingsTests {
    let plan = gatedPlan(managed: 20, updates: 9)
    var hash: String { PlanJSON.hash(plan) }
    var pin: String { String(hash.dropFirst("sha256:".count).prefix(16)) }

    func tripped(_ decision: GateDecision) -> TrippedGate {
        TrippedGate(decision: decision, managedPlans: 20, minManagedPlans: 10, planHash: hash)
    }

    var updates: GateDecision {
        get throws { try #require(Safety.decide(plan, planHash: hash, overrides: []).first { $0.check.gate == .updates }) }
    }

    @Test("a tripped gate refuses with safety-gate, its measure and both ways through")
    func gateRefusal() throws {
        let verdict = Safety.verdict(for: plan, planHash: hash, overrides: [], allowDeletes: true)
        let decision = try updates
        #expect(verdict.refusals == [.gate(tripped(decision))])
        let refusal = try #require(verdict.refusals.first)
        #expect(refusal.code == .safetyGate)
        let reason =
            "safety gate `updates` refuses this plan: 9 of 20 managed plans updated (45 %); safety.max_update_percent: 30 allows 6: 3 over"
        #expect(refusal.reason == reason)
        let remedy =
            "To apply it anyway, after review: approve this change in stoqctl.yaml with `safety: {approvals: [{gate: updates, change: \(decision.change ?? "")}]}`, or run apply with --allow-gate updates=\(pin)"
        #expect(refusal.remedy == remedy)
        #expect(refusal.text == reason + ". " + remedy)
        #expect(refusal.sentence == "S" + reason.dropFirst() + ". " + remedy + ".")
    }

    @Test("deletes without --allow-deletes refuse with deletes-need-permission")
    func deletesRefusal() throws {
        let deleting = gatedPlan(managed: 100, updates: 0, deletes: 1)
        let verdict = Safety.verdict(for: deleting, planHash: PlanJSON.hash(deleting), overrides: [], allowDeletes: false)
        #expect(verdict.refusals == [.deletesWithoutPermission(count: 1)])
        #expect(verdict.refusals.first?.code == .deletesNeedPermission)
        #expect(verdict.refusals.first?.text == "the plan deletes 1 plan; deletes need --allow-deletes")
        #expect(Refusal.deletesWithoutPermission(count: 2).sentence == "The plan deletes 2 plans; deletes need --allow-deletes.")
        #expect(Refusal.deletesWithoutPermission(count: 2).remedy == nil)
    }

    @Test("an override pinned to another plan, and an approval of another change, are named in the refusal")
    func mismatches() throws {
        let other = try #require(GateOverride(parsing: "updates=0123456789abcdef"))
        var decision = try updates
        decision.overrideMismatch = other
        decision.approvalMismatch = .otherChange(SafetyApproval(gate: .updates, change: "aaaaaaaa"), planChange: "bbbbbbbbbbbbbbbb")
        let reason = Refusal.gate(tripped(decision)).reason
        #expect(
            reason.hasSuffix(
                "3 over; --allow-gate updates=0123456789abcdef is pinned to another plan; this plan is \(hash.prefix(19))…; safety.approvals names change aaaaaaaa for this gate, but this plan's change is bbbbbbbbbbbbbbbb"
            ))
        let drift = try #require(Safety.check(plan).first { $0.gate == .updates })
        #expect(
            ApprovalMismatch.driftOver(SafetyApproval(gate: .updates, change: "aaaaaaaa"), drift: drift).text
                == "the approval of change aaaaaaaa covers the configuration's part; drift alone goes over: 9 against 6 allowed")
    }

    @Test("notices: let through by an override (and unpinned), or by an approval with its note; all gate-overridden")
    func notices() throws {
        let unpinned = try #require(GateOverride(parsing: "updates"))
        let verdict = Safety.verdict(for: plan, planHash: hash, overrides: [unpinned], allowDeletes: true)
        var decision = try updates
        decision.override = unpinned
        #expect(verdict.refusals.isEmpty)
        #expect(verdict.notices == [.overridden(tripped(decision), by: unpinned), .unpinned(tripped(decision))])
        #expect(verdict.notices.allSatisfy { $0.code == .gateOverridden })
        let measure = "9 of 20 managed plans updated (45 %); safety.max_update_percent: 30 allows 6: 3 over"
        #expect(
            verdict.notices.map(\.text) == [
                "safety gate `updates` is let through by --allow-gate updates: \(measure)",
                "--allow-gate updates is not pinned to a plan; pin it with --allow-gate updates=\(pin)",
            ])
        #expect(verdict.notices[1].sentence == "--allow-gate updates is not pinned to a plan; pin it with --allow-gate updates=\(pin).")

        let approval = SafetyApproval(gate: .updates, change: try #require(decision.change), note: "spring sale")
        let approved = SafetyNotice.approved(tripped(try updates), by: approval)
        #expect(
            approved.text
                == "safety gate `updates` is let through by the approval in stoqctl.yaml of change \(approval.change) (spring sale): \(measure)"
        )
        #expect(approved.code == .gateOverridden)
    }

    @Test("an approval in stoqctl.yaml gives the approved notice, not a refusal")
    func approvalVerdict() throws {
        let change = try #require(try updates.change)
        var safety = SafetySettings()
        safety.approvals = [SafetyApproval(gate: .updates, change: change)]
        let approvedPlan = gatedPlan(managed: 20, updates: 9, safety: safety)
        let verdict = Safety.verdict(for: approvedPlan, planHash: PlanJSON.hash(approvedPlan), overrides: [], allowDeletes: true)
        #expect(verdict.refusals.isEmpty)
        guard case .approved(_, let by)? = verdict.notices.first else {
            Issue.record("expected an approval notice, got \(verdict.notices)")
            return
        }
        #expect(by.change == change && verdict.notices.count == 1)
    }
}
