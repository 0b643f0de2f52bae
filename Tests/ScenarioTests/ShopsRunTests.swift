import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqTestSupport
import StoqWire
import Testing

/// A repository of several shops planned and applied: each shop on its own connection, its own
/// part of the plan, and no token reaching another shop's store.
@Suite("several shops: plan, apply and the checks that keep tokens apart")
struct ShopsRunTests {
    static let settings = """
        version: 1
        inventory_policy_source: declared
        shops:
          us:
            shopify_shop: acme-us
          eu:
            shopify_shop: acme-eu
            stoq_shop_id: 202
        """
    static let offers = """
        version: 1
        selling_plans:
          - internal_name: fall-drop
            name: Fall Drop
            shipping_text: Ships in October
            overrides:
              eu:
                shipping_text: Ships in November from Rotterdam
          - internal_name: us-only
            shops: [us]
            name: US only
        """

    static func input(settings: String = settings, offers: String = offers) -> PlanRun.Input {
        PlanRun.Input(
            config: ConfigInput(files: [
                (SourceFile(path: "shop/stoqctl.yaml", text: settings), .settings),
                (SourceFile(path: "shop/offers.yaml", text: offers), .config),
            ]))
    }

    /// A shop of its own: an emulator with `shop_id`.
    static func shop(id: Int, plans: String = "[]", domain: String = "emulator.myshopify.com") throws -> ScenarioShop {
        try ScenarioShop(remoteJSON: "{\"shop_id\": \(id), \"plans\": \(plans)}") { $0.shopifyDomain = domain }
    }

    static func connect(_ shops: [String: ScenarioShop], policies: Bool = false) -> @Sendable (String) -> Connect {
        { name in
            { _, _ throws(RunFailure) in
                guard let shop = shops[name] else { throw RunFailure(.unknownShop, name) }
                return ShopConnection(
                    client: shop.client, endpoint: "emulator:shops", description: name, policies: policies ? shop.policies : nil)
            }
        }
    }

    static func writes(_ shop: ScenarioShop) async -> [LoggedRequest] {
        await shop.emulator.requestLog.filter { $0.method != "GET" && !$0.shopify }
    }

    @Test("every shop planned on its own connection: its own offers, overrides, hash and shop name")
    func plansEachShop() async throws {
        let us = try Self.shop(id: 101)
        let eu = try Self.shop(id: 202)
        let input = Self.input()
        let loaded = ConfigPipeline.run(input.config)
        let results = await ShopsRun.plan(input, shops: ["us", "eu"], loaded: loaded, connect: Self.connect(["us": us, "eu": eu]))
        #expect(results.map(\.shop) == ["us", "eu"])
        let usPlan = try #require(results[0].outcome.plan, "\(results[0].outcome.diagnostics)")
        let euPlan = try #require(results[1].outcome.plan, "\(results[1].outcome.diagnostics)")
        #expect(usPlan.shop == "us" && euPlan.shop == "eu")
        #expect(usPlan.operations.map(\.plan.internalName) == ["fall-drop", "us-only"])
        #expect(euPlan.operations.map(\.plan.internalName) == ["fall-drop"])
        #expect(PlanJSON.render(euPlan).contains("Ships in November from Rotterdam"))
        #expect(!PlanJSON.render(usPlan).contains("Rotterdam"))
        #expect(PlanJSON.hash(usPlan) != PlanJSON.hash(euPlan))
        // The saved document holds each part with its own hash, and each part decodes alone.
        let parts = ShopsRunTests.parts(results)
        let saved = try #require(try PlanJSON.shopParts(PlanJSON.renderShops(parts)))
        #expect(saved.map(\.shop) == ["us", "eu"])
        #expect(try PlanJSON.decode(try #require(saved[1].text)).hash == PlanJSON.hash(euPlan))
        // Each shop's emulator saw its own list read, and nothing of the other.
        let usLog = await us.emulator.requestLog
        let euLog = await eu.emulator.requestLog
        #expect(usLog.count == 1 && euLog.count == 1)
    }

