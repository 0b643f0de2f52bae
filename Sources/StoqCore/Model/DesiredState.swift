/// A value together with the place in the config that declared it.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    /// The value.
    public var value: Value
    /// Where the value is written.
    public var location: SourceLocation

    /// Creates a located value.
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// The typed value of a declared field.
public enum FieldValue: Sendable, Hashable {
    /// Explicit `null`: clear the field.
    case null
    /// Text (also enum values).
    case string(String)
    /// A boolean.
    case bool(Bool)
    /// A whole number.
    case integer(Int64)
    /// An exact decimal.
    case decimal(DecimalNumber)
    /// An instant.
    case datetime(Timestamp)
    /// A list of ids.
    case ids([Int64])

    /// The text of a string value.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// A field declared on a plan: its value, and where its key and value are written.
public struct DeclaredField: Sendable, Hashable {
    /// The typed value.
    public var value: FieldValue
    /// Location of the key (`name:`).
    public var keyLocation: SourceLocation
    /// Location of the value.
    public var valueLocation: SourceLocation
}

/// One selling plan as the config declares it.
///
/// Invariants: `internalName` is non-empty; `fields` holds only fields the file declares (an
/// absent field is unmanaged); `variants`, when present, is membership for a custom-source plan.
public struct SellingPlanSpec: Sendable, Hashable {
    /// Identity, unique across all files.
    public var internalName: Located<String>
    /// Optional pin to a remote plan id.
    public var id: Located<String>?
    /// Declared writable fields.
    public var fields: [PlanField: DeclaredField]
    /// Declared membership (`variants:`) as ids, each with its own location: the ids written, and
    /// once names are resolved (``NameResolver``), the ids they stand for at the name's location.
    public var variants: [Located<Int64>]?
    /// `variants:` as written: ids and names (`sku:`, `barcode:`, `product:`), in file order.
    public var variantSelectors: [Located<VariantSelector>]?
    /// Location of the `variants` key, when declared.
    public var variantsKeyLocation: SourceLocation?
    /// Declared Shopify inventory policies per variant, as ids (like `variants`).
    public var inventoryPolicy: [InventoryPolicy: [Located<Int64>]]
    /// `inventory_policy:` lists as written: ids and names.
    public var policySelectors: [InventoryPolicy: [Located<VariantSelector>]] = [:]
    /// The policy variants get as this configuration removes them from the plan
    /// (`inventory_policy_on_removal`), set with the removal itself.
    public var removalPolicy: Located<InventoryPolicy>?
    /// Fields this plan never diffs or sends.
    public var ignoreFields: [Located<PlanField>]
    /// Location of the plan's first key (the `-` item of the list).
    public var location: SourceLocation
    /// Keys written in the file whose values were refused; rules about them are skipped so one
    /// mistake is reported once, not again as a missing field.
    public var rejectedKeys: Set<String> = []

    /// `product_variants_source_id` written as a handle (`collection:summer`, `product:fall-tee`):
    /// the field is declared once the handle is resolved.
    public var sourceHandle: SourceHandle?

    /// The declared field, if any.
    public subscript(field: PlanField) -> DeclaredField? { fields[field] }

    /// Every name the plan writes (in `variants`, `inventory_policy` and
    /// `product_variants_source_id`).
    public var hasNames: Bool {
        sourceHandle != nil || (variantSelectors ?? []).contains { $0.value.isName }
            || policySelectors.values.contains { $0.contains { $0.value.isName } }
    }
}

/// `product_variants_source_id` written as a handle: which kind of thing it names, the handle,
/// and where the key and value are written.
public struct SourceHandle: Sendable, Hashable {
    /// A collection or a product.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case collection
        case product
    }
    /// What it names.
    public var kind: Kind
    /// The handle.
    public var handle: String
    /// Location of the key.
    public var keyLocation: SourceLocation
    /// Location of the value.
    public var valueLocation: SourceLocation

