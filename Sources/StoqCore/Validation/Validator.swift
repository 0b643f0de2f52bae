/// Semantic rules over a loaded ``DesiredState``: rules between fields of one plan, and rules
/// across plans and files.
///
/// Returns every violation; never stops at the first.
public enum Validator {
    /// A rule "field X applies only when selector S has one of these values".
    struct Dependency {
        /// The dependent key, as written in the config.
        var name: String
        /// The selecting field (`billing_type`, …).
        var selector: PlanField
        /// Selector values under which the dependent applies.
        var appliesWhen: Set<String>
        /// Selector values that require the dependent.
        var requiredWhen: Set<String> = []
        /// Accept the dependent under selector values outside the schema's known list.
        var unknownSelectorValuesAllow = false
    }

    static let dependencies: [Dependency] = [
        Dependency(name: "billing_at", selector: .billingType, appliesWhen: ["exact_time"], requiredWhen: ["exact_time"]),
        Dependency(name: "delivery_at", selector: .deliveryType, appliesWhen: ["exact_time"], requiredWhen: ["exact_time"]),
        Dependency(
            name: "billing_after_n_intervals", selector: .billingType, appliesWhen: ["time_after_checkout"],
            requiredWhen: ["time_after_checkout"]),
        Dependency(name: "billing_after_interval_type", selector: .billingType, appliesWhen: ["time_after_checkout"]),
        Dependency(name: "delivery_after_n_intervals", selector: .deliveryType, appliesWhen: ["anchor", "asap", "unknown"]),
        Dependency(name: "delivery_after_interval_type", selector: .deliveryType, appliesWhen: ["anchor", "asap", "unknown"]),
        Dependency(
            name: "billing_checkout_charge_amount", selector: .billingCheckoutChargeType, appliesWhen: ["price"],
            requiredWhen: ["price"]),
        Dependency(
            name: "billing_checkout_charge_percentage", selector: .billingCheckoutChargeType, appliesWhen: ["percentage"],
            requiredWhen: ["percentage"]),
        Dependency(
            name: "pricing_amount", selector: .pricingType, appliesWhen: ["fixed_amount"], requiredWhen: ["fixed_amount"],
            unknownSelectorValuesAllow: true),
        Dependency(
            name: "pricing_percentage", selector: .pricingType, appliesWhen: ["percentage"], requiredWhen: ["percentage"],
            unknownSelectorValuesAllow: true),
        Dependency(name: "variants", selector: .productVariantsSource, appliesWhen: ["custom"], unknownSelectorValuesAllow: false),
        Dependency(
            name: "product_variants_source_id", selector: .productVariantsSource, appliesWhen: ["collection"],
            requiredWhen: ["collection"], unknownSelectorValuesAllow: true),
        Dependency(name: "shopify_market_ids", selector: .marketsEnabled, appliesWhen: ["true"]),
    ]

