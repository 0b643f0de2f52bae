import StoqCore
import Testing

/// `stoqctl export` of a repository of several shops: one file per offer, a key written once when
/// the shops agree, under `overrides.<shop>` when they do not, and ids always per shop.
@Suite("export of several shops: shared keys once, the rest per shop, and each shop as it exports alone")
struct ShopsExportTests {
    static let shopNames = ["us", "eu", "ca"]
    static let settings = """
        version: 1
        shops:
          us: {shopify_shop: acme-us}
          eu: {shopify_shop: acme-eu}
          ca: {shopify_shop: acme-ca}
        """

    static func plan(_ id: String, _ name: String, _ fields: [PlanField: FieldValue], variants: [Int64] = []) -> RemotePlan {
        var all: [PlanField: FieldValue] = [.name: .string(name.capitalized), .productVariantsSource: .string("custom")]
        all.merge(fields) { _, new in new }
        return RemotePlan(id: id, internalName: name, fields: all, variantIDs: variants)
    }

    /// `skus` by id, the rest of `ids` without a SKU; policies as `policies` says.
    static func naming(_ skus: [Int64: String], noSKU: [Int64] = []) -> VariantNaming {
        var naming = VariantNaming()
        naming.skus = skus
        for id in noSKU { naming.reasons[id] = "no SKU" }
        return naming
    }

    /// The merged files loaded with the settings (no errors expected).
    static func load(_ result: ExportResult) -> (DesiredState, [Diagnostic]) {
        ConfigPipeline.run(
            [(SourceFile(path: "shop/stoqctl.yaml", text: settings), .settings)]
                + result.files.map { (SourceFile(path: "shop/" + $0.path, text: $0.text), SourceRole.config) })
    }

    /// What a plan declares, locations aside, members as sets.
    struct Declared: Hashable {
        var id: String?
        var fields: [PlanField: FieldValue]
        var variants: Set<VariantSelector>?
        var policies: [InventoryPolicy: Set<VariantSelector>]

        init(_ spec: SellingPlanSpec) {
            id = spec.id?.value
            fields = spec.fields.mapValues(\.value)
            variants = spec.variantSelectors.map { Set($0.map(\.value)) }
            policies = spec.policySelectors.mapValues { Set($0.map(\.value)) }
        }
    }

