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

    var state: URL { shop.appendingPathComponent("remote-state.json") }

    /// The emulator's state file as JSON.
    func stateJSON() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as? [String: Any])
    }

    /// Moves `sku` in the emulator's catalogue from the variant that carries it (which gets
    /// `oldSKU`) to a new variant `newID` of the same product.
    func moveSKU(_ sku: String, to newID: Int64, leaving oldSKU: String) throws {
        var json = try stateJSON()
        var products = try #require(json["products"] as? [[String: Any]])
        var moved = false
        for p in products.indices {
            var variants = try #require(products[p]["variants"] as? [[String: Any]])
            guard let v = variants.firstIndex(where: { $0["sku"] as? String == sku }) else { continue }
            variants[v]["sku"] = oldSKU
            var copy = variants[v]
            copy["id"] = newID
            copy["sku"] = sku
            copy["barcode"] = nil
            variants.append(copy)
            products[p]["variants"] = variants
            moved = true
        }
        #expect(moved)
        json["products"] = products
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: state)
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
        // The removed member's title comes from one more read, and the reads' cost is told.
        #expect(outcome.stdout.contains("Old Tee (archived): Grey / S (TEE-OLD)"))
        #expect(
            outcome.stderr.contains("Read Shopify (emulator) to resolve 2 names and read titles and policies: 5 queries, "),
            "\(outcome.stderr)")
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

    @Test("a SKU moved to another variant between review and apply refuses the saved plan, naming the variant and the move")
    func movedBetweenReviewAndApply() async throws {
        let shop = try NamedShop()
        let endpoint = ["--endpoint", "emulator:named-shop/remote-state.json"]
        let first = try await Stoqctl.run(["apply", "named-shop", "--report", "report.json"] + endpoint, in: shop.dir)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: shop.dir.appendingPathComponent("report.json"))) as? [String: Any])
        let names = try #require(report["names"] as? [[String: Any]])
        #expect(
            names.contains {
                $0["list"] as? String == "variants" && $0["selector"] as? String == "sku:MUG-FALL"
                    && ($0["ids"] as? [Int64]) == [43_900_920_010_001]
            }, "\(names)")
        #expect(report["names_changed_since_review"] == nil)
        // Reviewed: nothing to change; the plan records sku:MUG-FALL → 43900920010001, a member now.
        let reviewed = try await Stoqctl.run(["plan", "named-shop", "--out", "plan.json"] + endpoint, in: shop.dir)
        #expect(reviewed.status == 0, "\(reviewed.stderr)")
        let saved = try String(contentsOf: shop.dir.appendingPathComponent("plan.json"), encoding: .utf8)
        #expect(saved.contains("\"selector\": \"sku:MUG-FALL\""), "the saved plan records what the name resolved to")
        // In Shopify the SKU moves to a new variant of the mug.
        try shop.moveSKU("MUG-FALL", to: 43_900_920_010_002, leaving: "MUG-FALL-2025")
        let plansBefore = try #require(shop.stateJSON()["plans"] as? [Any])
        let apply = try await Stoqctl.run(["apply", "plan.json", "named-shop"] + endpoint, in: shop.dir)
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("saved-plan-refused"), "\(apply.stderr)")
        #expect(apply.stderr.contains("`sku:MUG-FALL` moved: 43900920010001 → 43900920010002"))
        #expect(apply.stderr.contains("variant 43900920010001 (Fall Mug) no longer carries `sku:MUG-FALL`: its SKU is now `MUG-FALL-2025`"))
        #expect(apply.stderr.contains("nothing was sent"))
        let plansAfter = try #require(shop.stateJSON()["plans"] as? [Any])
        #expect(NSArray(array: plansBefore).isEqual(to: plansAfter), "STOQ's plans are untouched")
        // A fresh plan, with no record of what the name reached before, shows the removal and the
        // addition, each with its title.
        let now = try await shop.plan(["--color", "never"])
        #expect(now.stdout.contains("+ add 1 variant in 1 call: 43900920010002"), "\(now.stdout)")
        #expect(now.stdout.contains("- remove 1 variant in 1 call: 43900920010001"))
        #expect(now.stdout.contains("Fall Mug (draft): MUG-FALL-2025"))
        // With the first apply's report as the record of what the names reached, the plan shows
        // one move instead.
        let moved = try await shop.plan(["--color", "never", "--names-record", "report.json", "--format", "json"])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains(#""selector": "sku:MUG-FALL""#) && moved.stdout.contains(#""from": 43900920010001"#))
        let text = try await shop.plan(["--color", "never", "--names-record", "report.json"])
        #expect(text.stdout.contains("sku:MUG-FALL moved"), "\(text.stdout)")
        let broken = try await shop.plan(["--names-record", "plan.json.missing"])
        #expect(broken.status == 64 && broken.stderr.contains("--names-record plan.json.missing"))
        // The re-plan at merge applies the move; its report lists every name that resolves
        // otherwise than the record (the last apply) says.
        let merged = try await Stoqctl.run(
            ["apply", "named-shop", "--names-record", "report.json", "--report", "merged.json"] + endpoint, in: shop.dir)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout.contains("sku:MUG-FALL moved: 43900920010001 → 43900920010002"), "\(merged.stdout)")
        let mergedReport = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: shop.dir.appendingPathComponent("merged.json"))) as? [String: Any])
        let sinceRecord = try #require(mergedReport["names_changed_since_record"] as? [[String: Any]])
        #expect(sinceRecord.count == 2, "in variants and in CONTINUE: \(sinceRecord)")
        #expect(
            sinceRecord.allSatisfy {
                $0["selector"] as? String == "sku:MUG-FALL" && ($0["recorded"] as? [Int64]) == [43_900_920_010_001]
                    && ($0["now"] as? [Int64]) == [43_900_920_010_002]
            })
    }

    @Test("apply --reviewed-names lists every name that resolves otherwise than reviewed, warns, and sends what planning finds now")
    func reviewedNames() async throws {
        let shop = try NamedShop()
        let endpoint = ["--endpoint", "emulator:named-shop/remote-state.json"]
        let reviewed = try await Stoqctl.run(["plan", "named-shop", "--out", "plan.json"] + endpoint, in: shop.dir)
        #expect(reviewed.status == 0, "\(reviewed.stderr)")
        // After the review, the SKU moves to another variant and a commit takes the name out of CONTINUE.
        try shop.moveSKU("MUG-FALL", to: 43_900_920_010_002, leaving: "MUG-FALL-2025")
        try shop.edit("CONTINUE: [product:fall-tee, sku:MUG-FALL]", "CONTINUE: [product:fall-tee]")
        let now = try await Stoqctl.run(["plan", "named-shop", "--out", "now.json"] + endpoint, in: shop.dir)
        #expect(now.status == 0, "\(now.stderr)")
        // A saved plan carries its own review; a record that cannot be read is a usage error.
        let plansBefore = try #require(shop.stateJSON()["plans"] as? [Any])
        let both = try await Stoqctl.run(["apply", "plan.json", "named-shop", "--reviewed-names", "plan.json"] + endpoint, in: shop.dir)
        #expect(both.status == 64 && both.stderr.contains("a saved plan carries its own review"), "\(both.stderr)")
        let missing = try await Stoqctl.run(["apply", "named-shop", "--reviewed-names", "gone.json"] + endpoint, in: shop.dir)
        #expect(missing.status == 64 && missing.stderr.contains("--reviewed-names gone.json: cannot be read"), "\(missing.stderr)")
        try "{}".write(to: shop.dir.appendingPathComponent("empty.json"), atomically: true, encoding: .utf8)
        let empty = try await Stoqctl.run(["apply", "named-shop", "--reviewed-names", "empty.json"] + endpoint, in: shop.dir)
        #expect(empty.status == 64 && empty.stderr.contains("--reviewed-names empty.json: not a record of names"), "\(empty.stderr)")
        let plansAfter = try #require(shop.stateJSON()["plans"] as? [Any])
        #expect(NSArray(array: plansBefore).isEqual(to: plansAfter), "nothing was sent on a usage error")

        // A refused apply sends nothing, and its report still says which names changed since review.
        let settings = shop.shop.appendingPathComponent("stoqctl.yaml")
        let original = try String(contentsOf: settings, encoding: .utf8)
        try (original + "safety:\n  max_update_percent: 0\n  min_managed_plans: 0\n").write(to: settings, atomically: true, encoding: .utf8)
        let refused = try await Stoqctl.run(
            ["apply", "named-shop", "--reviewed-names", "plan.json", "--report", "refused.json"] + endpoint, in: shop.dir)
        #expect(refused.status == 3, "\(refused.stderr)")
        let refusedReport = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: shop.dir.appendingPathComponent("refused.json"))) as? [String: Any])
        #expect((refusedReport["names_changed_since_review"] as? [Any])?.count == 2, "\(refusedReport)")
        try original.write(to: settings, atomically: true, encoding: .utf8)

        let apply = try await Stoqctl.run(
            ["apply", "named-shop", "--reviewed-names", "plan.json", "--report", "report.json", "--color", "never"] + endpoint, in: shop.dir
        )
        #expect(apply.status == 0, "only reported: \(apply.stderr)")
        #expect(apply.stderr.contains("resolution-changed"), "\(apply.stderr)")
        #expect(
            apply.stderr.contains(
                "`sku:MUG-FALL` in fall-tee-2026 variants: 43900920010001 → 43900920010002 (reviewed → now); the apply goes by what it resolves to now"
            ),
            "\(apply.stderr)")
        #expect(apply.stderr.contains("`sku:MUG-FALL` in fall-tee-2026 inventory_policy.CONTINUE: 43900920010001 → (not written)"))
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: shop.dir.appendingPathComponent("report.json"))) as? [String: Any])
        let changed = try #require(report["names_changed_since_review"] as? [[String: Any]])
        #expect(changed.count == 2, "\(changed)")
        #expect(
            changed.contains {
                $0["list"] as? String == "variants" && $0["selector"] as? String == "sku:MUG-FALL"
                    && ($0["reviewed"] as? [Int64]) == [43_900_920_010_001] && ($0["now"] as? [Int64]) == [43_900_920_010_002]
            }, "\(changed)")
        #expect(
            changed.contains {
                $0["list"] as? String == "inventory_policy.CONTINUE" && ($0["reviewed"] as? [Int64]) == [43_900_920_010_001]
                    && $0["now"] is NSNull
            }, "the name the review had and the configuration no longer writes: \(changed)")
        #expect(report["names_changed_since_record"] == nil)
        // What was sent is the plan made now, as without the record.
        let planned = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: shop.dir.appendingPathComponent("now.json"))) as? [String: Any])
        #expect(report["plan_hash"] as? String == planned["plan_hash"] as? String)
        let plans = try #require(shop.stateJSON()["plans"] as? [[String: Any]])
        let members = try #require(plans.first?["shopify_variant_ids"] as? [Any])
        let ids = members.map { "\($0)" }
        #expect(ids.contains("43900920010002") && !ids.contains("43900920010001"), "\(ids)")
        // Without changes since review, the report has no such member.
        let same = try await Stoqctl.run(["plan", "named-shop", "--out", "same.json"] + endpoint, in: shop.dir)
        #expect(same.status == 0, "\(same.stderr)")
        let quiet = try await Stoqctl.run(
            ["apply", "named-shop", "--reviewed-names", "same.json", "--report", "quiet.json"] + endpoint, in: shop.dir)
        #expect(quiet.status == 0 && !quiet.stderr.contains("resolution-changed"), "\(quiet.stderr)")
        let quietReport = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: shop.dir.appendingPathComponent("quiet.json"))) as? [String: Any])
        #expect(quietReport["names_changed_since_review"] == nil && quietReport["names"] != nil)
    }

    @Test("a saved plan that adds and toggles variants by name applies them, checked against the resolved configuration")
    func savedPlanWithNames() async throws {
        let shop = try NamedShop()
        let endpoint = ["--endpoint", "emulator:named-shop/remote-state.json"]
        let reviewed = try await Stoqctl.run(["plan", "named-shop", "--out", "plan.json"] + endpoint, in: shop.dir)
        #expect(reviewed.status == 0, "\(reviewed.stderr)")
        let apply = try await Stoqctl.run(["apply", "plan.json", "named-shop"] + endpoint, in: shop.dir)
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("3 applied"), "\(apply.stdout)")
        let plans = try #require(shop.stateJSON()["plans"] as? [[String: Any]])
        let ids = try #require(plans.first?["shopify_variant_ids"] as? [Any])
        #expect(Set(ids.map { "\($0)" }) == ["43900910010503", "43900910043271", "43900910076039", "43900920010001"])
        let again = try await shop.plan(["--detailed-exitcode"])
        #expect(again.status == 0, "\(again.stdout)")
    }

    @Test("a product that gained a variant since review: the name's new resolution is listed and the unreviewed addition not sent")
    func productGainedVariant() async throws {
        let shop = try NamedShop()
        let endpoint = ["--endpoint", "emulator:named-shop/remote-state.json"]
        let reviewed = try await Stoqctl.run(["plan", "named-shop", "--out", "plan.json"] + endpoint, in: shop.dir)
        #expect(reviewed.status == 0, "\(reviewed.stderr)")
        var json = try shop.stateJSON()
        var products = try #require(json["products"] as? [[String: Any]])
        var variants = try #require(products[0]["variants"] as? [[String: Any]])
        #expect(products[0]["handle"] as? String == "fall-tee")
        variants.append(["id": 43_900_910_088_888, "sku": "TEE-BLK-XL", "title": "Black / XL", "inventory_policy": "DENY"])
        products[0]["variants"] = variants
        json["products"] = products
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: shop.state)
        let apply = try await Stoqctl.run(["apply", "plan.json", "named-shop", "--report", "report.json"] + endpoint, in: shop.dir)
        #expect(apply.stderr.contains("resolution-changed"), "\(apply.stderr)")
        #expect(
            apply.stderr.contains(
                "`product:fall-tee` in fall-tee-2026 variants: 43900910010503, 43900910043271, 43900910076039 → 43900910010503, 43900910043271, 43900910076039, 43900910088888"
            ))
        #expect(apply.status == 4, "the addition planning now finds was not reviewed: \(apply.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: shop.dir.appendingPathComponent("report.json"))) as? [String: Any])
        let changed = try #require(report["names_changed_since_review"] as? [[String: Any]])
        #expect(changed.count == 2 && changed.allSatisfy { ($0["now"] as? [Int64])?.contains(43_900_910_088_888) == true })
        #expect(changed.allSatisfy { ($0["reviewed"] as? [Int64])?.contains(43_900_910_088_888) == false })
        // The reviewed additions went out.
        #expect(report["operations"] != nil)
        let plans = try #require(shop.stateJSON()["plans"] as? [[String: Any]])
        let ids = try #require(plans.first?["shopify_variant_ids"] as? [Any])
        let members = ids.map { "\($0)" }
        #expect(!members.contains("43900910088888"), "the variant the review did not show is not added: \(members)")
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
