/// Every diagnostic stoqctl can emit, with a stable code.
///
/// The raw value is the code printed in `[brackets]` and in JSON; it never changes once released.
/// `Docs/ConfigReference.md` lists them all with an explanation.
public enum DiagnosticCode: String, Sendable, Hashable, Codable, CaseIterable {
    // Files and YAML
    case noConfigFiles = "no-config-files"
    case unreadableFile = "unreadable-file"
    case fileTooLarge = "file-too-large"
    case invalidUTF8 = "invalid-utf8"
    case emptyFile = "empty-file"
    case yamlSyntax = "yaml-syntax"
    case multipleDocuments = "multiple-documents"
    case nestingTooDeep = "nesting-too-deep"
    case tooManyNodes = "too-many-nodes"
    case aliasBudgetExceeded = "alias-budget-exceeded"
    case moreProblems = "more-problems"
    case unsupportedTag = "unsupported-tag"
    case invalidMerge = "invalid-merge"
    case complexKey = "complex-key"
    // Document shape
    case topLevelNotMapping = "top-level-not-mapping"
    case missingVersion = "missing-version"
    case unsupportedVersion = "unsupported-version"
    case misplacedSettingsFile = "misplaced-settings-file"
    // Keys and values
    case unknownKey = "unknown-key"
    case duplicateKey = "duplicate-key"
    case missingRequiredKey = "missing-required-key"
    case typeMismatch = "type-mismatch"
    case invalidBoolean = "invalid-boolean"
    case nullNotAllowed = "null-not-allowed"
    case emptyValue = "empty-value"
    case invalidEnumValue = "invalid-enum-value"
    case unknownEnumValue = "unknown-enum-value"
    case outOfRange = "out-of-range"
    case invalidVariantID = "invalid-variant-id"
    case invalidDatetime = "invalid-datetime"
    case datetimeWithoutZone = "datetime-without-zone"
    case duplicateVariant = "duplicate-variant"
    case unknownFieldName = "unknown-field-name"
    case ignoredFieldDeclared = "ignored-field-declared"
    case invalidURL = "invalid-url"
    case invalidCharacter = "invalid-character"
    // Cross-field and cross-file rules
    case fieldNotApplicable = "field-not-applicable"
    case requiredByType = "required-by-type"
    case duplicateInternalName = "duplicate-internal-name"
    case duplicateID = "duplicate-id"
    case policyBothContinueAndDeny = "policy-both-continue-and-deny"
    case policyConflictAcrossPlans = "policy-conflict-across-plans"
    case policyVariantNotInPlan = "policy-variant-not-in-plan"
    case unknownPlanReference = "unknown-plan-reference"
    case invalidShopDomain = "invalid-shop-domain"
    case unknownShop = "unknown-shop"
    case shopSpecificID = "shop-specific-id"
    case invalidTokenVariable = "invalid-token-variable"
    // Planning
    case ambiguousRemotePlan = "ambiguous-remote-plan"
    case unknownTarget = "unknown-target"
    case unknownVariant = "unknown-variant"
    case unknownVariantName = "unknown-variant-name"
    case ambiguousVariantName = "ambiguous-variant-name"
    // Runs: the command line, talking to STOQ, saved plans, safety, apply, export, the emulator
    case usage = "usage"
    case invalidConfiguration = "invalid-configuration"
    case missingToken = "missing-token"
    case emulatorState = "emulator-state"
    case stoqUnreachable = "stoq-unreachable"
    case stoqRequestFailed = "stoq-request-failed"
    case shopifyUnreachable = "shopify-unreachable"
    case shopifyRequestFailed = "shopify-request-failed"
    case missingShopifyCredentials = "missing-shopify-credentials"
    case shopMismatch = "shop-mismatch"
    case policyNotApplied = "policy-not-applied"
    case remoteValueUnreadable = "remote-value-unreadable"
    case savedPlanRefused = "saved-plan-refused"
    case resolutionChanged = "resolution-changed"
    case titlesNotRead = "titles-not-read"
    case baselineUnreadable = "baseline-unreadable"
    case invalidBaseline = "invalid-baseline"
    case safetyGate = "safety-gate"
    case gateOverridden = "gate-overridden"
    case deletesNeedPermission = "deletes-need-allow-deletes"
    case conflict = "conflict"
    case operationFailed = "operation-failed"
    case outputUnwritable = "output-unwritable"
    case exportWouldOverwrite = "export-would-overwrite"
    case exportLeftOut = "export-left-out"
    case exportTypeChoiceLeftOut = "export-type-choice-left-out"
    case exportOtherFiles = "export-other-files"
    case listenFailed = "listen-failed"
    case applyLocked = "apply-locked"
    case applyLockFailed = "apply-lock-failed"
    case applyLockLost = "apply-lock-lost"