    /// Every shop's offers in the merged files are exactly that shop's export alone.
    static func expectRoundTrip(_ shops: [ShopExport], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let merged = Exporter.export(shops: shops, repositoryShops: shopNames)
        let (state, diagnostics) = load(merged)
        #expect(!diagnostics.hasErrors, "\(diagnostics.map(\.message))", sourceLocation: sourceLocation)
        for shop in shops {
            let alone = Exporter.export(shop.plans, policies: shop.policies, naming: shop.naming)
            let (aloneState, aloneDiagnostics) = ConfigPipeline.run(
                alone.files.map { (SourceFile(path: $0.path, text: $0.text), SourceRole.config) })
            #expect(!aloneDiagnostics.hasErrors, sourceLocation: sourceLocation)
            let narrowed = state.forShop(shop.shop)?.plans ?? []
            #expect(
                Dictionary(uniqueKeysWithValues: narrowed.map { ($0.internalName.value, Declared($0)) })
                    == Dictionary(uniqueKeysWithValues: aloneState.plans.map { ($0.internalName.value, Declared($0)) }),
                "shop \(shop.shop)", sourceLocation: sourceLocation)
        }
    }

    @Test("a key the shops agree on is shared; one shop's other value is its override; the most common value wins")
    func sharedAndOverridden() throws {
        let shops = [
            ShopExport(shop: "us", plans: [Self.plan("u1", "fall-drop", [.shippingText: .string("Ships in October")])]),
            ShopExport(shop: "eu", plans: [Self.plan("e1", "fall-drop", [.shippingText: .string("Ships in November")])]),
            ShopExport(shop: "ca", plans: [Self.plan("c1", "fall-drop", [.shippingText: .string("Ships in October")])]),
        ]
        let result = Exporter.export(shops: shops, repositoryShops: Self.shopNames)
        let text = try #require(result.files.first?.text)
        #expect(result.files.map(\.path) == ["preorders/fall-drop.yaml"])
        #expect(result.exported == 1)
        #expect(text.contains("    shipping_text: Ships in October\n"))
        #expect(text.contains("    overrides:\n      eu:\n        shipping_text: Ships in November\n"))
        #expect(!text.contains("shops:"), "in every shop: no shops: list")
        #expect(text.contains("(STOQ id u1 in us, e1 in eu, c1 in ca)"))
        Self.expectRoundTrip(shops)
    }

    @Test("a key some shop does not write is never shared: an override cannot remove it, so each shop that has it writes it")
    func absentInOneShop() throws {
        let shops = [
            ShopExport(shop: "us", plans: [Self.plan("u1", "fall-drop", [.discountText: .string("Save 10%")])]),
            ShopExport(shop: "eu", plans: [Self.plan("e1", "fall-drop", [.discountText: .string("Save 10%")])]),
            ShopExport(shop: "ca", plans: [Self.plan("c1", "fall-drop", [.discountText: .null])]),
        ]
        let text = try #require(Exporter.export(shops: shops, repositoryShops: Self.shopNames).files.first?.text)
        #expect(!text.contains("\n    discount_text:"), "\(text)")
        #expect(text.contains("      us:\n        discount_text: Save 10%\n      eu:\n        discount_text: Save 10%\n"), "\(text)")
        #expect(!text.contains("      ca:"), "ca writes nothing of its own")
        Self.expectRoundTrip(shops)
        // And the other way round: only one shop writes the key.
        let one = [
            ShopExport(shop: "us", plans: [Self.plan("u1", "fall-drop", [:])]),
            ShopExport(shop: "eu", plans: [Self.plan("e1", "fall-drop", [.discountText: .string("Spare 10%")])]),
        ]
        let oneText = try #require(Exporter.export(shops: one, repositoryShops: Self.shopNames).files.first?.text)
        #expect(oneText.contains("    shops: [us, eu]\n"))
        #expect(oneText.contains("    overrides:\n      eu:\n        discount_text: Spare 10%\n"), "\(oneText)")
        Self.expectRoundTrip(one)
    }

    @Test("ids are always per shop in an offer for several shops, and stay in the shared part of an offer for one")
    func idsPerShop() throws {
        let source: [PlanField: FieldValue] = [.productVariantsSource: .string("collection"), .productVariantsSourceID: .integer(5001)]
        let shops = [
            ShopExport(
                shop: "us",
                plans: [
                    Self.plan("u1", "fall-drop", [:], variants: [11, 12]),
                    Self.plan("u0", "fall-drop", [:], variants: [11]),  // a duplicate: the export pins u0
                    Self.plan("u9", "gifts", source),
                ], policies: PolicyState(current: [11: .continue, 12: .deny], source: "emulator"),
                naming: Self.naming([11: "TEE-S", 12: "TEE-M"])),
            ShopExport(
                shop: "eu",
                plans: [Self.plan("e1", "fall-drop", [:], variants: [21, 22]), Self.plan("e9", "gifts", source)],
                policies: PolicyState(current: [21: .continue, 22: .deny], source: "emulator"),
                naming: Self.naming([21: "TEE-S", 22: "TEE-M"])),
            ShopExport(
                shop: "ca", plans: [Self.plan("c1", "fall-drop", [:], variants: [31, 32]), Self.plan("c8", "ca-only", source)],
                policies: PolicyState(current: [31: .continue, 32: .deny], source: "emulator"),
                naming: Self.naming([31: "TEE-S"], noSKU: [32])),
        ]
        let result = Exporter.export(shops: shops, repositoryShops: Self.shopNames)
        #expect(result.files.map(\.path) == ["preorders/ca-only.yaml", "preorders/fall-drop.yaml", "preorders/gifts.yaml"])
        #expect(result.warnings.contains { $0.hasPrefix("shop `us`: 2 plans share internal_name `fall-drop`") })
        let fall = result.files[1].text
        // SKUs shared by us and eu are written once; ca's variant without a SKU puts its lists under its override.
        #expect(
            fall.contains("    variants:\n      - sku:TEE-M\n      - sku:TEE-S\n") || fall.contains("    variants:\n      - sku:TEE-S\n"))
        #expect(fall.contains("      us:\n        id: \"u0\"\n"), "\(fall)")
        #expect(fall.contains("      ca:\n        variants:\n          - sku:TEE-S\n          - 32  # no SKU\n"), "\(fall)")
        #expect(!fall.contains("\n    id:"))
        let gifts = result.files[2].text
        #expect(gifts.contains("    shops: [us, eu]\n"))
        #expect(!gifts.contains("\n    product_variants_source_id:"), "\(gifts)")
        #expect(
            gifts.contains("      us:\n        product_variants_source_id: 5001\n      eu:\n        product_variants_source_id: 5001\n"))
        let caOnly = result.files[0].text
        #expect(caOnly.contains("    shops: [ca]\n") && caOnly.contains("\n    product_variants_source_id: 5001\n"), "\(caOnly)")
        #expect(!caOnly.contains("overrides"))
        Self.expectRoundTrip(shops)
    }

    @Test("offers whose names make one file name, with one id in different stores, get a file each")
    func fileNamesAlike() {
        // Ids are per store: three stores may each call their plan `5`.
        let shops = [
            ShopExport(shop: "us", plans: [Self.plan("5", "Fall", [:])]),
            ShopExport(shop: "eu", plans: [Self.plan("5", "fall", [:])]),
            ShopExport(shop: "ca", plans: [Self.plan("5", "FALL", [:])]),
        ]
        let result = Exporter.export(shops: shops, repositoryShops: Self.shopNames)
        #expect(result.files.count == 3 && Set(result.files.map(\.path)).count == 3, "\(result.files.map(\.path))")
        let (state, diagnostics) = Self.load(result)
        #expect(!diagnostics.hasErrors, "\(diagnostics.map(\.message))")
        #expect(Set(state.plans.map(\.internalName.value)) == ["Fall", "fall", "FALL"])
    }

    @Test("stable: the same bytes whatever order the shops come in; shops in stoqctl.yaml order")
    func stable() {
        let shops = [
            ShopExport(shop: "ca", plans: [Self.plan("c1", "b", [.shippingText: .string("C")])]),
            ShopExport(shop: "us", plans: [Self.plan("u1", "b", [.shippingText: .string("U")]), Self.plan("u2", "a", [:])]),
            ShopExport(shop: "eu", plans: [Self.plan("e1", "b", [.shippingText: .string("E")])]),
        ]
        let one = Exporter.export(shops: shops, repositoryShops: Self.shopNames)
        let other = Exporter.export(shops: shops.reversed(), repositoryShops: Self.shopNames)
        #expect(one == other)
        #expect(one.files.map(\.path) == ["preorders/a.yaml", "preorders/b.yaml"])
        // Three values, none more common: the first shop's is shared, the others override it.
        #expect(
            one.files[1].text.contains(
                "    shipping_text: U\n    product_variants_source: custom\n    variants: []\n    overrides:\n      eu:\n        shipping_text: E\n      ca:\n        shipping_text: C\n"
            ), "\(one.files[1].text)")
        Self.expectRoundTrip(shops)
    }

    @Test("a type choice left out in one shop is a comment naming the shop; the shops that keep it write it in their override")
    func leftOutPerShop() throws {
        let charge: [PlanField: FieldValue] = [.billingCheckoutChargeType: .string("percentage")]
        let shops = [
            ShopExport(shop: "us", plans: [Self.plan("u1", "fall-drop", charge)]),
            ShopExport(
                shop: "eu",
                plans: [
                    Self.plan(
                        "e1", "fall-drop", charge.merging([.billingCheckoutChargePercentage: .decimal(DecimalNumber(100))]) { a, _ in a })
                ]
            ),
        ]
        let result = Exporter.export(shops: shops, repositoryShops: Self.shopNames)
        let text = try #require(result.files.first?.text)
        #expect(text.contains("    # in us: billing_checkout_charge_type left out: "), "\(text)")
        #expect(
            text.contains("      eu:\n        billing_checkout_charge_percentage: 100\n        billing_checkout_charge_type: percentage\n"),
            "\(text)")
        #expect(result.notes.count == 1 && result.notes[0].hasPrefix("shop `us`: plan `fall-drop`"))
        Self.expectRoundTrip(shops)
    }

    @Test("exporting some shops of the repository: every offer names the shops it is for")
    func someShops() throws {
        let shops = [ShopExport(shop: "eu", plans: [Self.plan("e1", "fall-drop", [:], variants: [21])])]
        let result = Exporter.export(shops: shops, repositoryShops: Self.shopNames)
        let text = try #require(result.files.first?.text)
        #expect(text.contains("  - internal_name: fall-drop\n    shops: [eu]\n"))
        #expect(text.contains("    variants:\n      - 21\n"), "one shop: ids in the shared part, as a shop exported alone")
        Self.expectRoundTrip(shops)
    }
}
