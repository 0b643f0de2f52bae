import StoqCore
import StoqTestSupport
import StoqWire
import Testing

/// Plans that name their variants: SKUs, titles by product, draft products, moves, and the JSON
/// members that carry them, in every format.
@Suite("Plans name the variants they touch")
struct PlanTitlesTests {
    /// Fall Tee in three sizes (one moved to a new variant), a draft hat, a poster without a SKU,
    /// a gift card that leaves, and a variant Shopify told nothing about.
    static let catalogue: [Int64: CatalogueVariant] = {
        let tee = { (id: Int64, sku: String, size: String) in
            CatalogueVariant(
                id: id, sku: sku, barcode: "01234567\(id % 10_000)", title: "Black / \(size)", productTitle: "Fall Tee",
                productID: 439_009_100, productHandle: "fall-tee", productStatus: "ACTIVE")
        }
        let variants = [
            tee(43_900_910_010_503, "TEE-BLK-S", "S"),
            tee(44_120_000_000_771, "TEE-BLK-S", "S"),
            tee(1003, "TEE-BLK-M", "M"),
            tee(1004, "TEE-BLK-L", "L"),
            CatalogueVariant(
                id: 1005, title: "A2", productTitle: "Poster", productID: 439_009_200, productHandle: "poster", productStatus: "ACTIVE"),
            CatalogueVariant(
                id: 1007, sku: "HAT-GRY", title: "Default Title", productTitle: "Winter Hat", productID: 439_009_300,
                productHandle: "winter-hat", productStatus: "DRAFT"),
            CatalogueVariant(
                id: 2001, sku: "GC-25", title: "$25", productTitle: "Gift Card", productID: 439_009_400, productHandle: "gift-card",
                productStatus: "ARCHIVED"),
            // Not shown by any operation: never in the JSON plan.
            CatalogueVariant(id: 3001, sku: "MUG", title: "Default Title", productTitle: "Mug", productStatus: "ACTIVE"),
        ]
        return Dictionary(uniqueKeysWithValues: variants.map { ($0.id, $0) })
    }()

    static func desired(_ yaml: String) -> DesiredState {
        let (state, diagnostics) = ConfigPipeline.run([
            (SourceFile(path: "preorders/fall.yaml", text: "version: 1\nselling_plans:\n" + yaml), .config)
        ])
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
        return state
    }

    /// `fall-drop` adds, removes, moves one name and toggles two policies read from Shopify; one
    /// added variant has no details.
    static func titledPlan() throws -> Plan {
        let yaml = """
              - internal_name: fall-drop
                product_variants_source: custom
                variants: [3001, 44120000000771, 1003, 1004, 1005, 1006, 1007]
                inventory_policy:
                  CONTINUE: [1003, 1004]

            """
        let remote = RemoteState(
            managed: [
                RemotePlan(
                    id: "5e7a-0001", internalName: "fall-drop", fields: [.productVariantsSource: .string("custom")],
                    variantIDs: [3001, 43_900_910_010_503, 2001])
            ],
            listed: [RemotePlanSummary(id: "5e7a-0001", internalName: "fall-drop", name: "", variantCount: 3)],
            policies: PolicyState(current: [1003: .deny, 1004: .deny], source: "acme.myshopify.com"))
        let (planned, diagnostics) = Planner.plan(desired: desired(yaml), remote: remote)
        var plan = try #require(planned, "\(diagnostics)")
        plan.variantInfo = catalogue
        plan.resolutions = [
            VariantResolution(
                plan: "fall-drop", list: "variants", selector: .sku("TEE-BLK-S"),
                location: SourceLocation(file: "preorders/fall.yaml", line: 5, column: 24), ids: [44_120_000_000_771]),
            VariantResolution(
                plan: "fall-drop", list: "inventory_policy.CONTINUE", selector: .product("fall-tee"),
                location: SourceLocation(file: "preorders/fall.yaml", line: 7, column: 22), ids: [1003, 1004]),
        ]
        plan.moves = [VariantMove(plan: "fall-drop", selector: .sku("TEE-BLK-S"), from: 43_900_910_010_503, to: 44_120_000_000_771)]
        return plan
    }

