/// Options that shape a plan but are not part of the config.
public struct PlanOptions: Sendable, Hashable {
    /// `--allow-deletes`: deletes are planned only with it (and `prune: true`).
    public var allowDeletes = false
    /// `--target`: limit the plan to these internal names (empty: all).
    public var targets: [String] = []
    /// Targets a repository of several shops declares for other shops only: nothing to plan in
    /// this shop, rather than an unknown target.
    public var targetsOfOtherShops: Set<String> = []
    /// Budget for the time estimate.
    public var budgetPoints = 360
    /// Window for the time estimate, seconds.
    public var budgetWindow = 60.0

    /// Defaults.
    public init() {}
}

/// Desired state against remote state → a minimal ``Plan``.
///
/// Pure and deterministic.
public enum Planner {
    /// Unknown variants reported one by one before a count of the rest.
    static let unknownVariantsReported = 10

    /// Plans, or reports why it cannot (two remote plans with one name, an unknown target).
    ///
    /// With a `baseline` (the configuration as last applied, or on the base branch), every
    /// difference is attributed: the configuration changed, the shop changed (drift), or both.
    /// Write-only fields that changed since the baseline are sent, and unverified policies are
    /// sent only where they changed since the baseline.
    /// - Returns: the plan and diagnostics; the plan is nil when a diagnostic is an error.
    public static func plan(
        desired: DesiredState, remote: RemoteState, baseline: Baseline? = nil, options: PlanOptions = PlanOptions()
    ) -> (Plan?, [Diagnostic]) {
        let declaredNames = Set(desired.plans.map(\.internalName.value))
        var diagnostics = options.targets.filter { !declaredNames.contains($0) && !options.targetsOfOtherShops.contains($0) }.map {
            target in
            Diagnostic(
                .unknownTarget,
                "--target \(target): no plan has this internal_name\(Suggest.hint(for: target, in: declaredNames.sorted()))",
                at: nil)
        }
        let (matched, claimed, ambiguous) = match(desired, remote.managed)
        diagnostics += ambiguous
        if diagnostics.hasErrors { return (nil, diagnostics) }

        let targets = Set(options.targets)
        let declared = planDeclared(
            matched.filter { targets.isEmpty || targets.contains($0.0.internalName.value) }, remote: remote, baseline: baseline,
            settings: desired.settings)
        diagnostics += unknownVariantDiagnostics(declared.unknownVariants)

        // Remote plans no file declares: left alone, or with `prune` deleted (when allowed).
        let undeclared = remote.listed.filter { !claimed.contains($0.id) && !declaredNames.contains($0.internalName) }
        var unmanaged: [UnmanagedPlan] = []
        var candidates: [UnmanagedPlan] = []
        for summary in undeclared {
            let plan = UnmanagedPlan(plan: PlanRef(internalName: summary.internalName, id: summary.id), name: summary.name)
            if desired.settings.prune, targets.isEmpty { candidates.append(plan) } else { unmanaged.append(plan) }
        }
        var (deletes, blocked) = Safety.admitDeletes(candidates, allowDeletes: options.allowDeletes)
        if let baseline {
            // A plan the baseline declared was removed from the configuration; one it did not
            // declare was created in STOQ.
            for i in deletes.indices { deletes[i].attribution = baseline.declares(deletes[i].plan) ? .config : .remote }
        }
        // The base of the percentage gates: every plan the config governs, whatever --target says.
        let governed = matched.filter { $0.1 != nil }.count + (desired.settings.prune ? undeclared.count : 0)
        var plan = Plan(
            operations: declared.operations + deletes, blockedDeletes: blocked.sorted { $0.plan < $1.plan },
            unmanaged: unmanaged.sorted { $0.plan < $1.plan }, unverifiable: declared.unverifiable.sorted { $0.plan < $1.plan },
            targets: options.targets.sorted(), budgetPoints: options.budgetPoints, budgetWindow: options.budgetWindow,
            managedPlans: governed, safety: desired.settings.safety, policySource: remote.policies?.source,
            unknownVariants: declared.unknownVariants.sorted { ($0.plan, $0.id) < ($1.plan, $1.id) }, policiesChecked: declared.checked)
        plan.baseline = baseline?.info
        if let baseline {
            plan.permissionChanges = PermissionChange.between(baseline.desired.settings.safety, and: desired.settings.safety)
        }
        return (plan, diagnostics)
    }

