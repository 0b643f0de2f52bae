import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// Generates random but valid desired configs (as YAML text) and remote states (as emulator JSON).
struct ShopGenerator {
    var random: SeededRandom

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { random.unit() < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

    static let names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    static let texts = [
        "Fall", "Été — précommande", "Pipe | and `tick`", "Emoji 🎉 preorder", "", "Line\nbreak", "Quote \" and \\ backslash",
        String(repeating: "Long text. ", count: 40), "  padded  ", "#hash-colour",
    ]

    func quoted(_ s: String) -> String {
        var out = ""
        JSONValue.escape(s, into: &out)
        return out
    }

    mutating func decimal(_ max: Int) -> String {
        let whole = int(0...max)
        switch int(0...3) {
        case 0: return "\(whole)"
        case 1: return whole == max ? "\(whole)" : "\(whole).5"
        case 2: return "\(whole).00"
        default: return whole == max ? "\(whole).0" : "\(whole).25"
        }
    }

    mutating func datetime() -> String {
        let day = int(1...28)
        let hour = int(0...23)
        let zones = ["Z", "+02:00", "-07:00", "+0530", ".250Z"]
        return String(format: "2026-10-%02d", day) + String(format: "T%02d:00:00", hour) + pick(zones)
    }

    /// One plan's YAML lines (without the `- internal_name:` line).
    mutating func planFields(pool: [Int64], policyOf: (Int64) -> String) -> [String] {
        var lines: [String] = []
        if chance(0.7) { lines.append("name: \(quoted(pick(Self.texts)))") }
        if chance(0.5) { lines.append("enabled: \(chance(0.5))") }
        switch int(0...3) {
        case 0: lines.append("billing_type: no_remaining_balance")
        case 1: lines += ["billing_type: exact_time", "billing_at: \(datetime())"]
        case 2: lines += ["billing_type: time_after_checkout", "billing_after_n_intervals: \(int(1...60))"]
        default: break
        }
        switch int(0...3) {
        case 0:
            lines += ["billing_checkout_charge_type: percentage", "billing_checkout_charge_percentage: \(decimal(100))"]
            if chance(0.3) { lines.append("billing_checkout_charge_amount: null") }
        case 1: lines += ["billing_checkout_charge_type: price", "billing_checkout_charge_amount: \(decimal(500))"]
        default: break
        }
        switch int(0...2) {
        case 0: lines += ["pricing_type: percentage", "pricing_percentage: \(decimal(100))"]
        case 1: lines += ["pricing_type: fixed_amount", "pricing_amount: \(decimal(50))"]
        default: break
        }
        switch int(0...4) {
        case 0: lines += ["delivery_type: exact_time", "delivery_at: \(datetime())"]
        case 1: lines += ["delivery_type: asap", "delivery_after_n_intervals: \(int(1...30))"]
        case 2: lines.append("delivery_type: \(pick(["anchor", "unknown", "asap"]))")
        default: break
        }
        if chance(0.4) { lines.append("shipping_text: \(quoted(pick(Self.texts)))") }
        if chance(0.3) { lines.append("preorder_badge_text_color: \(quoted(pick(["#FFFFFF", "#1f2937", "red"])))") }
        if chance(0.2) { lines += ["markets_enabled: true", "shopify_market_ids: [\(int(1...9))]"] }
        if chance(0.6) {
            let members = pool.filter { _ in chance(0.4) }
            lines += ["product_variants_source: custom", "variants: [\(members.map(String.init).joined(separator: ", "))]"]
            let withPolicy = members.filter { _ in chance(0.5) }
            if !withPolicy.isEmpty {
                lines.append("inventory_policy:")
                for policy in ["CONTINUE", "DENY"] {
                    let ids = withPolicy.filter { policyOf($0) == policy }
                    if !ids.isEmpty { lines.append("  \(policy): [\(ids.map(String.init).joined(separator: ", "))]") }
                }
            }
        } else if chance(0.3) {
            lines.append("product_variants_source: all")
            if !ghosts.isEmpty, chance(0.5) {
                // Variants Shopify does not know (deleted, or mistyped): shown, never sent.
                let ids = ghosts.filter { _ in chance(0.5) }
                if !ids.isEmpty { lines += ["inventory_policy:", "  DENY: [\(ids.map(String.init).joined(separator: ", "))]"] }
            }
        }
        return lines
    }

    /// Ids no state knows, declared by some `all` plans when policies are generated.
    var ghosts: [Int64] = []

    /// A desired config and a remote state that overlap in some plans; with `policies`, the
    /// remote state also holds random Shopify policies for most of the variant pool (the rest are
    /// unknown to Shopify unless a plan holds them).
    mutating func shop(policies: Bool = false) -> (yaml: String, remote: String) {
        let pool: [Int64] = (1...40).map { 43_900_910_000_000 + Int64($0) * 37 }
        let policyOf: (Int64) -> String = { $0 % 2 == 0 ? "CONTINUE" : "DENY" }
        ghosts = policies ? [99_000_000_000_001, 99_000_000_000_002, 99_000_000_000_003] : []
        var yaml = "version: 1\nselling_plans:\n"
        for name in Self.names where chance(0.6) {
            yaml += "  - internal_name: \(name)\n"
            for line in planFields(pool: pool, policyOf: policyOf) { yaml += "    \(line)\n" }
        }
        var plans: [JSONValue] = []
        var remoteMembers = Set<Int64>()
        for (i, name) in Self.names.enumerated() where chance(0.5) {
            var members: [(String, JSONValue)] = [
                ("id", .string("remote-\(i)")), ("internal_name", .string(name)), ("name", .string(pick(Self.texts))),
                ("enabled", .bool(chance(0.5))), ("pricing_type", .string(pick(["percentage", "fixed_amount"]))),
                ("pricing_percentage", .number(decimal(100))), ("shipping_text", .string(pick(Self.texts))),
                ("billing_type", .string(pick(["exact_time", "no_remaining_balance", "time_after_checkout"]))),
                ("billing_at", chance(0.5) ? .string("2026-10-0\(int(1...9))T09:00:00.000Z") : .null),
                ("product_variants_source", .string(pick(["custom", "custom", "all"]))),
            ]
            let planMembers = pool.filter { _ in chance(0.3) }
            remoteMembers.formUnion(planMembers)
            members.append(("shopify_variant_ids", .array(planMembers.map { .integer($0) })))
            if policies, chance(0.2) {
                // A job STOQ started on this plan before the plan was made, still running; it sets
                // some of its members to the policy the configuration declares for them.
                let policy = pick(["CONTINUE", "DENY"])
                let ids = planMembers.filter { policyOf($0) == policy && chance(0.5) }
                members.append(
                    (
                        "job",
                        .object([
                            ("ends_at", .string("2027-01-15T08:00:0\(int(1...9)).000Z")), ("policy", .string(policy)),
                            ("variant_ids", .array(ids.map { .integer($0) })),
                        ])
                    ))
            }
            plans.append(.object(members))
        }
        var state: [(String, JSONValue)] = [("plans", .array(plans))]
        if policies {
            // Shopify knows every variant of the pool: each has an entry, except a few members of a
            // plan, which read as DENY (Shopify's default).
            let listed = pool.filter { !remoteMembers.contains($0) || chance(0.9) }
            state.append(("variant_policies", .object(listed.map { (String($0), .string(pick(["CONTINUE", "DENY"]))) })))
        }
        return (yaml, JSONValue.object(state).render())
    }
}

@Suite("Apply, then plan: no changes — for many generated shops")
struct ApplyConvergenceTests {
    @Test(arguments: Array(1...60) as [UInt64])
    func converges(seed: UInt64) async throws {
        var generator = ShopGenerator(seed: seed)
        let (yaml, remote) = generator.shop()
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "gen.yaml", text: yaml), .config)])
        try #require(!diagnostics.hasErrors, "generated config is invalid: \(diagnostics.map(\.message))\n\(yaml)")
        let shop = try ScenarioShop(remoteJSON: remote)
        let plan = try await shop.plan(desired)
        #expect(desired.plans.isEmpty || !plan.operations.isEmpty, "seed \(seed) generated nothing to apply")
        await shop.emulator.clearLog()

