import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// A custom plan with five members whose declared policies differ from Shopify's for three.
enum PolicyShop {
    static let config = """
        version: 1
        selling_plans:
          - internal_name: fall-drop
            product_variants_source: custom
            variants: [1, 2, 3, 4, 5]
            inventory_policy:
              CONTINUE: [1, 2, 3]
              DENY: [4, 5]
        """

    static let remote = """
        {"plans": [{"id": "p1", "internal_name": "fall-drop", "name": "Fall Drop", "product_variants_source": "custom",
                    "shopify_variant_ids": [1, 2, 3, 4, 5]}],
         "variant_policies": {"1": "DENY", "2": "DENY", "3": "CONTINUE", "4": "CONTINUE", "5": "DENY"}}
        """

    static func shop(faults: String = "") throws -> (ScenarioShop, DesiredState) {
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: config), .config)])
        try #require(!diagnostics.hasErrors)
        let spec = try FaultSpec(parsing: faults)
        let shop = try ScenarioShop(remoteJSON: remote) { $0.faults = spec }
        return (shop, desired)
    }
}

@Suite("Applying verified policies: compare-and-set, no write into a running job, confirmation")
struct PolicyApplyTests {
    @Test("only differing variants are toggled, grouped per policy; the next toggle waits for the job; both are confirmed")
    func toggles() async throws {
        let (shop, desired) = try PolicyShop.shop()
        let plan = try await shop.plan(desired, readPolicies: true)
        let toggles = plan.operations.filter { $0.kind == .setInventoryPolicy }
        #expect(toggles.map(\.variantIDs) == [[1, 2], [4]])
        await shop.emulator.clearLog()
        let report = await Applier(client: shop.client, policies: shop.policies).apply(plan)
        #expect(report.succeeded)
        #expect(report.items.allSatisfy { $0.verification?.text == "confirmed in Shopify" })
        let log = await shop.emulator.requestLog.filter { !$0.shopify }
        #expect(!log.contains { $0.status == 409 }, "the second toggle waited for the first job instead of being refused")
        #expect(log.filter { $0.method == "POST" }.count == 2)
        #expect(await shop.emulator.inventoryPolicy(of: 1) == "CONTINUE")
        #expect(await shop.emulator.inventoryPolicy(of: 4) == "DENY")
    }

