import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// Generates remote states full of odd values, as an emulator state file.
struct OddShopGenerator {
    var random: SeededRandom
    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { random.unit() < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

    static let texts: [String] = [
        "Fall Drop — Preorder", "Été précommande", "预购 · 秋季", "🎉 Preorder 🎁", "עברית ואנגלית", "e\u{301}\u{301} combining",
        "true", "null", "~", "123", "-12.5", "1e3", ".inf", "0x1F", "yes", "- dash first", "? question", "#hash", "a: b", "a #b",
        "trailing space ", " leading space", "", " ", "Quote \" and \\ backslash", "Line one\nLine two", "tab\there", "CR\r\nLF",
        "line\u{2028}separator", "next\u{85}line", "\u{FEFF}bom first", "bell\u{7}", "nul\u{0}byte", "'single'", "%percent", "@at",
        "`tick`",
        "{braces}", "[brackets]", "*star", "&amp", "!bang", "|pipe", ">fold", "ends with colon:", "2026-10-01T09:00:00Z", "C:\\path",
        String(repeating: "Long text, ", count: 500), String(repeating: "é", count: 3000),
    ]

    mutating func text() -> JSONValue { .string(pick(Self.texts)) }

    mutating func decimal(max: Int?) -> JSONValue {
        let options = ["0", "10", "10.0", "12.5", "0.0001", "99.99999999", "100", "3.14159265358979323846", "1E1", "7.50"]
        var value = pick(options)
        if let max, let d = Double(value), d > Double(max) { value = "\(max)" }
        if max == nil, chance(0.3) { value = "123456789.123456789" }
        return .number(value)
    }

    mutating func datetime() -> JSONValue {
        .string(
            pick([
                "2026-10-01T09:00:00Z", "2026-10-01T09:00:00.000Z", "2026-10-01T11:00:00+02:00", "2026-12-31T23:59:59.123456789Z",
                "2027-02-28T00:00:00-07:00", "2026-10-01T09:00:00.5+05:30",
            ]))
    }

    /// One plan object as the emulator's state file holds it.
    mutating func plan(id: String, internalName: String) -> JSONValue {
        var m: [(String, JSONValue)] = [("id", .string(id)), ("internal_name", .string(internalName))]
        m.append(("name", text()))
        m.append(("enabled", .bool(chance(0.5))))
        let billing = pick(["exact_time", "no_remaining_balance", "time_after_checkout", "weird_new_type"])
        m.append(("billing_type", .string(billing)))
        m.append(("billing_at", billing == "exact_time" ? (chance(0.85) ? datetime() : .null) : (chance(0.3) ? datetime() : .null)))
        m.append(("billing_after_n_intervals", chance(0.6) ? .integer(Int64(pick([1, 30, 36_500, 0, 99_999]))) : .null))
        m.append(("billing_after_interval_type", .string("day")))
        let charge = pick(["percentage", "price"])
        m.append(("billing_checkout_charge_type", .string(charge)))
        m.append(("billing_checkout_charge_percentage", chance(0.8) ? decimal(max: 100) : .null))
        m.append(("billing_checkout_charge_amount", chance(0.8) ? decimal(max: nil) : .null))
        let delivery = pick(["anchor", "asap", "exact_time", "unknown"])
        m.append(("delivery_type", .string(delivery)))
        m.append(("delivery_at", chance(0.8) ? datetime() : .null))
        m.append(("delivery_after_n_intervals", chance(0.5) ? .integer(Int64(int(1...400))) : .null))
        m.append(("delivery_after_interval_type", .string(pick(["day", "week"]))))
        m.append(("inventory_reserve_type", .string(pick(["on_sale", "on_fulfillment", "later_maybe"]))))
        m.append(("inventory_provider", .string("stoq")))
        let pricing = pick(["percentage", "fixed_amount", "tiered"])
        m.append(("pricing_type", .string(pricing)))
        m.append(("pricing_amount", chance(0.8) ? decimal(max: nil) : .null))
        m.append(("pricing_percentage", chance(0.8) ? (chance(0.1) ? .number("150") : decimal(max: 100)) : .null))
        for key in [
            "preorder_button_text", "preorder_button_description", "preorder_badge_text", "shipping_text", "discount_text",
            "preorder_tags", "billing_title", "billing_description",
        ] where chance(0.6) {
            m.append((key, chance(0.15) ? .null : text()))
        }
        m.append(("preorder_badge_enabled", .bool(chance(0.5))))
        m.append(("preorder_badge_text_color", .string(pick(["#FFFFFF", "#1f2937", "red", ""]))))
        let source = pick(["custom", "custom", "all", "collection"])
        m.append(("product_variants_source", .string(source)))
        m.append(("product_variants_source_id", source == "collection" && chance(0.8) ? .integer(Int64(int(1...999_999))) : .null))
        let count = pick([0, 0, 1, 3, 40, 1_200])
        let ids = (0..<count).map { _ in JSONValue.integer(43_900_000_000_000 + Int64(int(0...5_000_000))) }
        m.append(("shopify_variant_ids", .array(ids)))
        return .object(m)
    }

    /// A shop: unique, empty, duplicated and odd internal names.
    mutating func shop() -> String {
        var plans: [JSONValue] = []
        let names = [
            "fall-drop", "Fall Drop", "fall/drop", "été-2026", "🎉", "", "dup", "dup",
            "a".padding(toLength: 300, withPad: "b", startingAt: 0),
        ]
        for i in 0..<int(1...8) {
            let name = chance(0.7) ? pick(names) : "plan-\(i)"
            plans.append(plan(id: "id-\(i)-\(int(0...999))", internalName: name))
        }
        return JSONValue.object([("plans", .array(plans))]).render()
    }
}

@Suite("Export, then plan: No changes — over many generated remote states with odd values")
struct ExportRoundTripTests {
    /// Fetch every plan, export, load the files as config, plan against the same shop; with
    /// `policies`, the members' inventory policies are read from Shopify for the export and for
    /// the plan.
    func roundTrip(_ state: String, policies: Bool = false) async throws -> (Plan, ExportResult, [Diagnostic], DesiredState) {
        let shop = try ScenarioShop(remoteJSON: state)
        let fetched = try await Fetcher(client: shop.client).fetchAll()
        var read: PolicyState?
        if policies {
            let members = fetched.state.managed.filter { $0.fields[.productVariantsSource] == .string("custom") }.flatMap(\.variantIDs)
            read = try await shop.policies.read(members).state
        }
        let result = Exporter.export(fetched.state.managed, policies: read)
        let files = result.files.map { (SourceFile(path: $0.path, text: $0.text), SourceRole.config) }
        let (desired, diagnostics) = ConfigPipeline.run(files)
        let plan = try await shop.plan(desired, readPolicies: policies, expected: nil)
        return (plan, result, diagnostics, desired)
    }

