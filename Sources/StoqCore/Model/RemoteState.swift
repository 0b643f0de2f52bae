/// One selling plan as STOQ returned it, decoded into the same value types as the config.
///
/// Invariants: `fields` holds every writable field the API returned, `null` kept as ``FieldValue/null``
/// (the diff treats null and absent alike); write-only fields are never present.
public struct RemotePlan: Sendable, Hashable {
    /// STOQ's id.
    public var id: String
    /// The plan's `internal_name` (empty if STOQ returned none).
    public var internalName: String
    /// Writable fields as returned.
    public var fields: [PlanField: FieldValue]
    /// Membership (`shopify_variant_ids`).
    public var variantIDs: [Int64]
    /// A background job is running for this plan.
    public var ongoingJob: Bool
    /// When STOQ last changed the plan.
    public var updatedAt: Timestamp?
    /// STOQ's `shop_id` (text; STOQ sends a number), when returned: which store the token reached.
    public var shopID: String?

    /// Creates a remote plan.
    public init(
        id: String, internalName: String, fields: [PlanField: FieldValue] = [:], variantIDs: [Int64] = [],
        ongoingJob: Bool = false, updatedAt: Timestamp? = nil
    ) {
        self.id = id
        self.internalName = internalName
        self.fields = fields
        self.variantIDs = variantIDs
        self.ongoingJob = ongoingJob
        self.updatedAt = updatedAt
    }
}

/// A plan as the list endpoint shows it (enough to match identities and count the rest).
public struct RemotePlanSummary: Sendable, Hashable {
    /// STOQ's id.
    public var id: String
    /// `internal_name`.
    public var internalName: String
    /// `name`.
    public var name: String
    /// Number of variants.
    public var variantCount: Int
    /// `updated_at` exactly as listed (what a read cache compares), when listed.
    public var updatedAt: String?
    /// Membership as listed, when listed.
    public var variantIDs: [Int64]?
    /// STOQ's `shop_id` as listed (text; STOQ sends a number), when listed: which store the
    /// token reached.
    public var shopID: String?

    /// Creates a summary.
    public init(
        id: String, internalName: String, name: String, variantCount: Int, updatedAt: String? = nil, variantIDs: [Int64]? = nil
    ) {
        self.id = id
        self.internalName = internalName
        self.name = name
        self.variantCount = variantCount
        self.updatedAt = updatedAt
        self.variantIDs = variantIDs
    }
}

/// What the shop holds, read with the fewest calls: the list, plus a full read of each plan the
/// config manages.
///
/// Invariant: `managed` holds every listed plan whose id or `internal_name` the config declares
/// (two remote plans with one name are both here, so the diff can name both); `unmanagedCount`
/// counts the rest of `listed`.
public struct RemoteState: Sendable, Hashable {
    /// Full reads of the managed plans, in list order.
    public var managed: [RemotePlan]
    /// Every plan the list returned, in list order.
    public var listed: [RemotePlanSummary]
    /// Listed plans the config does not manage (counted, not fetched).
    public var unmanagedCount: Int
    /// The variants' inventory policies as Shopify reports them, when a policy reader read them;
    /// nil when policies could not be read (declared policies are then unverified).
    public var policies: PolicyState?

    /// Creates a remote state.
    public init(managed: [RemotePlan] = [], listed: [RemotePlanSummary] = [], unmanagedCount: Int = 0, policies: PolicyState? = nil) {
        self.managed = managed
        self.listed = listed
        self.unmanagedCount = unmanagedCount
        self.policies = policies
    }
}

/// The Shopify inventory policy of variants, as read from Shopify's Admin API
/// (`ProductVariant.inventoryPolicy`).
///
/// Invariant: a variant is in at most one of `current` and `unknown`; variants that were not
/// asked about are in neither.
public struct PolicyState: Sendable, Hashable {
    /// Each variant Shopify knows, with its policy.
    public var current: [Int64: InventoryPolicy]
    /// Variants Shopify does not know (a `null` node: deleted, or a mistyped id).
    public var unknown: Set<Int64>
    /// Where the policies were read, as messages name it (`acme.myshopify.com`, `emulator`).
    public var source: String

    /// Creates a state.
    public init(current: [Int64: InventoryPolicy] = [:], unknown: Set<Int64> = [], source: String) {
        self.current = current
        self.unknown = unknown
        self.source = source
    }
}
