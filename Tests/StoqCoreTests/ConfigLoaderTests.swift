import StoqCore
import Testing

func load(_ files: [(String, String, SourceRole)]) -> (DesiredState, [Diagnostic]) {
    ConfigPipeline.run(files.map { (SourceFile(path: $0.0, text: $0.1), $0.2) })
}

func load(_ text: String) -> (DesiredState, [Diagnostic]) { load([("plans.yaml", text, .config)]) }

@Suite("Loading config into the model")
struct ConfigLoaderTests {
    @Test("every field type lands in the model with its value")
    func typedValues() throws {
        let (state, diagnostics) = load(
            """
            version: 1
            selling_plans:
              - internal_name: fall
                id: "abc-1"
                name: Fall — Drop
                enabled: true
                billing_type: exact_time
                billing_at: 2026-10-01T11:00:00+02:00
                billing_checkout_charge_type: percentage
                billing_checkout_charge_percentage: 20.50
                delivery_type: asap
                delivery_after_n_intervals: 3
                pricing_type: fixed_amount
                pricing_amount: 5
                markets_enabled: true
                shopify_market_ids: [11, 12]
                product_variants_source: custom
                variants: [43900910010503, 2]
                inventory_policy:
                  CONTINUE: [2]
                ignore_fields: [preorder_tags]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let plan = try #require(state.plans.first)
        #expect(plan.internalName.value == "fall")
        #expect(plan.id?.value == "abc-1")
        #expect(plan[.name]?.value == .string("Fall — Drop"))
        #expect(plan[.enabled]?.value == .bool(true))
        #expect(plan[.billingAt]?.value == .datetime(try Timestamp.parse("2026-10-01T09:00:00Z").get()))
        #expect(plan[.billingCheckoutChargePercentage]?.value == .decimal(try #require(DecimalNumber("20.5"))))
        #expect(plan[.deliveryAfterNIntervals]?.value == .integer(3))
        #expect(plan[.shopifyMarketIDs]?.value == .ids([11, 12]))
        #expect(plan.variants?.map(\.value) == [43900910010503, 2])
        #expect(plan.inventoryPolicy[.continue]?.map(\.value) == [2])
        #expect(plan.ignoreFields.map(\.value) == [.preorderTags])
        #expect(plan[.preorderTags] == nil, "an absent field is unmanaged")
        #expect(plan[.name]?.keyLocation == SourceLocation(file: "plans.yaml", line: 5, column: 5))
        #expect(plan[.name]?.valueLocation == SourceLocation(file: "plans.yaml", line: 5, column: 11))
    }

    @Test("explicit null on a nullable field means clear it")
    func explicitNull() throws {
        let (state, diagnostics) = load(
            "version: 1\nselling_plans:\n  - internal_name: a\n    billing_type: no_remaining_balance\n    billing_at: null\n")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(state.plans.first?[.billingAt]?.value == .null)
    }

    @Test("merge keys: explicit keys win, merged values keep the anchor's position")
    func merges() throws {
        let (state, diagnostics) = load(
            """
            version: 1
            x-defaults: &defaults
              name: Default name
              preorder_button_text: Preorder
            selling_plans:
              - internal_name: a
                <<: *defaults
                name: Own name
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let plan = try #require(state.plans.first)
        #expect(plan[.name]?.value == .string("Own name"))
        #expect(plan[.preorderButtonText]?.value == .string("Preorder"))
        #expect(plan[.preorderButtonText]?.valueLocation == SourceLocation(file: "plans.yaml", line: 4, column: 25))
    }

    @Test("a merged key that is also written explicitly is not a duplicate; two explicit ones are")
    func mergeIsNotDuplicate() {
        let (_, ok) = load("version: 1\nx-d: &d {name: A}\nselling_plans:\n  - internal_name: a\n    <<: *d\n    name: B\n")
        #expect(ok.isEmpty, "\(ok)")
    }

    @Test("settings: defaults, values, and limits that may only tighten")
    func settings() throws {
        let (state, diagnostics) = load([
            (
                "stoqctl.yaml",
                """
                version: 1
                prune: true
                safety: {max_update_percent: 50, min_managed_plans: 3}
                chunks: {add_variant: 250}
                inventory_policy_source: shopify
                shopify_shop: example.myshopify.com
                limits: {max_depth: 10, max_nodes: 99999999999}
                """, .settings
            )
        ])
        let s = state.settings
        #expect(s.prune)
        #expect(s.safety.maxUpdatePercent == DecimalNumber(50))
        #expect(s.safety.maxDeletePercent == DecimalNumber(10))
        #expect(s.safety.minManagedPlans == 3)
        #expect(s.chunks.addVariant == 250)
        #expect(s.chunks.policyToggle == 1000)
        #expect(s.policySource == .shopify)
        #expect(s.shopifyShop?.value == "example.myshopify.com")
        #expect(s.limits?.maxDepth == 10)
        #expect(s.limits?.maxNodes == LoadLimits.standard.maxNodes, "raising a limit is refused")
        #expect(diagnostics.map(\.code) == [.outOfRange])
    }

    @Test("a setting written in a config file gets a hint to move it")
    func settingInConfig() {
        let (_, diagnostics) = load("version: 1\nprune: true\n")
        #expect(diagnostics.first?.message.contains("belongs in stoqctl.yaml") == true)
    }

    @Test("a rejected value does not cause a second, cascading error")
    func noCascade() {
        let (_, diagnostics) = load(
            """
            version: 1
            selling_plans:
              - internal_name: a
                billing_type: exact_tme
                billing_at: 2026-10-01T09:00:00Z
                pricing_type: percentage
                pricing_percentage: 120
            """)
        #expect(diagnostics.map(\.code) == [.invalidEnumValue, .outOfRange])
    }

    @Test("every problem in a file is reported, not only the first")
    func collectsAll() {
        let (_, diagnostics) = load(
            "version: 1\nselling_plans:\n  - internal_name: a\n    enabled: on\n    nme: x\n  - internal_name: b\n    name: 3\n")
        #expect(diagnostics.map(\.code) == [.invalidBoolean, .unknownKey, .typeMismatch])
    }
}
