import StoqWire

/// Which plan an operation acts on: its `internal_name`, and its STOQ id once it has one.
public struct PlanRef: Sendable, Hashable, Comparable {
    /// The config's identity for the plan.
    public var internalName: String
    /// STOQ's id; nil for a plan that `create` has not made yet.
    public var id: String?

    /// Creates a reference.
    public init(internalName: String, id: String?) {
        self.internalName = internalName
        self.id = id
    }

    /// Orders by internal name, then id.
    public static func < (lhs: PlanRef, rhs: PlanRef) -> Bool {
        (lhs.internalName, lhs.id ?? "") < (rhs.internalName, rhs.id ?? "")
    }
}

/// What a field change sets: the plan's identity (`internal_name`, changed only on a plan pinned by
/// `id`) or one of its writable fields.
public enum ChangeKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `internal_name`: set by a create, or a rename of a plan pinned by `id`.
    case internalName
    /// A writable field.
    case field(PlanField)

    /// The API name, as written in the config, the request body and the plan JSON.
    public var name: String {
        switch self {
        case .internalName: "internal_name"
        case .field(let f): f.rawValue
        }
    }

    /// The API name.
    public var description: String { name }

    /// The key for an API name.
    public init?(name: String) {
        if name == "internal_name" {
            self = .internalName
        } else if let field = PlanField(rawValue: name) {
            self = .field(field)
        } else {
            return nil
        }
    }

    /// The field, unless this is the identity.
    public var field: PlanField? {
        if case .field(let f) = self { return f }
        return nil
    }

    /// True when STOQ accepts the field but never returns it, so its current value is unknown.
    public var isWriteOnly: Bool { field?.isWriteOnly ?? false }

    /// The identity first, then fields in API order.
    public static func < (lhs: ChangeKey, rhs: ChangeKey) -> Bool {
        switch (lhs, rhs) {
        case (.internalName, .internalName): false
        case (.internalName, _): true
        case (_, .internalName): false
        case (.field(let a), .field(let b)): a < b
        }
    }

    /// The value a remote plan holds for this key (nil when STOQ did not return it).
    public func value(in plan: RemotePlan) -> FieldValue? {
        switch self {
        case .internalName: .string(plan.internalName)
        case .field(let f): f.isWriteOnly ? nil : plan.fields[f]
        }
    }

    /// Decodes a value of this key from its JSON form.
    public func decode(_ json: JSONValue) -> FieldValue? {
        switch self {
        case .internalName: json.stringValue.map(FieldValue.string)
        case .field(let f): FieldValue(json: json, as: f)
        }
    }
}

/// Why a difference is in the plan, judged against the baseline: the configuration as it was at the
/// last apply (or on the base branch).
public enum Attribution: String, Sendable, Hashable, CaseIterable {
    /// The configuration changed since the baseline; the shop is as the baseline left it.
    case config
    /// The configuration is as in the baseline, but the shop differs: drift.
    case remote
    /// Both changed since the baseline.
    case both

    /// The attribution of a difference between declared `after` and remote `before` values,
    /// with `baseline` the declared value at the baseline (nil: not declared then).
    public static func of(after: FieldValue, before: FieldValue?, baseline: FieldValue?) -> Attribution {
        guard let baseline else { return .config }
        if LiveCheck.same(after, baseline) { return .remote }
        if LiveCheck.same(baseline, before) { return .config }
        return .both
    }

    /// The attribution of several differences together.
    public static func merged(_ parts: [Attribution?]) -> Attribution? {
        let known = Set(parts.compactMap { $0 })
        if known.isEmpty { return nil }
        if known.count == 1, let only = known.first { return only }
        return .both
    }

    /// True when a difference of this attribution counts for `filter`.
    public func counts(for filter: Attribution) -> Bool { self == .both || filter == .both || self == filter }
}

