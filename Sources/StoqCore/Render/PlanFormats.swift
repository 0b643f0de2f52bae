import StoqWire

/// GitHub workflow annotations that point each planned change at its YAML line.
public struct GitHubPlanRenderer: PlanRenderer {
    /// Creates the renderer.
    public init() {}

    /// One `::notice` (or `::warning` for deletes) per plan, an `::error` per refusal, then the
    /// summary line.
    public func render(_ plan: Plan, verdict: SafetyVerdict) -> String {
        var out = ""
        let parts = PlanText.sections(plan).flatMap { section in
            section.groups.map { (drift: section.title?.hasPrefix("Drift") == true, $0) }
        }
        for (drift, g) in parts {
            var lines: [String] = []
            for op in g.operations {
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
                case .removeVariants: lines.append("- remove \(PlanText.variants(op.variantIDs.count))")
                case .setInventoryPolicy where op.isChange:
                    lines.append("~ inventory policy \(PlanText.transition(op)): \(PlanText.variants(op.variantIDs.count))")
                case .delete: lines.append("- delete the plan")
                default: break
                }
            }
            let command = g.action == .delete ? "warning" : "notice"
            let title = "stoqctl plan: \(g.verb) \(g.plan.internalName)\(drift ? " (drift: changed in STOQ)" : "")"
            out += DiagnosticRenderer.workflowCommand(command, location: g.location, title: title, message: lines.joined(separator: "\n"))
        }
        for u in plan.unknownVariants {
            out += DiagnosticRenderer.workflowCommand(
                "warning", location: u.location, title: "stoqctl plan: unknown variant \(u.id)",
                message: "Shopify does not know variant \(u.id); its \(u.policy.rawValue) policy in \(u.plan.internalName) is not sent")
        }
        if let statement = PlanText.policyStatement(plan) {
            out += DiagnosticRenderer.workflowCommand("notice", location: nil, title: "stoqctl plan: inventory policy", message: statement)
        }
        for d in plan.blockedDeletes {
            out += DiagnosticRenderer.workflowCommand(
                "warning", location: nil, title: "stoqctl plan: \(d.plan.internalName)",
                message: "exists only in STOQ and would be deleted with --allow-deletes")
        }
        let footer = PlanText.footer(plan, verdict: verdict)
        for line in footer.gateWarnings {
            out += DiagnosticRenderer.workflowCommand("error", location: nil, title: "stoqctl plan: safety gate", message: line)
        }
        for line in footer.overridden {
            out += DiagnosticRenderer.workflowCommand("warning", location: nil, title: "stoqctl plan: safety gate", message: line)
        }
        return out + PlanText.summaryLine(plan) + "\n"
    }
}

/// Markdown for a pull-request comment: summary first, one collapsible section per plan, and a size
/// budget that shortens details (never the summary) to stay under GitHub's 65,536 characters.
public struct MarkdownPlanRenderer: PlanRenderer {
    /// Largest comment, in characters.
    public var budget: Int

    /// Creates a renderer with GitHub's comment limit as the default budget.
    public init(budget: Int = 65_536) { self.budget = budget }

