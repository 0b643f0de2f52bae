import Foundation
import StoqTestSupport
import StoqWire
import Testing

@testable import StoqCore

@Suite("JSON Schemas for editors follow the loader")
struct ConfigSchemaTests {
    @Test("schema/ holds exactly what the schema builder writes")
    func committed() {
        for (name, schema) in [(ConfigSchema.configFileName, ConfigSchema.config), (ConfigSchema.settingsFileName, ConfigSchema.settings)] {
            if let failure = Golden.check(schema.render() + "\n", against: "schema/\(name)") { Issue.record("\(failure)") }
        }
    }

    @Test("the schemas list exactly the keys the loader accepts")
    func sameKeys() throws {
        let planProperties = try #require(ConfigSchema.config["definitions"]?["selling_plan"]?["properties"]?.objectValue)
        #expect(planProperties.map(\.0) == ConfigLoader.planKeys)
        let top = try #require(ConfigSchema.config["properties"]?.objectValue)
        #expect(top.map(\.0) == ConfigLoader.configTopLevel)
        let settings = try #require(ConfigSchema.settings["properties"]?.objectValue)
        #expect(settings.map(\.0) == ConfigLoader.settingsTopLevel)
        let safety = try #require(ConfigSchema.settings["properties"]?["safety"]?["properties"]?.objectValue)
        #expect(safety.map(\.0) == ConfigLoader.safetyKeys)
    }

    @Test("every settings example loads without a diagnostic and changes the settings")
    func settingsExamples() {
        // The `plans:` example names a plan, so a config file declares it.
        let plans = (
            SourceFile(path: "plans.yaml", text: "version: 1\nselling_plans:\n  - internal_name: fall-drop-2026\n"), SourceRole.config
        )
        let (empty, none) = ConfigPipeline.run([(SourceFile(path: "stoqctl.yaml", text: "version: 1\n"), .settings), plans])
        #expect(none.isEmpty)
        for key in ConfigLoader.settingsTopLevel where key != "version" {
            let example = ConfigSchema.settingsExample(key)
            #expect(!example.isNull, "\(key) has no example")
            let text = "version: 1\n\(key): \(example.renderCompact())\n"
            let (state, diagnostics) = ConfigPipeline.run([(SourceFile(path: "stoqctl.yaml", text: text), .settings), plans])
            #expect(diagnostics.isEmpty, "\(key): \(diagnostics.map(\.message))")
            #expect(state.settings != empty.settings, "the loader ignored `\(key): \(example.renderCompact())`")
        }
    }

    @Test("every plan key's example loads, alone in a plan, without an error and sets what it names")
    func planExamples() throws {
        let plan = try #require(ConfigSchema.config["definitions"]?["selling_plan"]?["properties"]?.objectValue)
        for (key, property) in plan where key != "internal_name" {
            let example = try #require(property["examples"]?.arrayValue?.first, "\(key) has no example")
            let text = "version: 1\nselling_plans:\n  - internal_name: \"p\"\n    \(key): \(example.renderCompact())\n"
            let (state, diagnostics) = ConfigPipeline.run([(SourceFile(path: "plans.yaml", text: text), .config)])
            // Rules between fields (`billing_at` only with `billing_type: exact_time`) are the
            // validator's, not the schema's: the value itself must load.
            // Shops are named in stoqctl.yaml, which this test leaves out.
            let errors = diagnostics.filter {
                $0.severity == .error && ![.fieldNotApplicable, .requiredByType, .unknownShop].contains($0.code)
            }
            #expect(errors.isEmpty, "\(key): \(errors.map(\.message))")
            let spec = try #require(state.plans.first, "\(key)")
            switch key {
            case "id": #expect(spec.id != nil)
            case "variants": #expect(spec.variants?.isEmpty == false)
            case "inventory_policy": #expect(!spec.inventoryPolicy.isEmpty)
            case "inventory_policy_on_removal": #expect(spec.removalPolicy?.value == .deny)
            case "ignore_fields": #expect(!spec.ignoreFields.isEmpty)
            case "shops": #expect(spec.shops?.map(\.value) == ["us", "eu"])
            case "overrides": #expect(spec.override(for: "eu")?.spec[.shippingText] != nil)
            default: #expect(spec.fields[try #require(PlanField(rawValue: key))] != nil, "the loader ignored `\(key)`")
            }
        }
    }
}
