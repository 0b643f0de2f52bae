/// The rate-limit workload `stoqctl-bench api` measures and the scenario tests count: `plans`
/// custom plans of 20 variants each; the first `changed` get another `shipping_text`, the first
/// `grown` 200 more variants declared CONTINUE (sent unverified: the settings read no policies).
public enum RateWorkload {
    /// The shop in STOQ (an emulator state file), the configuration file and the settings file.
    public static func shop(plans: Int, changed: Int, grown: Int) -> (state: String, config: String, settings: String) {
        var items: [String] = []
        var yaml = "version: 1\nselling_plans:\n"
        var next: Int64 = 41_000_000_000_000
        for p in 0..<plans {
            let ids = (0..<20).map { _ -> Int64 in
                next += 3
                return next
            }
            items.append(remotePlan(id: "pl-\(p)", plan: p, variantIDs: ids))
            var variants = ids
            var declared: [Int64] = []
            if p < grown {
                for _ in 0..<200 {
                    next += 3
                    variants.append(next)
                    declared.append(next)
                }
            }
            yaml += offer(plan: p, shippingText: p < changed ? "Ships later" : "Ships soon")
            yaml += "    variants: [\(variants.map(String.init).joined(separator: ", "))]\n"
            if !declared.isEmpty {
                yaml += "    inventory_policy:\n      CONTINUE: [\(declared.map(String.init).joined(separator: ", "))]\n"
            }
        }
        let settings = "version: 1\ninventory_policy_source: declared\nsafety:\n  max_update_percent: 100\n  max_policy_flips: 1000000\n"
        return ("{\"plans\": [\(items.joined(separator: ",\n"))]}", yaml, settings)
    }

    /// Plan `plan` as STOQ holds it: the workload's fields, "Ships soon", and `variantIDs`.
    public static func remotePlan(id: String, plan p: Int, variantIDs: [Int64]) -> String {
        #"{"id": "\#(id)", "internal_name": "plan-\#(p)", "name": "Plan \#(p)", "enabled": true, "billing_type": "exact_time", "billing_at": "2026-10-01T09:00:00.000Z", "delivery_type": "asap", "pricing_type": "percentage", "pricing_percentage": 10.0, "product_variants_source": "custom", "shipping_text": "Ships soon", "shopify_variant_ids": [\#(variantIDs.map(String.init).joined(separator: ", "))]}"#
    }

    /// Plan `plan` as the configuration declares it (an item of `selling_plans:`), without its
    /// variants.
    public static func offer(plan p: Int, shippingText: String) -> String {
        """
          - internal_name: plan-\(p)
            name: "Plan \(p)"
            enabled: true
            billing_type: exact_time
            billing_at: 2026-10-01T09:00:00Z
            delivery_type: asap
            pricing_type: percentage
            pricing_percentage: 10
            product_variants_source: custom
            shipping_text: "\(shippingText)"

        """
    }
}