/// One field's change: the value the plan was computed from and the value it sets.
public struct FieldChange: Sendable, Hashable {
    /// What it sets.
    public var field: ChangeKey
    /// The remote value (nil when the plan does not exist yet, or STOQ did not return the field).
    public var before: FieldValue?
    /// The value to set.
    public var after: FieldValue
    /// Where the value is written in the config.
    public var location: SourceLocation?
    /// Why it is in the plan, relative to the baseline (nil without a baseline, and for a
    /// write-only value that only rides along).
    public var attribution: Attribution?

    /// Creates a change.
    public init(field: ChangeKey, before: FieldValue?, after: FieldValue, location: SourceLocation?, attribution: Attribution? = nil) {
        self.field = field
        self.before = before
        self.after = after
        self.location = location
        self.attribution = attribution
    }
}

/// What kind of step an operation is, in the order a plan runs them: create, update, add
/// variants, inventory policy, remove variants, delete.
public enum OperationKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case create
    case update
    case addVariants = "add_variants"
    case setInventoryPolicy = "set_inventory_policy"
    case removeVariants = "remove_variants"
    case delete

    /// Position in the run order.
    public var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// Run order.
    public static func < (lhs: OperationKind, rhs: OperationKind) -> Bool { lhs.rank < rhs.rank }

    /// True for kinds that set fields (create, update).
    public var hasChanges: Bool { self == .create || self == .update }

    /// True for kinds that carry variant ids (membership and policy).
    public var hasVariants: Bool { self == .addVariants || self == .removeVariants || self == .setInventoryPolicy }
}

/// One step of a plan: what it does, to which plan, why (the YAML location), what it was
/// computed from, and the requests it compiles to.
///
/// Invariants: `requests` is non-empty; for membership and policy kinds, `variantIDs` is sorted and
/// equals the concatenation of the requests' ids; `changes` is non-empty only for create/update.
public struct PlanOperation: Sendable, Hashable {
    /// What it does.
    public var kind: OperationKind
    /// The plan it acts on.
    public var plan: PlanRef
    /// The YAML that causes it (nil for a delete of a plan no file declares).
    public var location: SourceLocation?
    /// Field changes (create: every declared field; update: only the changed ones).
    public var changes: [FieldChange]
    /// Variants added, removed, or given `policy`.
    public var variantIDs: [Int64]
    /// The policy set (policy operations only).
    public var policy: InventoryPolicy?
    /// Whether this operation is an unverified assertion (a declared policy nobody could read).
    public var unverified: Bool
    /// A verified policy difference on a plan whose STOQ job was running when the plan was made:
    /// the job may still change these variants, so it is shown as in progress, not as drift, and
    /// apply waits for the job and checks again before sending it.
    public var inProgress = false

    /// Why it is in the plan, relative to the baseline (nil without a baseline): for an update, its
    /// changes' attributions merged; for membership and policies, its variants'.
    public var attribution: Attribution?
    /// Of `variantIDs`, those whose difference is drift (the configuration did not change them
    /// since the baseline; the shop did).
    public var remoteVariantIDs: [Int64] = []

    /// True when the operation is a change the plan makes: not an unverified assertion (unless a
    /// baseline shows the configuration changed it), not a difference a running job may settle.
    public var isChange: Bool { (!unverified || attribution != nil) && !inProgress }

    /// Differences this operation makes, counted by attribution.
    ///
    /// A field or an operation attributed to both counts in both.
    public var attributedCounts: (config: Int, remote: Int) {
        switch kind {
        case .create, .delete:
            return (attribution?.counts(for: .config) == true ? 1 : 0, attribution?.counts(for: .remote) == true ? 1 : 0)
        case .update:
            let attributed = changes.compactMap(\.attribution)
            return (attributed.filter { $0.counts(for: .config) }.count, attributed.filter { $0.counts(for: .remote) }.count)
        case .addVariants, .removeVariants, .setInventoryPolicy:
            return (variantIDs.count - remoteVariantIDs.count, remoteVariantIDs.count)
        }
    }