        let report = await Applier(client: shop.client).apply(plan)
        #expect(report.succeeded, "\(report.items.filter { $0.status != .applied }.map { $0.message ?? "" })")

        // The writes STOQ saw are exactly the planned requests: same count, same kinds.
        let writes = await shop.emulator.requestLog.filter { $0.method != "GET" && ($0.status.map { (200..<300).contains($0) } ?? false) }
        func kind(_ method: String, _ path: String) -> String {
            let last = path.split(separator: "?").first?.split(separator: "/").last.map(String.init) ?? ""
            return method + " " + (["add_variant", "remove_variant", "bulk_toggle_inventory_policy"].contains(last) ? last : "plan")
        }
        let planned = plan.operations.flatMap(\.requests).map { kind($0.method, $0.path) }.sorted()
        let seen = writes.map { kind($0.method, $0.target) }.sorted()
        #expect(seen == planned, "seed \(seed)")
        #expect(await shop.emulator.requestLog.allSatisfy { $0.status != 429 }, "no rate-limit hit")

        let again = try await shop.plan(desired)
        #expect(again.isEmpty, "seed \(seed): \(TextPlanRenderer(color: false).render(again))\n\(yaml)")
    }

    @Test(
        "with random Shopify policies: only differing variants are toggled, no write meets a running job, and after apply the next plan is empty",
        arguments: Array(1...40) as [UInt64])
    func convergesWithPolicies(seed: UInt64) async throws {
        var generator = ShopGenerator(seed: seed &+ 1_000)
        let (yaml, remote) = generator.shop(policies: true)
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "gen.yaml", text: yaml), .config)])
        try #require(!diagnostics.hasErrors, "generated config is invalid: \(diagnostics.map(\.message))\n\(yaml)")
        let shop = try ScenarioShop(remoteJSON: remote)
        let plan = try await shop.plan(desired, readPolicies: true, expected: nil)
        #expect(plan.policiesVerified)
        // Every toggled variant really differs from Shopify's policy, and no unknown variant is sent.
        let unknown = Set(plan.unknownVariants.map(\.id))
        for op in plan.operations where op.kind == .setInventoryPolicy {
            for id in op.variantIDs {
                #expect(!unknown.contains(id))
                #expect(await shop.emulator.inventoryPolicy(of: id) != op.policy?.rawValue || op.inProgress, "seed \(seed): \(id)")
            }
        }
        await shop.emulator.clearLog()

        let report = await Applier(client: shop.client, policies: shop.policies, verifyPolicies: true).apply(plan)
        #expect(report.succeeded, "seed \(seed): \(report.items.filter { $0.status != .applied }.map { $0.message ?? "" })")
        let log = await shop.emulator.requestLog.filter { !$0.shopify }
        #expect(log.allSatisfy { $0.status != 409 }, "seed \(seed): no write was sent into a running job")
        #expect(log.allSatisfy { $0.status != 429 })
        for item in report.items where item.operation.kind == .setInventoryPolicy && item.sent > 0 {
            #expect(item.verification?.text == "confirmed in Shopify", "seed \(seed)")
        }

        let again = try await shop.plan(desired, readPolicies: true, expected: nil)
        #expect(again.isEmpty && again.operations.isEmpty, "seed \(seed): \(TextPlanRenderer(color: false).render(again))\n\(yaml)")
        #expect(Set(again.unknownVariants.map(\.id)) == unknown, "the same variants stay unknown")
    }

    @Test(
        "against a baseline: a shop as applied from it shows only the configuration's changes, the new configuration as baseline shows only drift, and apply then plan is empty",
        arguments: Array(1...40) as [UInt64])
    func attributesAgainstBaselines(seed: UInt64) async throws {
        var old = ShopGenerator(seed: seed &+ 2_000)
        let (oldYAML, remote) = old.shop()
        var new = ShopGenerator(seed: seed &+ 3_000)
        let (yaml, _) = new.shop()
        let (before, oldDiagnostics) = ConfigPipeline.run([(SourceFile(path: "old.yaml", text: oldYAML), .config)])
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "gen.yaml", text: yaml), .config)])
        try #require(!oldDiagnostics.hasErrors && !diagnostics.hasErrors)
        let shop = try ScenarioShop(remoteJSON: remote)
        // The shop as the old configuration left it: nothing has drifted since.
        let first = try await shop.plan(before)
        #expect(await Applier(client: shop.client).apply(first).succeeded)
        let baseline = Baseline(desired: before, info: BaselineInfo(ref: "old", commit: nil))

        let pr = try await shop.plan(desired, baseline: baseline)
        #expect(pr.summary.fromRemote == 0, "seed \(seed): \(TextPlanRenderer(color: false).render(pr))")
        #expect(pr.isEmpty == (pr.summary.fromConfig == 0), "seed \(seed): every change is counted")
        for op in pr.operations where op.isChange {
            #expect(op.counts(for: .config) && !op.counts(for: .remote), "seed \(seed): \(op.kind) \(op.plan)")
            for change in op.changes where change.attribution != nil { #expect(change.attribution == .config) }
        }
        // The baseline only labels readable differences: the same ones are found without it.
        func readable(_ plan: Plan) -> Set<String> {
            Set(
                plan.operations.flatMap { op in
                    op.changes.filter { !$0.field.isWriteOnly }.map { "\(op.plan) \($0.field) \($0.after)" }
                })
        }
        let plain = try await shop.plan(desired)
        #expect(readable(pr) == readable(plain), "seed \(seed)")
        #expect(pr.summary.create == plain.summary.create && pr.summary.delete == plain.summary.delete)

        // With the new configuration as the baseline, the same differences are all the shop's.
        let asDrift = try await shop.plan(desired, baseline: Baseline(desired: desired, info: BaselineInfo(ref: "new", commit: nil)))
        #expect(asDrift.summary.fromConfig == 0, "seed \(seed): \(TextPlanRenderer(color: false).render(asDrift))")
        #expect(asDrift.isEmpty == (asDrift.summary.fromRemote == 0), "seed \(seed): every difference is counted as drift")
        #expect(readable(asDrift) == readable(plain))

        #expect(await Applier(client: shop.client).apply(pr).succeeded, "seed \(seed)")
        let again = try await shop.plan(desired, baseline: Baseline(desired: desired, info: BaselineInfo(ref: "new", commit: nil)))
        #expect(again.isEmpty && again.operations.isEmpty, "seed \(seed): \(TextPlanRenderer(color: false).render(again))")
    }

    @Test("the generated shops with policies cover toggles both ways, jobs in progress and unknown variants")
    func policyGeneratorCoverage() async throws {
        var toggles: Set<InventoryPolicy> = []
        var inProgress = 0
        var unknown = 0
        for seed in 1...40 as ClosedRange<UInt64> {
            var generator = ShopGenerator(seed: seed &+ 1_000)
            let (yaml, remote) = generator.shop(policies: true)
            let (desired, _) = ConfigPipeline.run([(SourceFile(path: "gen.yaml", text: yaml), .config)])
            let plan = try await ScenarioShop(remoteJSON: remote).plan(desired, readPolicies: true, expected: nil)
            for op in plan.operations where op.kind == .setInventoryPolicy {
                if let p = op.policy { toggles.insert(p) }
                if op.inProgress { inProgress += 1 }
            }
            unknown += plan.unknownVariants.count
        }
        #expect(toggles == [.continue, .deny])
        #expect(inProgress > 0)
        #expect(unknown > 0)
    }
}