    /// True for problems in configuration files (and planning against them); false for problems
    /// of a run: the command line, the network, saved plans, safety, apply, export, the emulator.
    public var isAboutConfiguration: Bool {
        guard let usage = Self.allCases.firstIndex(of: .usage), let mine = Self.allCases.firstIndex(of: self) else { return true }
        return mine < usage
    }

    /// The severity this code is reported with.
    public var defaultSeverity: Severity {
        switch self {
        case .unknownEnumValue, .duplicateVariant, .ignoredFieldDeclared, .unknownPlanReference, .remoteValueUnreadable, .unknownVariant,
            .gateOverridden, .exportLeftOut, .exportOtherFiles, .resolutionChanged:
            .warning
        case .exportTypeChoiceLeftOut, .titlesNotRead:
            .note
        default:
            .error
        }
    }

    /// One line explaining the code, used by the docs and `--explain`-style output.
    ///
    /// One piece of over 80 lines because it is a table: one line per code, exhaustive, so a new
    /// code does not compile until it has its explanation.
    public var summary: String {
        switch self {
        case .noConfigFiles: "a path given holds no *.yaml or *.yml file"
        case .unreadableFile: "a path does not exist or cannot be read"
        case .fileTooLarge: "a file is larger than the size limit"
        case .invalidUTF8: "a file is not valid UTF-8 text"
        case .emptyFile: "a file holds no YAML document"
        case .yamlSyntax: "the YAML parser rejected the text"
        case .multipleDocuments: "a file holds more than one YAML document"
        case .nestingTooDeep: "mappings and sequences are nested deeper than the limit"
        case .tooManyNodes: "a file holds more YAML nodes than the limit"
        case .aliasBudgetExceeded: "aliases expand to more nodes than the budget (an alias bomb)"
        case .moreProblems: "more problems than are listed: the first 100 of a file and 1,000 in all are shown, the rest counted"
        case .unsupportedTag: "a YAML tag other than the core schema's"
        case .invalidMerge: "a `<<` merge key whose value is not a mapping or a list of mappings"
        case .complexKey: "a mapping key that is not a plain scalar"
        case .topLevelNotMapping: "the document is not a mapping"
        case .missingVersion: "the file has no `version` key"
        case .unsupportedVersion: "the `version` is not one this stoqctl reads"
        case .misplacedSettingsFile: "a `stoqctl.yaml` below the root of the configuration directory"
        case .unknownKey: "a key that is not part of the schema"
        case .duplicateKey: "the same key twice in one mapping"
        case .missingRequiredKey: "a required key is absent"
        case .typeMismatch: "a value of the wrong type"
        case .invalidBoolean: "a boolean written other than `true` or `false`"
        case .nullNotAllowed: "`null` on a field that cannot be cleared"
        case .emptyValue: "an empty string where a value is required"
        case .invalidEnumValue: "a value outside a fully documented enum"
        case .unknownEnumValue: "a value outside the known values of an enum STOQ documents only in part"
        case .outOfRange: "a number outside its allowed range"
        case .invalidVariantID: "a variant id that is not a positive 64-bit integer"
        case .invalidDatetime: "a datetime that is not ISO 8601"
        case .datetimeWithoutZone: "a datetime without a time zone"
        case .duplicateVariant: "the same variant twice in one list (by id, or by two names that resolve to it)"
        case .unknownFieldName: "`ignore_fields` names a field that does not exist"
        case .ignoredFieldDeclared: "a field is both declared and listed in `ignore_fields`"
        case .invalidURL:
            "`endpoint` is not an https://, loopback http:// or emulator: address, or (plan) names a host or file the repository may not choose"
        case .invalidCharacter: "an `internal_name` or `id` holds a control character or a bidi override or isolate"
        case .fieldNotApplicable: "a field declared where its `*_type` or source makes it meaningless"
        case .requiredByType: "a `*_type` value needs a companion field that is absent"
        case .duplicateInternalName: "two plans declare the same `internal_name`"
        case .duplicateID: "two plans declare the same `id`"
        case .policyBothContinueAndDeny: "a variant is under both CONTINUE and DENY"
        case .policyConflictAcrossPlans: "a variant has different policies in two plans"
        case .policyVariantNotInPlan: "a custom-source plan sets a policy for a variant it does not list"
        case .unknownPlanReference: "the settings file names a plan no file declares"
        case .ambiguousRemotePlan: "STOQ holds two plans with the `internal_name` of a plan that has no `id:` pin"
        case .unknownTarget: "`--target` names a plan no file declares"
        case .unknownVariant: "Shopify does not know a variant the configuration declares a policy for; its policy is not sent"
        case .unknownVariantName:
            "a `sku:`, `barcode:` or `product:` name (or a handle in `product_variants_source_id`) that matches nothing in Shopify"
        case .ambiguousVariantName: "a `sku:` or `barcode:` name that several Shopify variants carry"
        case .usage: "the command line is wrong: an unknown option, a missing or malformed argument, a format the command does not print"
        case .invalidConfiguration: "the configuration has errors, so nothing was sent"
        case .missingToken: "no API token: `STOQ_API_TOKEN` is unset, or `--token-file` cannot be read or is empty"
        case .emulatorState: "the emulator's state file is missing, not a state file, or cannot be written"
        case .stoqUnreachable: "STOQ could not be reached: no connection, a timeout, a refused TLS handshake"
        case .stoqRequestFailed: "STOQ answered a request with an error, after any retries"
        case .shopifyUnreachable: "Shopify's Admin API could not be reached: no connection, a timeout, a refused TLS handshake"
        case .shopifyRequestFailed: "Shopify's Admin API answered with an error (HTTP or GraphQL), after any retries"
        case .missingShopifyCredentials:
            "`inventory_policy_source: shopify` needs the shop (`shopify_shop`, `SHOPIFY_SHOP` or `--shopify-endpoint`) and a token (`SHOPIFY_ADMIN_TOKEN` or `--shopify-token-file`)"
        case .shopMismatch:
            "a shop's token reaches another store than the one named: STOQ's `shop_id` is not the shop's `stoq_shop_id` or is another shop's, or Shopify's domain is not its `shopify_shop`; or two shops of `shops:` name one `shopify_shop` or one `stoq_shop_id`"
        case .policyNotApplied: "after apply's policy job finished, Shopify still reports another policy for some variants"
        case .remoteValueUnreadable: "STOQ returned a value stoqctl cannot read; the field is treated as not returned"
        case .baselineUnreadable:
            "the baseline (`--baseline`, `STOQCTL_BASELINE` or `baseline:`) is neither a directory nor a commit of the git repository"
        case .invalidBaseline: "the configuration at the baseline has errors, so differences cannot be attributed"
        case .savedPlanRefused:
            "a saved plan file is damaged, edited, of an unknown version, made against another endpoint, or names a variant that no longer carries its SKU, barcode or product handle"
        case .titlesNotRead:
            "the plan shows more variants without titles than one plan reads titles for (1,000); the rest are shown by SKU or id"
        case .resolutionChanged:
            "a name resolves to other variants than in the reviewed plan (the operations that differ are not sent) or than `--reviewed-names` says (reported only)"
        case .invalidShopDomain: "`shopify_shop` is not a myshopify.com domain or shop name"
        case .unknownShop: "`shops:` or `overrides:` of an offer, or `--shop`, names a shop that `shops:` in stoqctl.yaml does not hold"
        case .shopSpecificID:
            "an offer for several shops writes an id (`id:`, a variant, product, collection or market id) in its shared part: ids differ between stores"
        case .invalidTokenVariable:
            "a shop's `stoq_token_env` or `shopify_token_env` is not a variable a token may be read from, or two shops share one"
        case .safetyGate: "a safety gate refuses the plan"
        case .gateOverridden: "a tripped safety gate is let through by `--allow-gate`"
        case .deletesNeedPermission: "the plan deletes plans and `--allow-deletes` was not given"
        case .conflict: "a saved plan's operation conflicts with a change made in STOQ since the plan"
        case .operationFailed: "an apply operation failed after its retries, or was skipped because an earlier one failed"
        case .outputUnwritable: "an output file (`--out`, `--report`) cannot be written"
        case .exportWouldOverwrite: "export would overwrite existing files without `--overwrite`"
        case .exportLeftOut: "export left a plan or a value out of the files"
        case .exportTypeChoiceLeftOut: "export left a `*_type` choice out because STOQ returned the field it requires empty"
        case .exportOtherFiles: "the export directory holds other configuration files that plan reads too"
        case .listenFailed: "the emulator cannot listen on the port"
        case .applyLocked: "another apply of the same shop holds the apply lock, after waiting `--lock-wait` seconds"
        case .applyLockFailed:
            "the apply lock cannot be taken or released: git cannot push to the remote, or the lock file cannot be written"
        case .applyLockLost: "another apply took the apply lock over mid-run, or it could not be renewed in time; writing stopped"
        }
    }
}