    /// True when the operation makes a difference of `attribution` (any, without a baseline).
    public func counts(for filter: Attribution) -> Bool {
        guard attribution != nil else { return true }
        let (config, remote) = attributedCounts
        switch filter {
        case .config: return config > 0
        case .remote: return remote > 0
        case .both: return config + remote > 0
        }
    }
    /// The requests it compiles to.
    public var requests: [PlannedRequest]

    /// Creates an operation.
    public init(
        kind: OperationKind, plan: PlanRef, location: SourceLocation?, changes: [FieldChange] = [], variantIDs: [Int64] = [],
        policy: InventoryPolicy? = nil, unverified: Bool = false, requests: [PlannedRequest]
    ) {
        self.kind = kind
        self.plan = plan
        self.location = location
        self.changes = changes
        self.variantIDs = variantIDs
        self.policy = policy
        self.unverified = unverified
        self.requests = requests
    }

    /// Total points of its requests.
    public var cost: Int { requests.reduce(0) { $0 + $1.cost } }
}

/// A remote plan no file declares.
public struct UnmanagedPlan: Sendable, Hashable {
    /// Its id and name.
    public var plan: PlanRef
    /// Its display name.
    public var name: String

    /// Creates one.
    public init(plan: PlanRef, name: String) {
        self.plan = plan
        self.name = name
    }
}

/// Fields a plan declares that STOQ never returns, so they cannot be compared.
public struct UnverifiableFields: Sendable, Hashable {
    /// The plan.
    public var plan: PlanRef
    /// The fields, in API order.
    public var fields: [String]
    /// Where the first of them is declared.
    public var location: SourceLocation?

    /// Creates one.
    public init(plan: PlanRef, fields: [String], location: SourceLocation?) {
        self.plan = plan
        self.fields = fields
        self.location = location
    }
}

/// The configuration a plan was compared with to tell its own changes from drift: a git ref and
/// the commit it named, or a directory.
public struct BaselineInfo: Sendable, Hashable {
    /// What was given: `origin/main`, a commit, or a directory.
    public var ref: String
    /// The commit `ref` named (nil for a directory).
    public var commit: String?

    /// Creates one.
    public init(ref: String, commit: String?) {
        self.ref = ref
        self.commit = commit
    }

    /// `origin/main (3f9a1c2e7d4b)` or the directory.
    public var description: String { commit.map { "\(ref) (\($0.prefix(12)))" } ?? ref }
}

/// A variant the configuration declares a policy for that Shopify does not know: shown, never
/// toggled.
public struct UnknownVariant: Sendable, Hashable {
    /// The plan that declares the policy.
    public var plan: PlanRef
    /// The Shopify variant id.
    public var id: Int64
    /// The policy declared for it.
    public var policy: InventoryPolicy
    /// Where the id is written.
    public var location: SourceLocation?

    /// Creates one.
    public init(plan: PlanRef, id: Int64, policy: InventoryPolicy, location: SourceLocation?) {
        self.plan = plan
        self.id = id
        self.policy = policy
        self.location = location
    }
}

/// The minimal, ordered set of operations that makes the shop match the config, with everything
/// a reviewer and a later `apply` need.
///
/// Invariants: `operations` is sorted by kind (create, update, add, policy, remove, delete), then
/// plan, then chunk; the same inputs always give the same plan.
public struct Plan: Sendable, Hashable {
    /// The JSON format version this plan is written in.
    public static let formatVersion = 1

