import StoqCore
import StoqTestSupport
import Testing

/// One fixture per diagnostic code, with the expected position marked inside the text.
struct LocationCase: CustomTestStringConvertible, Sendable {
    var code: DiagnosticCode
    var files: [(path: String, marked: String, role: SourceRole)]
    var limits: LoadLimits = .standard
    /// Raw bytes appended to the first file after its text (for encoding tests).
    var trailingBytes: [UInt8] = []

    var testDescription: String { code.rawValue }

    init(_ code: DiagnosticCode, _ marked: String, role: SourceRole = .config, limits: LoadLimits = .standard, trailingBytes: [UInt8] = [])
    {
        self.code = code
        self.files = [("shop/plans.yaml", marked, role)]
        self.limits = limits
        self.trailingBytes = trailingBytes
    }

    init(_ code: DiagnosticCode, files: [(String, String, SourceRole)]) {
        self.code = code
        self.files = files.map { (path: $0.0, marked: $0.1, role: $0.2) }
    }
}

let tiny = LoadLimits(maxFileBytes: 64, maxDepth: 3, maxNodes: 20, maxExpandedNodes: 30)

/// Every code that a config can trigger.
///
/// `no-config-files` and `unreadable-file` concern paths,
/// not file contents: they have no position and are covered by the end-to-end tests.
let locationCases: [LocationCase] = [
    LocationCase(.fileTooLarge, "⚑version: 1\nselling_plans:\n  - internal_name: a-plan-with-a-long-name\n", limits: tiny),
    LocationCase(.invalidUTF8, "version: 1\nselling_plans:\n  - internal_name: caf⚑", trailingBytes: [0xE9, 0x0A]),
    LocationCase(.emptyFile, "⚑# nothing here yet\n"),
    // The first 100 problems of a file are listed; the rest are counted where they begin.
    LocationCase(
        .moreProblems,
        "version: 1\nselling_plans:\n  - internal_name: p\n    product_variants_source: custom\n    variants:\n"
            + String(repeating: "      - x\n", count: 100) + "      - ⚑x\n" + String(repeating: "      - x\n", count: 5)),
    LocationCase(.yamlSyntax, "version: 1\nselling_plans:\n  - internal_name: a\n    name: \"unterminated\n⚑"),
    LocationCase(.multipleDocuments, "version: 1\n⚑---\nversion: 1\n"),
    LocationCase(.nestingTooDeep, "version: 1\nx-a: {b: {c: ⚑{d: 1}}}\n", limits: tiny),
    LocationCase(
        .tooManyNodes, "version: 1\nselling_plans:\n  - internal_name: a\n    variants: [1, 2, 3, 4, ⚑5, 6, 7, 8, 9, 10]\n",
        limits: LoadLimits(maxFileBytes: 1 << 20, maxDepth: 10, maxNodes: 14, maxExpandedNodes: 100)),
    LocationCase(
        .aliasBudgetExceeded,
        """
        version: 1
        x-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
        x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        x-c: &c [*b, ⚑*b, *b, *b]
        """, limits: LoadLimits(maxFileBytes: 1 << 20, maxDepth: 10, maxNodes: 1000, maxExpandedNodes: 300)),
    LocationCase(.unsupportedTag, "version: 1\nx-a: ⚑!!binary aGVsbG8=\n"),
    LocationCase(.invalidMerge, "version: 1\nselling_plans:\n  - internal_name: a\n    <<: ⚑defaults\n"),
    LocationCase(.complexKey, "version: 1\n? ⚑[a, b]\n: 1\n"),
    LocationCase(.topLevelNotMapping, "⚑- internal_name: a\n- internal_name: b\n"),
    LocationCase(.missingVersion, "⚑selling_plans:\n  - internal_name: a\n"),
    LocationCase(.unsupportedVersion, "version: ⚑2\nselling_plans: []\n"),
    LocationCase(.misplacedSettingsFile, "⚑version: 1\nprune: true\n", role: .misplacedSettings),
    LocationCase(.unknownKey, "version: 1\nselling_plans:\n  - internal_name: a\n    ⚑nmae: Fall\n"),
    LocationCase(.duplicateKey, "version: 1\nselling_plans:\n  - internal_name: a\n    ⚐name: One\n    ⚑name: Two\n"),
    LocationCase(.missingRequiredKey, "version: 1\nselling_plans:\n  - ⚑name: Nameless\n    enabled: true\n"),
    LocationCase(.typeMismatch, "version: 1\nselling_plans:\n  - internal_name: a\n    name: ⚑[Fall, Drop]\n"),
    LocationCase(.invalidBoolean, "version: 1\nselling_plans:\n  - internal_name: a\n    enabled: ⚑yes\n"),
    LocationCase(.nullNotAllowed, "version: 1\nselling_plans:\n  - internal_name: a\n    preorder_badge_text_color: ⚑#ff0000\n"),
    LocationCase(.emptyValue, "version: 1\nselling_plans:\n  - internal_name: ⚑\"  \"\n"),
    LocationCase(.invalidEnumValue, "version: 1\nselling_plans:\n  - internal_name: a\n    billing_type: ⚑exact_tme\n"),
    LocationCase(.unknownEnumValue, "version: 1\nselling_plans:\n  - internal_name: a\n    inventory_provider: ⚑shopify\n"),
    LocationCase(
        .outOfRange, "version: 1\nselling_plans:\n  - internal_name: a\n    pricing_type: percentage\n    pricing_percentage: ⚑120\n"),
    LocationCase(
        .invalidVariantID, "version: 1\nselling_plans:\n  - internal_name: a\n    product_variants_source: custom\n    variants: [1, ⚑-2]\n"
    ),
    LocationCase(
        .invalidDatetime,
        "version: 1\nselling_plans:\n  - internal_name: a\n    billing_type: exact_time\n    billing_at: ⚑2026-02-30T09:00:00Z\n"),
    LocationCase(
        .datetimeWithoutZone,
        "version: 1\nselling_plans:\n  - internal_name: a\n    delivery_type: exact_time\n    delivery_at: ⚑2026-10-15T09:00:00\n"),
    LocationCase(
        .duplicateVariant,
        "version: 1\nselling_plans:\n  - internal_name: a\n    product_variants_source: custom\n    variants: [⚐7, 8, ⚑7]\n"),
    LocationCase(.unknownFieldName, "version: 1\nselling_plans:\n  - internal_name: a\n    ignore_fields: [⚑shiping_text]\n"),
    LocationCase(
        .ignoredFieldDeclared,
        "version: 1\nselling_plans:\n  - internal_name: a\n    ⚑shipping_text: Soon\n    ignore_fields: [⚐shipping_text]\n"),
    LocationCase(.invalidURL, "version: 1\nendpoint: ⚑ftp://example.com\n", role: .settings),
    LocationCase(.invalidCharacter, "version: 1\nselling_plans:\n  - internal_name: ⚑\"fall\\u202Edrop\"\n"),
    LocationCase(
        .fieldNotApplicable,
        "version: 1\nselling_plans:\n  - internal_name: a\n    billing_type: ⚐no_remaining_balance\n    ⚑billing_at: 2026-10-01T09:00:00Z\n"
    ),
    LocationCase(.requiredByType, "version: 1\nselling_plans:\n  - internal_name: a\n    delivery_type: ⚑exact_time\n"),
    LocationCase(
        .duplicateInternalName,
        files: [
            ("shop/a.yaml", "version: 1\nselling_plans:\n  - internal_name: ⚐fall\n", .config),
            ("shop/b.yaml", "version: 1\nselling_plans:\n  - internal_name: ⚑fall\n", .config),
        ]),
    LocationCase(.duplicateID, "version: 1\nselling_plans:\n  - internal_name: a\n    id: ⚐abc\n  - internal_name: b\n    id: ⚑abc\n"),
    // Several shops: an unknown shop, an id in an offer for two shops, a token variable that
    // names another kind of secret.
    LocationCase(
        .unknownShop,
        files: [
            ("shop/stoqctl.yaml", "version: 1\nshops:\n  us: {shopify_shop: acme-us}\n  eu: {shopify_shop: acme-eu}\n", .settings),
            ("shop/a.yaml", "version: 1\nselling_plans:\n  - internal_name: a\n    overrides:\n      ⚑uk:\n        name: A\n", .config),
        ]),
    LocationCase(
        .shopSpecificID,
        files: [
            ("shop/stoqctl.yaml", "version: 1\nshops:\n  us: {shopify_shop: acme-us}\n  eu: {shopify_shop: acme-eu}\n", .settings),
            (
                "shop/a.yaml",
                "version: 1\nselling_plans:\n  - internal_name: a\n    product_variants_source: custom\n    variants: [sku:A, ⚑42]\n",
                .config
            ),
        ]),
    LocationCase(
        .invalidTokenVariable,
        "version: 1\nshops:\n  us:\n    shopify_shop: acme-us\n    stoq_token_env: ⚑GITHUB_TOKEN\n", role: .settings),
    LocationCase(
        .policyBothContinueAndDeny,
        """
        version: 1
        selling_plans:
          - internal_name: a
            inventory_policy:
              CONTINUE: [1, ⚐2]
              DENY: [⚑2, 3]
        """),
    LocationCase(
        .policyConflictAcrossPlans,
        files: [
            ("shop/a.yaml", "version: 1\nselling_plans:\n  - internal_name: a\n    inventory_policy:\n      CONTINUE: [⚐5]\n", .config),
            ("shop/b.yaml", "version: 1\nselling_plans:\n  - internal_name: b\n    inventory_policy:\n      DENY: [⚑5]\n", .config),
        ]),
    LocationCase(
        .policyVariantNotInPlan,
        """
        version: 1
        selling_plans:
          - internal_name: a
            product_variants_source: custom
            ⚐variants: [1, 2]
            inventory_policy:
              DENY: [2, ⚑3]
        """),
    LocationCase(.invalidShopDomain, "version: 1\nshopify_shop: ⚑https://acme.myshopify.com\n", role: .settings),
    LocationCase(
        .unknownPlanReference,
        files: [
            ("shop/stoqctl.yaml", "version: 1\nplans:\n  ⚑fal:\n    ignore_fields: [name]\n", .settings),
            ("shop/plans.yaml", "version: 1\nselling_plans:\n  - internal_name: fall\n", .config),
        ]),
]

