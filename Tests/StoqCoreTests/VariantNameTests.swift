import StoqCore
import StoqTestSupport
import Testing

/// Loads one marked configuration file.
private func load(_ marked: String) -> (DesiredState, [Diagnostic], MarkedText) {
    let text = MarkedText(marked)
    let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: "shop/plans.yaml", bytes: Array(text.text.utf8)), .config)])
    return (desired, diagnostics, text)
}

private func at(_ marked: MarkedText) -> StoqCore.SourceLocation? {
    marked.primary.map { StoqCore.SourceLocation(file: "shop/plans.yaml", line: $0.line, column: $0.column) }
}

private func noteAt(_ marked: MarkedText) -> StoqCore.SourceLocation? {
    marked.note.map { StoqCore.SourceLocation(file: "shop/plans.yaml", line: $0.line, column: $0.column) }
}

private let head = "version: 1\nselling_plans:\n  - internal_name: fall\n    product_variants_source: custom\n"

/// A small catalogue: a unique SKU, a SKU two variants carry, a product with three variants,
/// and a variant whose SKU differs only in case from a name.
private func catalogue() -> Catalogue {
    var c = Catalogue(source: "acme.myshopify.com")
    let variants = [
        CatalogueVariant(id: 11, sku: "TEE-BLK-S", barcode: "0001", title: "Black / S", productTitle: "Fall Tee", inventoryPolicy: .deny),
        CatalogueVariant(id: 12, sku: "TEE-BLK-M", title: "Black / M", productTitle: "Fall Tee", inventoryPolicy: .deny),
        CatalogueVariant(id: 13, sku: "TEE-BLK-L", title: "Black / L", productTitle: "Fall Tee", inventoryPolicy: .continue),
        CatalogueVariant(id: 21, sku: "DUP", title: "One", productTitle: "Mug", inventoryPolicy: .deny),
        CatalogueVariant(id: 22, sku: "DUP", title: "Two", productTitle: "Mug v2", inventoryPolicy: .deny),
        CatalogueVariant(id: 31, sku: "tee-blk-xl", title: "Black / XL", productTitle: "Fall Tee", inventoryPolicy: .deny),
    ]
    for v in variants { c.variants[v.id] = v }
    c.bySKU = ["TEE-BLK-S": [11], "TEE-BLK-M": [12], "DUP": [21, 22], "TEE-BLK-XL": [], "TEE-BLK": []]
    c.byBarcode = ["0001": [11]]
    c.products["fall-tee"] = CatalogueProduct(id: 100, handle: "fall-tee", title: "Fall Tee", status: "DRAFT", variantIDs: [11, 12, 13])
    c.collections["summer"] = 500
    return c
}