    /// Creates one.
    public init(kind: Kind, handle: String, keyLocation: SourceLocation, valueLocation: SourceLocation) {
        self.kind = kind
        self.handle = handle
        self.keyLocation = keyLocation
        self.valueLocation = valueLocation
    }

    /// `collection:summer`.
    public var description: String { "\(kind.rawValue):\(handle)" }
}

/// Where the truth about variants' inventory policies comes from (`inventory_policy_source`).
public enum PolicySource: String, Sendable, Hashable, CaseIterable {
    /// Read policies from Shopify when a shop and a token are given (or the emulator serves
    /// them); otherwise send declared policies unverified.
    case auto
    /// Always read policies from Shopify; without a shop and a token, plan and apply stop.
    case shopify
    /// Never read them: declared policies are unverified assertions, sent by every apply.
    case declared
}

/// Thresholds that stop an apply that changes too much at once.
public struct SafetySettings: Sendable, Hashable {
    /// Highest share of managed plans one apply may update, in percent.
    public var maxUpdatePercent: DecimalNumber = DecimalNumber(30)
    /// Highest share of managed plans one apply may delete, in percent.
    public var maxDeletePercent: DecimalNumber = DecimalNumber(10)
    /// Most variants whose policy one apply may flip.
    public var maxPolicyFlips: Int64 = 1_000
    /// Most variants already in their plan that one apply may switch to CONTINUE.
    public var maxContinueFlips: Int64 = 0
    /// Below this many managed plans the percentage gates do not apply.
    public var minManagedPlans: Int64 = 10
    /// `safety.approvals`: reviewed approvals of gates for one configuration change each.
    public var approvals: [SafetyApproval] = []

    /// Defaults.
    public init() {}

    /// One `safety:` threshold: its key, whether it is a percentage (a decimal from 0 to 100) or a
    /// count (a whole number from 0), and how to read and set it.
    public struct Threshold: Sendable {
        /// The key under `safety:`.
        public var key: String
        /// A percentage (else a count).
        public var isPercent: Bool
        /// Its value in `settings`.
        public var value: @Sendable (SafetySettings) -> DecimalNumber
        /// Sets it.
        public var set: @Sendable (inout SafetySettings, DecimalNumber) -> Void
    }

    /// Every threshold, in the order files and the plan JSON write them: the loader, the plan
    /// JSON's writer and reader all go through this table.
    public static let thresholds: [Threshold] = [
        Threshold(key: "max_update_percent", isPercent: true, value: { $0.maxUpdatePercent }, set: { $0.maxUpdatePercent = $1 }),
        Threshold(key: "max_delete_percent", isPercent: true, value: { $0.maxDeletePercent }, set: { $0.maxDeletePercent = $1 }),
        Threshold(
            key: "max_policy_flips", isPercent: false, value: { DecimalNumber($0.maxPolicyFlips) },
            set: { $0.maxPolicyFlips = Int64($1.description) ?? $0.maxPolicyFlips }),
        Threshold(
            key: "max_continue_flips", isPercent: false, value: { DecimalNumber($0.maxContinueFlips) },
            set: { $0.maxContinueFlips = Int64($1.description) ?? $0.maxContinueFlips }),
        Threshold(
            key: "min_managed_plans", isPercent: false, value: { DecimalNumber($0.minManagedPlans) },
            set: { $0.minManagedPlans = Int64($1.description) ?? $0.minManagedPlans }),
    ]
}

/// One entry of `safety.approvals` in stoqctl.yaml: a gate let through for one configuration
/// change, written in the pull request that makes the change and reviewed with it.
///
/// `change` is the change digest a refused plan prints for the gate (``Safety/changeDigest(_:gate:)``):
/// a digest of what the configuration changed since the baseline, not of the plan, so the plan made
/// again on merge against the live shop still matches it. A later change to the same plans makes
/// another digest, so an approval never carries over.
public struct SafetyApproval: Sendable, Hashable {
    /// The gate it lets through.
    public var gate: SafetyGate
    /// Lowercase hex prefix of the change digest (8 to 16 digits).
    public var change: String
    /// Why, as the reviewer wrote it (shown with the notice).
    public var note: String?

