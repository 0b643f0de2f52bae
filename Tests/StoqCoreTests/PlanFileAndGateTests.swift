import Foundation
import StoqCore
import StoqTestSupport
import StoqWire
import Testing

/// The golden JSON plans of the scenario tests: real plans, in the format `plan --out` writes.
let goldenPlanFiles: [String] = {
    let dir = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.sorted().map { "Tests/Fixtures/plan/\($0)/plan.json" }.filter {
        FileManager.default.fileExists(atPath: Golden.repositoryRoot.appendingPathComponent($0).path)
    }
}()

/// A golden plan file as `plan --out` wrote it: a masked `plan_hash` (``Golden/maskedHash``) is
/// filled in with the hash of the file's content, so the file reads back as a saved plan.
func readGolden(_ path: String) throws -> String {
    let text = String(decoding: try Data(contentsOf: Golden.repositoryRoot.appendingPathComponent(path)), as: UTF8.self)
    guard text.contains(Golden.maskedHash), case .object(let members) = try JSONValue.parse(text) else { return text }
    let content = JSONValue.object(members.filter { $0.0 != "plan_hash" }).renderCompact()
    return text.replacingOccurrences(of: Golden.maskedHash, with: "sha256:" + ContentHash.sha256(content))
}

func decodeError(_ text: String) -> String? {
    do {
        _ = try PlanJSON.decode(text)
        return nil
    } catch {
        return error.message
    }
}

