import StoqCore
import Testing

/// A repository of several shops: `shops:` in stoqctl.yaml, `shops:` and `overrides:` next to an
/// offer, and each shop's configuration as a repository of that one shop would write it.
@Suite("several shops in one repository: the configuration")
struct ShopConfigTests {
    static let settings = """
        version: 1
        safety:
          max_update_percent: 30
          max_policy_flips: 10
          approvals: [{gate: updates, change: aaaaaaaa}]
        shops:
          us:
            shopify_shop: acme-us
          eu:
            shopify_shop: acme-eu.myshopify.com
            stoq_token_env: STOQ_TOKEN_EU
            shopify_token_env: SHOPIFY_TOKEN_EU
            stoq_shop_id: 202
            safety:
              max_update_percent: 50
              approvals: [{gate: deletes, change: bbbbbbbb}]
        """

    static func load(_ offers: String, settings: String = settings) -> (DesiredState, [Diagnostic]) {
        ConfigPipeline.run([
            (SourceFile(path: "shop/stoqctl.yaml", text: settings), .settings),
            (SourceFile(path: "shop/offers.yaml", text: offers), .config),
        ])
    }

    @Test("each shop gets the shared offer with its own override, and only the offers for it")
    func narrowed() throws {
        let (state, diagnostics) = Self.load(
            """
            version: 1
            selling_plans:
              - internal_name: fall-drop
                name: Fall Drop
                shipping_text: Ships in October
                product_variants_source: custom
                variants: [sku:TEE-BLK-S]
                overrides:
                  eu:
                    shipping_text: Ships in November
                    id: eu-plan-1
                    variants: [sku:TEE-BLK-S, 43900910010503]
              - internal_name: us-only
                shops: [us]
                name: US only
                product_variants_source: custom
                variants: [4201]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        #expect(state.shopNames == ["us", "eu"])
        let us = try #require(state.forShop("us"))
        let eu = try #require(state.forShop("eu"))
        #expect(us.plans.map(\.internalName.value) == ["fall-drop", "us-only"])
        #expect(eu.plans.map(\.internalName.value) == ["fall-drop"])
        #expect(us.plans[0][.shippingText]?.value == .string("Ships in October"))
        #expect(eu.plans[0][.shippingText]?.value == .string("Ships in November"))
        #expect(eu.plans[0][.name]?.value == .string("Fall Drop"), "keys the override leaves out are shared")
        #expect(eu.plans[0].id?.value == "eu-plan-1" && us.plans[0].id == nil)
        #expect(eu.plans[0].variants?.map(\.value) == [43_900_910_010_503])
        #expect(eu.plans[0].variantSelectors?.count == 2)
        // Each shop's settings: its domain, its variables, its safety over the shared one.
        #expect(us.settings.shop?.stoqTokenVariable.value == "STOQ_API_TOKEN_US")
        #expect(us.settings.shop?.shopifyTokenVariable.value == "SHOPIFY_ADMIN_TOKEN_US")
        #expect(eu.settings.shop?.stoqTokenVariable.value == "STOQ_TOKEN_EU")
        #expect(eu.settings.shopifyShop?.value == "acme-eu.myshopify.com")
        #expect(eu.settings.shop?.stoqShopID?.value == 202)
        #expect(us.settings.safety.maxUpdatePercent == DecimalNumber(30))
        #expect(eu.settings.safety.maxUpdatePercent == DecimalNumber(50))
        #expect(eu.settings.safety.maxPolicyFlips == 10, "thresholds the shop leaves out are shared")
        #expect(eu.settings.safety.approvals.map(\.change) == ["aaaaaaaa", "bbbbbbbb"])
        #expect(us.settings.safety.approvals.map(\.change) == ["aaaaaaaa"])
        #expect(state.forShop("uk") == nil)
    }

    @Test("an override that breaks a rule between fields is reported where it is written")
    func overrideRules() {
        let (_, diagnostics) = Self.load(
            """
            version: 1
            selling_plans:
              - internal_name: fall-drop
                billing_type: no_remaining_balance
                overrides:
                  eu:
                    billing_type: exact_time
            """)
        #expect(diagnostics.map(\.code) == [.requiredByType])
        #expect(diagnostics.first?.location == SourceLocation(file: "shop/offers.yaml", line: 7, column: 23))
    }

    @Test("unknown shops, unknown override keys and ids shared by several stores are located errors")
    func located() {
        let (_, diagnostics) = Self.load(
            """
            version: 1
            selling_plans:
              - internal_name: a
                shops: [us, uk]
                id: shared-id
                overrides:
                  us:
                    nmae: A
                  eu:
                    name: A
              - internal_name: b
                product_variants_source: collection
                product_variants_source_id: 412345678901
                markets_enabled: true
                shopify_market_ids: [1048576001]
            """)
        let found = diagnostics.map { "\($0.code.rawValue)@\($0.location?.line ?? 0):\($0.location?.column ?? 0)" }
        #expect(
            Set(found)
                == [
                    "unknown-shop@4:17", "unknown-key@8:9", "unknown-shop@9:7", "shop-specific-id@5:9", "shop-specific-id@13:33",
                    "shop-specific-id@15:25",
                ], "\(diagnostics.map(\.message))")
        #expect(diagnostics.contains { $0.message.contains("did you mean `us`") || $0.message.contains("`uk`") })
    }

    @Test("an offer for one shop may write ids; two offers of one name for different shops are two offers")
    func oneShopOffers() {
        let (state, diagnostics) = Self.load(
            """
            version: 1
            selling_plans:
              - internal_name: launch
                shops: [us]
                id: us-1
                product_variants_source: custom
                variants: [4201]
              - internal_name: launch
                shops: [eu]
                product_variants_source: custom
                variants: [5201]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        #expect(state.forShop("eu")?.plans.first?.variants?.map(\.value) == [5201])
        let (_, twice) = Self.load(
            """
            version: 1
            selling_plans:
              - internal_name: launch
                shops: [us]
              - internal_name: launch
            """)
        #expect(twice.map(\.code) == [.duplicateInternalName], "both reach shop us")
    }

    @Test("token variables: named per shop, never another secret, never shared")
    func tokenVariables() {
        let (_, shared) = ConfigPipeline.run([
            (
                SourceFile(
                    path: "stoqctl.yaml",
                    text: """
                        version: 1
                        shops:
                          us: {shopify_shop: a, stoq_token_env: STOQ_TOKEN}
                          eu: {shopify_shop: b, stoq_token_env: STOQ_TOKEN}
                          eu-west: {shopify_shop: c}
                          eu_west: {shopify_shop: d}
                          bad: {shopify_shop: e, stoq_token_env: AWS_SECRET_ACCESS_KEY, shopify_token_env: STOQ_API_TOKEN_X}
                          nodomain: {}
                        """), .settings
            )
        ])
        #expect(shared.filter { $0.code == .invalidTokenVariable }.count == 5, "\(shared.map(\.message))")
        #expect(shared.contains { $0.message.contains("shops `us` and `eu` both read a token from `STOQ_TOKEN`") && $0.notes.count == 1 })
        #expect(shared.contains { $0.message.contains("`SHOPIFY_ADMIN_TOKEN_EU_WEST`") })
        #expect(shared.contains { $0.code == .missingRequiredKey && $0.message.contains("shop `nodomain` needs `shopify_shop`") })
    }

    @Test("two shops that name one store (one domain, written either way, or one stoq_shop_id) are refused")
    func oneStoreTwice() {
        let (_, found) = ConfigPipeline.run([
            (
                SourceFile(
                    path: "stoqctl.yaml",
                    text: """
                        version: 1
                        shops:
                          us: {shopify_shop: acme, stoq_shop_id: 7}
                          us2: {shopify_shop: ACME.myshopify.com}
                          eu: {shopify_shop: acme-eu, stoq_shop_id: 7}
                          uk: {shopify_shop: acme-uk, stoq_shop_id: 8}
                        """), .settings
            )
        ])
        let twice = found.filter { $0.code == .shopMismatch }
        #expect(twice.count == 2, "\(found.map(\.message))")
        #expect(twice.contains { $0.message.contains("shops `us` and `us2` are one store (acme.myshopify.com)") && $0.notes.count == 1 })
        #expect(twice.contains { $0.message.contains("shops `us` and `eu` are one store (STOQ shop_id 7)") && $0.location?.line == 5 })
    }

    @Test("a repository of one shop: no new keys needed, and shop keys without `shops:` are refused")
    func oneShop() {
        let (state, none) = ConfigPipeline.run([
            (SourceFile(path: "a.yaml", text: "version: 1\nselling_plans:\n  - internal_name: a\n    id: x\n"), .config)
        ])
        #expect(none.isEmpty && !state.hasShops && state.forShop("us") == nil)
        let (_, refused) = ConfigPipeline.run([
            (SourceFile(path: "a.yaml", text: "version: 1\nselling_plans:\n  - internal_name: a\n    shops: [us]\n"), .config)
        ])
        #expect(refused.map(\.code) == [.unknownShop])
        let (_, both) = Self.load(
            "version: 1\n", settings: Self.settings + "\nshopify_shop: acme\n")
        #expect(both.map(\.code) == [.unknownKey])
    }
}