    /// Without Shopify access: one variant named, one added by id alone.
    static func untitledPlan() throws -> Plan {
        let yaml = """
              - internal_name: spring
                product_variants_source: custom
                variants: [1003, 5005, 5006]

            """
        let (planned, diagnostics) = Planner.plan(desired: desired(yaml), remote: RemoteState())
        var plan = try #require(planned, "\(diagnostics)")
        plan.variantInfo[1003] = catalogue[1003]
        return plan
    }

    static func expectGoldens(_ plan: Plan, in base: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for format in OutputFormat.allCases {
            let text = format.planRenderer(color: false).render(plan)
            if let failure = Golden.check(text, against: "\(base)/plan.\(format.fileSuffix)", hashes: .masked) {
                Issue.record(Comment(rawValue: failure), sourceLocation: sourceLocation)
            }
        }
    }

    /// Every format of `plan`, rendered again from its JSON document read back.
    static func expectRoundTrip(_ plan: Plan, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let json = PlanJSON.render(plan)
        let loaded = try PlanJSON.decode(json).plan
        for format in OutputFormat.allCases {
            let renderer = format.planRenderer(color: false)
            #expect(renderer.render(loaded) == renderer.render(plan), "\(format)", sourceLocation: sourceLocation)
        }
        #expect(loaded.resolutions == plan.resolutions, sourceLocation: sourceLocation)
        #expect(loaded.moves == plan.moves, sourceLocation: sourceLocation)
    }

    @Test("add, remove, toggle and move, by product with SKUs and titles, in every format")
    func titled() throws {
        let plan = try Self.titledPlan()
        Self.expectGoldens(plan, in: "Tests/Fixtures/titles/a-plan-with-titles")
        let text = TextPlanRenderer(color: false).render(plan)
        #expect(text.contains("Fall Tee: Black / M (TEE-BLK-M), Black / L (TEE-BLK-L)"))
        #expect(text.contains("Winter Hat (draft): HAT-GRY"))
        #expect(text.contains("Poster: A2 (id 1005)"))
        #expect(text.contains("Gift Card (archived): $25 (GC-25)"))
        #expect(text.contains("sku:TEE-BLK-S moved: 43900910010503 → 44120000000771 (Fall Tee — Black / S)"))
        // The names behind the changes; a moved name is on its move's line only.
        #expect(text.contains("  fall-drop  product:fall-tee → 2 variants: 1003, 1004  (preorders/fall.yaml:7:22)\n"))
        #expect(!text.contains("sku:TEE-BLK-S → "))
        let markdown = MarkdownPlanRenderer().render(plan)
        #expect(markdown.contains("  - Fall Tee: Black / M (`TEE-BLK-M`), Black / L (`TEE-BLK-L`) → CONTINUE\n"))
        #expect(markdown.contains("  - \\+ Winter Hat (draft): `HAT-GRY`\n"))
    }

    @Test("a moved name is one line: its two ids are not listed again as a removal and an addition; counts stay")
    func moveShownOnce() throws {
        let plan = try Self.titledPlan()
        var unmoved = plan
        unmoved.moves = []
        #expect(PlanText.summaryLine(plan) == PlanText.summaryLine(unmoved))
        for format in [OutputFormat.text, .markdown, .github] {
            let shown = format.planRenderer(color: false).render(plan)
            let lines = shown.split(separator: "\n").filter { $0.contains("43900910010503") || $0.contains("44120000000771") }
            #expect(lines.count == 1, "\(format): \(lines)")
            #expect(lines.first?.contains("sku:TEE-BLK-S") == true, "\(format)")
        }
        let text = TextPlanRenderer(color: false).render(plan)
        #expect(text.contains("- remove 1 variant in 1 call: 2001\n"))
        #expect(text.contains("+ add 5 variants in 1 call: 1003, 1004, 1005, 1006, 1007\n"))
        #expect(!text.contains("Fall Tee: Black / S"))
        // The requests still carry both ids.
        let ids = plan.operations.flatMap(\.requests).flatMap(\.variantIDs)
        #expect(ids.contains(43_900_910_010_503) && ids.contains(44_120_000_000_771))
    }