    /// Escapes text for a table cell or a line: `|`, backticks, `<`, `>`, `&` and newlines.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "|": out += "\\|"
            case "`": out += "\\`"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "*": out += "\\*"
            case "_": out += "\\_"
            case "\n": out += "<br>"
            case "\r": break
            default: out.append(ch)
            }
        }
        return out
    }

    /// Inline code that survives any content: `<code>` with HTML escaping.
    static func code(_ s: String) -> String {
        "<code>"
            + s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("|", "&#124;")
            .replacingAll("\n", " ") + "</code>"
    }

    /// The comment.
    public func render(_ plan: Plan, verdict: SafetyVerdict) -> String {
        var head = "### stoqctl plan\n\n"
        head +=
            plan.isEmpty ? "**No changes.** The shop matches the configuration.\n\n" : "**\(Self.escape(PlanText.summaryLine(plan)))**\n\n"
        let s = plan.summary
        head += "| | plans | variants | requests | points |\n|---|---:|---:|---:|---:|\n"
        head += "| create | \(s.create) | \(s.variantsAdded) added | | |\n"
        head += "| update | \(s.update) | \(s.variantsRemoved) removed | | |\n"
        head += "| delete | \(s.delete) | | | |\n"
        if plan.policiesVerified {
            for policy in InventoryPolicy.allCases.reversed() {
                head += "| policy → \(policy.rawValue) | | \(s.policyVariants[policy] ?? 0) | | |\n"
            }
            if s.inProgressPolicyVariants > 0 {
                head += "| policy, in progress | | \(s.inProgressPolicyVariants) | \(s.inProgressPolicyCalls) | |\n"
            }
        } else {
            head += "| policy (declared, unverified) | | \(s.unverifiedPolicyVariants) | \(s.unverifiedPolicyCalls) | |\n"
        }
        head += "| **total** | | | **\(s.requests)** | **\(s.points)** |\n\n"
        let footer = PlanText.footer(plan, verdict: verdict)
        for line in footer.gateWarnings { head += "> [!CAUTION]\n> \(Self.escape(line))\n\n" }
        for line in footer.overridden { head += "> [!NOTE]\n> \(Self.escape(line))\n\n" }
        if let hash = footer.hash { head += "Plan hash: \(Self.code(hash))\n\n" }
        if let statement = PlanText.policyStatement(plan) { head += Self.escape(statement) + "\n\n" }
        var tail = ""
        if !plan.blockedDeletes.isEmpty {
            tail +=
                "> [!WARNING]\n> Not deleted without `--allow-deletes`: "
                + plan.blockedDeletes.map { Self.code($0.plan.internalName) }.joined(separator: ", ") + "\n\n"
        }
        if !plan.unknownVariants.isEmpty {
            let shown = plan.unknownVariants.prefix(20).map { u in
                "\(Self.code(String(u.id))) (\(Self.code(u.plan.internalName)), \(u.policy.rawValue))"
            }
            let more = plan.unknownVariants.count > 20 ? ", and \(PlanText.count(plan.unknownVariants.count - 20)) more" : ""
            tail +=
                "> [!WARNING]\n> Shopify does not know these variants; their declared policies are not sent: "
                + shown.joined(separator: ", ") + more + "\n\n"
        }
        let pending = plan.operations.filter(\.inProgress)
        if !pending.isEmpty {
            tail +=
                "In progress (a STOQ job was running; apply waits for it and sends only what still differs): "
                + pending.map { "\(Self.code($0.plan.internalName)) \(PlanText.transition($0)) \(PlanText.variants($0.variantIDs.count))" }
                .joined(
                    separator: "; ") + "\n\n"
        }
        if !plan.unverifiable.isEmpty {
            tail +=
                "Cannot be verified (STOQ never returns them): "
                + plan.unverifiable.map { "\(Self.code($0.plan.internalName)) " + $0.fields.joined(separator: ", ") }.joined(
                    separator: "; ") + "\n\n"
        }
        if !plan.unmanaged.isEmpty {
            tail +=
                "\(plan.unmanaged.count) plan\(plan.unmanaged.count == 1 ? "" : "s") in the shop \(plan.unmanaged.count == 1 ? "is" : "are") not managed by this configuration.\n"
        }
        let sections = PlanText.sections(plan)
        let shown = sections.flatMap { section in section.groups.map { (section.title, $0) } }
        // Try the full details, then shorter ones, until the comment fits.
        for level in 0...2 {
            var body = ""
            var omitted = 0
            var title: String?
            for (index, (sectionTitle, g)) in shown.enumerated() {
                var section = ""
                if let sectionTitle, sectionTitle != title {
                    section += "#### \(Self.escape(sectionTitle))\n\n"
                    title = sectionTitle
                }
                section += details(g, level: level)
                let reserve = 200
                if head.count + body.count + section.count + tail.count + reserve > budget {
                    omitted = shown.count - index
                    break
                }
                body += section
            }
            if omitted == 0 || level == 2 {
                if omitted > 0 {
                    body +=
                        "\n_\(omitted) more plan\(omitted == 1 ? "" : "s") not shown to keep this comment under \(PlanText.count(budget)) characters; the JSON plan has every detail._\n\n"
                } else if level > 0 {
                    body +=
                        "_Details shortened to keep this comment under \(PlanText.count(budget)) characters; the JSON plan has every detail._\n\n"
                }
                return head + body + tail
            }
        }
        return head + tail
    }

    /// One plan's collapsible section.
    ///
    /// Level 0: every field and up to 20 ids; 1: fields without
    /// ids; 2: only counts.
    func details(_ g: PlanGroup, level: Int) -> String {
        let where_ = g.location.map { " — \(Self.escape($0.file)):\($0.line)" } ?? ""
        var out = "<details><summary>\(g.symbol) \(g.verb) \(Self.code(g.plan.internalName))\(where_)</summary>\n\n"
        let changes = g.operations.filter { $0.kind == .create || $0.kind == .update }.flatMap(\.changes)
        if level < 2, !changes.isEmpty {
            out += "| field | before | after |\n|---|---|---|\n"
            for c in changes {
                let before = g.action == .create ? "" : Self.escape(PlanText.before(c))
                let note = PlanText.attributionNote(c).map { " _(\(Self.escape($0)))_" } ?? ""
                out += "| \(Self.code(c.field.name)) | \(before) | \(Self.escape(PlanText.value(c.after)))\(note) |\n"
            }
            out += "\n"
        } else if !changes.isEmpty {
            out += "\(changes.count) field\(changes.count == 1 ? "" : "s") changed.\n\n"
        }
        for op in g.operations {
            let ids =
                level == 0
                ? ": " + Self.escape(op.variantIDs.prefix(20).map(String.init).joined(separator: ", "))
                    + (op.variantIDs.count > 20 ? ", …" : "") : ""
            switch op.kind {
            case .addVariants: out += "- add \(PlanText.variants(op.variantIDs.count)) in \(PlanText.calls(op.requests.count))\(ids)\n"
            case .setInventoryPolicy where op.isChange:
                out +=
                    "- inventory policy \(PlanText.transition(op)): \(PlanText.variants(op.variantIDs.count)) in \(PlanText.calls(op.requests.count))\(ids)\n"
            case .removeVariants:
                out += "- remove \(PlanText.variants(op.variantIDs.count)) in \(PlanText.calls(op.requests.count))\(ids)\n"
            case .delete: out += "- delete the plan\n"
            default: break
            }
        }
        return out + "\n</details>\n\n"
    }
}