    /// The operations, in run order.
    public var operations: [PlanOperation]
    /// Remote plans that would be deleted with `--allow-deletes` (prune on, flag absent).
    public var blockedDeletes: [UnmanagedPlan]
    /// Remote plans the config does not manage and that stay as they are.
    public var unmanaged: [UnmanagedPlan]
    /// Write-only fields that were declared but cannot be verified.
    public var unverifiable: [UnverifiableFields]
    /// The `--target` names the plan was limited to (empty: every plan).
    public var targets: [String]
    /// Rate budget used for the time estimate: points per window and window seconds.
    public var budgetPoints: Int
    /// Window length in seconds.
    public var budgetWindow: Double
    /// Remote plans this configuration governs: the declared plans that exist in the shop, plus,
    /// with `prune` on, every other plan in the shop (the base of the percentage safety gates).
    public var managedPlans: Int
    /// The safety thresholds in force (from `stoqctl.yaml`).
    public var safety: SafetySettings
    /// The STOQ endpoint the plan was made against (a saved plan applies only there).
    public var endpoint: String?
    /// In a repository of several shops: the shop this plan is for (its part of the plan applies
    /// only to that shop); nil for a repository of one shop.
    public var shop: String?
    /// Where the policies were read (`acme.myshopify.com`), or nil when they could not be read and
    /// declared policies are sent unverified.
    public var policySource: String?
    /// Declared variants Shopify does not know, sorted by plan and id.
    public var unknownVariants: [UnknownVariant]
    /// Declared policies compared with Shopify's (0 when policies were not read).
    public var policiesChecked: Int
    /// The baseline the differences are attributed against, when there is one.
    public var baseline: BaselineInfo?
    /// How the configuration changed its own safety settings since the baseline: thresholds and
    /// approvals a reviewer approves along with the change (empty without a baseline).
    public var permissionChanges: [PermissionChange] = []
    /// What Shopify (or STOQ) says about the variants the plan shows.
    ///
    /// SKU, barcode, titles, the product's status; a variant missing here is shown by id alone.
    public var variantInfo: [Int64: CatalogueVariant] = [:]
    /// How each name in the configuration (`sku:`, `barcode:`, `product:`) resolved, in file order.
    public var resolutions: [VariantResolution] = []
    /// Names whose variant changed since it became a member: shown as one move each.
    public var moves: [VariantMove] = []
    /// What planning read, which an apply of this plan reads again before it writes.
    public var reads = Reads()

    /// The reads of a plan run: what an apply repeats, as it plans again from live reads.
    ///
    /// Counted in the estimate of everything the apply does. Not part of the plan hash: a warm
    /// read cache or another Shopify plan changes them, never what is sent.
    public struct Reads: Sendable, Hashable {
        /// STOQ requests (list pages and plans read in full; plans a read cache stood in for are
        /// not counted), 1 point each.
        public var stoqRequests = 0
        /// Shopify query cost points (policies, names, titles).
        public var shopifyPoints = 0
        /// Shopify's bucket size and restore rate (points per second) as its answers told them;
        /// 0 when nothing was read (Shopify's standard plan's, 1,000 and 100, are assumed then).
        public var shopifyBucket = 0.0, shopifyRestoreRate = 0.0

        /// No reads.
        public init(stoqRequests: Int = 0, shopifyPoints: Int = 0, shopifyBucket: Double = 0, shopifyRestoreRate: Double = 0) {
            self.stoqRequests = stoqRequests
            self.shopifyPoints = shopifyPoints
            self.shopifyBucket = shopifyBucket
            self.shopifyRestoreRate = shopifyRestoreRate
        }
    }

    /// Creates a plan (operations are sorted into run order).
    public init(
        operations: [PlanOperation], blockedDeletes: [UnmanagedPlan] = [], unmanaged: [UnmanagedPlan] = [],
        unverifiable: [UnverifiableFields] = [], targets: [String] = [], budgetPoints: Int = 360, budgetWindow: Double = 60,
        managedPlans: Int = 0, safety: SafetySettings = SafetySettings(), endpoint: String? = nil, policySource: String? = nil,
        unknownVariants: [UnknownVariant] = [], policiesChecked: Int = 0
    ) {
        self.operations = operations.sorted { a, b in
            if a.kind != b.kind { return a.kind < b.kind }
            if a.plan != b.plan { return a.plan < b.plan }
            if a.policy != b.policy { return (a.policy?.rawValue ?? "") < (b.policy?.rawValue ?? "") }
            return (a.variantIDs.first ?? 0) < (b.variantIDs.first ?? 0)
        }
        self.blockedDeletes = blockedDeletes
        self.unmanaged = unmanaged
        self.unverifiable = unverifiable
        self.targets = targets
        self.budgetPoints = budgetPoints
        self.budgetWindow = budgetWindow
        self.managedPlans = managedPlans
        self.safety = safety
        self.endpoint = endpoint
        self.policySource = policySource
        self.unknownVariants = unknownVariants
        self.policiesChecked = policiesChecked
    }

