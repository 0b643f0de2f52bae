import StoqCore
import Testing

@Suite("Names that moved: what a name resolved to before and now")
struct VariantMoveTests {
    /// `fall` names SKU-1 … SKU-`count` in `variants` and in CONTINUE, with `max_policy_flips: 20`.
    static func desired(_ count: Int) throws -> DesiredState {
        let names = (1...count).map { "sku:SKU-\($0)" }.joined(separator: ", ")
        let yaml = """
            version: 1
            selling_plans:
              - internal_name: fall
                product_variants_source: custom
                variants: [\(names)]
                inventory_policy:
                  CONTINUE: [\(names)]

            """
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "shop/fall.yaml", bytes: Array(yaml.utf8)), .config)])
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
        var state = desired
        state.settings.safety.maxPolicyFlips = 20
        return state
    }

    /// SKU-i was carried by variant 1000+i (a CONTINUE member) and now by 2000+i (DENY, not a member).
    static func catalogue(_ count: Int, movedFrom first: Int) -> Catalogue {
        var c = Catalogue(source: "acme.myshopify.com")
        for i in 1...count {
            let now: Int64 = i >= first ? 2000 + Int64(i) : 1000 + Int64(i)
            c.variants[now] = CatalogueVariant(
                id: now, sku: "SKU-\(i)", title: "V\(i)", productTitle: "Tee", inventoryPolicy: i >= first ? .deny : .continue)
            c.bySKU["SKU-\(i)"] = [now]
        }
        return c
    }

    static func plan(_ count: Int, movedFrom first: Int) throws -> (Plan, previous: [VariantResolution]) {
        let desired = try desired(count)
        let outcome = NameResolver.resolve(desired, catalogue: catalogue(count, movedFrom: first))
        #expect(!outcome.hasErrors, "\(outcome.diagnostics)")
        let members = (1...count).map { 1000 + Int64($0) }
        var policies = PolicyState(source: "acme.myshopify.com")
        for spec in outcome.desired.plans {
            for id in spec.inventoryPolicy[.continue]?.map(\.value) ?? [] { policies.current[id] = id >= 2000 ? .deny : .continue }
        }
        let remote = RemoteState(
            managed: [
                RemotePlan(id: "p1", internalName: "fall", fields: [.productVariantsSource: .string("custom")], variantIDs: members)
            ],
            listed: [RemotePlanSummary(id: "p1", internalName: "fall", name: "", variantCount: count)], policies: policies)
        let (planned, diagnostics) = Planner.plan(desired: outcome.desired, remote: remote)
        var plan = try #require(planned, "\(diagnostics)")
        plan.resolutions = outcome.resolutions
        // What the names resolved to when they became members: SKU-i → 1000+i.
        let previous = outcome.resolutions.map { r in
            var was = r
            was.ids = [1000 + (Int64(r.selector.value.dropFirst(4)) ?? 0)]
            return was
        }
        return (plan, previous)
    }

    @Test("a name whose variant changed is one move, from the removed member to the added variant")
    func oneMove() throws {
        let (plan, previous) = try Self.plan(3, movedFrom: 3)
        let moves = NameResolver.moves(in: plan, previous: previous)
        #expect(moves == [VariantMove(plan: "fall", selector: .sku("SKU-3"), from: 1003, to: 2003)])
        let changes = NameResolver.changes(from: previous, to: plan.resolutions)
        #expect(changes.count == 2, "in variants and in CONTINUE")
        #expect(changes.allSatisfy { $0.selector == .sku("SKU-3") && $0.before == [1003] && $0.after == [2003] })
        #expect(changes[1].description == "`sku:SKU-3` in fall variants: 1003 → 2003")
        // Moves change how the plan reads, not what it does: the hash is the same with them.
        var shown = plan
        shown.moves = NameResolver.moves(in: plan, previous: previous)
        #expect(PlanJSON.hash(shown) == PlanJSON.hash(plan))
        #expect(PlanJSON.render(shown) != PlanJSON.render(plan))
        // Without a record of what the name reached before, no move is claimed.
        #expect(NameResolver.moves(in: plan, previous: []).isEmpty)
        // A record that matches what the names reach now: nothing moved, nothing changed.
        #expect(NameResolver.changes(from: plan.resolutions, to: plan.resolutions).isEmpty)
    }

    @Test("a names record is read from a saved plan's resolutions or an apply report's names; ids and other shapes are refused")
    func namesRecord() throws {
        let (plan, _) = try Self.plan(3, movedFrom: 3)
        let fromPlan = try PlanJSON.namesRecord(PlanJSON.render(plan))
        #expect(fromPlan.map(\.selector) == plan.resolutions.map(\.selector))
        #expect(fromPlan.map(\.ids) == plan.resolutions.map(\.ids))
        #expect(fromPlan.allSatisfy { $0.location == nil }, "where a name was written is not part of the record")
        let report = #"{"format_version": 1, "names": [{"plan": "fall", "list": "variants", "selector": "sku:SKU-3", "ids": [1003]}]}"#
        #expect(try PlanJSON.namesRecord(report).map(\.ids) == [[1003]])
        for (text, message) in [
            (#"{"names": [{"plan": "fall", "list": "variants", "selector": "1003", "ids": [1003]}]}"#, "an id, not a name"),
            (#"{"names": [{"plan": "fall", "list": "variants", "selector": "sku:A", "ids": ["x"]}]}"#, ".names[0].ids"),
            (#"{"operations": []}"#, "neither `resolutions`"), (#"[1]"#, "not a JSON object"), ("{", "not valid JSON"),
        ] {
            #expect(throws: PlanFileError.self) { try PlanJSON.namesRecord(text) }
            do {
                _ = try PlanJSON.namesRecord(text)
            } catch {
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
    }

    @Test("a name that is no longer written, or is new, is a change but never a move")
    func addedAndRemovedNames() throws {
        let (plan, previous) = try Self.plan(3, movedFrom: 3)
        let dropped = Array(previous.dropLast())
        let changes = NameResolver.changes(from: dropped, to: plan.resolutions)
        #expect(changes.contains { $0.before == nil && $0.after == [2003] })
        #expect(NameResolver.moves(in: plan, previous: dropped).count == 1, "the variants-list record still says SKU-3 was 1003")
        let onlyPolicies = previous.filter { $0.list != "variants" }
        #expect(NameResolver.moves(in: plan, previous: onlyPolicies).isEmpty, "moves are shown for membership only")
    }

    @Test("a mass re-pointing of names counts in the existing gates: 30 moved SKUs trip max_policy_flips: 20")
    func massRepointTripsGate() throws {
        var (plan, previous) = try Self.plan(40, movedFrom: 11)
        plan.moves = NameResolver.moves(in: plan, previous: previous)
        #expect(plan.moves.count == 30)
        let verdict = Safety.verdict(for: plan, planHash: PlanJSON.hash(plan), overrides: [], allowDeletes: false)
        #expect(verdict.refuses)
        let flips = try #require(verdict.decisions.first { $0.check.gate == .policyFlips })
        #expect(flips.check.count == 30 && flips.check.tripped)
        // Ten moves stay within it.
        var (small, smallPrevious) = try Self.plan(40, movedFrom: 31)
        small.moves = NameResolver.moves(in: small, previous: smallPrevious)
        #expect(small.moves.count == 10)
        #expect(!Safety.verdict(for: small, planHash: PlanJSON.hash(small), overrides: [], allowDeletes: false).refuses)
    }
}