    /// `state` with random Shopify policies for most of its plans' members (the rest read as DENY).
    static func withPolicies(_ state: String, seed: UInt64) throws -> String {
        var random = SeededRandom(seed: seed)
        let json = try JSONValue.parse(Array(state.utf8))
        let members = Set(
            (json["plans"]?.arrayValue ?? []).flatMap { ($0["shopify_variant_ids"]?.arrayValue ?? []).compactMap(\.int64Value) })
        let policies: [(String, JSONValue)] = members.sorted().compactMap { id in
            let draw = random.unit()
            return draw < 0.15 ? nil : (String(id), .string(draw < 0.6 ? "CONTINUE" : "DENY"))
        }
        return JSONValue.object((json.objectValue ?? []) + [("variant_policies", .object(policies))]).render()
    }

    @Test("no changes, no operations, no errors", arguments: Array(1...120) as [UInt64])
    func property(seed: UInt64) async throws {
        var generator = OddShopGenerator(seed: seed)
        let state = generator.shop()
        let (plan, result, diagnostics, desired) = try await roundTrip(state)
        #expect(!diagnostics.hasErrors, "seed \(seed): \(diagnostics.filter { $0.severity == .error }.map(\.message))")
        #expect(plan.operations.isEmpty, "seed \(seed):\n\(String(TextPlanRenderer(color: false).render(plan).prefix(3000)))")

        // "No changes" is only worth something if the plans and their values were exported:
        // one declared plan per distinct, non-blank internal_name, each with STOQ's name and,
        // for a custom source, its full membership.
        let shop = try ScenarioShop(remoteJSON: state)
        let remote = try await Fetcher(client: shop.client).fetchAll().state.managed
        let names = Set(remote.map(\.internalName).filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty })
        #expect(Set(desired.plans.map(\.internalName.value)) == names, "seed \(seed)")
        for spec in desired.plans {
            let source = try #require(
                remote.first { $0.id == spec.id?.value } ?? remote.first { $0.internalName == spec.internalName.value })
            #expect(spec[.name]?.value == source.fields[.name], "seed \(seed): \(spec.internalName.value)")
            if source.fields[.productVariantsSource] == .string("custom") {
                #expect(spec.variants.map { Set($0.map(\.value)) } == Set(source.variantIDs), "seed \(seed)")
            }
        }