@Suite("Every diagnostic points at the marked position")
struct DiagnosticLocationTests {
    @Test(arguments: locationCases)
    func pointsAtMarker(_ c: LocationCase) throws {
        var files: [(SourceFile, SourceRole)] = []
        var expected: (path: String, line: Int, column: Int)?
        var expectedNote: (path: String, line: Int, column: Int)?
        for (index, f) in c.files.enumerated() {
            let marked = MarkedText(f.marked)
            var bytes = Array(marked.text.utf8)
            if index == 0 { bytes += c.trailingBytes }
            files.append((SourceFile(path: f.path, bytes: bytes), f.role))
            if let p = marked.primary { expected = (f.path, p.line, p.column) }
            if let n = marked.note { expectedNote = (f.path, n.line, n.column) }
        }
        let want = try #require(expected, "fixture has no ⚑ marker")
        let (_, diagnostics) = ConfigPipeline.run(files, limits: c.limits)
        let matching = diagnostics.filter { $0.code == c.code }
        try #require(
            !matching.isEmpty,
            "no \(c.code.rawValue) among: \(diagnostics.map { "\($0.code.rawValue)@\($0.location?.description ?? "-")" })")
        let here = SourceLocation(file: want.path, line: want.line, column: want.column)
        let hit = matching.first { $0.location == here }
        #expect(
            hit != nil, "\(c.code.rawValue) reported at \(matching.compactMap { $0.location?.description }), expected \(here.description)")
        #expect(hit?.severity == c.code.defaultSeverity)
        if let note = expectedNote {
            let noteHere = SourceLocation(file: note.path, line: note.line, column: note.column)
            #expect(
                hit?.notes.contains { $0.location == noteHere } == true,
                "note of \(c.code.rawValue) points at \(hit?.notes.compactMap { $0.location?.description } ?? []), expected \(noteHere.description)"
            )
        }
    }

    @Test("every code that a file can trigger has a location case")
    func everyCodeCovered() {
        let covered = Set(locationCases.map(\.code))
        // Path problems have no position (end-to-end tests cover them); planning problems are
        // covered by the planner tests; names Shopify resolves by VariantNameTests.
        let pathOnly: Set<DiagnosticCode> = [
            .noConfigFiles, .unreadableFile, .ambiguousRemotePlan, .unknownTarget, .unknownVariant, .unknownVariantName,
            .ambiguousVariantName,
        ]
        let missing = Set(DiagnosticCode.allCases.filter(\.isAboutConfiguration)).subtracting(covered).subtracting(pathOnly)
        #expect(missing.isEmpty, "codes without a location test: \(missing.map(\.rawValue).sorted())")
    }
}