    @Test("--target an offer for some shops only: planned there, nothing to do in the others; a name no shop has is unknown")
    func targetOfSomeShops() async throws {
        let us = try Self.shop(id: 101)
        let eu = try Self.shop(id: 202, plans: #"[{"id": "p1", "internal_name": "fall-drop", "name": "Old"}]"#)
        var input = Self.input()
        input.targets = ["us-only"]
        let loaded = ConfigPipeline.run(input.config)
        let results = await ShopsRun.plan(input, shops: ["us", "eu"], loaded: loaded, connect: Self.connect(["us": us, "eu": eu]))
        #expect(results.map(\.shop) == ["us"], "a run of several shops leaves out the shops the target is not for")
        let usPlan = try #require(results[0].outcome.plan, "\(results[0].outcome.diagnostics.map(\.message))")
        #expect(usPlan.operations.map(\.plan.internalName) == ["us-only"])
        // One shop named that the target is not for: nothing to do, and not everything either
        // (eu's fall-drop differs, and is not what was asked for).
        var euOnly = input
        euOnly.shop = "eu"
        euOnly.loaded = loaded
        let euOutcome = await PlanRun.run(euOnly, connect: Self.connect(["eu": eu])("eu"))
        let euPlan = try #require(euOutcome.plan, "\(euOutcome.diagnostics.map(\.message))")
        #expect(euPlan.isEmpty)
        input.targets = ["nowhere"]
        let unknown = await ShopsRun.plan(input, shops: ["us", "eu"], loaded: loaded, connect: Self.connect(["us": us, "eu": eu]))
        for (shop, outcome) in unknown {
            #expect(outcome.plan == nil && outcome.diagnostics.contains { $0.code == .unknownTarget }, "\(shop)")
        }
    }

    @Test("every format groups the plan by shop, leading with one line per shop", arguments: OutputFormat.allCases)
    func formats(_ format: OutputFormat) async throws {
        let us = try Self.shop(id: 101)
        let eu = try Self.shop(
            id: 202, plans: #"[{"id": "p1", "internal_name": "fall-drop", "name": "Fall Drop", "shipping_text": "Ships in October"}]"#)
        let input = Self.input()
        let results = await ShopsRun.plan(
            input, shops: ["us", "eu"], loaded: ConfigPipeline.run(input.config), connect: Self.connect(["us": us, "eu": eu]))
        var parts = Self.parts(results)
        parts.append(ShopPart(shop: "uk", domain: "acme-uk.myshopify.com", failure: "shop `uk`: no STOQ API token: set STOQ_API_TOKEN_UK"))
        let shown = ShopsPlan.render(parts, format: format)
        let ext = ["text": "txt", "markdown": "md", "json": "json", "github": "github.txt"][format.rawValue] ?? "txt"
        if let failure = Golden.check(shown, against: "Tests/Fixtures/shops/plan.\(ext)") { Issue.record("\(failure)") }
        for name in ["us", "eu", "uk"] { #expect(shown.contains(name)) }
    }

    @Test("a shop's domain and why it has no plan are outside text: one line each, no workflow command", arguments: OutputFormat.allCases)
    func hostilePartText(_ format: OutputFormat) {
        // What `show` reads from a forged document, or a server's answer quoted in a failure.
        let part = ShopPart(
            shop: "eu", domain: "x\n::error title=pwn::owned", failure: "y\r\n::warning title=z::forged\u{1B}]0;t\u{07}")
        let shown = ShopsPlan.render([part], format: format)
        for line in shown.split(separator: "\n") {
            #expect(!line.drop { $0 == " " }.hasPrefix("::"), "\(line)")
            #expect(!line.unicodeScalars.contains { Sanitiser.isHidden($0) && $0 != "\t" }, "\(line)")
        }
        if format != .json { #expect(shown.split(separator: "\n").contains { $0.contains("not planned") && $0.contains("forged") }) }
    }

    static func parts(_ results: [(shop: String, outcome: PlanRun.Outcome)]) -> [ShopPart] {
        results.map { ShopPart(shop: $0.shop, domain: "acme-\($0.shop).myshopify.com", plan: $0.outcome.plan, verdict: $0.outcome.verdict) }
    }

    @Test("two shops whose tokens reach one store are both refused, with nothing sent")
    func crossedTokens() async throws {
        // Both shops' connections reach the same store (shop_id 7, one plan).
        let one = try Self.shop(id: 7, plans: #"[{"id": "p1", "internal_name": "fall-drop", "name": "Old"}]"#)
        let settings = Self.settings.replacingOccurrences(of: "\n    stoq_shop_id: 202", with: "")
        let input = Self.input(settings: settings)
        let results = await ShopsRun.plan(
            input, shops: ["us", "eu"], loaded: ConfigPipeline.run(input.config), connect: Self.connect(["us": one, "eu": one]))
        for (shop, outcome) in results {
            #expect(outcome.plan == nil && outcome.failure == .failure, "\(shop)")
            #expect(outcome.diagnostics.contains { $0.code == .shopMismatch && $0.message.contains("shop_id 7") })
        }
        // Applies at once meet at the barrier before writing: both refused, nothing written.
        let barrier = ShopBarrier(shops: ["us", "eu"])
        let statuses = await withTaskGroup(of: StoqCore.ExitStatus.self) { group in
            for shop in ["us", "eu"] {
                var planInput = input
                planInput.shop = shop
                var applyInput = ApplyRun.Input(source: .configuration(planInput))
                applyInput.beforeWriting = { ids in await barrier.arrive(shop, ids: ids) }
                let connect = Self.connect(["us": one, "eu": one])(shop)
                group.addTask {
                    let outcome = await ApplyRun.run(applyInput, connect: connect)
                    await barrier.leave(shop)
                    return outcome.status
                }
            }
            var all: [StoqCore.ExitStatus] = []
            for await status in group { all.append(status) }
            return all
        }
        #expect(statuses == [.failure, .failure])
        #expect(await Self.writes(one).isEmpty)
    }

    @Test("a shop whose token reaches another STOQ store than its stoq_shop_id is refused before any write")
    func wrongStore() async throws {
        let other = try Self.shop(id: 999, plans: #"[{"id": "p1", "internal_name": "fall-drop", "name": "Old"}]"#)
        var input = Self.input()
        input.shop = "eu"
        let outcome = await ApplyRun.run(ApplyRun.Input(source: .configuration(input)), connect: Self.connect(["eu": other])("eu"))
        #expect(outcome.status == .failure)
        let refusal = try #require(outcome.diagnostics.first { $0.code == .shopMismatch })
        #expect(refusal.message.contains("shop_id 999, not 202"))
        #expect(await Self.writes(other).isEmpty)
        // An empty store shows no shop_id in its list: its first plan is read to learn it.
        let empty = try Self.shop(id: 999)
        let created = await ApplyRun.run(ApplyRun.Input(source: .configuration(input)), connect: Self.connect(["eu": empty])("eu"))
        #expect(created.status == .success, "an empty store has nothing to tell it by: \(created.diagnostics)")
        let again = await ApplyRun.run(ApplyRun.Input(source: .configuration(input)), connect: Self.connect(["eu": empty])("eu"))
        #expect(again.diagnostics.contains { $0.code == .shopMismatch }, "once it has a plan, it is told by it")
    }

    @Test("a Shopify token that reaches another store than shopify_shop is refused before anything is read")
    func wrongShopifyStore() async throws {
        let shop = try Self.shop(id: 202, domain: "someone-else.myshopify.com")
        var input = Self.input(settings: Self.settings.replacingOccurrences(of: "declared", with: "auto"))
        input.shop = "eu"
        let outcome = await PlanRun.run(input, connect: Self.connect(["eu": shop], policies: true)("eu"))
        #expect(outcome.plan == nil)
        #expect(
            outcome.diagnostics.contains {
                $0.code == .shopMismatch && $0.message.contains("reaches someone-else.myshopify.com, not acme-eu.myshopify.com")
            })
        #expect(await shop.emulator.requestLog.filter { !$0.shopify }.isEmpty, "STOQ was not read")
        let right = try Self.shop(id: 202, domain: "acme-eu.myshopify.com")
        #expect(await PlanRun.run(input, connect: Self.connect(["eu": right], policies: true)("eu")).plan != nil)
    }

    @Test("--target covers the shops that get the target; a target no shop gets is every shop's error")
    func targets() async throws {
        let input = Self.input()
        let desired = ConfigPipeline.run(input.config).desired
        #expect(ShopsRun.targeted(["us", "eu"], in: desired, targets: ["us-only"]).map(\.shop) == ["us"])
        #expect(ShopsRun.targeted(["us", "eu"], in: desired, targets: ["fall-drop"]).map(\.shop) == ["us", "eu"])
        #expect(ShopsRun.targeted(["us", "eu"], in: desired, targets: ["nope"]).map(\.targets) == [["nope"], ["nope"]])
        var targeted = input
        targeted.targets = ["us-only"]
        let us = try Self.shop(id: 101)
        let eu = try Self.shop(id: 202)
        let results = await ShopsRun.plan(
            targeted, shops: ["us", "eu"], loaded: ConfigPipeline.run(input.config), connect: Self.connect(["us": us, "eu": eu]))
        #expect(results.map(\.shop) == ["us"])
        #expect(results.first?.outcome.plan?.operations.map(\.plan.internalName) == ["us-only"])
        #expect(await eu.emulator.requestLog.isEmpty, "a shop without the target is not read")
    }

    @Test("a shop's part of a saved plan applies to that shop only")
    func savedPart() async throws {
        let eu = try Self.shop(id: 202)
        var input = Self.input()
        input.shop = "eu"
        let planned = try #require(await PlanRun.run(input, connect: Self.connect(["eu": eu])("eu")).plan)
        let text = PlanJSON.render(planned)
        var asUS = Self.input()
        asUS.shop = "us"
        let us = try Self.shop(id: 101)
        let refused = await ApplyRun.run(
            ApplyRun.Input(source: .savedPlan(name: "plan.json", text: text, config: asUS)), connect: Self.connect(["us": us])("us"))
        #expect(refused.diagnostics.contains { $0.code == .savedPlanRefused && $0.message.contains("the plan of shop `eu`") })
        #expect(await Self.writes(us).isEmpty)
        let applied = await ApplyRun.run(
            ApplyRun.Input(source: .savedPlan(name: "plan.json", text: text, config: input)), connect: Self.connect(["eu": eu])("eu"))
        #expect(applied.status == .success, "\(applied.diagnostics)")
        #expect(await Self.writes(eu).count == 1)
    }

    @Test("the Markdown comment of 50 shops leads with one line each and fits GitHub's limit")
    func fiftyShops() async throws {
        let names = (1...50).map { String(format: "shop-%02d", $0) }
        let offers = "version: 1\nselling_plans:\n" + (1...40).map { "  - internal_name: offer-\($0)\n    name: Offer \($0)\n" }.joined()
        let settings = "version: 1\ninventory_policy_source: declared\nshops:\n" + names.map { "  \($0): {shopify_shop: \($0)}\n" }.joined()
        let input = Self.input(settings: settings, offers: offers)
        var shops: [String: ScenarioShop] = [:]
        for (i, name) in names.enumerated() { shops[name] = try Self.shop(id: 1_000 + i) }
        let results = await ShopsRun.plan(input, shops: names, loaded: ConfigPipeline.run(input.config), connect: Self.connect(shops))
        let comment = ShopsPlan.markdown(Self.parts(results), budget: ShopsPlan.commentBudget)
        #expect(comment.count <= ShopsPlan.commentBudget)
        for name in names { #expect(comment.contains("\n| \(name) (acme-\(name).myshopify.com) | "), "\(name) has its row") }
        #expect(comment.contains("do not fit in this comment"), "40 creates × 50 shops do not all fit")
        // The room is used: as many shops' sections as fit, in order, the rest named.
        let sections = comment.components(separatedBy: "<details><summary>shop-").count - 1
        #expect(sections >= 15, "\(sections) sections in \(comment.count) characters")
        #expect(comment.count > 50_000)
        #expect(comment.contains("<details><summary>shop-01 (acme-shop-01.myshopify.com)"))
    }
}
