import Foundation
import StoqTestSupport
import Testing

/// `Tests/Fixtures/export-names/remote-state.json` in a scratch folder as `state.json`: two custom
/// plans whose members have unique SKUs (one needing quotes, one starting with `[`, one not
/// ASCII), a SKU two variants share, no SKU (in the catalogue and outside it), a SKU with a
/// leading space, and a SKU Shopify's search index does not hold yet.
private func namedExportShop() throws -> URL {
    let dir = try temporaryDirectory()
    try FileManager.default.copyItem(
        at: Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/export-names/remote-state.json"),
        to: dir.appendingPathComponent("state.json"))
    return dir
}

private let exported = ["fall-tee-2026", "mugs-2026"]

private func file(_ name: String, in dir: URL) throws -> String {
    try String(contentsOf: dir.appendingPathComponent("shop/preorders/\(name).yaml"), encoding: .utf8)
}

@Suite("stoqctl export writes variants by SKU where Shopify says the SKU is theirs alone", .serialized)
struct ExportNamesCommandTests {
    @Test("unique SKUs become sku: names, the rest stay ids with the reason beside them (goldens); planning the export: No changes")
    func exportThenPlan() async throws {
        let dir = try namedExportShop()
        let export = try await Stoqctl.run(["export", "--out", "shop", "--endpoint", "emulator:state.json"], in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(
            export.stdout.contains(
                /^Exported 2 plans to shop \(2 files\) from emulator \(state.json\) in \d+ requests, and Shopify \(emulator\) in 2 queries \(\d+ points\); 5 of 11 variants written by SKU, 6 by id \(a comment beside each says why\)\.\n$/
            ), "\(export.stdout)")
        for name in exported {
            let golden = Golden.check(try file(name, in: dir), against: "Tests/Fixtures/export-names/preorders/\(name).yaml")
            #expect(golden == nil, "\(golden ?? "")")
        }

        let plan = try await Stoqctl.run(["plan", "shop", "--endpoint", "emulator:state.json", "--detailed-exitcode"], in: dir)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.hasPrefix("No changes. The shop matches the configuration.\n"))
        #expect(plan.stdout.contains("All 12 declared inventory policies match Shopify (emulator)."))
        // Standard error holds only what the Shopify reads cost: no warning, no error.
        #expect(plan.stderr.hasPrefix("Read Shopify (emulator) to resolve 5 names"), "\(plan.stderr)")
        #expect(plan.stderr.split(separator: "\n").count == 1, "\(plan.stderr)")
    }

    @Test("--variant-ids writes ids without comments, and that plans to No changes too")
    func variantIDs() async throws {
        let dir = try namedExportShop()
        let export = try await Stoqctl.run(
            ["export", "--out", "shop", "--endpoint", "emulator:state.json", "--variant-ids"], in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains(/, and Shopify \(emulator\) in 1 query \(\d+ points\)\.\n$/), "\(export.stdout)")
        for name in exported {
            let text = try file(name, in: dir)
            #expect(!text.contains("sku:") && !text.contains("  # "), "\(text)")
            #expect(text.contains("      - 43900920010001\n"))
        }
        let plan = try await Stoqctl.run(["plan", "shop", "--endpoint", "emulator:state.json", "--detailed-exitcode"], in: dir)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
    }

    @Test("over HTTP: without Shopify settings export writes ids as before; with them, the same names as the emulator run")
    func shopifySettings() async throws {
        let dir = try namedExportShop()
        let server = try ServedEmulator(state: dir.appendingPathComponent("state.json").path)
        let stoq = ["--endpoint", "http://127.0.0.1:\(server.port)/api/v1/external"]
        let shopify = ["--shopify-endpoint", "http://127.0.0.1:\(server.port)"]
        let tokens = ["STOQ_API_TOKEN": "stoq-token", "SHOPIFY_ADMIN_TOKEN": "shopify-token"]

        let plain = try await Stoqctl.run(["export", "--out", "ids"] + stoq, in: dir, environment: ["STOQ_API_TOKEN": "stoq-token"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.hasSuffix(" requests.\n") && !plain.stdout.contains("Shopify"), "\(plain.stdout)")
        let ids = try String(contentsOf: dir.appendingPathComponent("ids/preorders/fall-tee-2026.yaml"), encoding: .utf8)
        #expect(!ids.contains("sku:") && !ids.contains("inventory_policy:") && !ids.contains("  # "), "\(ids)")

        let named = try await Stoqctl.run(["export", "--out", "shop"] + stoq + shopify, in: dir, environment: tokens)
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.stdout.contains("; 5 of 11 variants written by SKU, 6 by id"), "\(named.stdout)")
        for name in exported {
            let golden = Golden.check(try file(name, in: dir), against: "Tests/Fixtures/export-names/preorders/\(name).yaml")
            #expect(golden == nil, "\(golden ?? "")")
        }
        let plan = try await Stoqctl.run(["plan", "shop", "--detailed-exitcode"] + stoq + shopify, in: dir, environment: tokens)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.hasPrefix("No changes."), "\(plan.stdout)")
    }
}
