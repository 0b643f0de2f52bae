import Foundation
import StoqTestSupport
import Testing

/// `examples/named-shop` copied to a scratch folder, planned against its emulator state.
struct NamedShop {
    let dir: URL
    var shop: URL { dir.appendingPathComponent("named-shop") }
    var planFile: URL { shop.appendingPathComponent("preorders/fall-tee.yaml") }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("named-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Golden.repositoryRoot.appendingPathComponent("examples/named-shop"), to: shop)
    }

    func plan(_ extra: [String] = []) async throws -> Stoqctl.Outcome {
        try await Stoqctl.run(
            ["plan", "named-shop", "--endpoint", "emulator:named-shop/remote-state.json"] + extra, in: dir)
    }

    func edit(_ from: String, _ to: String) throws {
        let text = try String(contentsOf: planFile, encoding: .utf8)
        #expect(text.contains(from))
        try text.replacingOccurrences(of: from, with: to).write(to: planFile, atomically: true, encoding: .utf8)
    }
}

@Suite("stoqctl plan with variants named by SKU and product handle")
struct VariantNameCommandTests {
    @Test("names resolve through the emulator's catalogue, and the plan shows products, variant titles and SKUs")
    func titled() async throws {
        let shop = try NamedShop()
        let outcome = try await shop.plan()
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("Fall Tee: Black / M (TEE-BLK-M), Black / L (TEE-BLK-L)"))
        #expect(outcome.stdout.contains("sku:MUG-FALL → 43900920010001"))
        // The archived tee no name reaches any more leaves the plan.
        #expect(outcome.stdout.contains("- remove 1 variant in 1 call: 43900910099999"))
    }

    @Test("a SKU no variant carries exactly stops the run with exit 1 at its line, before anything is planned")
    func unknownSKU() async throws {
        let shop = try NamedShop()
        try shop.edit("sku:MUG-FALL]\n", "sku:MUG-FAL]\n")
        let outcome = try await shop.plan()
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("named-shop/preorders/fall-tee.yaml:14:34"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("unknown-variant-name"))
        #expect(!outcome.stdout.contains("will make these changes"))
    }

    @Test("names without a way to read Shopify are one error naming the settings to add")
    func withoutShopify() async throws {
        let shop = try NamedShop()
        let settings = shop.shop.appendingPathComponent("stoqctl.yaml")
        try (try String(contentsOf: settings, encoding: .utf8) + "inventory_policy_source: declared\n").write(
            to: settings, atomically: true, encoding: .utf8)
        let outcome = try await shop.plan()
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("missing-shopify-credentials"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("shopify_shop"))
    }
}