@Suite("Variant names: written in the configuration, resolved exactly")
struct VariantNameTests {
    @Test("ids, sku:, barcode: and product: in one list, and the one-key mapping YAML makes of `sku: X`")
    func syntax() {
        let (desired, diagnostics, _) = load(
            head + "    variants: [4390, sku:TEE-BLK-S, barcode:0001, product:fall-tee, {sku: TEE BLK M}, sku:A:B]\n"
                + "    inventory_policy:\n      CONTINUE:\n        - sku: TEE-BLK-L\n        - 4390\n")
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
        let plan = desired.plans[0]
        #expect(
            plan.variantSelectors?.map(\.value) == [
                .id(4390), .sku("TEE-BLK-S"), .barcode("0001"), .product("fall-tee"), .sku("TEE BLK M"), .sku("A:B"),
            ])
        #expect(plan.variants?.map(\.value) == [4390])
        #expect(plan.policySelectors[.continue]?.map(\.value) == [.sku("TEE-BLK-L"), .id(4390)])
        #expect(plan.hasNames)
        #expect(NameResolver.names(in: desired).skus == ["TEE-BLK-S", "TEE BLK M", "A:B", "TEE-BLK-L"])
    }

    @Test(
        "a malformed name is a located error, checked offline",
        arguments: [
            head + "    variants: [⚑color:red]\n",
            head + "    variants:\n      - ⚑sku:\n",
            head + "    variants: [⚑\"sku: TEE\"]\n",
            head + "    variants: [⚑product:Fall Tee]\n",
            head + "    variants:\n      - ⚑skus: TEE\n",
        ])
    func malformed(_ marked: String) {
        let (_, diagnostics, text) = load(marked)
        let errors = diagnostics.filter { $0.code == .invalidVariantID }
        #expect(errors.count == 1, "\(diagnostics)")
        #expect(errors.first?.location == at(text))
    }

    @Test("a value that starts with a combining mark or a modifier is split at the colon all the same")
    func combiningMark() throws {
        let (desired, diagnostics, _) = load(head + "    variants: [\"sku:\u{0301}comb\", \"sku:\u{1F3FB}skin\", \"barcode:\u{FE0F}vs\"]\n")
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
        #expect(
            desired.plans[0].variantSelectors?.map(\.value) == [.sku("\u{0301}comb"), .sku("\u{1F3FB}skin"), .barcode("\u{FE0F}vs")])
        let record = try PlanJSON.namesRecord(#"{"names":[{"plan":"p","list":"variants","selector":"sku:\u0301comb","ids":[1]}]}"#)
        #expect(record.first?.selector.value.unicodeScalars.first == "\u{0301}")
    }

    @Test("the same name twice in one list warns, as a repeated id does")
    func repeatedName() {
        let (_, diagnostics, text) = load(head + "    variants: [⚐sku:A, 1, ⚑sku:A]\n")
        let warning = diagnostics.first { $0.code == .duplicateVariant }
        #expect(warning?.location == at(text))
        #expect(warning?.notes.first?.location == noteAt(text))
    }

    @Test("names resolve to the exactly matching variants, at the name's location")
    func resolves() {
        let (desired, _, text) = load(head + "    variants: [1, ⚑product:fall-tee, barcode:0001]\n")
        let outcome = NameResolver.resolve(desired, catalogue: catalogue())
        let plan = outcome.desired.plans[0]
        // barcode:0001 is variant 11, already reached through the product: a warning, once listed.
        #expect(plan.variants?.map(\.value) == [1, 11, 12, 13])
        #expect(plan.variants?[1].location == at(text))
        #expect(outcome.resolutions.map(\.selector) == [.product("fall-tee"), .barcode("0001")])
        #expect(outcome.resolutions.first?.ids == [11, 12, 13])
        #expect(outcome.diagnostics.map(\.code) == [.duplicateVariant])
        #expect(!outcome.hasErrors)
    }

    @Test("a SKU several variants carry is an error listing each candidate, at the name")
    func ambiguous() {
        let (desired, _, text) = load(head + "    variants: [⚑sku:DUP]\n")
        let outcome = NameResolver.resolve(desired, catalogue: catalogue())
        let error = outcome.diagnostics.first { $0.code == .ambiguousVariantName }
        #expect(error?.location == at(text))
        #expect(error?.message.contains("21 (Mug — One)") == true)
        #expect(error?.message.contains("22 (Mug v2 — Two)") == true)
        #expect(outcome.hasErrors)
        #expect(outcome.desired.plans[0].variants?.isEmpty == true)
    }

    @Test(
        "a name that matches nothing exactly is an error at the name, never a guess",
        arguments: [
            (head + "    variants: [⚑sku:TEE-BLK-XL]\n", "tee-blk-xl"),  // another case
            (head + "    variants: [⚑sku:TEE-BLK]\n", "TEE-BLK-S"),  // a tokenised near miss
            (head + "    variants: [⚑product:fall-te]\n", "fall-tee"),
            (head + "    variants: [⚑barcode:0002]\n", "no variant"),
        ])
    func unknown(_ marked: String, mentions: String) {
        let (desired, _, text) = load(marked)
        let outcome = NameResolver.resolve(desired, catalogue: catalogue())
        let error = outcome.diagnostics.first { $0.code == .unknownVariantName }
        #expect(error?.location == at(text))
        #expect(error?.message.contains(mentions) == true, "\(error?.message ?? "")")
        #expect(outcome.hasErrors)
    }

    @Test("one variant both CONTINUE and DENY through names is an error naming both lines")
    func bothPolicies() {
        let (desired, diagnostics, text) = load(
            head
                + "    variants: [product:fall-tee]\n    inventory_policy:\n      CONTINUE: [⚐sku:TEE-BLK-S]\n      DENY: [⚑barcode:0001]\n"
        )
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty)
        let outcome = NameResolver.resolve(desired, catalogue: catalogue())
        let error = outcome.diagnostics.first { $0.code == .policyBothContinueAndDeny }
        #expect(error?.location == at(text))
        #expect(error?.notes.first?.location == noteAt(text))
    }

    @Test("a policy for a named variant outside `variants` is reported once names are known, not before")
    func policyOutsidePlan() {
        let (desired, diagnostics, text) = load(
            head + "    variants: [sku:TEE-BLK-M]\n    inventory_policy:\n      CONTINUE: [⚑sku:TEE-BLK-S, 12]\n")
        #expect(!diagnostics.contains { $0.code == .policyVariantNotInPlan })
        let outcome = NameResolver.resolve(desired, catalogue: catalogue())
        let errors = outcome.diagnostics.filter { $0.code == .policyVariantNotInPlan }
        #expect(errors.map(\.location) == [at(text)])
    }

    @Test("a collection handle in product_variants_source_id resolves to the collection's id")
    func sourceHandle() {
        let config =
            "version: 1\nselling_plans:\n  - internal_name: summer\n    product_variants_source: collection\n    product_variants_source_id: ⚑collection:summer\n"
        let (desired, diagnostics, text) = load(config)
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
        #expect(NameResolver.names(in: desired).collectionHandles == ["summer"])
        let outcome = NameResolver.resolve(desired, catalogue: catalogue())
        #expect(outcome.desired.plans[0][.productVariantsSourceID]?.value == .integer(500))
        #expect(outcome.desired.plans[0][.productVariantsSourceID]?.valueLocation == at(text))
        let (missing, _, missingText) = load(config.replacingOccurrences(of: "summer\n", with: "winter\n"))
        let error = NameResolver.resolve(missing, catalogue: catalogue()).diagnostics.first { $0.code == .unknownVariantName }
        #expect(error?.location == at(missingText))
    }
}
