import Foundation
import StoqCore
import StoqTestSupport
import StoqWire
import Testing

@testable import StoqAPI

/// Where a plan's titles come from when the configuration writes ids: Shopify (bounded), or,
/// without Shopify, STOQ's `product_variants` for the members it removes (bounded).
@Suite("Titles for configurations that write ids")
struct PlanTitleReadTests {
    static func config(plans: [(name: String, variants: [Int64])]) -> String {
        var text = "version: 1\nselling_plans:\n"
        for p in plans {
            text += "  - internal_name: \(p.name)\n    product_variants_source: custom\n"
            text += "    variants: [\(p.variants.map(String.init).joined(separator: ", "))]\n"
        }
        return text
    }

    static func desired(_ text: String) throws -> DesiredState {
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "shop.yaml", text: text), .config)])
        try #require(!diagnostics.hasErrors, "\(diagnostics)")
        return desired
    }

    @Test("with Shopify, titles are read for the first 1,000 variants the plan shows, 2 points each; the rest get a titles-not-read note")
    func shopifyBound() async throws {
        let ids = (1...1_200).map { Int64(500_000 + $0) }
        let policies = ids.map { "\"\($0)\": \"DENY\"" }.joined(separator: ", ")
        let remote = """
            {"plans": [{"id": "p1", "internal_name": "big", "name": "Big", "product_variants_source": "custom", "shopify_variant_ids": []}],
             "variant_policies": {\(policies)}}
            """
        let shop = try ScenarioShop(remoteJSON: remote)
        let desired = try Self.desired(Self.config(plans: [("big", ids)]))
        var plan = try await shop.plan(desired)
        #expect(plan.operations.flatMap(\.variantIDs).count == 1_200)
        await shop.emulator.clearLog()
        let read = await PlanRun.readTitles(of: &plan, catalogue: nil, reader: shop.policies)
        #expect(read.diagnostics.map(\.code) == [.titlesNotRead], "\(read.diagnostics)")
        #expect(read.diagnostics.first?.message.contains("the other 200 are shown by SKU or id") == true)
        #expect(plan.variantInfo.count == PlanRun.titleReadLimit)
        #expect(Set(plan.variantInfo.keys) == Set(ids.prefix(PlanRun.titleReadLimit)), "the first ones, in the plan's order")
        #expect(
            plan.variantInfo[ids[0]]?.productTitle == "Product \(ids[0] / 100)", "the emulator's title for a variant outside its catalogue")
        #expect(read.points == 2 * PlanRun.titleReadLimit, "2 points a variant: itself and its product")
        let log = await shop.emulator.requestLog
        #expect(log.allSatisfy { $0.shopify }, "titles cost STOQ nothing")
        #expect(log.count == read.queries)
        let shown = TextPlanRenderer(color: false).render(plan)
        #expect(shown.contains("Product 5000: Variant 1 (id 500001), Variant 2 (id 500002)"))
    }

    @Test("without Shopify, removed members' titles come from STOQ: one request per plan, at most 10 plans, only the removed ids kept")
    func stoqMembers() async throws {
        // 12 plans, each with 5 members, each configuration dropping its first two.
        var plans: [String] = []
        var declared: [(name: String, variants: [Int64])] = []
        for p in 1...12 {
            let members = (1...5).map { Int64(p * 1_000 + $0) }
            plans.append(
                #"{"id": "p\#(p)", "internal_name": "plan-\#(p)", "name": "Plan \#(p)", "product_variants_source": "custom", "shopify_variant_ids": [\#(members.map(String.init).joined(separator: ", "))]}"#
            )
            declared.append(("plan-\(p)", Array(members.dropFirst(2))))
        }
        let shop = try ScenarioShop(remoteJSON: #"{"plans": [\#(plans.joined(separator: ", "))]}"#)
        let desired = try Self.desired(Self.config(plans: declared))
        let fetched = try await Fetcher(client: shop.client).fetch(
            internalNames: Set(desired.plans.map(\.internalName.value)), ids: desired.pinnedIDs)
        let (planned, _) = Planner.plan(desired: desired, remote: fetched.state, baseline: nil, options: PlanOptions())
        var plan = try #require(planned)
        #expect(plan.operations.filter { $0.kind == .removeVariants }.count == 12)
        await shop.emulator.clearLog()
        let (titles, read) = await PlanRun.memberTitles(of: plan, remote: fetched.state, client: shop.client)
        let log = await shop.emulator.requestLog
        #expect(log.count == PlanRun.memberTitlePlanLimit)
        #expect(log.allSatisfy { $0.method == "GET" && $0.target.hasSuffix("/product_variants") })
        #expect(read.plans == 10 && read.failed == 0 && read.titled == 20 && read.untitled == 4)
        // Every title kept is of a removed member (the answers also held the three that stay).
        let removed = Set(plan.operations.filter { $0.kind == .removeVariants }.flatMap(\.variantIDs))
        #expect(Set(titles.keys).isSubset(of: removed) && titles.count == 20)
        #expect(titles[1_001]?.productTitle == "Product 10" && titles[1_001]?.title == "Variant 1")
        plan.variantInfo = titles
        let shown = TextPlanRenderer(color: false).render(plan)
        #expect(shown.contains("Product 10: Variant 1 (id 1001), Variant 2 (id 1002)"))
    }

    @Test("STOQ's titles are the shop's text: control characters and workflow commands in them never reach the plan as such")
    func hostileTitles() async throws {
        let remote = #"""
            {"plans": [{"id": "p1", "internal_name": "fall", "name": "Fall", "product_variants_source": "custom", "shopify_variant_ids": [4201, 4202]}],
             "products": [{"id": 42, "handle": "evil", "title": "Evil\u001b[31m\n::error::owned", "variants": [
               {"id": 4201, "title": "Red\r\n::set-output name=x::y"}, {"id": 4202, "title": "Blue"}]}]}
            """#
        let shop = try ScenarioShop(remoteJSON: remote)
        let desired = try Self.desired(Self.config(plans: [("fall", [4202])]))
        let fetched = try await Fetcher(client: shop.client).fetch(internalNames: ["fall"], ids: desired.pinnedIDs)
        var plan = try #require(Planner.plan(desired: desired, remote: fetched.state, baseline: nil, options: PlanOptions()).0)
        plan.variantInfo = await PlanRun.memberTitles(of: plan, remote: fetched.state, client: shop.client).0
        #expect(plan.variantInfo[4201]?.productTitle?.contains("\u{1B}") == true, "kept as the shop wrote it")
        for format in [OutputFormat.text, .markdown, .github] {
            let shown = format.planRenderer(color: false).render(plan)
            #expect(!shown.unicodeScalars.contains { $0.value == 0x1B || $0 == "\r" }, "\(format)")
            #expect(!shown.split(separator: "\n").contains { $0.hasPrefix("::error::owned") || $0.hasPrefix("::set-output") }, "\(format)")
        }
    }
}