        // Exporting twice gives the same bytes.
        let again = Exporter.export(remote)
        #expect(again == result, "seed \(seed): exporting twice differs")
    }

    @Test(
        "with policies read from Shopify: the export declares every member's policy, and plans to No changes",
        arguments: Array(1...60) as [UInt64])
    func propertyWithPolicies(seed: UInt64) async throws {
        var generator = OddShopGenerator(seed: seed)
        let state = try Self.withPolicies(generator.shop(), seed: seed)
        let (plan, _, diagnostics, desired) = try await roundTrip(state, policies: true)
        #expect(!diagnostics.hasErrors, "seed \(seed): \(diagnostics.filter { $0.severity == .error }.map(\.message))")
        #expect(plan.policiesVerified)
        #expect(plan.operations.isEmpty, "seed \(seed):\n\(String(TextPlanRenderer(color: false).render(plan).prefix(3000)))")
        // Every member of an exported custom plan has its policy declared, as Shopify reports it.
        let shop = try ScenarioShop(remoteJSON: state)
        for spec in desired.plans {
            guard let members = spec.variants?.map(\.value) else { continue }
            var declared: [Int64: InventoryPolicy] = [:]
            for (policy, ids) in spec.inventoryPolicy { for id in ids { declared[id.value] = policy } }
            #expect(Set(declared.keys) == Set(members), "seed \(seed): \(spec.internalName.value)")
            for (id, policy) in declared {
                let actual = await shop.emulator.inventoryPolicy(of: id) ?? "DENY"
                #expect(actual == policy.rawValue, "seed \(seed): \(id)")
            }
        }
        #expect(plan.policiesChecked == desired.plans.reduce(0) { $0 + $1.inventoryPolicy.values.reduce(0) { $0 + $1.count } })
    }

    @Test("odd values survive byte for byte: the loaded config holds exactly what STOQ returned")
    func valuesSurvive() async throws {
        for text in OddShopGenerator.texts {
            let state = JSONValue.object([
                (
                    "plans",
                    .array([
                        .object([
                            ("id", .string("p1")), ("internal_name", .string("odd")), ("name", .string(text)),
                            ("shipping_text", .string(text)),
                        ])
                    ])
                )
            ]).render()
            let (plan, _, diagnostics, desired) = try await roundTrip(state)
            #expect(!diagnostics.hasErrors, "\(text.debugDescription): \(diagnostics.map(\.message))")
            #expect(desired.plans.first?[.shippingText]?.value == .string(text), "\(text.debugDescription)")
            #expect(plan.operations.isEmpty, "\(text.debugDescription)")
        }
    }

    @Test("what cannot be config is left out with a warning, and the rest still plans to No changes")
    func leftOut() async throws {
        let state = """
            {"plans": [
              {"id": "p1", "internal_name": "", "name": "Nameless"},
              {"id": "p2", "internal_name": "dup", "name": "First"},
              {"id": "p3", "internal_name": "dup", "name": "Second"},
              {"id": "p4", "internal_name": "odd", "name": "Odd", "billing_type": "exact_time", "billing_at": null,
               "pricing_type": "percentage", "pricing_percentage": 150, "billing_after_n_intervals": 0}
            ]}
            """
        let (plan, result, diagnostics, desired) = try await roundTrip(state)
        #expect(!diagnostics.hasErrors)
        #expect(plan.operations.isEmpty)
        #expect(result.exported == 2)
        #expect(desired.plans.map(\.internalName.value) == ["dup", "odd"])
        #expect(desired.plans.first?.id?.value == "p2", "the first of two plans with one name is pinned by id")
        let warnings = result.warnings.joined(separator: "\n")
        #expect(warnings.contains("plan p1 (`Nameless`) has no internal_name"))
        #expect(warnings.contains("2 plans share internal_name `dup` (ids p2, p3); exported p2 pinned by `id:`"))
        #expect(warnings.contains("plan `odd`: `pricing_percentage` left out: 150 is above 100"))
        #expect(
            result.notes.contains(
                "plan `odd`: `billing_type` left out (unmanaged): `billing_type: exact_time` needs `billing_at`, which STOQ returned empty"
            ))
        let odd = try #require(result.files.first { $0.path == "preorders/odd.yaml" })
        #expect(
            odd.text.contains("    # billing_type left out: `billing_type: exact_time` needs `billing_at`, which STOQ returned empty\n"))
    }
}
