import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// Generated shops whose catalogue SKUs are odd texts, some carried once, some shared, some
/// missing, for exports that name variants by SKU.
struct NamedShopGenerator {
    var random: SeededRandom
    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { random.unit() < p }

    /// SKUs: the odd texts of ``OddShopGenerator`` and SKU-like ones (quotes, backslashes,
    /// colons, ` #`, a Unicode form of another).
    static let skus: [String] =
        OddShopGenerator.texts.filter { $0.count < 200 } + [
            "TEE-BLK-S", "tee-blk-s", "TEE-BLK", "TEE \"BLK\" M", "A\\B", "AB:12", "sku:nested", "TEE #1", "[TEE]-XL", "Caf\u{E9}",
            "Cafe\u{301}", "ZERO\u{200B}WIDTH", "TRAIL\u{A0}", "-", "~", "#",
        ]

    /// One catalogue variant as the emulator's state holds it.
    mutating func variantJSON(_ v: (id: Int64, sku: String?)) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("id", .integer(v.id)), ("inventory_policy", .string(chance(0.5) ? "CONTINUE" : "DENY"))]
        if let sku = v.sku { pairs.append(("sku", .string(sku))) }
        return .object(pairs)
    }

    /// A shop: one or two custom plans over a catalogue of up to 40 variants, each with a SKU
    /// drawn from ``skus`` (so some are shared), or none.
    mutating func shop() -> (state: String, catalogue: [(id: Int64, sku: String?)]) {
        let count = int(1...40)
        var variants: [(id: Int64, sku: String?)] = []
        for i in 0..<count {
            let sku: String? = chance(0.15) ? nil : Self.skus[int(0...(Self.skus.count - 1))]
            variants.append((43_900_000_000_000 + Int64(i) * 7 + Int64(int(0...6)), sku))
        }
        var products: [JSONValue] = []
        for (p, start) in stride(from: 0, to: variants.count, by: 5).enumerated() {
            var items: [JSONValue] = []
            for v in variants[start..<min(start + 5, variants.count)] { items.append(variantJSON(v)) }
            products.append(
                .object([
                    ("id", .integer(439_000_000 + Int64(p))), ("handle", .string("product-\(p)")), ("title", .string("Product \(p)")),
                    ("variants", .array(items)),
                ]))
        }
        var plans: [JSONValue] = []
        for p in 0..<int(1...2) {
            var members: [JSONValue] = []
            for v in variants where chance(0.7) { members.append(.integer(v.id)) }
            plans.append(
                .object([
                    ("id", .string("p\(p)")), ("internal_name", .string("plan-\(p)")), ("name", .string("Plan \(p)")),
                    ("product_variants_source", .string("custom")), ("shopify_variant_ids", .array(members)),
                ]))
        }
        let state = JSONValue.object([("plans", .array(plans)), ("products", .array(products))]).render()
        return (state, variants)
    }
}

@Suite("Export names variants by SKU, then plan: No changes — over generated catalogues with odd SKUs")
struct ExportNamesScenarioTests {
    /// True when the export should name a variant carrying `sku` in `catalogue`: no other variant
    /// carries it (byte for byte, nor as the same text in another Unicode form), a name can hold
    /// it, and Shopify's search can find it (the emulator's search needs a letter or digit).
    static func nameable(_ sku: String?, in catalogue: [(id: Int64, sku: String?)]) -> Bool {
        guard let sku, VariantSelector.valueProblem(sku) == nil, sku.contains(where: { $0.isLetter || $0.isNumber }) else { return false }
        let same = catalogue.filter { $0.sku == sku }
        return same.count == 1
    }

    @Test("names only what resolves back to the same variant; planning the export changes nothing", arguments: Array(1...40) as [UInt64])
    func property(seed: UInt64) async throws {
        var generator = NamedShopGenerator(seed: seed)
        let (state, catalogue) = generator.shop()
        let shop = try ScenarioShop(remoteJSON: state)
        let connect: Connect = { _, _ in
            ShopConnection(client: shop.client, endpoint: "emulator:named", description: "scenario", policies: shop.policies)
        }
        let export = await ExportRun.run(asFiles: true, connect: connect)
        #expect(export.status == .success, "seed \(seed): \(export.diagnostics.map(\.message))")
        let files = try #require(export.files).files
        let naming = try #require(export.naming)

        for (id, sku) in catalogue where naming.skus[id] != nil || naming.reasons[id] != nil {
            let named = naming.skus[id] != nil
            #expect(
                named == Self.nameable(sku, in: catalogue), "seed \(seed): \(id) \(sku.debugDescription): \(naming.reasons[id] ?? "named")")
        }

        let config = ConfigInput(files: files.map { (SourceFile(path: $0.path, text: $0.text), SourceRole.config) })
        let plan = await PlanRun.run(PlanRun.Input(config: config), connect: connect)
        let errors = plan.diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(errors.isEmpty, "seed \(seed): \(errors)\n\(files.map(\.text).joined())")
        let planned = try #require(plan.plan, "seed \(seed)")
        #expect(planned.operations.isEmpty, "seed \(seed):\n\(String(TextPlanRenderer(color: false).render(planned).prefix(3000)))")

        // Every name written was resolved by the plan (one resolution per list entry).
        var written = 0
        for file in files {
            for line in file.text.split(separator: "\n") {
                let item = line.drop { $0 == " " }
                if item.hasPrefix("- sku:") || item.hasPrefix("- \"sku:") { written += 1 }
            }
        }
        #expect(planned.resolutions.count == written, "seed \(seed)")
    }
}
