import StoqWire

/// GitHub workflow annotations that point each planned change at its YAML line.
public struct GitHubPlanRenderer: PlanRenderer {
    /// Creates the renderer.
    public init() {}

    /// One `::notice` (or `::warning` for deletes) per plan, an `::error` per refusal, then the
    /// summary line; past GitHub's 10 annotations of a kind per step, plain log lines and one
    /// notice that says how many.
    ///
    /// Outside text is shown through ``Sanitiser``.
    public func render(_ plan: Plan, verdict: SafetyVerdict) -> String {
        Sanitiser.output(annotations(plan.shown, verdict: verdict), style: .workflowCommands)
    }

    func annotations(_ plan: Plan, verdict: SafetyVerdict) -> String {
        var out = ""
        var budget = DiagnosticRenderer.AnnotationBudget()
        if let headline = PlanText.permissionHeadline(plan) {
            out += budget.command(
                "warning", location: nil, title: "stoqctl plan: permissions",
                message: headline + ": " + plan.permissionChanges.map(\.sentence).joined(separator: "; "))
        }
        let parts = PlanText.sections(plan).flatMap { section in
            section.groups.map { (drift: section.kind == .drift, $0) }
        }
        for (drift, g) in parts {
            var lines: [String] = []
            let moves = VariantText.moves(plan, in: g)
            var movesShown = moves.isEmpty
            for op in g.operations {
                if !movesShown, op.kind.hasVariants {
                    lines += moves.map { "~ \(VariantText.plainMove($0, info: plan.variantInfo))" }
                    movesShown = true
                }
                guard let op = VariantText.withoutMoved(op, moves) else { continue }
                switch op.kind {
                case .create, .update:
                    for c in op.changes {
                        let note = PlanText.attributionNote(c).map { " (\($0))" } ?? ""
                        lines.append(
                            op.kind == .create
                                ? "+ \(c.field) = \(PlanText.value(c.after))\(note)"
                                : "~ \(c.field): \(PlanText.before(c)) → \(PlanText.value(c.after))\(note)")
                    }
                case .addVariants: lines.append("+ add \(PlanText.variants(op.variantIDs.count))")
                case .removeVariants: lines.append("- remove \(PlanText.variants(op.variantIDs.count))\(PlanText.removalPolicy(op))")
                case .setInventoryPolicy where op.isChange:
                    lines.append("~ inventory policy \(PlanText.transition(op)): \(PlanText.variants(op.variantIDs.count))")
                case .delete: lines.append("- delete the plan")
                default: break
                }
                if op.kind.hasVariants, op.isChange || op.kind != .setInventoryPolicy {
                    lines += VariantText.plainLines(op.variantIDs, info: plan.variantInfo).map { "  " + $0 }
                }
            }
            let groupIDs = Set(g.operations.filter(\.isChange).flatMap(\.variantIDs))
            let names = VariantText.changedResolutions(plan, of: g.plan.internalName, ids: groupIDs)
            lines += names.prefix(VariantText.resolutionsShown).map { "= \(VariantText.plainResolution($0))" }
            if names.count > VariantText.resolutionsShown {
                lines.append("= … (\(PlanText.count(names.count - VariantText.resolutionsShown)) more names)")
            }
            let command = g.action == .delete ? "warning" : "notice"
            let title = "stoqctl plan: \(g.verb) \(g.plan.internalName)\(drift ? " (drift: changed in STOQ)" : "")"
            out += budget.command(command, location: g.location, title: title, message: lines.joined(separator: "\n"))
        }
        for u in plan.unknownVariants {
            out += budget.command(
                "warning", location: u.location, title: "stoqctl plan: unknown variant \(u.id)",
                message:
                    "Shopify does not know variant \(u.id)\(plan.variantInfo[u.id].map { " (" + VariantText.plain($0, product: true) + ")" } ?? ""); its \(u.policy.rawValue) policy in \(u.plan.internalName) is not sent"
            )
        }
        if let note = VariantText.titlesNote(plan) {
            out += budget.command("notice", location: nil, title: "stoqctl plan: variant titles", message: note)
        }
        if let statement = PlanText.policyStatement(plan) {
            out += budget.command("notice", location: nil, title: "stoqctl plan: inventory policy", message: statement)
        }
        for d in plan.blockedDeletes {
            out += budget.command(
                "warning", location: nil, title: "stoqctl plan: \(d.plan.internalName)",
                message: "exists only in STOQ and would be deleted with --allow-deletes")
        }
        let footer = PlanText.footer(plan, verdict: verdict)
        for refusal in footer.refusals {
            out += budget.command("error", location: nil, title: "stoqctl plan: safety gate", message: refusal.sentence)
        }
        for notice in footer.notices {
            out += budget.command("warning", location: nil, title: "stoqctl plan: safety gate", message: notice.sentence)
        }
        return out + budget.closing() + PlanText.summaryLine(plan) + "\n"
    }
}