@Suite("Saved plan files: hash, version, and a lossless round trip")
struct PlanFileTests {
    @Test("there are plan files to read")
    func filesExist() { #expect(goldenPlanFiles.count >= 10) }

    @Test("every golden plan decodes and renders back byte for byte, with the same hash", arguments: goldenPlanFiles)
    func roundTrip(path: String) throws {
        let text = try readGolden(path)
        let (plan, hash) = try PlanJSON.decode(text)
        #expect(PlanJSON.render(plan) == text)
        #expect(PlanJSON.hash(plan) == hash)
        #expect(text.contains("\"plan_hash\": \"\(hash)\""))
    }

    @Test("reformatting the file (whitespace only) keeps it valid: the hash covers content, not layout")
    func reformatted() throws {
        let text = try readGolden("Tests/Fixtures/plan/the-example-shop/plan.json")
        let compact = try JSONValue.parse(text).renderCompact()
        #expect(decodeError(compact) == nil)
    }

    @Test("a tampered value is refused, naming the hash mismatch")
    func tampered() throws {
        let text = try readGolden("Tests/Fixtures/plan/one-field-changed/plan.json")
        let edited = text.replacingOccurrences(of: "\"after\": 12.5", with: "\"after\": 99")
        #expect(edited != text)
        let message = try #require(decodeError(edited))
        #expect(message.contains("plan_hash does not match the content"), "\(message)")
    }

    @Test("an unknown format_version is refused before anything else")
    func unknownVersion() throws {
        let text = try readGolden("Tests/Fixtures/plan/one-field-changed/plan.json")
        let message = try #require(decodeError(text.replacingOccurrences(of: "\"format_version\": 1", with: "\"format_version\": 2")))
        #expect(message.hasPrefix("unknown format_version 2"), "\(message)")
    }

    @Test("invalid JSON is located by line and column; a missing hash or version is named")
    func malformed() throws {
        #expect(decodeError("{\n  \"format_version\": 1,\n  oops\n}") == "line 3, column 3: not valid JSON: expected a member name")
        #expect(decodeError("{\"format_version\": 1}")?.hasPrefix("no `plan_hash`") == true)
        #expect(decodeError("{}")?.hasPrefix("not a plan: no `format_version`") == true)
        #expect(decodeError("[]")?.hasPrefix("not a plan") == true)
    }

    @Test("a hand-made file whose hash was recomputed but whose content is inconsistent is refused at the place it differs")
    func inconsistent() throws {
        let text = try readGolden("Tests/Fixtures/plan/one-field-changed/plan.json")
        guard case .object(var members) = try JSONValue.parse(text) else {
            Issue.record("not an object")
            return
        }
        // Claim a create in the summary that the operations do not contain, and re-hash.
        members.removeAll { $0.0 == "plan_hash" }
        let summaryIndex = try #require(members.firstIndex { $0.0 == "summary" })
        guard case .object(var summary) = members[summaryIndex].1 else { return }
        let createIndex = try #require(summary.firstIndex { $0.0 == "create" })
        summary[createIndex].1 = .integer(5)
        members[summaryIndex].1 = .object(summary)
        let hash = "sha256:" + ContentHash.sha256(JSONValue.object(members).renderCompact())
        members.insert(("plan_hash", .string(hash)), at: 1)
        let message = try #require(decodeError(JSONValue.object(members).render()))
        #expect(message == "at .summary.create: the file does not render back to the same plan; it was not written by this stoqctl version")
    }

    @Test("a structural error names its JSON path")
    func structural() throws {
        let text = try readGolden("Tests/Fixtures/plan/membership-added-and-removed/plan.json")
        guard case .object(var members) = try JSONValue.parse(text) else { return }
        members.removeAll { $0.0 == "plan_hash" }
        let opsIndex = try #require(members.firstIndex { $0.0 == "operations" })
        guard case .array(var ops) = members[opsIndex].1, case .object(var first) = ops[0] else { return }
        first.removeAll { $0.0 == "kind" }
        ops[0] = .object(first)
        members[opsIndex].1 = .array(ops)
        members.insert(("plan_hash", .string("sha256:" + ContentHash.sha256(JSONValue.object(members).renderCompact()))), at: 1)
        #expect(decodeError(JSONValue.object(members).render()) == "at .operations[0]: missing `kind`")
    }
}

/// A plan that updates `updates` of `managed` existing plans, deletes `deletes`, and sends
/// `policyVariants` declared policies.
func gatedPlan(
    managed: Int, updates: Int, deletes: Int = 0, policyVariants: Int = 0, verified: Bool = false, policy: InventoryPolicy = .continue,
    joining: Int = 0, safety: SafetySettings = SafetySettings()
) -> Plan {
    var ops: [PlanOperation] = []
    for i in 0..<updates {
        ops.append(
            PlanOperation(
                kind: .update, plan: PlanRef(internalName: "plan-\(i)", id: "id-\(i)"), location: nil,
                changes: [FieldChange(field: .field(.name), before: .string("a"), after: .string("b"), location: nil)],
                requests: [
                    PlannedRequest(planID: "id-\(i)", payload: .update(fields: [SentField(key: .field(.name), value: .string("b"))]))
                ]))
    }
    for i in 0..<deletes {
        ops.append(
            PlanOperation(
                kind: .delete, plan: PlanRef(internalName: "gone-\(i)", id: "gone-\(i)"), location: nil,
                requests: [PlannedRequest(planID: "gone-\(i)", payload: .delete)]))
    }
    if policyVariants > 0 {
        let ids = (1...Int64(policyVariants)).map { $0 }
        ops.append(
            PlanOperation(
                kind: .setInventoryPolicy, plan: PlanRef(internalName: "plan-0", id: "id-0"), location: nil, variantIDs: ids,
                policy: policy, unverified: !verified,
                requests: [PlannedRequest(planID: "id-0", payload: .toggleInventoryPolicy(ids: ids, policy: policy))]))
    }
    if joining > 0 {
        let ids = (1...Int64(joining)).map { $0 }
        ops.append(
            PlanOperation(
                kind: .addVariants, plan: PlanRef(internalName: "plan-0", id: "id-0"), location: nil, variantIDs: ids,
                requests: [PlannedRequest(planID: "id-0", payload: .addVariants(ids: ids))]))
    }
    return Plan(operations: ops, managedPlans: managed, safety: safety, policySource: verified ? "test" : nil)
}

@Suite("Safety gates: which gate, by how much, and overrides pinned to a plan hash")
struct SafetyGateTests {
    func check(_ plan: Plan, _ gate: SafetyGate) -> GateCheck? { Safety.check(plan).first { $0.gate == gate } }

    @Test("updates over the share are tripped, and the sentence says by how much")
    func updates() throws {
        let plan = gatedPlan(managed: 20, updates: 9)
        let c = try #require(check(plan, .updates))
        #expect(c.tripped && c.count == 9 && c.allowed == 6 && c.over == 3)
        #expect(
            Safety.describe(c, managedPlans: 20, minManagedPlans: 10)
                == "9 of 20 managed plans updated (45 %); safety.max_update_percent: 30 allows 6: 3 over")
        #expect(check(gatedPlan(managed: 20, updates: 6), .updates)?.tripped == false)
    }

    @Test("below min_managed_plans the percentage gates do not apply")
    func floor() throws {
        let c = try #require(check(gatedPlan(managed: 5, updates: 5, deletes: 5), .updates))
        #expect(!c.applies && !c.tripped)
        #expect(check(gatedPlan(managed: 5, updates: 5, deletes: 5), .deletes)?.tripped == false)
        #expect(Safety.describe(c, managedPlans: 5, minManagedPlans: 10).hasSuffix("not applied below safety.min_managed_plans: 10"))
    }

