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

    /// In a repository of several shops: the shops this offer is for (`shops:`); nil for every shop.
    public var shops: [Located<String>]?
    /// Location of the `shops` key, when written.
    public var shopsKeyLocation: SourceLocation?
    /// `overrides.<shop>`: the offer as that shop gets it (the shared keys with the override's
    /// keys in their place), in file order.
    public var overrides: [ShopOverride] = []
    /// Keys written in the shared part, with the location of each key: what the per-shop id rule
    /// looks at.
    public var writtenKeys: [String: SourceLocation] = [:]

    /// The override for `shop`, if any.
    public func override(for shop: String) -> ShopOverride? { overrides.first { $0.shop.value == shop } }

    /// The declared field, if any.
    public subscript(field: PlanField) -> DeclaredField? { fields[field] }

    /// Every name the plan writes (in `variants`, `inventory_policy` and
    /// `product_variants_source_id`).
    public var hasNames: Bool {
        sourceHandle != nil || (variantSelectors ?? []).contains { $0.value.isName }
            || policySelectors.values.contains { $0.contains { $0.value.isName } }
    }
}

/// `overrides.<shop>` of an offer: the shop, the keys it overrides and the offer as that shop gets
/// it.
public struct ShopOverride: Sendable, Hashable {
    /// The shop, where its name is written under `overrides:`.
    public var shop: Located<String>
    /// The keys the override writes, with their locations.
    public var keys: [String: SourceLocation]
    /// The whole offer for this shop: the shared keys, with the override's in their place.
    public var spec: SellingPlanSpec

    /// Creates one.
    public init(shop: Located<String>, keys: [String: SourceLocation], spec: SellingPlanSpec) {
        self.shop = shop
        self.keys = keys
        self.spec = spec
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

/// One entry of `shops:` in stoqctl.yaml: a store of a repository that describes several.
public struct ShopSettings: Sendable, Hashable {
    /// The shop's name (the key under `shops:`), as plans, locks and tags name it.
    public var name: Located<String>
    /// Its myshopify.com domain (`shopify_shop`), required.
    public var shopifyShop: Located<String>?
    /// The environment variable holding its STOQ token (`stoq_token_env`).
    public var stoqTokenVariable: Located<String>
    /// The environment variable holding its Shopify Admin API token (`shopify_token_env`).
    public var shopifyTokenVariable: Located<String>
    /// STOQ's `shop_id` its token must reach (`stoq_shop_id`), when written.
    public var stoqShopID: Located<Int64>?
    /// Its safety thresholds and approvals: the shared `safety:` with this shop's keys in their
    /// place and its approvals added.
    public var safety: SafetySettings?

    /// Creates one with the default token variables, `STOQ_API_TOKEN_<NAME>` and
    /// `SHOPIFY_ADMIN_TOKEN_<NAME>`.
    public init(name: Located<String>) {
        self.name = name
        let suffix = Self.variableSuffix(name.value)
        stoqTokenVariable = Located("STOQ_API_TOKEN_\(suffix)", at: name.location)
        shopifyTokenVariable = Located("SHOPIFY_ADMIN_TOKEN_\(suffix)", at: name.location)
    }

    /// `EU_WEST` for `eu-west`.
    public static func variableSuffix(_ name: String) -> String {
        String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// True for a shop name: 1 to 40 of `a-z`, `0-9`, `-` and `_`, starting with a letter or digit.
    public static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 40 else { return false }
        let allowed = { (c: Unicode.Scalar) in (c >= "a" && c <= "z") || (c >= "0" && c <= "9") }
        return allowed(first) && text.unicodeScalars.allSatisfy { allowed($0) || $0 == "-" || $0 == "_" }
    }

    /// True for a variable a token may be read from.
    ///
    /// Upper-case letters, digits and `_`, starting with `prefix` and holding `TOKEN`. The repository names it, so it may not name any other
    /// secret of the runner (`GITHUB_TOKEN`, a cloud key): that value would be sent to STOQ or Shopify.
    public static func isTokenVariable(_ text: String, prefix: String) -> Bool {
        text.hasPrefix(prefix) && text.contains("TOKEN") && text.count <= 100
            && text.unicodeScalars.allSatisfy { ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
    }
}

/// The contents of `stoqctl.yaml` (all optional; defaults otherwise).
public struct Settings: Sendable, Hashable {
    /// `shops:`: the stores of a repository that describes several, in file order (empty for a
    /// repository of one shop).
    public var shops: [ShopSettings] = []
    /// Location of the `shops` key, when written.
    public var shopsLocation: SourceLocation?
    /// The shop a configuration was narrowed to (``DesiredState/forShop(_:)``); nil before.
    public var shop: ShopSettings?

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

    /// True when `stoqctl.yaml` describes several shops (`shops:`).
    public var hasShops: Bool { !settings.shops.isEmpty }

    /// The names of the shops, in file order.
    public var shopNames: [String] { settings.shops.map(\.name.value) }

    /// The entry of `shops:` called `name`, if any.
    public func shop(named name: String) -> ShopSettings? { settings.shops.first { $0.name.value == name } }

    /// The settings of the shop called `name` (its domain, tokens and safety in place), without
    /// narrowing the offers: what ``forShop(_:)`` gives its configuration.
    public func settings(forShop name: String) -> Settings? {
        guard let shop = shop(named: name) else { return nil }
        var settings = settings
        settings.shop = shop
        settings.shopifyShop = shop.shopifyShop
        if let safety = shop.safety { settings.safety = safety }
        return settings
    }

    /// The configuration of the shop called `name`, as a repository of that one shop would write it.
    ///
    /// The offers for that shop (each with its override in place), its domain, tokens and
    /// safety. Nil for a name `shops:` does not hold.
    public func forShop(_ name: String) -> DesiredState? {
        guard let settings = settings(forShop: name) else { return nil }
        var plans: [SellingPlanSpec] = []
        for plan in self.plans where plan.shops?.contains(where: { $0.value == name }) ?? true {
            var spec = plan.override(for: name)?.spec ?? plan
            spec.shops = nil
            spec.overrides = []
            plans.append(spec)
        }
        return DesiredState(plans: plans, settings: settings, files: files)
    }

    /// Creates a state.
    public init(plans: [SellingPlanSpec] = [], settings: Settings = Settings(), files: [String] = []) {
        self.plans = plans
        self.settings = settings
        self.files = files
    }
}
