import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// A shop with two managed plans and one unmanaged plan, and a config that changes both managed
/// plans: fields of `fall-drop` and `winter`, membership of `fall-drop`, and a new plan `spring`.
enum StaleShop {
    static let config = """
        version: 1
        selling_plans:
          - internal_name: fall-drop
            name: Fall Drop — Preorder
            pricing_type: percentage
            pricing_percentage: 12.5
            shipping_text: Ships in October
            product_variants_source: custom
            variants: [101, 102, 103]
          - internal_name: winter
            name: Winter
          - internal_name: spring
            name: Spring
            product_variants_source: custom
            variants: [201, 202]
        """

    static let remote = """
        {"plans": [
          {"id": "p1", "internal_name": "fall-drop", "name": "Fall Drop", "pricing_type": "percentage",
           "pricing_percentage": 10, "shipping_text": "Ships in October", "product_variants_source": "custom",
           "shopify_variant_ids": [101, 102, 109]},
          {"id": "p2", "internal_name": "winter", "name": "Winter (old)"},
          {"id": "p3", "internal_name": "someone-elses", "name": "Not managed"}
        ]}
        """

    /// The shop, and the saved plan as its file text (what `plan --out` writes).
    static func planned() async throws -> (ScenarioShop, String) {
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: config), .config)])
        try #require(!diagnostics.hasErrors, "\(diagnostics.map(\.message))")
        let shop = try ScenarioShop(remoteJSON: remote)
        let plan = try await shop.plan(desired)
        return (shop, PlanJSON.render(plan))
    }

    /// Applies the saved plan text the way `apply plan.json` does: decode, then compare-and-set.
    static func applySaved(_ text: String, on shop: ScenarioShop) async throws -> ApplyReport {
        let plan = try PlanJSON.decode(text).plan
        return await Applier(client: shop.client).apply(plan, mode: .compareAndSet)
    }

    static func status(_ report: ApplyReport, _ kind: OperationKind, _ name: String) -> OperationStatus? {
        report.items.first { $0.operation.kind == kind && $0.operation.plan.internalName == name }?.status
    }

    static func field(_ shop: ScenarioShop, _ id: String, _ field: String) async throws -> JSONValue? {
        try await shop.client.get(id: id)[field]
    }
}

@Suite("Saved plans: compare-and-set against live state, item by item")
struct SavedPlanTests {
    @Test("unchanged remote: every item is applied, and planning again finds no changes")
    func unchanged() async throws {
        let (shop, text) = try await StaleShop.planned()
        let report = try await StaleShop.applySaved(text, on: shop)
        #expect(report.succeeded)
        #expect(report.count(.conflict) == 0)
        #expect(try await StaleShop.field(shop, "p1", "name") == .string("Fall Drop — Preorder"))
        #expect(try await StaleShop.field(shop, "p2", "name") == .string("Winter"))
    }

    @Test("a planned field edited since the plan: that update is a conflict and sends nothing; unrelated items proceed")
    func plannedFieldEdited() async throws {
        let (shop, text) = try await StaleShop.planned()
        await shop.emulator.editPlan(id: "p1", field: "name", value: .string("Fall Drop (edited by staff)"))
        await shop.emulator.clearLog()
        let report = try await StaleShop.applySaved(text, on: shop)

        #expect(StaleShop.status(report, .update, "fall-drop") == .conflict)
        let message = report.items.first { $0.status == .conflict }?.message ?? ""
        #expect(message.contains("name: planned from \"Fall Drop\", now \"Fall Drop (edited by staff)\""), "\(message)")
        // Not overwritten, and the other field of that update was not sent either.
        #expect(try await StaleShop.field(shop, "p1", "name") == .string("Fall Drop (edited by staff)"))
        let percentage = try await StaleShop.field(shop, "p1", "pricing_percentage")?.numberText.flatMap(DecimalNumber.init)
        #expect(percentage == DecimalNumber(10))
        #expect(!(await shop.emulator.requestLog.contains { $0.method == "PUT" && $0.target.hasSuffix("/p1") }))
        // Membership of the same plan, the other plan, and the create are independent items.
        #expect(StaleShop.status(report, .addVariants, "fall-drop") == .applied)
        #expect(StaleShop.status(report, .removeVariants, "fall-drop") == .applied)
        #expect(StaleShop.status(report, .update, "winter") == .applied)
        #expect(StaleShop.status(report, .create, "spring") == .applied)
        #expect(report.count(.conflict) == 1)
    }