    @Test("deletes over the share are tripped")
    func deletes() throws {
        let c = try #require(check(gatedPlan(managed: 40, updates: 0, deletes: 5), .deletes))
        #expect(c.tripped && c.allowed == 4 && c.over == 1)
    }

    @Test("policy flips count verified flips only; unverified declared policies are named, not counted, so an unchanged config passes")
    func policyFlips() throws {
        var safety = SafetySettings()
        safety.maxPolicyFlips = 100
        let unverified = try #require(check(gatedPlan(managed: 3, updates: 0, policyVariants: 150, safety: safety), .policyFlips))
        #expect(!unverified.tripped && unverified.count == 0 && unverified.unverified == 150)
        #expect(
            Safety.describe(unverified, managedPlans: 3, minManagedPlans: 10).contains(
                "150 declared policies are sent unverified and not counted"))
        let verified = try #require(
            check(gatedPlan(managed: 3, updates: 0, policyVariants: 150, verified: true, safety: safety), .policyFlips))
        #expect(verified.tripped && verified.over == 50 && verified.unverified == 0)
    }

    @Test(
        "flips to CONTINUE of variants already in their plan have their own gate; variants joining the plan and flips to DENY do not count")
    func continueFlips() throws {
        var safety = SafetySettings()
        safety.maxContinueFlips = 2
        let existing = try #require(
            check(gatedPlan(managed: 3, updates: 0, policyVariants: 5, verified: true, safety: safety), .continueFlips))
        #expect(existing.tripped && existing.count == 5 && existing.over == 3)
        #expect(
            Safety.describe(existing, managedPlans: 3, minManagedPlans: 10).hasPrefix("5 variants already in their plan switch to CONTINUE")
        )
        let joining = try #require(
            check(gatedPlan(managed: 3, updates: 0, policyVariants: 5, verified: true, joining: 4, safety: safety), .continueFlips))
        #expect(joining.count == 1 && !joining.tripped, "4 of the 5 join the plan in this apply")
        let deny = try #require(
            check(gatedPlan(managed: 3, updates: 0, policyVariants: 5, verified: true, policy: .deny, safety: safety), .continueFlips))
        #expect(deny.count == 0)
        let unverified = try #require(check(gatedPlan(managed: 3, updates: 0, policyVariants: 5, safety: safety), .continueFlips))
        #expect(unverified.count == 0, "an unverified policy is not known to flip anything")
    }

    @Test("an override opens only its gate, and when pinned only for the plan with that hash")
    func overrides() throws {
        let plan = gatedPlan(managed: 20, updates: 9)
        let hash = PlanJSON.hash(plan)
        let prefix = String(hash.dropFirst(7).prefix(12))
        let pinned = try #require(GateOverride(parsing: "updates=\(prefix)"))
        #expect(Safety.decide(plan, planHash: hash, overrides: [pinned]).allSatisfy { !$0.refuses })
        #expect(try #require(GateOverride(parsing: "updates=sha256:\(prefix.uppercased())")).matches(planHash: hash))

        // The same override does not carry over to a different plan.
        let other = gatedPlan(managed: 20, updates: 10)
        let decision = try #require(
            Safety.decide(other, planHash: PlanJSON.hash(other), overrides: [pinned]).first { $0.check.gate == .updates })
        #expect(decision.refuses)
        #expect(decision.overrideMismatch == pinned, "the override given is pinned to another plan")

        // Another gate's override does not open this one; an unpinned one opens any plan.
        let deletesOverride = try #require(GateOverride(parsing: "deletes"))
        #expect(Safety.decide(plan, planHash: hash, overrides: [deletesOverride]).contains { $0.refuses })
        let unpinned = try #require(GateOverride(parsing: "updates"))
        #expect(Safety.decide(other, planHash: PlanJSON.hash(other), overrides: [unpinned]).allSatisfy { !$0.refuses })
    }

    @Test("malformed overrides are refused", arguments: ["update", "updates=123", "updates=xyz12345", "", "updates=sha256:"])
    func badOverride(text: String) { #expect(GateOverride(parsing: text) == nil) }

    @Test("the plan hash changes with anything the plan would do, and only then")
    func hashSensitivity() {
        let a = gatedPlan(managed: 20, updates: 3)
        #expect(PlanJSON.hash(a) == PlanJSON.hash(gatedPlan(managed: 20, updates: 3)))
        #expect(PlanJSON.hash(a) != PlanJSON.hash(gatedPlan(managed: 20, updates: 4)))
        var moved = a
        moved.endpoint = "https://staging.example"
        #expect(PlanJSON.hash(a) != PlanJSON.hash(moved))
    }
}
