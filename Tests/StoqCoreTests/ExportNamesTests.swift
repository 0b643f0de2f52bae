import StoqCore
import Testing

/// A catalogue as Shopify's reads leave it: `variants` read, and for each SKU in `asked` the
/// variants whose SKU equals it byte for byte (what ``Catalogue/bySKU`` holds after a read).
private func catalogue(_ variants: [CatalogueVariant], asked: Set<String> = [], unknown: Set<Int64> = []) -> Catalogue {
    var c = Catalogue(source: "acme.myshopify.com")
    for v in variants { c.variants[v.id] = v }
    c.unknown = unknown
    for sku in asked {
        c.bySKU[sku] = variants.filter { $0.sku.map { Array($0.utf8) == Array(sku.utf8) } ?? false }.map(\.id).sorted()
    }
    return c
}

/// The two reads export makes: the members by id, then their writable SKUs; `searchable` says
/// which variants the search index finds (all when nil).
private func naming(members: [Int64], shop: [CatalogueVariant], searchable: Set<Int64>? = nil) -> VariantNaming {
    let known = Set(shop.map(\.id))
    let details = catalogue(shop.filter { members.contains($0.id) }, unknown: Set(members).subtracting(known))
    let skus = VariantNaming.candidates(members: members, details: details)
    let found = shop.filter { v in
        (searchable?.contains(v.id) ?? true) && skus.contains { Array($0.utf8) == Array((v.sku ?? "").utf8) }
    }
    return VariantNaming.decide(members: members, details: details, confirmation: catalogue(found, asked: skus))
}

/// A custom-source plan with `members`, and policies for them.
private func plan(_ members: [Int64]) -> (RemotePlan, PolicyState) {
    let plan = RemotePlan(
        id: "p1", internalName: "fall", fields: [.name: .string("Fall"), .productVariantsSource: .string("custom")], variantIDs: members)
    var policies = PolicyState(source: "acme.myshopify.com")
    for (i, id) in members.enumerated() { policies.current[id] = i % 2 == 0 ? .continue : .deny }
    return (plan, policies)
}