    @Test("an unrelated field of the same plan edited since the plan: the update proceeds and keeps the edit")
    func unrelatedFieldEdited() async throws {
        let (shop, text) = try await StaleShop.planned()
        await shop.emulator.editPlan(id: "p1", field: "shipping_text", value: .string("Ships in November"))
        let report = try await StaleShop.applySaved(text, on: shop)
        #expect(report.succeeded)
        #expect(try await StaleShop.field(shop, "p1", "name") == .string("Fall Drop — Preorder"))
        #expect(try await StaleShop.field(shop, "p1", "shipping_text") == .string("Ships in November"))
    }

    @Test("another plan edited since the plan: only that plan's item conflicts; an unmanaged plan's edit changes nothing")
    func otherPlanEdited() async throws {
        let (shop, text) = try await StaleShop.planned()
        await shop.emulator.editPlan(id: "p2", field: "name", value: .string("Winter (staff)"))
        await shop.emulator.editPlan(id: "p3", field: "name", value: .string("Edited too"))
        let report = try await StaleShop.applySaved(text, on: shop)
        #expect(StaleShop.status(report, .update, "winter") == .conflict)
        #expect(report.count(.conflict) == 1)
        #expect(report.items.filter { $0.operation.plan.internalName != "winter" }.allSatisfy { $0.status == .applied })
        #expect(try await StaleShop.field(shop, "p2", "name") == .string("Winter (staff)"))
        #expect(try await StaleShop.field(shop, "p1", "name") == .string("Fall Drop — Preorder"))
    }

    @Test("a field already given the planned value, and members already added: in place, nothing sent for them")
    func alreadyInPlace() async throws {
        let (shop, text) = try await StaleShop.planned()
        await shop.emulator.editPlan(id: "p2", field: "name", value: .string("Winter"))
        _ = try await shop.client.addVariants(planID: "p1", ids: [103])
        await shop.emulator.clearLog()
        let report = try await StaleShop.applySaved(text, on: shop)
        #expect(report.succeeded)
        let winter = try #require(report.items.first { $0.operation.plan.internalName == "winter" })
        #expect(winter.sent == 0)
        #expect(winter.message?.hasPrefix("already in place") == true)
        #expect(!(await shop.emulator.requestLog.contains { $0.method == "PUT" && $0.target.hasSuffix("/p2") }))
        #expect(!(await shop.emulator.requestLog.contains { $0.target.contains("/p1/add_variant") }))
    }

    @Test(
        "a plan deleted since the plan: each of its items conflicts; a create whose name was taken meanwhile conflicts and its dependents are skipped"
    )
    func deletedAndTaken() async throws {
        let (shop, text) = try await StaleShop.planned()
        try await shop.client.delete(id: "p1")
        _ = try await shop.client.create(internalName: "spring", fields: [("name", .string("Spring by staff"))])
        let report = try await StaleShop.applySaved(text, on: shop)
        #expect(StaleShop.status(report, .update, "fall-drop") == .conflict)
        #expect(StaleShop.status(report, .addVariants, "fall-drop") == .conflict)
        #expect(StaleShop.status(report, .removeVariants, "fall-drop") == .conflict)
        #expect(StaleShop.status(report, .create, "spring") == .conflict)
        #expect(StaleShop.status(report, .addVariants, "spring") == .skipped)
        #expect(StaleShop.status(report, .update, "winter") == .applied)
        #expect(await shop.emulator.activePlanCount == 3)
    }

    @Test("a plan that cannot be read before writing: its first item fails with the reason, nothing of it is sent, other plans proceed")
    func unreadable() async throws {
        let (planned, text) = try await StaleShop.planned()
        let shop = try ScenarioShop(remoteJSON: await planned.emulator.stateJSON()) { $0.faults.outage = "/p2" }
        let report = try await StaleShop.applySaved(text, on: shop)
        let winter = try #require(report.items.first { $0.operation.plan.internalName == "winter" })
        #expect(winter.status == .failed)
        #expect(winter.message?.hasPrefix("reading the plan before writing it failed") == true, "\(winter.message ?? "")")
        #expect(!(await shop.emulator.requestLog.contains { $0.method == "PUT" && $0.target.hasSuffix("/p2") }))
        #expect(StaleShop.status(report, .update, "fall-drop") == .applied)
    }

    @Test("re-running a saved plan after it was applied: every item is in place and nothing but policies is sent")
    func rerunIsIdempotent() async throws {
        let (shop, text) = try await StaleShop.planned()
        #expect(try await StaleShop.applySaved(text, on: shop).succeeded)
        await shop.emulator.clearLog()
        let again = try await StaleShop.applySaved(text, on: shop)
        #expect(again.succeeded)
        #expect(again.items.allSatisfy { $0.sent == 0 })
        #expect(await shop.emulator.requestLog.allSatisfy { $0.method == "GET" })
        #expect(await shop.emulator.activePlanCount == 4, "the create was adopted, not repeated")
    }
}