    /// Validates `state`; returns diagnostics in no particular order.
    public static func validate(_ state: DesiredState) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for plan in state.plans {
            diagnostics += crossField(plan)
            diagnostics += policyWithinPlan(plan)
            diagnostics += ignoredButDeclared(plan, settings: state.settings)
        }
        diagnostics += identities(state.plans)
        diagnostics += policiesAcrossPlans(state.plans)
        diagnostics += settingsReferences(state)
        return diagnostics
    }

    static func selectorText(_ value: FieldValue) -> String? {
        switch value {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }

    /// Where the dependent is declared and whether it holds a value (not `null` / empty).
    static func dependent(_ plan: SellingPlanSpec, _ name: String) -> (key: SourceLocation, value: SourceLocation, isSet: Bool)? {
        if name == "variants" {
            guard let key = plan.variantsKeyLocation else { return nil }
            return (key, key, true)
        }
        if name == PlanField.productVariantsSourceID.rawValue, let handle = plan.sourceHandle {
            return (handle.keyLocation, handle.valueLocation, true)
        }
        guard let field = PlanField(rawValue: name), let declared = plan[field] else { return nil }
        switch declared.value {
        case .null: return (declared.keyLocation, declared.valueLocation, false)
        case .ids(let ids): return (declared.keyLocation, declared.valueLocation, !ids.isEmpty)
        default: return (declared.keyLocation, declared.valueLocation, true)
        }
    }

    static func crossField(_ plan: SellingPlanSpec) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let planNote = DiagnosticNote("in plan `\(plan.internalName.value)`", at: plan.location)
        for rule in dependencies where !plan.rejectedKeys.contains(rule.name) && !plan.rejectedKeys.contains(rule.selector.rawValue) {
            let dep = dependent(plan, rule.name)
            let selectorDecl = plan[rule.selector]
            let selectorValue = selectorDecl.flatMap { selectorText($0.value) }
            let selectorName = rule.selector.rawValue
            let wanted = rule.appliesWhen.sorted().map { "`\(selectorName): \($0)`" }.joined(separator: " or ")
            if let dep, dep.isSet {
                guard let selectorDecl, let selectorValue else {
                    out.append(
                        Diagnostic(
                            .fieldNotApplicable,
                            "`\(rule.name)` applies only with \(wanted); declare `\(selectorName)` in this plan",
                            at: dep.key, notes: [planNote]))
                    continue
                }
                let known = isKnown(selectorValue, of: rule.selector)
                if !rule.appliesWhen.contains(selectorValue), known || !rule.unknownSelectorValuesAllow {
                    out.append(
                        Diagnostic(
                            .fieldNotApplicable,
                            "`\(rule.name)` applies only with \(wanted), but `\(selectorName)` is `\(selectorValue)`",
                            at: dep.key, notes: [DiagnosticNote("`\(selectorName)` is set here", at: selectorDecl.valueLocation)]))
                }
            }
            if let selectorDecl, let selectorValue, rule.requiredWhen.contains(selectorValue), dep?.isSet != true {
                let suffix = dep == nil ? "" : ", not null"
                out.append(
                    Diagnostic(
                        .requiredByType, "`\(selectorName): \(selectorValue)` needs `\(rule.name)` in the same plan\(suffix)",
                        at: selectorDecl.valueLocation,
                        notes: dep.map { [DiagnosticNote("`\(rule.name)` is null here", at: $0.value)] } ?? [planNote]))
            }
        }
        return out
    }

    static func isKnown(_ value: String, of field: PlanField) -> Bool {
        switch field.type {
        case .closedEnum(let values): values.contains(value)
        case .openEnum(let known): known.contains(value)
        default: true
        }
    }

    public static func policyWithinPlan(_ plan: SellingPlanSpec, namesResolved: Bool = false) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let continueIDs = Dictionary(
            (plan.inventoryPolicy[.continue] ?? []).map { ($0.value, $0.location) }, uniquingKeysWith: { a, _ in a })
        for deny in plan.inventoryPolicy[.deny] ?? [] {
            guard let other = continueIDs[deny.value] else { continue }
            let (first, second, secondPolicy) =
                other < deny.location
                ? (other, deny.location, "DENY") : (deny.location, other, "CONTINUE")
            out.append(
                Diagnostic(
                    .policyBothContinueAndDeny,
                    "variant \(deny.value) is under both CONTINUE and DENY in plan `\(plan.internalName.value)`",
                    at: second, notes: [DiagnosticNote("also listed under \(secondPolicy == "DENY" ? "CONTINUE" : "DENY") here", at: first)]
                ))
        }
        if let removal = plan.removalPolicy, plan.variants == nil {
            out.append(
                Diagnostic(
                    .fieldNotApplicable,
                    "`inventory_policy_on_removal` applies only when the plan declares `variants` (it is the policy of the variants the configuration removes)",
                    at: removal.location))
        }
        // With names in the plan, which ids they stand for is known only once Shopify resolves
        // them: the check runs then (``NameResolver``).
        if plan[.productVariantsSource]?.value == .string("custom"), let variants = plan.variants, namesResolved || !plan.hasNames {
            let members = Set(variants.map(\.value))
            for policy in InventoryPolicy.allCases {
                for id in plan.inventoryPolicy[policy] ?? [] where !members.contains(id.value) {
                    out.append(
                        Diagnostic(
                            .policyVariantNotInPlan,
                            "variant \(id.value) has a \(policy.rawValue) policy but is not in this custom-source plan's `variants`; add it to `variants` or set its policy in the plan that sells it",
                            at: id.location,
                            notes: [DiagnosticNote("`variants` of plan `\(plan.internalName.value)`", at: plan.variantsKeyLocation)]))
                }
            }
        }
        return out
    }

    static func ignoredButDeclared(_ plan: SellingPlanSpec, settings: Settings) -> [Diagnostic] {
        let ignores = settings.ignoreRules(for: plan)
        var out: [Diagnostic] = []
        var reported = Set<PlanField>()
        for ignore in ignores {
            guard let declared = plan[ignore.value], reported.insert(ignore.value).inserted else { continue }
            out.append(
                Diagnostic(
                    .ignoredFieldDeclared,
                    "`\(ignore.value.rawValue)` is declared but also ignored, so this value is never sent or compared",
                    at: declared.keyLocation, notes: [DiagnosticNote("ignored here", at: ignore.location)]))
        }
        return out
    }

    static func identities(_ plans: [SellingPlanSpec]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var names: [String: SourceLocation] = [:]
        var ids: [String: SourceLocation] = [:]
        for plan in plans.sorted(by: { $0.internalName.location < $1.internalName.location }) {
            let name = plan.internalName
            if let first = names[name.value] {
                out.append(
                    Diagnostic(
                        .duplicateInternalName,
                        "`internal_name: \(name.value)` is declared twice; internal names are unique across all files",
                        at: name.location, notes: [DiagnosticNote("first declared here", at: first)]))
            } else {
                names[name.value] = name.location
            }
            if let id = plan.id {
                if let first = ids[id.value] {
                    out.append(
                        Diagnostic(
                            .duplicateID, "`id: \(id.value)` is declared by two plans; an id pins one plan only",
                            at: id.location, notes: [DiagnosticNote("first declared here", at: first)]))
                } else {
                    ids[id.value] = id.location
                }
            }
        }
        return out
    }

    public static func policiesAcrossPlans(_ plans: [SellingPlanSpec]) -> [Diagnostic] {
        /// The first plan (in file order) to give a variant a policy.
        struct Claim {
            var policy: InventoryPolicy
            var plan: Int
            var location: SourceLocation
        }
        let total = plans.reduce(0) { $0 + $1.inventoryPolicy.values.reduce(0) { $0 + $1.count } }
        var claims: [Int64: Claim] = [:]
        claims.reserveCapacity(total)
        var out: [Diagnostic] = []
        // Plans come in file order, so the first claim seen is the first one written.
        for (index, plan) in plans.enumerated() {
            for policy in InventoryPolicy.allCases {
                for id in plan.inventoryPolicy[policy] ?? [] {
                    guard let first = claims[id.value] else {
                        claims[id.value] = Claim(policy: policy, plan: index, location: id.location)
                        continue
                    }
                    guard first.plan != index, first.policy != policy else { continue }
                    let firstName = plans[first.plan].internalName.value
                    out.append(
                        Diagnostic(
                            .policyConflictAcrossPlans,
                            "variant \(id.value) is \(policy.rawValue) in plan `\(plan.internalName.value)` but \(first.policy.rawValue) in plan `\(firstName)`; a variant has one Shopify inventory policy",
                            at: id.location, notes: [DiagnosticNote("\(first.policy.rawValue) here", at: first.location)]))
                }
            }
        }
        return out
    }

    static func settingsReferences(_ state: DesiredState) -> [Diagnostic] {
        let names = Set(state.plans.map(\.internalName.value))
        return state.settings.plans.sorted(by: { $0.key < $1.key }).compactMap { name, settings in
            guard !names.contains(name) else { return nil }
            return Diagnostic(
                .unknownPlanReference,
                "stoqctl.yaml has settings for plan `\(name)`, but no config file declares it\(Suggest.hint(for: name, in: names.sorted()))",
                at: settings.reference)
        }
    }
}