    /// Each declared plan with the remote plan it is (by id when pinned, else by `internal_name`),
    /// the ids of the remote plans claimed, and an error for each name STOQ holds more than once.
    static func match(_ desired: DesiredState, _ managed: [RemotePlan]) -> (
        matched: [(SellingPlanSpec, RemotePlan?)], claimed: Set<String>, diagnostics: [Diagnostic]
    ) {
        var byID: [String: RemotePlan] = [:]
        var byName: [String: [RemotePlan]] = [:]
        for plan in managed {
            byID[plan.id] = plan
            byName[plan.internalName, default: []].append(plan)
        }
        var matched: [(SellingPlanSpec, RemotePlan?)] = []
        var claimed = Set<String>()
        var diagnostics: [Diagnostic] = []
        for spec in desired.plans {
            if let id = spec.id?.value {
                matched.append((spec, byID[id]))
                if byID[id] != nil { claimed.insert(id) }
                continue
            }
            let candidates = (byName[spec.internalName.value] ?? []).filter { !desired.pinnedIDs.contains($0.id) }
            if candidates.count > 1 {
                diagnostics.append(
                    Diagnostic(
                        .ambiguousRemotePlan,
                        "STOQ has \(candidates.count) plans with internal_name `\(spec.internalName.value)` (ids \(candidates.map(\.id).joined(separator: ", "))); pin one with `id:`",
                        at: spec.internalName.location))
                continue
            }
            matched.append((spec, candidates.first))
            if let c = candidates.first { claimed.insert(c.id) }
        }
        return (matched, claimed, diagnostics)
    }

    /// What the declared plans in scope need: their operations, the write-only fields that cannot
    /// be verified, the declared variants Shopify does not know, and the policies compared.
    static func planDeclared(
        _ matched: [(SellingPlanSpec, RemotePlan?)], remote: RemoteState, baseline: Baseline?, settings: Settings
    ) -> (operations: [PlanOperation], unverifiable: [UnverifiableFields], unknownVariants: [UnknownVariant], checked: Int) {
        var operations: [PlanOperation] = []
        var unverifiable: [UnverifiableFields] = []
        var unknownVariants: [UnknownVariant] = []
        var checked = 0
        for (spec, remotePlan) in matched {
            let ignored = Set(settings.ignoreRules(for: spec).map(\.value))
            let ref = PlanRef(internalName: spec.internalName.value, id: remotePlan?.id ?? spec.id?.value)
            let writeOnly = PlanField.allCases.filter { $0.isWriteOnly && spec[$0] != nil && !ignored.contains($0) }
            if !writeOnly.isEmpty {
                unverifiable.append(
                    UnverifiableFields(
                        plan: ref, fields: writeOnly.map(\.rawValue), location: writeOnly.compactMap { spec[$0]?.keyLocation }.min()))
            }
            let before = baseline.map { $0.spec(matching: spec) }
            operations += planOne(spec, remotePlan, ref: ref, ignored: ignored, writeOnly: writeOnly, settings: settings, baseline: before)
            let (policyOps, unknown, compared) = planPolicies(
                spec, remotePlan, ref: ref, policies: remote.policies, settings: settings, baseline: before)
            operations += policyOps
            unknownVariants += unknown
            checked += compared
        }
        return (operations, unverifiable, unknownVariants, checked)
    }