@Suite("Partial failure: independent operations go on, dependents are skipped, a re-run converges")
struct PartialFailureTests {
    @Test("one endpoint down: membership fails, later operations of that plan are skipped, other plans apply; re-run converges")
    func endpointDown() async throws {
        let (desired, _) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: StaleShop.config), .config)])
        let shop = try ScenarioShop(remoteJSON: StaleShop.remote) { $0.faults.outage = "add_variant" }
        let plan = try await shop.plan(desired)
        let report = await Applier(client: shop.client).apply(plan)
        #expect(!report.succeeded)
        #expect(StaleShop.status(report, .addVariants, "fall-drop") == .failed)
        #expect(StaleShop.status(report, .removeVariants, "fall-drop") == .skipped)
        let skipped = report.items.first { $0.status == .skipped }?.message ?? ""
        #expect(skipped.contains("add_variants of fall-drop failed"), "\(skipped)")
        #expect(StaleShop.status(report, .create, "spring") == .applied)
        #expect(StaleShop.status(report, .addVariants, "spring") == .failed)
        #expect(StaleShop.status(report, .update, "winter") == .applied)
        #expect(report.json().contains("\"failed\": 2"))

        // The outage ends; apply again from a fresh plan: it converges, and spring is not created twice.
        let healthy = try ScenarioShop(remoteJSON: await shop.emulator.stateJSON())
        let rerun = try await healthy.plan(desired)
        #expect(!rerun.operations.contains { $0.kind == .create })
        #expect(await Applier(client: healthy.client).apply(rerun).succeeded)
        #expect(try await healthy.plan(desired).isEmpty)
    }

    @Test("a create whose response is lost is found by internal_name and adopted, never duplicated; the report says so")
    func lostCreates() async throws {
        let (desired, _) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: StaleShop.config), .config)])
        var adopted = 0
        let plan = try await ScenarioShop(remoteJSON: StaleShop.remote).plan(desired)
        for seed in 1...10 as ClosedRange<UInt64> {
            let shop = try ScenarioShop(remoteJSON: StaleShop.remote) {
                $0.seed = seed
                $0.faults.lost = 0.4
            }
            let report = await Applier(client: shop.client).apply(plan)
            let create = try #require(report.items.first { $0.operation.kind == .create })
            if create.adopted {
                adopted += 1
                #expect(create.status == .applied)
            }
            let after = try ScenarioShop(remoteJSON: await shop.emulator.stateJSON())
            let names = try await after.client.listAll().items.compactMap { $0["internal_name"]?.stringValue }
            #expect(names.filter { $0 == "spring" }.count <= 1, "seed \(seed): \(names)")
        }
        #expect(adopted > 0, "with half the responses lost, some creates must have been adopted")
    }

    @Test("random server errors, drops and lost responses: re-runs make progress and every shop converges without duplicates")
    func faultsThenConverge() async throws {
        let (desired, _) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: StaleShop.config), .config)])
        var partialFailures = 0
        for seed in 1...12 as ClosedRange<UInt64> {
            var state = StaleShop.remote
            var converged = false
            for attempt in 1...8 {
                let shop = try ScenarioShop(remoteJSON: state) {
                    $0.seed = seed * 100 + UInt64(attempt)
                    $0.faults.serverError = 0.6
                    $0.faults.lost = 0.1
                    $0.faults.drop = 0.05
                }
                guard let plan = try? await shop.plan(desired) else {
                    state = await shop.emulator.stateJSON()
                    continue
                }
                if plan.isEmpty {
                    converged = true
                    state = await shop.emulator.stateJSON()
                    break
                }
                let report = await Applier(client: shop.client).apply(plan)
                if !report.succeeded { partialFailures += 1 }
                state = await shop.emulator.stateJSON()
            }
            let final = try ScenarioShop(remoteJSON: state)
            let finalPlan = try await final.plan(desired)
            #expect(converged || finalPlan.isEmpty, "seed \(seed) did not converge in 8 runs")
            let names = try await final.client.listAll().items.compactMap { $0["internal_name"]?.stringValue }
            #expect(names.filter { $0 == "spring" }.count == 1, "seed \(seed): spring exists exactly once: \(names)")
        }
        // The faults are strong enough that some applies really ended part-way.
        #expect(partialFailures > 0)
    }
}
