import Foundation
import StoqAPI
import StoqCore
import StoqTestSupport
import StoqWire
import Testing

/// `--allow-gate` pins the plan hash `plan` prints; `apply` of the same shop must compute the same.
@Suite("plan and apply of one shop give one plan hash")
struct PlanApplyHashTests {
    @Test("without Shopify, removed members' titles from STOQ are read by plan and apply alike")
    func removedMembersWithoutShopify() async throws {
        let remote = """
            {"plans": [{"id": "p1", "internal_name": "fall", "name": "Fall", "product_variants_source": "custom",
                        "shopify_variant_ids": [4201, 4202, 4203]},
                       {"id": "p2", "internal_name": "winter", "name": "Winter", "product_variants_source": "custom",
                        "shopify_variant_ids": [4201, 5202]}],
             "products": [{"id": 42, "handle": "tee", "title": "Tee", "variants": [
                {"id": 4201, "title": "Black / S"}, {"id": 4202, "title": "Black / M"}, {"id": 4203, "title": "Black / L"}]}]}
            """
        let config = """
            version: 1
            selling_plans:
              - internal_name: fall
                product_variants_source: custom
                variants: [4203]
              - internal_name: winter
                product_variants_source: custom
                variants: [5202]
            """
        let shop = try ScenarioShop(remoteJSON: remote)
        // No policy reader: titles can only come from STOQ.
        let connect: Connect = { _, _ in ShopConnection(client: shop.client, endpoint: "emulator:hash", description: "scenario") }
        let input = PlanRun.Input(config: ConfigInput(files: [(SourceFile(path: "shop/plans.yaml", text: config), .config)]))
        let planned = await PlanRun.run(input, connect: connect)
        let plan = try #require(planned.plan, "\(planned.diagnostics)")
        #expect(plan.variantInfo[4202]?.displayTitle == "Tee — Black / M", "a removed member, titled by STOQ")
        let hash = PlanJSON.hash(plan)
        // The same shop planned again: the same hash, whichever STOQ answer came first.
        for _ in 0..<3 {
            #expect(PlanJSON.hash(try #require(await PlanRun.run(input, connect: connect).plan)) == hash)
        }
        let applied = await ApplyRun.run(ApplyRun.Input(source: .configuration(input)), connect: connect)
        #expect(applied.report?.planHash == hash, "apply computes the hash plan printed")
        #expect(applied.status == .success, "\(applied.diagnostics)")
    }
}