    /// Creates an approval.
    public init(gate: SafetyGate, change: String, note: String? = nil) {
        self.gate = gate
        self.change = change
        self.note = note
    }
}

/// How many ids go into one membership or policy call.
public struct ChunkSettings: Sendable, Hashable {
    /// Ids per `add_variant` call.
    public var addVariant: Int64 = 100
    /// Ids per `remove_variant` call.
    public var removeVariant: Int64 = 100
    /// Ids per `bulk_toggle_inventory_policy` call (STOQ's maximum is 1000).
    public var policyToggle: Int64 = 1_000

    /// Defaults.
    public init() {}
}

/// Settings for one plan, from the `plans:` section of `stoqctl.yaml`.
public struct PlanSettings: Sendable, Hashable {
    /// Where the plan's name is written in the settings file.
    public var reference: SourceLocation
    /// Fields this plan never diffs or sends (in addition to the plan's own `ignore_fields`).
    public var ignoreFields: [Located<PlanField>] = []

    /// Creates per-plan settings.
    public init(reference: SourceLocation, ignoreFields: [Located<PlanField>] = []) {
        self.reference = reference
        self.ignoreFields = ignoreFields
    }
}

/// The contents of `stoqctl.yaml` (all optional; defaults otherwise).
public struct Settings: Sendable, Hashable {
    /// STOQ API base URL, when set in the file.
    public var endpoint: Located<String>?
    /// Delete remote plans no file declares (still needs `--allow-deletes`).
    public var prune = false
    /// Fields no plan diffs or sends.
    public var ignoreFields: [Located<PlanField>] = []
    /// Per-plan settings, keyed by `internal_name`.
    public var plans: [String: PlanSettings] = [:]
    /// Safety thresholds.
    public var safety = SafetySettings()
    /// Chunk sizes.
    public var chunks = ChunkSettings()
    /// Where policy truth comes from.
    public var policySource = PolicySource.auto
    /// The Shopify shop whose policies are read (`acme` or `acme.myshopify.com`), when set.
    public var shopifyShop: Located<String>?
    /// The Shopify Admin API version to read with, when set.
    public var shopifyAPIVersion: Located<String>?
    /// The baseline to attribute differences against (a git ref or a directory), when set.
    public var baseline: Located<String>?
    /// The settings file's path, when one was loaded.
    public var path: String?
    /// Load limits for the config files, tightened (never loosened) by `limits:`.
    public var limits: LoadLimits?

    /// Defaults.
    public init() {}

    /// Every ignore rule that applies to `plan`: its own `ignore_fields`, the global list, and its
    /// entry under `plans:`, in that order (with locations, for diagnostics).
    public func ignoreRules(for plan: SellingPlanSpec) -> [Located<PlanField>] {
        plan.ignoreFields + ignoreFields + (plans[plan.internalName.value]?.ignoreFields ?? [])
    }
}

/// Everything the config declares: all plans from all files, plus settings.
///
/// Invariant after validation without errors: internal names and ids are unique; no variant has
/// two policies.
public struct DesiredState: Sendable, Hashable {
    /// Plans in file order (files sorted by path).
    public var plans: [SellingPlanSpec]
    /// Settings from `stoqctl.yaml` (defaults when absent).
    public var settings: Settings
    /// The files that were read, by display path.
    public var files: [String]

    /// Ids pinned by some plan's `id:`.
    public var pinnedIDs: Set<String> { Set(plans.compactMap(\.id?.value)) }

    /// Creates a state.
    public init(plans: [SellingPlanSpec] = [], settings: Settings = Settings(), files: [String] = []) {
        self.plans = plans
        self.settings = settings
        self.files = files
    }
}