    /// One located warning per unknown variant, up to a few, then a count of the rest; the plan
    /// lists them all.
    static func unknownVariantDiagnostics(_ unknownVariants: [UnknownVariant]) -> [Diagnostic] {
        let sorted = unknownVariants.sorted { a, b in
            let la = a.location ?? SourceLocation(file: "", line: 0, column: 0)
            let lb = b.location ?? SourceLocation(file: "", line: 0, column: 0)
            return la != lb ? la < lb : a.id < b.id
        }
        var diagnostics = sorted.prefix(Self.unknownVariantsReported).map { u in
            Diagnostic(
                .unknownVariant,
                "variant \(u.id): Shopify does not know this variant (it was deleted, or the id is mistyped); its \(u.policy.rawValue) policy is not sent",
                at: u.location)
        }
        if sorted.count > Self.unknownVariantsReported {
            diagnostics.append(
                Diagnostic(
                    .unknownVariant,
                    "\(PlanText.count(sorted.count - Self.unknownVariantsReported)) more variants Shopify does not know; the plan lists every one",
                    at: nil))
        }
        return diagnostics
    }

    /// Operations for one declared plan: its fields (a create, or an update), then its membership.
    ///
    /// `baseline` is nil without a baseline, `.some(nil)` when the baseline does not declare the plan.
    static func planOne(
        _ spec: SellingPlanSpec, _ remote: RemotePlan?, ref: PlanRef, ignored: Set<PlanField>, writeOnly: [PlanField], settings: Settings,
        baseline: SellingPlanSpec??
    ) -> [PlanOperation] {
        var ops: [PlanOperation] = []
        if let remote {
            if let update = planUpdate(spec, remote, ref: ref, ignored: ignored, writeOnly: writeOnly, baseline: baseline) {
                ops.append(update)
            }
        } else {
            ops.append(planCreate(spec, ref: ref, ignored: ignored, baseline: baseline))
        }
        return ops + planMembership(spec, remote, ref: ref, settings: settings, baseline: baseline)
    }

    /// The update of an existing plan: each declared field that differs from STOQ's value (and
    /// a rename of a plan pinned by `id`), with the write-only fields riding along; nil when
    /// nothing differs.
    static func planUpdate(
        _ spec: SellingPlanSpec, _ remote: RemotePlan, ref: PlanRef, ignored: Set<PlanField>, writeOnly: [PlanField],
        baseline: SellingPlanSpec??
    ) -> PlanOperation? {
        let attributed = baseline != nil
        let before = baseline ?? nil
        var changes: [FieldChange] = []
        if spec.id != nil, remote.internalName != spec.internalName.value {
            let after = FieldValue.string(spec.internalName.value)
            let was = FieldValue.string(remote.internalName)
            changes.append(
                FieldChange(
                    field: .internalName, before: was, after: after, location: spec.internalName.location,
                    attribution: attributed
                        ? Attribution.of(after: after, before: was, baseline: before.map { .string($0.internalName.value) }) : nil
                ))
        }
        for field in PlanField.allCases where !field.isWriteOnly && !ignored.contains(field) {
            guard let d = spec[field], !Normalize.equal(d.value, remote.fields[field]) else { continue }
            changes.append(
                FieldChange(
                    field: .field(field), before: remote.fields[field], after: d.value, location: d.valueLocation,
                    attribution: attributed
                        ? Attribution.of(after: d.value, before: remote.fields[field], baseline: before?[field]?.value) : nil))
        }
        // Write-only fields cannot be compared with STOQ. Against a baseline, one that changed
        // since is sent; the others ride along when the plan is updated anyway.
        let changedWriteOnly = writeOnly.filter { field in
            guard attributed, let d = spec[field] else { return false }
            return !LiveCheck.same(d.value, before?[field]?.value)
        }
        guard !changes.isEmpty || !changedWriteOnly.isEmpty else { return nil }
        for field in writeOnly {
            guard let d = spec[field] else { continue }
            changes.append(
                FieldChange(
                    field: .field(field), before: nil, after: d.value, location: d.valueLocation,
                    attribution: changedWriteOnly.contains(field) ? .config : nil))
        }
        var op = PlanOperation(
            kind: .update, plan: ref, location: changes.compactMap(\.location).min() ?? spec.location, changes: changes,
            requests: [PlannedRequest(planID: ref.id, payload: .update(fields: changes.map(\.sent)))])
        op.attribution = Attribution.merged(changes.map(\.attribution))
        return op
    }

