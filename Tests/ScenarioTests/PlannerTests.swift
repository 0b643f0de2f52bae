import StoqCore
import Testing

func desired(_ yaml: String) -> DesiredState {
    ConfigPipeline.run([(SourceFile(path: "p.yaml", text: "version: 1\nselling_plans:\n" + yaml), .config)]).0
}

func remote(_ plans: [RemotePlan]) -> RemoteState {
    RemoteState(
        managed: plans, listed: plans.map { RemotePlanSummary(id: $0.id, internalName: $0.internalName, name: "", variantCount: 0) })
}

@Suite("Planner rules")
struct PlannerTests {
    @Test("two remote plans with one internal_name is an error that names both ids; an id pin resolves it")
    func ambiguous() throws {
        let state = remote([RemotePlan(id: "a1", internalName: "fall"), RemotePlan(id: "b2", internalName: "fall")])
        let (plan, diagnostics) = Planner.plan(desired: desired("  - internal_name: fall\n    name: Fall\n"), remote: state)
        #expect(plan == nil)
        let d = try #require(diagnostics.first)
        #expect(d.code == .ambiguousRemotePlan)
        #expect(d.message.contains("ids a1, b2"))
        #expect(d.location == SourceLocation(file: "p.yaml", line: 3, column: 20))
        let (pinned, none) = Planner.plan(desired: desired("  - internal_name: fall\n    id: b2\n    name: Fall\n"), remote: state)
        #expect(none.isEmpty)
        #expect(pinned?.operations.first?.plan.id == "b2")
    }

    @Test("--target limits the plan; an unknown target is an error with a suggestion")
    func targets() {
        let config = desired("  - internal_name: fall\n    name: Fall\n  - internal_name: spring\n    name: Spring\n")
        var options = PlanOptions()
        options.targets = ["spring"]
        let (plan, _) = Planner.plan(desired: config, remote: RemoteState(), options: options)
        #expect(plan?.operations.map(\.plan.internalName) == ["spring"])
        options.targets = ["sprng"]
        let (none, diagnostics) = Planner.plan(desired: config, remote: RemoteState(), options: options)
        #expect(none == nil)
        #expect(diagnostics.first?.code == .unknownTarget)
        #expect(diagnostics.first?.message.contains("did you mean `spring`?") == true)
    }

    @Test("normalisation: decimals by value, datetimes by instant, remote null as absent, ids as sets")
    func normalisation() throws {
        let ten = try #require(DecimalNumber("10"))
        #expect(Normalize.equal(.decimal(ten), .decimal(try #require(DecimalNumber("10.0")))))
        #expect(Normalize.equal(.decimal(ten), .integer(10)))
        #expect(!Normalize.equal(.decimal(ten), .decimal(try #require(DecimalNumber("10.01")))))
        let t = try Timestamp.parse("2026-10-01T11:00:00+02:00").get()
        #expect(Normalize.equal(.datetime(t), .datetime(try Timestamp.parse("2026-10-01T09:00:00.000Z").get())))
        #expect(Normalize.equal(.null, nil))
        #expect(Normalize.equal(.null, .null))
        #expect(!Normalize.equal(.string(""), nil))
        #expect(Normalize.equal(.ids([2, 1]), .ids([1, 2])))
        #expect(!Normalize.equal(.string("a"), .string("A")))
    }

    @Test("ignored fields are neither compared nor sent; write-only fields never cause an update on their own")
    func ignoresAndWriteOnly() {
        let config = desired(
            "  - internal_name: fall\n    name: New\n    shipping_text: New\n    markets_enabled: true\n    ignore_fields: [shipping_text]\n"
        )
        let current = remote([RemotePlan(id: "a", internalName: "fall", fields: [.name: .string("New"), .shippingText: .string("Old")])])
        let (plan, _) = Planner.plan(desired: config, remote: current)
        #expect(plan?.isEmpty == true)
        #expect(plan?.unverifiable.first?.fields == ["markets_enabled"])
    }

    @Test("membership and policy calls are chunked by the settings, ids sorted")
    func chunks() throws {
        let ids = (1...25).map { String(100 - $0) }.joined(separator: ", ")
        let yaml =
            "  - internal_name: fall\n    product_variants_source: custom\n    variants: [\(ids)]\n    inventory_policy:\n      DENY: [\(ids)]\n"
        var state = desired(yaml)
        state.settings.chunks.addVariant = 10
        state.settings.chunks.policyToggle = 20
        let (plan, _) = Planner.plan(desired: state, remote: RemoteState())
        let add = try #require(plan?.operations.first { $0.kind == .addVariants })
        #expect(add.requests.map(\.variantIDs.count) == [10, 10, 5])
        #expect(add.variantIDs == add.variantIDs.sorted())
        let policy = try #require(plan?.operations.first { $0.kind == .setInventoryPolicy })
        #expect(policy.requests.map(\.variantIDs.count) == [20, 5])
        #expect(plan?.operations.map(\.kind) == [.create, .addVariants, .setInventoryPolicy])
    }
}