    @Test("the JSON plan carries variants, resolutions and moves; read back, it renders to the same bytes in every format")
    func jsonRoundTrip() throws {
        let plan = try Self.titledPlan()
        try Self.expectRoundTrip(plan)
        try Self.expectRoundTrip(try Self.untitledPlan())
        let json = try JSONValue.parse(PlanJSON.render(plan))
        let variants = try #require(json["variants"]?.objectValue)
        #expect(variants.map(\.0) == ["1003", "1004", "1005", "1007", "2001", "43900910010503", "44120000000771"])
        #expect(json["variants"]?["3001"] == nil, "only the variants the plan shows")
        #expect(json["variants"]?["1005"]?["sku"] == nil, "unknown members are left out")
        #expect(json["variants"]?["1007"]?["product_status"]?.stringValue == "DRAFT")
        #expect(json["resolutions"]?.arrayValue?.map { $0["selector"]?.stringValue } == ["sku:TEE-BLK-S", "product:fall-tee"])
        #expect(json["moves"]?.arrayValue?.first?["from"]?.int64Value == 43_900_910_010_503)
    }

    @Test("selectors read back as written: ids, and a value holding colons")
    func selectorsReadBack() throws {
        var plan = try Self.untitledPlan()
        plan.resolutions = [
            VariantResolution(plan: "spring", list: "variants", selector: .id(5005), location: nil, ids: [5005]),
            VariantResolution(plan: "spring", list: "variants", selector: .sku("A:B:C"), location: nil, ids: [5006]),
            VariantResolution(plan: "spring", list: "variants", selector: .barcode("0123"), location: nil, ids: []),
        ]
        let loaded = try PlanJSON.decode(PlanJSON.render(plan)).plan
        #expect(loaded.resolutions == plan.resolutions)
        let bad = PlanJSON.render(plan).replacingOccurrences(of: "\"barcode:0123\"", with: "\"ean:0123\"")
        #expect(throws: PlanFileError.self) { try PlanJSON.decode(bad) }
    }

    @Test("without Shopify access, one note says the added variants' titles need it")
    func untitled() throws {
        let plan = try Self.untitledPlan()
        Self.expectGoldens(plan, in: "Tests/Fixtures/titles/titles-without-shopify-access")
        let note = "2 variants to add are shown by id alone"
        for format in [OutputFormat.text, .markdown, .github] {
            let shown = format.planRenderer(color: false).render(plan)
            #expect(shown.components(separatedBy: note).count == 2, "\(format): once")
        }
        // A plan without any title read says it too, for every variant it adds.
        var idsOnly = plan
        idsOnly.variantInfo = [:]
        #expect(TextPlanRenderer(color: false).render(idsOnly).contains("3 variants to add are shown by id alone"))
        // With policies read from Shopify, titles were readable: no note.
        var read = plan
        read.policySource = "acme.myshopify.com"
        #expect(!TextPlanRenderer(color: false).render(read).contains("by id alone"))
    }

    @Test("a plan without variant details renders exactly as before")
    func noDetails() throws {
        var plan = try Self.titledPlan()
        plan.variantInfo = [:]
        plan.resolutions = []
        plan.moves = []
        let json = PlanJSON.render(plan)
        #expect(!json.contains("\"variants\"") && !json.contains("\"resolutions\"") && !json.contains("\"moves\""))
        let text = TextPlanRenderer(color: false).render(plan)
        #expect(text.contains("+ add 6 variants in 1 call: 1003, 1004, 1005, 1006, 1007, … (1 more)\n      ~ inventory policy"))
    }

