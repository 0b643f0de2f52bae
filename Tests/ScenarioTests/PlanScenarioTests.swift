import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqTestSupport
import StoqWire
import Testing

struct Scenario: CustomTestStringConvertible, Sendable {
    var name: String
    var allowDeletes = false
    var expectEmpty = false
    var testDescription: String { name }
}

let scenarios: [Scenario] = [
    Scenario(name: "a-new-plan-is-created"),
    Scenario(name: "one-field-changed"),
    Scenario(name: "nothing-changed-even-where-stoq-formats-values-differently", expectEmpty: true),
    Scenario(name: "membership-added-and-removed"),
    Scenario(name: "declared-policies-are-sent-unverified", expectEmpty: true),
    Scenario(name: "a-remote-only-plan-with-prune-off-is-left-alone", expectEmpty: true),
    Scenario(name: "a-remote-only-plan-with-prune-on-needs-allow-deletes", expectEmpty: true),
    Scenario(name: "a-remote-only-plan-with-prune-on-and-allow-deletes-is-deleted", allowDeletes: true),
    Scenario(name: "values-that-need-escaping-and-a-rename"),
    Scenario(name: "a-plan-over-its-safety-gates"),
]

@Suite("Golden plans for scenarios, in every format")
struct PlanScenarioTests {
    @Test(arguments: scenarios)
    func golden(_ scenario: Scenario) async throws {
        let dir = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan/\(scenario.name)")
        let desired = try loadScenarioConfig(dir)
        let shop = try ScenarioShop(
            remoteJSON: String(decoding: try Data(contentsOf: dir.appendingPathComponent("remote.json")), as: UTF8.self))
        var options = PlanOptions()
        options.allowDeletes = scenario.allowDeletes
        let plan = try await shop.plan(desired, options: options)
        #expect(plan.isEmpty == scenario.expectEmpty)
        let base = "Tests/Fixtures/plan/\(scenario.name)"
        expectGolden(TextPlanRenderer(color: false).render(plan), "\(base)/plan.txt")
        expectGolden(MarkdownPlanRenderer().render(plan), "\(base)/plan.md")
        expectGolden(JSONPlanRenderer.render(plan), "\(base)/plan.json")
        expectGolden(GitHubPlanRenderer.render(plan), "\(base)/plan.github.txt")
        // The same inputs always give the same plan.
        let again = try await shop.plan(desired, options: options)
        #expect(JSONPlanRenderer.render(again) == JSONPlanRenderer.render(plan))
    }

    @Test("the example shop against its remote state")
    func exampleShop() async throws {
        let root = Golden.repositoryRoot
        var files: [(SourceFile, SourceRole)] = []
        for sub in [
            "stoqctl.yaml", "preorders/archive.yaml", "preorders/catalog.yaml", "preorders/fall-drop.yaml", "preorders/holiday.yaml",
        ] {
            let bytes = Array(try Data(contentsOf: root.appendingPathComponent("examples/shop/\(sub)")))
            files.append((SourceFile(path: "examples/shop/\(sub)", bytes: bytes), sub == "stoqctl.yaml" ? .settings : .config))
        }
        let (desired, diagnostics) = ConfigPipeline.run(files)
        #expect(diagnostics.isEmpty)
        let shop = try ScenarioShop(
            remoteJSON: String(
                decoding: try Data(contentsOf: root.appendingPathComponent("examples/shop/remote-state.json")), as: UTF8.self))
        let plan = try await shop.plan(desired)
        let base = "Tests/Fixtures/plan/the-example-shop"
        expectGolden(TextPlanRenderer(color: false).render(plan), "\(base)/plan.txt")
        expectGolden(MarkdownPlanRenderer().render(plan), "\(base)/plan.md")
        expectGolden(JSONPlanRenderer.render(plan), "\(base)/plan.json")
        expectGolden(GitHubPlanRenderer.render(plan), "\(base)/plan.github.txt")
    }

    @Test("a markdown plan over the size budget shortens details, never the summary")
    func markdownBudget() async throws {
        var text = "version: 1\nselling_plans:\n"
        for i in 0..<40 {
            text += "  - internal_name: plan-\(i)\n    name: \"A rather long plan name number \(i) | with a pipe\"\n"
            text += "    shipping_text: \"\(String(repeating: "Ships soon. ", count: 20))\"\n"
            text +=
                "    product_variants_source: custom\n    variants: [\((1...30).map { String(i * 1000 + $0) }.joined(separator: ", "))]\n"
        }
        let (desired, _) = ConfigPipeline.run([(SourceFile(path: "big.yaml", text: text), .config)])
        let plan = try await ScenarioShop(remoteJSON: "").plan(desired)
        let shortened = MarkdownPlanRenderer(budget: 8_000).render(plan)
        #expect(shortened.count <= 8_000)
        #expect(shortened.contains("Details shortened to keep this comment under 8,000 characters"))
        #expect(shortened.components(separatedBy: "<details>").count == 41, "all 40 plans, shortened")
        let small = MarkdownPlanRenderer(budget: 3_000).render(plan)
        #expect(small.count <= 3_000)
        #expect(small.contains(MarkdownPlanRenderer.escape(PlanText.summaryLine(plan))))
        #expect(small.contains("more plans not shown to keep this comment under 3,000 characters"))
        expectGolden(small, "Tests/Fixtures/plan/a-markdown-plan-over-the-size-budget/plan.md")
        let full = MarkdownPlanRenderer().render(plan)
        #expect(full.count <= 65_536)
        #expect(!full.contains("not shown"), "at the real budget this plan fits whole")

        var huge = "version: 1\nselling_plans:\n"
        for i in 0..<1_500 { huge += "  - internal_name: p-\(i)\n    name: \"\(String(repeating: "x", count: 120))\"\n" }
        let (bigDesired, _) = ConfigPipeline.run([(SourceFile(path: "huge.yaml", text: huge), .config)])
        let bigPlan = try await ScenarioShop(remoteJSON: "").plan(bigDesired)
        let comment = MarkdownPlanRenderer().render(bigPlan)
        #expect(comment.count < 65_536)
        #expect(comment.contains("**Plan: 1,500 to create"))
    }
}
