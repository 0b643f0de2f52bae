import Foundation
import StoqTestSupport
import Testing

/// A scratch folder with `Tests/Fixtures/export-shops/shops-state.json` as `state.json` (three
/// stores, us, eu and ca, with the same products and SKUs but their own variant ids: `fall-drop`
/// in all three, eu's with another `shipping_text`, ca's without `discount_text` and with a
/// variant without a SKU; `mugs` in us and eu; `gift-cards` in us alone, from a collection) and a
/// repository `repo/` holding only the fixture's `stoqctl.yaml` (the three shops; eu's STOQ token
/// in `STOQ_TOKEN_EU`).
private func shopsRepository() throws -> URL {
    let dir = try temporaryDirectory()
    let fixtures = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/export-shops")
    try FileManager.default.copyItem(at: fixtures.appendingPathComponent("shops-state.json"), to: dir.appendingPathComponent("state.json"))
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("repo"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(
        at: fixtures.appendingPathComponent("stoqctl.yaml"), to: dir.appendingPathComponent("repo/stoqctl.yaml"))
    return dir
}

private let offers = ["fall-drop", "gift-cards", "mugs"]

private func exported(_ name: String, in dir: URL, repo: String = "repo") throws -> String {
    try String(contentsOf: dir.appendingPathComponent("\(repo)/preorders/\(name).yaml"), encoding: .utf8)
}

private func files(in dir: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
}

@Suite("stoqctl export of a repository of several shops: one file per offer, planning every shop says No changes", .serialized)
struct ExportShopsCommandTests {
    @Test("three shops exported at once into the repository (goldens); plan of every shop: No changes")
    func exportThenPlanEveryShop() async throws {
        let dir = try shopsRepository()
        let export = try await Stoqctl.run(["export", "--out", "repo", "--endpoint", "emulator:state.json"], in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stderr.isEmpty, "no warning: \(export.stderr)")
        #expect(
            export.stdout.hasPrefix("Exported 3 plans to repo (3 files) from 3 shops:\n  us: 3 plans listed by emulator (state.json) in "))
        #expect(export.stdout.contains("\n  ca: 1 plan listed by emulator (state.json) in "), "\(export.stdout)")
        #expect(export.stdout.contains("; 1 of 2 variants written by SKU, 1 by id (a comment beside each says why).\n"))
        #expect(files(in: dir.appendingPathComponent("repo/preorders")) == offers.map { "\($0).yaml" })
        for name in offers {
            let golden = Golden.check(try exported(name, in: dir), against: "Tests/Fixtures/export-shops/preorders/\(name).yaml")
            #expect(golden == nil, "\(golden ?? "")")
        }

        let plan = try await Stoqctl.run(["plan", "repo", "--endpoint", "emulator:state.json", "--detailed-exitcode"], in: dir)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(
            plan.stdout.hasPrefix(
                "Plan of 3 shops:\n  us: no changes. The shop matches the configuration.\n  eu: no changes. The shop matches the configuration.\n  ca: no changes. The shop matches the configuration.\n"
            ), "\(plan.stdout)")
        #expect(plan.stdout.contains("All 3 declared inventory policies match Shopify (emulator)."))
        #expect(plan.stdout.contains("All 2 declared inventory policies match Shopify (emulator)."))
        #expect(!plan.stderr.contains("error") && !plan.stderr.contains("warning"), "\(plan.stderr)")
        for shop in ["us", "eu", "ca"] {
            let one = try await Stoqctl.run(
                ["plan", "repo", "--shop", shop, "--endpoint", "emulator:state.json", "--detailed-exitcode"], in: dir)
            #expect(one.status == 0, "\(shop): \(one.stdout)\(one.stderr)")
        }

        // Exporting again over the files writes the same bytes.
        let again = try await Stoqctl.run(["export", "--out", "repo", "--endpoint", "emulator:state.json"], in: dir)
        #expect(again.status == 1 && again.stderr.contains("3 files already exist"), "\(again.stderr)")
        let overwrite = try await Stoqctl.run(["export", "--out", "repo", "--overwrite", "--endpoint", "emulator:state.json"], in: dir)
        #expect(overwrite.status == 0, "\(overwrite.stderr)")
        for name in offers {
            let golden = Golden.check(try exported(name, in: dir), against: "Tests/Fixtures/export-shops/preorders/\(name).yaml")
            #expect(golden == nil, "\(golden ?? "")")
        }
    }

    @Test("--shop eu alone: eu's offers, each with shops: [eu], and eu plans to No changes")
    func oneShop() async throws {
        let dir = try shopsRepository()
        let export = try await Stoqctl.run(["export", "--out", "repo", "--shop", "eu", "--endpoint", "emulator:state.json"], in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.hasPrefix("Exported 2 plans to repo (2 files) from 1 shop:\n  eu: 2 plans listed by "), "\(export.stdout)")
        #expect(files(in: dir.appendingPathComponent("repo/preorders")) == ["fall-drop.yaml", "mugs.yaml"])
        let fall = try exported("fall-drop", in: dir)
        #expect(fall.contains("  - internal_name: fall-drop\n    shops: [eu]\n"), "\(fall)")
        #expect(fall.contains("    shipping_text: Ships in November\n") && !fall.contains("overrides"))
        #expect(try exported("mugs", in: dir).contains("    shops: [eu]\n"))
        let plan = try await Stoqctl.run(
            ["plan", "repo", "--shop", "eu", "--endpoint", "emulator:state.json", "--detailed-exitcode"], in: dir)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("No changes."), "\(plan.stdout)")

        let unknown = try await Stoqctl.run(["export", "--out", "repo", "--shop", "fr", "--endpoint", "emulator:state.json"], in: dir)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("--shop fr: stoqctl.yaml has no shop `fr` (it has us, eu, ca)"), "\(unknown.stderr)")
    }

    @Test(
        "over HTTP each shop reads its own token variables; a shop whose variable is unset is an error naming both, and nothing is written")
    func tokens() async throws {
        let dir = try shopsRepository()
        let server = try ServedEmulator(state: dir.appendingPathComponent("state.json").path)
        let remote = [
            "--endpoint", "http://127.0.0.1:\(server.port)/api/v1/external", "--shopify-endpoint", "http://127.0.0.1:\(server.port)",
        ]
        var env = [
            "STOQ_API_TOKEN_US": "us-stoq-token", "STOQ_API_TOKEN_CA": "ca-stoq-token", "SHOPIFY_ADMIN_TOKEN_US": "us-shopify-token",
            "SHOPIFY_ADMIN_TOKEN_EU": "eu-shopify-token", "SHOPIFY_ADMIN_TOKEN_CA": "ca-shopify-token",
            // Another shop's variable, or the one-shop variable, is not eu's.
            "STOQ_API_TOKEN_EU": "eu-stoq-token", "STOQ_API_TOKEN": "eu-stoq-token",
        ]
        let missing = try await Stoqctl.run(["export", "--out", "repo"] + remote, in: dir, environment: env)
        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stderr.contains("shop `eu`: no STOQ API token: set STOQ_TOKEN_EU"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("shop `us`") && !missing.stderr.contains("shop `ca`"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("repo/preorders").path), "nothing written")

        env["STOQ_TOKEN_EU"] = "eu-stoq-token"
        let export = try await Stoqctl.run(["export", "--out", "repo"] + remote, in: dir, environment: env)
        #expect(export.status == 0, "\(export.stderr)")
        for name in offers {
            let golden = Golden.check(try exported(name, in: dir), against: "Tests/Fixtures/export-shops/preorders/\(name).yaml")
            #expect(golden == nil, "\(golden ?? "")")
        }
        let plan = try await Stoqctl.run(["plan", "repo", "--detailed-exitcode"] + remote, in: dir, environment: env)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
    }

    @Test("--shop needs a stoqctl.yaml with shops: in --out, and says what is missing")
    func shopNeedsShops() async throws {
        let dir = try shopsRepository()
        let noOut = try await Stoqctl.run(["export", "--shop", "eu", "--endpoint", "emulator:state.json"], in: dir)
        #expect(noOut.status == 64)
        #expect(noOut.stderr.contains("--shop eu: export reads the shops from stoqctl.yaml (with `shops:`)"), "\(noOut.stderr)")
        #expect(noOut.stderr.contains("there is no --out DIR"))

        let noFile = try await Stoqctl.run(["export", "--out", "empty", "--shop", "eu", "--endpoint", "emulator:state.json"], in: dir)
        #expect(noFile.status == 64)
        #expect(noFile.stderr.contains("--shop eu: empty/stoqctl.yaml does not exist"), "\(noFile.stderr)")

        try FileManager.default.createDirectory(at: dir.appendingPathComponent("one"), withIntermediateDirectories: true)
        try "version: 1\nprune: false\n".write(to: dir.appendingPathComponent("one/stoqctl.yaml"), atomically: true, encoding: .utf8)
        let noShops = try await Stoqctl.run(["export", "--out", "one", "--shop", "eu", "--endpoint", "emulator:state.json"], in: dir)
        #expect(noShops.status == 64)
        #expect(noShops.stderr.contains("--shop eu: one/stoqctl.yaml has no `shops:`"), "\(noShops.stderr)")
        #expect(files(in: dir.appendingPathComponent("one")) == ["stoqctl.yaml"])
    }
}
