import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqTestSupport
import StoqWire
import Testing

/// A folder under `Tests/Fixtures/plan/` with `config/`, `remote.json`, `scenario.json` (the
/// options it plans with and whether it has changes) and the four goldens.
struct Scenario: CustomTestStringConvertible, Sendable {
    var name: String
    var allowDeletes = false
    var hasChanges = true
    /// Policies read from the emulator's Shopify side (else unverified).
    var readPolicies = false
    /// Diagnostics the plan produces, by code.
    var diagnostics: [DiagnosticCode] = []
    /// Plans against the configuration in `baseline/` as the baseline (as if at `origin/main`).
    var baseline = false
    var testDescription: String { name }

    /// Folders that are not scenarios: goldens of a test of their own.
    static let notScenarios: Set<String> = ["a-markdown-plan-over-the-size-budget", "the-example-shop"]

    /// Every scenario folder, found on disk, so a new folder is never skipped; a folder without
    /// a readable `scenario.json` becomes a scenario that fails.
    static func discover() -> [Scenario] {
        let root = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().filter { !notScenarios.contains($0) && !$0.hasPrefix(".") }.map { name in
            var scenario = Scenario(name: name)
            let options = root.appendingPathComponent(name).appendingPathComponent("scenario.json")
            if let data = FileManager.default.contents(atPath: options.path), let json = try? JSONValue.parse(Array(data)) {
                scenario.allowDeletes = json["allow_deletes"]?.boolValue ?? false
                scenario.hasChanges = json["has_changes"]?.boolValue ?? true
                scenario.readPolicies = json["policies"]?.stringValue == "shopify"
                scenario.baseline = json["baseline"]?.boolValue ?? false
                scenario.diagnostics = (json["diagnostics"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(DiagnosticCode.init) }
            }
            return scenario
        }
    }
}

let scenarios = Scenario.discover()

@Suite("Golden plans for scenarios, in every format")
struct PlanScenarioTests {
    @Test("the scenario folders are found on disk")
    func discovered() {
        #expect(scenarios.count >= 10)
    }

    @Test(arguments: scenarios)
    func golden(_ scenario: Scenario) async throws {
        let dir = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan/\(scenario.name)")
        #expect(
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("scenario.json").path),
            "every scenario folder needs a scenario.json")
        let desired = try loadScenarioConfig(dir)
        let shop = try ScenarioShop(
            remoteJSON: String(decoding: try Data(contentsOf: dir.appendingPathComponent("remote.json")), as: UTF8.self))
        var options = PlanOptions()
        options.allowDeletes = scenario.allowDeletes
        let baseline = scenario.baseline ? try loadScenarioBaseline(dir) : nil
        let plan = try await shop.plan(
            desired, options: options, readPolicies: scenario.readPolicies, baseline: baseline, expected: scenario.diagnostics)
        #expect(plan.isEmpty == !scenario.hasChanges)
        expectGoldens(plan, in: "Tests/Fixtures/plan/\(scenario.name)")
        // The same inputs always give the same plan.
        let again = try await shop.plan(
            desired, options: options, readPolicies: scenario.readPolicies, baseline: baseline, expected: scenario.diagnostics)
        #expect(PlanJSON.render(again) == PlanJSON.render(plan))
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
        let plan = try await shop.plan(desired, readPolicies: true, titles: true)
        expectGoldens(plan, in: "Tests/Fixtures/plan/the-example-shop", hashes: .exact)
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
        #expect(shortened.contains("Details are shortened to keep this comment under 8,000 characters"))
        #expect(shortened.components(separatedBy: "<details>").count == 41, "all 40 plans, shortened")
        let small = MarkdownPlanRenderer(budget: 3_000).render(plan)
        #expect(small.count <= 3_000)
        #expect(small.contains(MarkdownPlanRenderer.escape(PlanText.summaryLine(plan))))
        #expect(small.contains("more plans are not shown to keep this comment under 3,000 characters"))
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

@Suite("The pull-request comment groups and explains")
struct MarkdownCommentTests {
    @Test("340 plans with the same change are one entry; the others stay apart; the outcome comes first")
    func sameChangesGrouped() async throws {
        var remote: [String] = []
        var text = "version: 1\nselling_plans:\n"
        for i in 0..<342 {
            let name = "plan-\(i)"
            remote.append(
                "{\"id\": \"p-\(i)\", \"internal_name\": \"\(name)\", \"name\": \"N\(i)\", \"pricing_type\": \"percentage\", \"pricing_percentage\": 10.0}"
            )
            // Two plans change something else as well, so they are shown on their own.
            let extra = i >= 340 ? "    name: \"Renamed \(i)\"\n" : "    name: \"N\(i)\"\n"
            text += "  - internal_name: \(name)\n\(extra)    pricing_type: percentage\n    pricing_percentage: 15\n"
        }
        let settings = "version: 1\nsafety:\n  max_update_percent: 100\n"
        let (desired, diagnostics) = ConfigPipeline.run([
            (SourceFile(path: "plans.yaml", text: text), .config), (SourceFile(path: "stoqctl.yaml", text: settings), .settings),
        ])
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty)
        let plan = try await ScenarioShop(remoteJSON: "{\"plans\": [\(remote.joined(separator: ","))]}").plan(desired)
        let comment = MarkdownPlanRenderer().render(plan)
        #expect(comment.hasPrefix("### stoqctl plan: apply will proceed\n\n**Plan: 0 to create, 342 to update"))
        #expect(comment.contains("<details><summary>~ update 340 plans: <code>pricing_percentage</code> 10 → 15</summary>"))
        #expect(comment.components(separatedBy: "<details>").count - 1 == 3, "one grouped entry and two plans of their own")
        #expect(comment.contains("| update plans | 342 |  | 342 | 684 |"))
        #expect(!comment.contains("not shown"))
        #expect(comment.count <= 65_536)
        // Annotations: GitHub shows 10 of a kind per step; the rest are log lines, counted.
        let lines = GitHubPlanRenderer().render(plan).split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("::notice ") }.count == 10)
        #expect(lines.filter { $0.hasPrefix("notice: plans.yaml:") }.count == 342 - 9)
        #expect(lines.contains { $0.hasPrefix("::notice title=stoqctl%3A more in the log::333 more notices are written as plain lines") })
    }
}

/// Compares `plan` in every format, each through the renderer seam, with the goldens in `base`:
/// plan hashes masked, except in the example shop's goldens, which pin them exactly.
func expectGoldens(
    _ plan: Plan, in base: String, hashes: Golden.Hashes = .masked, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    for format in OutputFormat.allCases {
        expectGolden(
            format.planRenderer(color: false).render(plan), "\(base)/plan.\(format.fileSuffix)", hashes: hashes,
            sourceLocation: sourceLocation)
    }
}