    /// The create of a plan STOQ does not have: `internal_name`, then every declared field.
    static func planCreate(_ spec: SellingPlanSpec, ref: PlanRef, ignored: Set<PlanField>, baseline: SellingPlanSpec??) -> PlanOperation {
        var changes = [
            FieldChange(field: .internalName, before: nil, after: .string(spec.internalName.value), location: spec.internalName.location)
        ]
        for field in PlanField.allCases where !ignored.contains(field) {
            guard let d = spec[field] else { continue }
            changes.append(FieldChange(field: .field(field), before: nil, after: d.value, location: d.valueLocation))
        }
        var op = PlanOperation(
            kind: .create, plan: ref, location: spec.location, changes: changes,
            requests: [PlannedRequest(planID: nil, payload: .create(fields: changes.map(\.sent)))])
        // A plan the baseline declared is missing from the shop: it was deleted in STOQ.
        if let before = baseline { op.attribution = before == nil ? .config : .remote }
        return op
    }

    /// Membership, for a custom-source plan that declares it: the variants to add and to remove.
    static func planMembership(
        _ spec: SellingPlanSpec, _ remote: RemotePlan?, ref: PlanRef, settings: Settings, baseline: SellingPlanSpec??
    ) -> [PlanOperation] {
        guard let variants = spec.variants else { return [] }
        let attributed = baseline != nil
        let desired = Set(variants.map(\.value))
        let current = Set(remote?.variantIDs ?? [])
        let add = desired.subtracting(current).sorted()
        let remove = current.subtracting(desired).sorted()
        let location = spec.variantsKeyLocation ?? spec.location
        // Against a baseline: a missing member the baseline listed was removed in STOQ, an
        // extra member it did not list was added in STOQ.
        let baselineMembers = (baseline ?? nil)?.variants.map { Set($0.map(\.value)) }
        var ops: [PlanOperation] = []
        if !add.isEmpty {
            var op = chunked(.addVariants, ref: ref, location: location, ids: add, size: Int(settings.chunks.addVariant)) {
                .addVariants(ids: $0)
            }
            if attributed { op.attribute(remote: add.filter { baselineMembers?.contains($0) ?? false }) }
            ops.append(op)
        }
        if !remove.isEmpty {
            // The policy the removed variants end with rides on the removal (one synchronous call).
            let policy = spec.removalPolicy?.value
            var op = chunked(.removeVariants, ref: ref, location: location, ids: remove, size: Int(settings.chunks.removeVariant)) {
                .removeVariants(ids: $0, inventoryPolicy: policy)
            }
            op.policy = policy
            if attributed { op.attribute(remote: remove.filter { !(baselineMembers?.contains($0) ?? true) }) }
            ops.append(op)
        }
        return ops
    }

    /// Policy operations for one declared plan: with policies read from Shopify, only the
    /// variants whose policy differs (a variant Shopify does not know is returned apart, never
    /// toggled); without, every declared policy, unverified.
    ///
    /// Against a baseline, each difference is attributed, and unverified policies are sent only
    /// where they changed since the baseline.
    static func planPolicies(
        _ spec: SellingPlanSpec, _ remote: RemotePlan?, ref: PlanRef, policies: PolicyState?, settings: Settings,
        baseline: SellingPlanSpec??
    ) -> (operations: [PlanOperation], unknown: [UnknownVariant], compared: Int) {
        let attributed = baseline != nil
        var baselinePolicy: [Int64: InventoryPolicy] = [:]
        for (policy, ids) in (baseline ?? nil)?.inventoryPolicy ?? [:] { for id in ids { baselinePolicy[id.value] = policy } }
        var ops: [PlanOperation] = []
        var unknown: [UnknownVariant] = []
        var compared = 0
        for policy in InventoryPolicy.allCases {
            guard let declared = spec.inventoryPolicy[policy], !declared.isEmpty else { continue }
            var send = Set<Int64>()
            var seen = Set<Int64>()
            var locations: [SourceLocation] = []
            for id in declared where seen.insert(id.value).inserted {
                guard let policies else {
                    // Unverified: against a baseline, only what the configuration changed.
                    if attributed, baselinePolicy[id.value] == policy { continue }
                    send.insert(id.value)
                    locations.append(id.location)
                    continue
                }
                guard let current = policies.current[id.value] else {
                    unknown.append(UnknownVariant(plan: ref, id: id.value, policy: policy, location: id.location))
                    continue
                }
                compared += 1
                if current != policy {
                    send.insert(id.value)
                    locations.append(id.location)
                }
            }
            guard !send.isEmpty else { continue }
            var op = chunked(
                .setInventoryPolicy, ref: ref, location: locations.min() ?? spec.location, ids: send.sorted(),
                size: Int(settings.chunks.policyToggle)
            ) { .toggleInventoryPolicy(ids: $0, policy: policy) }
            op.policy = policy
            op.unverified = policies == nil
            op.inProgress = policies != nil && remote?.ongoingJob == true
            // A variant whose declared policy is the baseline's differs because the shop changed.
            if attributed { op.attribute(remote: op.variantIDs.filter { baselinePolicy[$0] == policy }) }
            ops.append(op)
        }
        return (ops, unknown, compared)
    }