    /// True when policies were read from Shopify, so policy operations are verified differences.
    public var policiesVerified: Bool { policySource != nil }

    /// Operations that are real changes (not unverified assertions, not policy differences a
    /// running job may settle).
    public var changes: [PlanOperation] { operations.filter(\.isChange) }
    /// True when nothing but unverified assertions would be sent.
    public var isEmpty: Bool { changes.isEmpty }

    /// Counts of what the plan does, defined once: every renderer, the JSON document and the
    /// safety gates read these.
    public struct Summary: Sendable, Hashable {
        /// Plans created, updated in place (fields, membership or verified policies) and deleted.
        public var create = 0, update = 0, delete = 0
        /// Variants added and removed, and the membership calls that do it.
        public var variantsAdded = 0, variantsRemoved = 0, membershipCalls = 0
        /// Verified policy changes per policy, and their calls.
        public var policyVariants: [InventoryPolicy: Int] = [:]
        public var policyCalls = 0
        /// Declared policies sent without being verified, and their calls.
        public var unverifiedPolicyVariants = 0, unverifiedPolicyCalls = 0
        /// Verified policy differences on plans whose job was running, and their calls.
        public var inProgressPolicyVariants = 0, inProgressPolicyCalls = 0
        /// Requests and rate-limit points of every operation.
        public var requests = 0, points = 0
        /// Against a baseline: differences the configuration made (fields, variants, creates,
        /// deletes) and differences the shop made (drift); one that is both counts in both.
        public var fromConfig = 0, fromRemote = 0
    }

    /// What the plan does to one remote plan, judged from all its operations.
    public enum Action: Sendable, Hashable {
        /// The plan is created (and then given its membership and policies).
        case create
        /// An existing plan changes in place: fields, membership or verified policies.
        case update
        /// The plan is deleted.
        case delete
        /// Only unverified, declared policies (or differences a running job may settle) are sent:
        /// not a change.
        case assertOnly
    }

    /// The action of a plan whose operations are `ops`.
    public static func action(of ops: [PlanOperation]) -> Action {
        if ops.contains(where: { $0.kind == .create }) { return .create }
        if ops.contains(where: { $0.kind == .delete }) { return .delete }
        if ops.contains(where: \.isChange) { return .update }
        return .assertOnly
    }

    /// The operations grouped by plan, in the order of each plan's first operation, with each
    /// plan's action.
    public var byPlan: [(plan: PlanRef, action: Action, operations: [PlanOperation])] {
        var order: [PlanRef] = []
        var grouped: [PlanRef: [PlanOperation]] = [:]
        for op in operations {
            if grouped[op.plan] == nil { order.append(op.plan) }
            grouped[op.plan, default: []].append(op)
        }
        return order.map { ref in
            let ops = grouped[ref] ?? []
            return (ref, Self.action(of: ops), ops)
        }
    }

    /// Totals over the operations.
    public var summary: Summary {
        var s = Summary()
        for group in byPlan {
            switch group.action {
            case .create: s.create += 1
            case .update: s.update += 1
            case .delete: s.delete += 1
            case .assertOnly: break
            }
        }
        for op in operations where op.isChange && op.attribution != nil {
            let (config, remote) = op.attributedCounts
            s.fromConfig += config
            s.fromRemote += remote
        }
        for op in operations {
            s.requests += op.requests.count
            s.points += op.cost
            switch op.kind {
            case .create, .update, .delete: break
            case .addVariants:
                s.variantsAdded += op.variantIDs.count
                s.membershipCalls += op.requests.count
            case .removeVariants:
                s.variantsRemoved += op.variantIDs.count
                s.membershipCalls += op.requests.count
            case .setInventoryPolicy:
                if op.unverified {
                    s.unverifiedPolicyVariants += op.variantIDs.count
                    s.unverifiedPolicyCalls += op.requests.count
                } else if op.inProgress {
                    s.inProgressPolicyVariants += op.variantIDs.count
                    s.inProgressPolicyCalls += op.requests.count
                } else if let p = op.policy {
                    s.policyVariants[p, default: 0] += op.variantIDs.count
                    s.policyCalls += op.requests.count
                }
            }
        }
        return s
    }