    @Test("a long list stays short: products and variants past the limits are counted")
    func longLists() throws {
        let ids = (1...300).map { Int64(10_000 + $0) }
        let yaml =
            "  - internal_name: big\n    product_variants_source: custom\n    variants: [\(ids.map(String.init).joined(separator: ", "))]\n"
        let (planned, _) = Planner.plan(desired: Self.desired(yaml), remote: RemoteState())
        var plan = try #require(planned)
        for id in ids {
            plan.variantInfo[id] = CatalogueVariant(
                id: id, sku: "SKU-\(id)", title: "Size \(id % 20)", productTitle: "Product \(id / 20)", productID: id / 20)
        }
        let text = TextPlanRenderer(color: false).render(plan)
        #expect(text.contains("… (10 more)"))
        #expect(text.contains("… (6 more products)"))
        let markdown = MarkdownPlanRenderer().render(plan)
        #expect(markdown.contains("  - … (6 more products)\n"))
        let small = MarkdownPlanRenderer(budget: 2_000).render(plan)
        #expect(small.count <= 2_000)
        #expect(small.contains("Details are shortened"))
        try Self.expectRoundTrip(plan)
    }

    @Test("hostile titles and SKUs: no control or bidi characters, no Markdown or HTML, no workflow commands")
    func hostile() throws {
        var plan = try Self.titledPlan()
        let evil = "<img src=x> | `tick` **b** @team ::warning::owned %0A 100%\n::error::x\u{202E}gnp.exe\u{1B}]0;t\u{07}"
        for id in [Int64(1003), 1004, 1007, 2001, 44_120_000_000_771, 43_900_910_010_503] {
            plan.variantInfo[id]?.title = evil
            plan.variantInfo[id]?.productTitle = evil
            plan.variantInfo[id]?.sku = "S|`K`\n::notice::u"
            plan.variantInfo[id]?.productStatus = "DRAFT<b>"
        }
        plan.unknownVariants.append(
            UnknownVariant(plan: PlanRef(internalName: "fall-drop", id: "5e7a-0001"), id: 9001, policy: .deny, location: nil))
        plan.variantInfo[9001] = CatalogueVariant(id: 9001, sku: "S|`K`\n::notice::u", title: evil, productTitle: evil)
        plan.moves[0].selector = .sku("TEE\n::error::moved\u{202E}")
        for format in OutputFormat.allCases {
            let shown = format.planRenderer(color: false).render(plan)
            #expect(!shown.unicodeScalars.contains { Sanitiser.isHidden($0) && $0 != "\n" }, "\(format)")
            for line in shown.split(separator: "\n") {
                let body = line.drop { $0 == " " }
                if body.hasPrefix("::") {
                    let own = ["::notice ", "::warning ", "::error "].contains { line.hasPrefix($0) }
                    #expect(format == .github && own, "\(format): \(line)")
                }
            }
        }
        let markdown = MarkdownPlanRenderer().render(plan)
        #expect(!markdown.contains("<img"))
        #expect(!markdown.contains("<b>"))
        #expect(markdown.contains("&lt;img src=x&gt; \\| \\`tick\\` \\*\\*b\\*\\* @&#8203;team"))
        #expect(markdown.contains("(``S|`K`\\u{a}::notice::u``)"))
        let github = GitHubPlanRenderer().render(plan)
        #expect(github.contains("%250A 100%25\\u{a}::error::x\\u{202e}gnp.exe"))
        #expect(!github.split(separator: "\n").contains { $0.hasPrefix("::error::") || $0.hasPrefix("::warning::") })
        let text = TextPlanRenderer(color: false).render(plan)
        #expect(text.contains("\\u{202e}gnp.exe\\u{1b}]0;t\\u{7}"))
        #expect(
            text.contains("~ sku:TEE\\u{a}::error::moved\\u{202e} moved: 43900910010503 → 44120000000771"), "a selector stays on its line")
        try Self.expectRoundTrip(plan)
    }
}