@Suite("Export writes variants by SKU where the SKU is theirs alone")
struct ExportNamesTests {
    @Test("each reason a member keeps its id: none, shared, unwritable, unknown, not found yet, a look-alike Unicode form")
    func reasons() {
        let shop = [
            CatalogueVariant(id: 1, sku: "TEE-BLK-S"),
            CatalogueVariant(id: 2),
            CatalogueVariant(id: 3, sku: "MUG"), CatalogueVariant(id: 4, sku: "MUG"), CatalogueVariant(id: 5, sku: "MUG"),
            CatalogueVariant(id: 6, sku: " LEAD"), CatalogueVariant(id: 7, sku: "TRAIL\u{A0}"), CatalogueVariant(id: 8, sku: "TAB\tX"),
            CatalogueVariant(id: 9, sku: "ZERO\u{200B}WIDTH"),
            CatalogueVariant(id: 10, sku: "NEW-SKU"),
            CatalogueVariant(id: 11, sku: "Caf\u{E9}"), CatalogueVariant(id: 12, sku: "Cafe\u{301}"),
            CatalogueVariant(id: 13, sku: "tee-blk-s"),
        ]
        let members: [Int64] = [1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 99]
        let n = naming(members: members, shop: shop, searchable: Set(shop.map(\.id)).subtracting([10]))
        #expect(n.skus == [1: "TEE-BLK-S", 13: "tee-blk-s"], "a SKU differing only in case is another SKU")
        #expect(n.reasons[2] == "no SKU")
        #expect(n.reasons[3] == "SKU `MUG` is shared by 3 variants (also 4, 5)")
        #expect(n.reasons[6] == "SKU ` LEAD` starts or ends with a space, which a name cannot hold")
        #expect(n.reasons[7] == "SKU `TRAIL\u{A0}` starts or ends with a space, which a name cannot hold")
        #expect(n.reasons[8] == "SKU `TAB\tX` holds U+9, which a name cannot hold", "raw here; escaped once where it is written")
        #expect(n.reasons[9] == "SKU `ZERO\u{200B}WIDTH` holds U+200B, which a name cannot hold")
        #expect(
            n.reasons[10]
                == "Shopify's search does not find SKU `NEW-SKU` (its index may lag a recent change, or its search may ignore the SKU's characters); export again later, or keep the id"
        )
        #expect(n.reasons[11]?.hasPrefix("SKU `Café` is the same text as variant 12's in another Unicode form") == true)
        #expect(n.reasons[12]?.hasPrefix("SKU `Café` is the same text as variant 11's in another Unicode form") == true)
        #expect(n.reasons[99] == "Shopify does not know this variant")
        #expect(n.count == members.count)
    }

    @Test("a shared SKU found only beyond the members still keeps the member's id")
    func sharedOutsideTheMembers() {
        let shop = [CatalogueVariant(id: 1, sku: "A-1"), CatalogueVariant(id: 2, sku: "A-1")]
        let n = naming(members: [1], shop: shop)
        #expect(n.skus.isEmpty)
        #expect(n.reasons[1] == "SKU `A-1` is shared by 2 variants (also 2)")
    }

    /// SKUs that need YAML quoting or could be misread, each carried by one variant.
    static let awkward: [String] = [
        "TEE #1", "TEE#1", "A: B", "A:B", "ends:", "[X]", "{Y}", "\"quoted\"", "'single'", "back\\slash", "%pct", "@at", "`tick`",
        "- dash", "? q", "* star", "& amp", "! bang", "| pipe", "> fold", "a, b", "true", "null", "123", "1e3", "0x1F", "~",
        "Été-S", "预购", "🎉", "mid\u{A0}nbsp", "line\u{2028}sep", "para\u{2029}sep", "##[group]", "::warning::x", "a  b",
        "C:\\path", String(repeating: "long-", count: 200),
    ]

    @Test("awkward SKUs round-trip through the configuration loader exactly, and resolve back to the ids they replaced")
    func roundTrip() throws {
        let shop =
            Self.awkward.enumerated().map { CatalogueVariant(id: Int64(100 + $0.offset), sku: $0.element) }
            + [CatalogueVariant(id: 900), CatalogueVariant(id: 901, sku: "DUP"), CatalogueVariant(id: 902, sku: "DUP")]
        let members = shop.map(\.id)
        let n = naming(members: members, shop: shop)
        #expect(n.skus.count == Self.awkward.count)
        let (remote, policies) = plan(members)
        let result = Exporter.export([remote], policies: policies, naming: n)
        let file = try #require(result.files.first)
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: file.path, text: file.text), .config)])
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics.map(\.message))\n\(file.text)")
        let spec = try #require(desired.plans.first)

        let expected = members.sorted().map { n.skus[$0].map(VariantSelector.sku) ?? .id($0) }
        let written = try #require(spec.variantSelectors).map(\.value)
        #expect(written == expected, "\(file.text)")
        for selector in written {
            guard case .sku(let sku) = selector else { continue }
            #expect(Self.awkward.contains { Array($0.utf8) == Array(sku.utf8) }, "\(sku.debugDescription) is not byte for byte a SKU")
        }
        #expect(
            spec.policySelectors[.continue].map { $0.map(\.value) }
                == members.sorted().enumerated().filter { policies.current[$0.element] == .continue }.map {
                    n.skus[$0.element].map(VariantSelector.sku) ?? .id($0.element)
                })

        // Resolving the names against the same shop gives back exactly the members and policies.
        let resolved = NameResolver.resolve(desired, catalogue: catalogue(shop, asked: Set(n.skus.values)))
        #expect(!resolved.hasErrors, "\(resolved.diagnostics.map(\.message))")
        let plan = try #require(resolved.desired.plans.first)
        #expect(plan.variants?.map(\.value).sorted() == members.sorted())
        for (policy, ids) in plan.inventoryPolicy {
            #expect(ids.allSatisfy { policies.current[$0.value] == policy })
        }

        // Members kept by id carry their reason as a comment, on the item's own line.
        #expect(file.text.contains("      - 900  # no SKU\n"))
        #expect(file.text.contains("      - 901  # SKU `DUP` is shared by 2 variants (also 902)\n"))
        #expect(file.text.contains("        - 901  # SKU `DUP` is shared by 2 variants (also 902)\n"), "the policy lists too")
    }

    @Test("quoting: plain where YAML reads it back as itself, double-quoted where it would not")
    func quoting() {
        let ids: [Int64] = [1, 2, 3, 4, 5]
        var n = VariantNaming()
        n.skus = [1: "TEE-BLK-S", 2: "TEE #1", 3: "A: B", 4: "ends:", 5: "line\u{2028}sep"]
        let text = Exporter.export([plan(ids).0], naming: n).files[0].text
        #expect(text.contains("      - sku:TEE-BLK-S\n"))
        #expect(text.contains("      - \"sku:TEE #1\"\n"))
        #expect(text.contains("      - \"sku:A: B\"\n"))
        #expect(text.contains("      - \"sku:ends:\"\n"))
        #expect(text.contains("      - \"sku:line\\u2028sep\"\n"))
    }

    @Test("a reason's SKU never breaks the file: characters YAML refuses raw, even in a comment, are shown escaped")
    func reasonsStayReadable() throws {
        let odd = ["A\u{FFFF}B", "A\u{FFFE}B", "line\nbreak", "bell\u{7}", "rtl\u{202E}x", "##[x"]
        let shop = odd.enumerated().flatMap { i, sku in
            [CatalogueVariant(id: Int64(10 * i + 1), sku: sku), CatalogueVariant(id: Int64(10 * i + 2), sku: sku)]
        }
        let n = naming(members: shop.map(\.id), shop: shop)
        #expect(n.skus.isEmpty && n.reasons.count == shop.count)
        let (remote, policies) = plan(shop.map(\.id))
        let file = try #require(Exporter.export([remote], policies: policies, naming: n).files.first)
        let (desired, diagnostics) = ConfigPipeline.run([(SourceFile(path: file.path, text: file.text), .config)])
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics.map(\.message))")
        #expect(desired.plans.first?.variants?.map(\.value) == shop.map(\.id).sorted())
        #expect(file.text.contains("      - 1  # SKU `A\\u{ffff}B` is shared by 2 variants (also 2)\n"), "\(file.text)")
        #expect(!file.text.contains("##["))
    }

    @Test("without a naming, members are ids without comments, as before")
    func withoutNaming() {
        let (remote, policies) = plan([3, 1, 2])
        let text = Exporter.export([remote], policies: policies).files[0].text
        #expect(text.contains("    variants:\n      - 1\n      - 2\n      - 3\n"))
        #expect(!text.contains("sku:") && !text.contains("  # "))
    }

    @Test("the loader refuses exactly the SKUs export keeps by id")
    func sameCheckAsTheLoader() {
        for sku in [" LEAD", "TRAIL ", "TAB\tX", "ZERO\u{200B}WIDTH", "\u{FEFF}BOM", "TRAIL\u{3000}"] {
            #expect(VariantSelector.valueProblem(sku) != nil, "\(sku.debugDescription)")
            let yaml =
                "version: 1\nselling_plans:\n  - internal_name: fall\n    product_variants_source: custom\n    variants:\n      - "
                + YAMLText.quoted("sku:" + sku) + "\n"
            let (_, diagnostics) = ConfigPipeline.run([(SourceFile(path: "p.yaml", text: yaml), .config)])
            #expect(diagnostics.contains { $0.severity == .error && $0.location?.line == 6 }, "\(sku.debugDescription)")
        }
    }
}