    /// Seconds an apply of this plan is expected to take once it has planned.
    ///
    /// At least 1 when there is anything to send: ``ApplyEstimate`` of the writes alone. Part of
    /// the plan hash, so it depends on the operations only.
    public var estimatedSeconds: Int { ApplyEstimate().estimate(self, includingReads: false).seconds }

    /// Everything an apply of this plan does, reads of the shop included: ``ApplyEstimate``.
    public var applyEstimate: ApplyEstimate.Result { ApplyEstimate().estimate(self, includingReads: true) }
}

/// How long an apply takes, modelled from what it does and what slows it: the rate budget
/// (points of the planning reads it repeats, of its writes, of the read of each plan before it is
/// written, and of reading a plan whose job must end), latency hidden by the requests in flight,
/// the plans' own chains (one plan's requests go in order, and a membership or policy call after
/// a toggle waits for its job), and Shopify's cost bucket for the policies, names and titles it
/// reads and the toggles it confirms.
///
/// `rate`: the windows the points need before the last one opens, `floor((points − 1) / budget)`
/// windows, plus the requests of the last window at `concurrency` in flight; `chain`: the longest
/// plan's requests one after another plus its job waits; `shopify`: the Shopify points beyond a
/// full bucket at its restore rate. The estimate is the largest of the three.
public struct ApplyEstimate: Sendable, Hashable {
    /// Seconds per request (STOQ over the internet; the emulator in-process is far faster).
    public var latency = 0.15
    /// Requests in flight at once.
    public var concurrency = 8
    /// Seconds a policy job runs.
    public var jobSeconds = 2.0
    /// Shopify's bucket and restore rate when the plan read none (a standard plan's).
    public var shopifyBucket = 1_000.0, shopifyRestoreRate = 100.0

    /// The defaults.
    public init() {}

    /// What an apply does, and how long it takes.
    public struct Result: Sendable, Hashable {
        /// STOQ requests and points of the planning reads it repeats (0 without them).
        public var readRequests = 0, readPoints = 0
        /// STOQ requests and points of the operations, with the reads that wait out policy jobs
        /// (and, in the hashed figure, the read that checks a saved plan's values before writing).
        public var writeRequests = 0, writePoints = 0
        /// Toggles whose effect is confirmed in Shopify, and the Shopify points of everything
        /// read there (planning and confirmations).
        public var confirmations = 0, shopifyPoints = 0
        /// Whole seconds: at least 1 when there is anything to do.
        public var seconds = 0
        /// Of them, what the planning reads alone need (0 without them): an apply's writes start
        /// once these are done, with the budget they left.
        public var readSeconds = 0

        /// STOQ points in all.
        public var points: Int { readPoints + writePoints }
    }

    /// Seconds STOQ's budget needs for `points` over `requests`: the windows before the last one
    /// opens, then the last window's requests at `concurrency` in flight.
    func rateSeconds(points: Int, requests: Int, _ plan: Plan) -> Double {
        let windows = Double(max(0, points - 1) / max(1, plan.budgetPoints))
        let perWindow = Double(plan.budgetPoints) * Double(requests) / Double(max(1, points))
        let lastRequests = max(0, Double(requests) - windows * perWindow)
        return windows * plan.budgetWindow + (lastRequests / Double(concurrency)).rounded(.up) * latency
    }

    /// Whole seconds, at least 1, bounded, so that no figure a saved plan carries (a window of
    /// 1e300 seconds) can trap.
    static func wholeSeconds(_ seconds: Double) -> Int {
        seconds.isFinite ? max(1, Int(min(seconds, 1e9).rounded(.up))) : 1_000_000_000
    }