    /// One operation of `kind` whose ids go out in requests of at most `size` ids, each carrying
    /// the payload `payload` makes of its ids.
    static func chunked(
        _ kind: OperationKind, ref: PlanRef, location: SourceLocation?, ids: [Int64], size: Int,
        payload: ([Int64]) -> PlannedRequest.Payload
    ) -> PlanOperation {
        let step = max(1, size)
        let requests = stride(from: 0, to: ids.count, by: step).map {
            PlannedRequest(planID: ref.id, payload: payload(Array(ids[$0..<min($0 + step, ids.count)])))
        }
        return PlanOperation(kind: kind, plan: ref, location: location, variantIDs: ids, requests: requests)
    }
}

/// How a declared value is compared with what STOQ returned, so nothing false shows up as a change.
public enum Normalize {
    /// True when the remote value already is the declared one: numbers as decimals, datetimes as
    /// instants, remote `null` the same as absent, ids as sets.
    public static func equal(_ declared: FieldValue, _ remote: FieldValue?) -> Bool {
        switch (declared, remote) {
        case (.null, nil), (.null, .null?): return true
        case (_, nil), (_, .null?): return false
        case (.decimal(let a), .decimal(let b)?): return a == b
        case (.decimal(let a), .integer(let b)?): return a == DecimalNumber(b)
        case (.integer(let a), .decimal(let b)?): return DecimalNumber(a) == b
        case (.ids(let a), .ids(let b)?): return Set(a) == Set(b)
        default: return declared == remote
        }
    }
}

extension PlanOperation {
    /// Attributes a membership or policy operation: `remote` of its variants are drift, the others
    /// configuration changes.
    mutating func attribute(remote: [Int64]) {
        remoteVariantIDs = remote
        attribution =
            remote.isEmpty ? .config : remote.count == variantIDs.count ? .remote : .both
    }
}

/// The configuration as it was at the baseline (a git ref or a directory), to attribute
/// differences: what the configuration changed since, and what the shop changed (drift).
public struct Baseline: Sendable {
    /// The baseline's configuration.
    public var desired: DesiredState
    /// Which ref and commit it is.
    public var info: BaselineInfo

    /// Creates a baseline.
    public init(desired: DesiredState, info: BaselineInfo) {
        self.desired = desired
        self.info = info
    }

    /// The baseline's declaration of the plan `spec` declares now: by `id` when pinned, else by
    /// `internal_name`.
    func spec(matching spec: SellingPlanSpec) -> SellingPlanSpec? {
        if let id = spec.id?.value, let pinned = desired.plans.first(where: { $0.id?.value == id }) { return pinned }
        return desired.plans.first { $0.internalName.value == spec.internalName.value }
    }

    /// True when the baseline declares `plan` (by id or name).
    func declares(_ plan: PlanRef) -> Bool {
        desired.plans.contains { ($0.id?.value != nil && $0.id?.value == plan.id) || $0.internalName.value == plan.internalName }
    }
}
