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
        }
        return lines
    }

    /// A desired config and a remote state that overlap in some plans.
    mutating func shop() -> (yaml: String, remote: String) {
        let pool: [Int64] = (1...40).map { 43_900_910_000_000 + Int64($0) * 37 }
        let policyOf: (Int64) -> String = { $0 % 2 == 0 ? "CONTINUE" : "DENY" }
        var yaml = "version: 1\nselling_plans:\n"
        for name in Self.names where chance(0.6) {
            yaml += "  - internal_name: \(name)\n"
            for line in planFields(pool: pool, policyOf: policyOf) { yaml += "    \(line)\n" }
        }
        var plans: [JSONValue] = []
        for (i, name) in Self.names.enumerated() where chance(0.5) {
            var members: [(String, JSONValue)] = [
                ("id", .string("remote-\(i)")), ("internal_name", .string(name)), ("name", .string(pick(Self.texts))),
                ("enabled", .bool(chance(0.5))), ("pricing_type", .string(pick(["percentage", "fixed_amount"]))),
                ("pricing_percentage", .number(decimal(100))), ("shipping_text", .string(pick(Self.texts))),
                ("billing_type", .string(pick(["exact_time", "no_remaining_balance", "time_after_checkout"]))),
                ("billing_at", chance(0.5) ? .string("2026-10-0\(int(1...9))T09:00:00.000Z") : .null),
                ("product_variants_source", .string(pick(["custom", "custom", "all"]))),
            ]
            members.append(("shopify_variant_ids", .array(pool.filter { _ in chance(0.3) }.map { .integer($0) })))
            plans.append(.object(members))
        }
        return (yaml, JSONValue.object([("plans", .array(plans))]).render())
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
}