    /// The estimate for `plan`, in whole seconds (the writes and confirmations only).
    public func seconds(_ plan: Plan) -> Int { estimate(plan, includingReads: false).seconds }

    /// The estimate for `plan`, of everything the apply does or of its writes alone.
    ///
    /// With `includingReads`, everything counts: the planning reads it repeats (``Plan/reads``),
    /// and the wait for its last policy jobs and their confirmation in Shopify. Without, the
    /// writes alone, as saved plans have always recorded them (the figure is part of the plan
    /// hash, so it never changes for the same operations).
    public func estimate(_ plan: Plan, includingReads: Bool) -> Result {
        var result = Result()
        if includingReads {
            result.readRequests = plan.reads.stoqRequests
            result.readPoints = plan.reads.stoqRequests
            result.shopifyPoints = plan.reads.shopifyPoints
        }
        guard !plan.operations.isEmpty || result.readRequests > 0 else { return result }
        var chains: [PlanRef: (requests: Int, waits: Int)] = [:]
        for (ref, _, ops) in plan.byPlan {
            // The read before the first write: a saved plan's compare-and-set (counted in the
            // hashed figure; the estimate of everything assumes an apply of the configuration,
            // which writes from its own planning reads).
            var chain = (requests: includingReads ? 0 : 1, waits: 0)
            var toggled = false
            for op in ops {
                for request in op.requests {
                    if toggled, request.endpoint.traits.contains(.waitsOutJobs) {
                        chain.waits += 1
                        chain.requests += 1  // the read that finds the job ended
                        toggled = false
                    }
                    chain.requests += 1
                    result.writePoints += request.cost
                    if request.endpoint == .toggleInventoryPolicy { toggled = true }
                }
                if includingReads, op.kind == .setInventoryPolicy, op.isChange, plan.policiesVerified {
                    // Confirmed once its job ends: one read of the plan, then Shopify reads the variants.
                    result.confirmations += 1
                    result.shopifyPoints += op.variantIDs.count
                }
            }
            if includingReads, toggled, plan.policiesVerified {
                chain.waits += 1
                chain.requests += 1
            }
            result.writeRequests += chain.requests
            result.writePoints += chain.requests - ops.reduce(0) { $0 + $1.requests.count }  // reads cost 1 point
            chains[ref] = chain
        }
        let rate = rateSeconds(points: result.points, requests: result.readRequests + result.writeRequests, plan)
        let chain = chains.values.map { Double($0.requests) * latency + Double($0.waits) * jobSeconds }.max() ?? 0
        let bucket = plan.reads.shopifyBucket > 0 ? plan.reads.shopifyBucket : shopifyBucket
        let restore = plan.reads.shopifyRestoreRate > 0 ? plan.reads.shopifyRestoreRate : shopifyRestoreRate
        let shopify = max(0, Double(result.shopifyPoints) - bucket) / restore
        result.seconds = Self.wholeSeconds(max(rate, chain, shopify))
        result.readSeconds =
            result.readRequests > 0 ? Self.wholeSeconds(rateSeconds(points: result.readPoints, requests: result.readRequests, plan)) : 0
        return result
    }
}

extension Plan {
    /// The variants whose details every format shows: every variant of the operations, the
    /// unknown variants and both ends of each move.
    public var shownVariantIDs: Set<Int64> { Set(shownVariantIDsInOrder) }

    /// ``shownVariantIDs`` in the order the plan shows them, each once: the operations' variants
    /// in run order, then the unknown variants, then the moves' ends.
    public var shownVariantIDsInOrder: [Int64] {
        var seen = Set<Int64>()
        var ids: [Int64] = []
        let all = operations.flatMap(\.variantIDs) + unknownVariants.map(\.id) + moves.flatMap { [$0.from, $0.to] }
        for id in all where seen.insert(id).inserted { ids.append(id) }
        return ids
    }
}