    @Test(
        "inventory_policy_on_removal: removed variants get DENY in the removal itself (one call, no toggle, no job), also from a saved plan"
    )
    func policyOnRemoval() async throws {
        let config = """
            version: 1
            selling_plans:
              - internal_name: fall-drop
                product_variants_source: custom
                variants: [1, 2]
                inventory_policy_on_removal: DENY
            """
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: config), .config)])
        try #require(!diagnostics.hasErrors)
        let shop = try ScenarioShop(remoteJSON: PolicyShop.remote)
        let saved = PlanJSON.render(try await shop.plan(desired, readPolicies: true))
        let plan = try PlanJSON.decode(saved).plan
        let removal = try #require(plan.operations.first { $0.kind == .removeVariants })
        #expect(removal.policy == .deny && removal.variantIDs == [3, 4, 5], "the policy survives the saved plan")
        #expect(!plan.operations.contains { $0.kind == .setInventoryPolicy })
        await shop.emulator.clearLog()
        let report = await Applier(client: shop.client, policies: shop.policies).apply(plan, mode: .compareAndSet)
        #expect(report.succeeded)
        let writes = await shop.emulator.requestLog.filter { !$0.shopify && $0.method != "GET" }
        #expect(writes.map(\.target) == ["/preorders/p1/remove_variant?shopify_variant_ids=3,4,5&inventory_policy=DENY"])
        for id: Int64 in [3, 4, 5] { #expect(await shop.emulator.inventoryPolicy(of: id) == "DENY") }
        // A plan that does not declare `variants` cannot have a policy on removal.
        let (_, refused) = ConfigPipeline.run([
            (
                SourceFile(
                    path: "s.yaml", text: "version: 1\nselling_plans:\n  - internal_name: x\n    inventory_policy_on_removal: DENY\n"),
                .config
            )
        ])
        #expect(refused.map(\.code) == [.fieldNotApplicable])
    }

    @Test("a saved plan: a variant whose policy changed since the plan conflicts (not sent); the others proceed")
    func compareAndSet() async throws {
        let (shop, desired) = try PolicyShop.shop()
        let text = PlanJSON.render(try await shop.plan(desired, readPolicies: true))
        // Since the plan: someone set variant 1 to CONTINUE in Shopify.
        await shop.emulator.setInventoryPolicy("CONTINUE", for: [1])
        await shop.emulator.clearLog()
        let report = await Applier(client: shop.client, policies: shop.policies).apply(try PlanJSON.decode(text).plan, mode: .compareAndSet)
        let continueItem = try #require(report.items.first { $0.operation.policy == .continue })
        #expect(continueItem.status == .conflict)
        #expect(continueItem.message == "conflict: 1 variant changed to CONTINUE since the plan: 1; the other variants were sent")
        #expect(continueItem.sent == 1)
        let sent = await shop.emulator.requestLog.filter { $0.method == "POST" && $0.target.contains("bulk_toggle") }
        #expect(sent.count == 2)
        #expect(await shop.emulator.inventoryPolicy(of: 2) == "CONTINUE", "variant 2 was still DENY, so it was sent")
        let denyItem = try #require(report.items.first { $0.operation.policy == .deny })
        #expect(denyItem.status == .applied)
    }

    @Test("a saved plan whose toggles are all in place sends nothing for them")
    func allInPlace() async throws {
        let (shop, desired) = try PolicyShop.shop()
        let plan = try await shop.plan(desired, readPolicies: true)
        _ = await Applier(client: shop.client, policies: shop.policies).apply(plan)
        await shop.emulator.clearLog()
        let again = await Applier(client: shop.client, policies: shop.policies).apply(
            try PlanJSON.decode(PlanJSON.render(plan)).plan, mode: .compareAndSet)
        #expect(again.items.allSatisfy { $0.status == .conflict }, "changed since the plan: now as planned")
        #expect(await shop.emulator.requestLog.allSatisfy { $0.method == "GET" || $0.shopify })
    }

    @Test("a job that leaves variants unchanged is reported: the toggle fails with the variants Shopify still shows otherwise")
    func notApplied() async throws {
        let (shop, desired) = try PolicyShop.shop(faults: "jobfail=1")
        let plan = try await shop.plan(desired, readPolicies: true)
        let report = await Applier(client: shop.client, policies: shop.policies).apply(plan)
        #expect(!report.succeeded)
        let failed = report.items.filter { $0.status == .failed }
        #expect(failed.count == 2)
        #expect(
            failed.first?.message
                == "after the job finished, Shopify reports another policy than CONTINUE for 2 of 2 variants: 1, 2")
        let unconfirmed = await Applier(client: shop.client, policies: shop.policies, verifyPolicies: false).apply(plan)
        #expect(unconfirmed.succeeded, "without confirmation the toggles only report that they were queued")
    }

    @Test(
        "apply gives each outcome its code: a refused gate safety-gate, an override gate-overridden, an unconfirmed toggle policy-not-applied"
    )
    func applyRunCodes() async throws {
        let (shop, _) = try PolicyShop.shop(faults: "jobfail=1")
        let connect: Connect = { _, _ in
            ShopConnection(client: shop.client, endpoint: "emulator:policies", description: "scenario", policies: shop.policies)
        }
        let config = PlanRun.Input(config: ConfigInput(files: [(SourceFile(path: "shop/plans.yaml", text: PolicyShop.config), .config)]))
        let refused = await ApplyRun.run(ApplyRun.Input(source: .configuration(config)), connect: connect)
        #expect(refused.status == .refused)
        #expect(refused.diagnostics.map(\.code) == [.safetyGate, .safetyGate], "\(refused.diagnostics)")
        #expect(refused.report?.refusedBy.map(\.code) == [.safetyGate])

        let overrides = [GateOverride(gate: .continueFlips, planHash: nil)]
        let applied = await ApplyRun.run(ApplyRun.Input(source: .configuration(config), overrides: overrides), connect: connect)
        #expect(applied.status == .partialFailure)
        #expect(
            applied.diagnostics.map(\.code) == [.gateOverridden, .gateOverridden, .policyNotApplied, .policyNotApplied],
            "\(applied.diagnostics)")
        let failed = applied.diagnostics.filter { $0.code == .policyNotApplied }.map(\.message)
        #expect(
            failed.first
                == "set_inventory_policy fall-drop: after the job finished, Shopify reports another policy than CONTINUE for 2 of 2 variants: 1, 2"
        )
    }

    @Test("a difference on a plan whose job is running is applied after the job, only if it remains")
    func inProgress() async throws {
        let (desired, _) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: PolicyShop.config), .config)])
        let remote = """
            {"plans": [{"id": "p1", "internal_name": "fall-drop", "name": "Fall Drop", "product_variants_source": "custom",
                        "shopify_variant_ids": [1, 2, 3, 4, 5],
                        "job": {"ends_at": "2027-01-15T08:00:05.000Z", "policy": "CONTINUE", "variant_ids": [1]}}],
             "variant_policies": {"1": "DENY", "2": "DENY", "3": "CONTINUE", "4": "DENY", "5": "DENY"}}
            """
        let shop = try ScenarioShop(remoteJSON: remote)
        let plan = try await shop.plan(desired, readPolicies: true)
        #expect(plan.isEmpty, "differences on a plan with a running job are in progress, not changes")
        #expect(plan.operations.map(\.inProgress) == [true])
        await shop.emulator.clearLog()
        let report = await Applier(client: shop.client, policies: shop.policies).apply(plan)
        #expect(report.succeeded)
        let toggles = await shop.emulator.requestLog.filter { $0.target.contains("bulk_toggle") }
        #expect(toggles.count == 1)
        #expect(await shop.emulator.inventoryPolicy(of: 1) == "CONTINUE", "the job settled variant 1")
        #expect(await shop.emulator.inventoryPolicy(of: 2) == "CONTINUE", "variant 2 still differed after the job and was sent")
        #expect(report.items.first?.sent == 1)
        #expect(report.items.first?.variantsSent == 1, "only variant 2: the job had settled variant 1")
    }
}
