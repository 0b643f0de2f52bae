import StoqWire

/// Markdown for a pull-request comment, written for GitHub's parser (cmark-gfm).
///
/// The first line is the outcome (apply will proceed, will be refused and how to override it, or
/// no changes); then the summary, a table of what is sent (every row with its requests and
/// points), inventory policy by direction (CONTINUE can oversell, DENY stops selling), one
/// collapsible section per plan (plans with identical changes together), and what is left alone.
/// Details are shortened, never the outcome or the summary, to stay under GitHub's 65,536
/// characters, and the comment says so near the top.
///
/// Shop text never becomes Markdown: values are code spans, text is escaped, raw HTML (`<summary>`)
/// gets HTML escaping only, and `@name` never mentions anyone.
public struct MarkdownPlanRenderer: PlanRenderer {
    /// Largest comment, in characters.
    public var budget: Int

    /// Creates a renderer with GitHub's comment limit as the default budget.
    public init(budget: Int = 65_536) { self.budget = budget }

    /// Plans with the same field changes (and nothing else) are shown as one entry from this many.
    static let sameChangesGroup = 3
    /// Ids listed before "(N more)" in full details.
    static let idsShown = 20
    /// Names listed before "(N more)" for unmanaged plans and shortened groups.
    static let namesShown = 20

    // MARK: - Escaping

    /// Text for a Markdown paragraph, list item or table cell: characters Markdown reads as
    /// syntax are escaped, HTML is shown as text, and `@name` mentions no one.
    public static func escape(_ s: String) -> String {
        replacing(s) { ch in
            switch ch {
            case "\\", "`", "*", "_", "[", "]", "|", "~", "#", "!": "\\" + String(ch)
            case "\n": "<br>"
            case "\r": ""
            default: nil
            }
        }
    }

    /// Text inside raw HTML (`<summary>`), where Markdown is not read: HTML escaping only.
    static func html(_ s: String) -> String {
        replacing(s) { ch in
            switch ch {
            case "\"": "&quot;"
            case "\n", "\r": " "
            default: nil
            }
        }
    }

    /// `s` with `<`, `>` and `&` as entities, an `@` that would start a mention followed by a
    /// zero-width space, and every other character as `special` writes it (nil: as it is).
    static func replacing(_ s: String, _ special: (Character) -> String?) -> String {
        var out = ""
        var previous: Character = " "
        for ch in s {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "@" where !(previous.isLetter || previous.isNumber): out += "@&#8203;"
            default: if let text = special(ch) { out += text } else { out.append(ch) }
            }
            previous = ch
        }
        return out
    }

    /// Inline code inside raw HTML.
    static func htmlCode(_ s: String) -> String { "<code>" + html(s) + "</code>" }

    /// A code span that holds any text: its backtick fence is longer than any run of backticks
    /// inside; in a table cell `|` is written `\|`, which GitHub's table parser reads as `|`.
    static func code(_ s: String, inTable: Bool = false) -> String {
        var text = s.replacingAll("\r", "").replacingAll("\n", " ")
        if inTable { text = text.replacingAll("|", "\\|") }
        let fence = String(repeating: "`", count: longestBacktickRun(text) + 1)
        let pad =
            text.hasPrefix("`") || text.hasSuffix("`") || (text.hasPrefix(" ") && text.hasSuffix(" ") && !text.allSatisfy { $0 == " " })
        return pad ? "\(fence) \(text) \(fence)" : "\(fence)\(text)\(fence)"
    }

    /// A sentence with `backtick` spans (as stoqctl's messages write names): the spans become code,
    /// the rest escaped text.
    ///
    /// A name with backticks of its own can shift which parts are code;
    /// every part is still either a whole code span or escaped text (an empty span is left out:
    /// two backticks would open a span, not close one).
    static func inline(_ sentence: String) -> String {
        let parts = sentence.split(separator: "`", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.count % 2 == 1 else { return escape(sentence) }
        return parts.enumerated().map { part in
            part.offset % 2 == 0 ? escape(String(part.element)) : part.element.isEmpty ? "" : code(String(part.element))
        }.joined()
    }

    /// The longest run of backticks in `text`: a fence one longer cannot be closed by the content.
    static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0
        var run = 0
        for ch in text {
            run = ch == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// A fenced code block that no content can close early.
    static func fenced(_ text: String, info: String = "") -> String {
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(text) + 1))
        return "\(fence)\(info)\n\(text.hasSuffix("\n") ? text : text + "\n")\(fence)\n"
    }

    /// `a, b, c, … (N more)`.
    static func list(_ items: [String], shown: Int) -> String {
        let head = items.prefix(shown).joined(separator: ", ")
        return items.count > shown ? "\(head), … (\(PlanText.count(items.count - shown)) more)" : head
    }

    // MARK: - The comment

    /// The comment, its outside text shown through ``Sanitiser``.
    public func render(_ plan: Plan, verdict: SafetyVerdict) -> String {
        Sanitiser.output(comment(plan.shown, verdict: verdict), style: .markdown)
    }

    func comment(_ plan: Plan, verdict: SafetyVerdict) -> String {
        let footer = PlanText.footer(plan, verdict: verdict)
        let tail = leftAlone(plan)
        let policy = policySection(plan)
        let entries = PlanText.sections(plan).map { section in (section.kind.title, Self.entries(section.groups)) }
        let count = entries.reduce(0) { $0 + $1.1.count }
        // The full details, then shorter ones, until the comment fits; at the last level, the
        // plans that do not fit are left out and counted.
        for level in 0...2 {
            var notes: [String] = []
            if level > 0 { notes.append("Details are shortened to keep this comment under \(PlanText.count(budget)) characters.") }
            var head = self.head(plan, verdict: verdict, footer: footer, notes: notes)
            var body = ""
            var shown = 0
            var full = true
            sections: for (title, list) in entries where !list.isEmpty {
                let header = "#### \(Self.escape(title ?? "Changes"))\n\n"
                var section = ""
                for entry in list {
                    let text = details(entry, level: level, plan: plan)
                    if head.count + body.count + header.count + section.count + text.count + policy.count + tail.count + 400 > budget {
                        full = false
                        if !section.isEmpty { body += header + section }
                        break sections
                    }
                    section += text
                    shown += 1
                }
                body += header + section
            }
            if full || level == 2 {
                if !full {
                    let omitted = count - shown
                    notes.append(
                        "\(PlanText.count(omitted)) more plan\(omitted == 1 ? " is" : "s are") not shown to keep this comment under \(PlanText.count(budget)) characters."
                    )
                    head = self.head(plan, verdict: verdict, footer: footer, notes: notes)
                }
                return head + policy + body + tail
            }
        }
        return ""
    }

    /// The outcome, the summary, the refusal with its override, the counts and the hash.
    func head(_ plan: Plan, verdict: SafetyVerdict, footer: (refusals: [Refusal], notices: [SafetyNotice], hash: String?), notes: [String])
        -> String
    {
        let s = plan.summary
        var out = "### stoqctl plan: "
        if verdict.refuses {
            out += "apply will be refused\n\n"
        } else if plan.isEmpty {
            out += "no changes\n\n"
        } else {
            out += verdict.notices.isEmpty ? "apply will proceed\n\n" : "apply will proceed with overrides\n\n"
        }
        if let headline = PlanText.permissionHeadline(plan) {
            out += "> [!WARNING]\n> **\(Self.escape(headline)).** This pull request "
            out += plan.permissionChanges.map { Self.escape($0.sentence) }.joined(separator: "; ") + ".\n\n"
        }
        if plan.isEmpty {
            out += "The shop matches the configuration."
            if s.requests > 0 {
                out +=
                    " Apply sends the \(PlanText.count(s.unverifiedPolicyVariants)) declared inventory policies again, unverified (\(PlanText.calls(s.requests)), \(PlanText.count(s.points)) points)."
            }
            out += "\n\n"
        } else {
            out += "**\(Self.escape(PlanText.summaryLine(plan)))**\n\n"
        }
        if verdict.refuses {
            out += "> [!CAUTION]\n> **Apply will refuse this plan and send nothing.**\n>\n"
            // The remedy is the override command and the approval snippet below.
            for refusal in footer.refusals { out += "> - \(Self.inline(PlanText.sentence(refusal.reason)))\n" }
            let quoted = { (text: String, info: String) in
                Self.fenced(text, info: info).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "> \($0)" }
                    .joined(separator: "\n") + "\n"
            }
            if let approvals = approvalSnippet(verdict) {
                out +=
                    ">\n> To approve it in review, add to `stoqctl.yaml` in this pull request (the apply on merge then lets it through):\n>\n"
                out += quoted(approvals, "yaml")
            }
            out += ">\n> Or, after review, apply it by hand with:\n>\n" + quoted(overrideCommand(verdict), "sh") + "\n"
        }
        for notice in footer.notices { out += "> [!NOTE]\n> \(Self.inline(notice.sentence))\n\n" }
        for note in notes { out += "> [!NOTE]\n> \(Self.escape(note)) The JSON plan (`plan --out`) has every detail.\n\n" }
        if s.requests > 0 { out += counts(plan) }
        if let hash = footer.hash { out += "Plan hash: \(Self.code(hash))\n\n" }
        return out
    }

    /// The `safety.approvals` entries that approve the refused gates' changes, as YAML (nil when
    /// only deletes are refused, which need `--allow-deletes`, or when drift alone trips the
    /// gates, which no approval lets through).
    func approvalSnippet(_ verdict: SafetyVerdict) -> String? {
        let entries = verdict.decisions.filter { $0.refuses && $0.approvable }.compactMap { decision in
            decision.change.map { "    - {gate: \(decision.check.gate.rawValue), change: \($0)}" }
        }
        return entries.isEmpty ? nil : (["safety:", "  approvals:"] + entries).joined(separator: "\n")
    }

    /// `stoqctl apply plan.json CONFIG --allow-gate updates=… --allow-deletes`: what lets a refused
    /// plan through, pinned to this plan.
    func overrideCommand(_ verdict: SafetyVerdict) -> String {
        let pin = verdict.shortHash.dropFirst("sha256:".count)
        var words = ["stoqctl", "apply", "plan.json", "CONFIG"]
        for decision in verdict.decisions where decision.refuses { words += ["--allow-gate", "\(decision.check.gate.rawValue)=\(pin)"] }
        if verdict.deletesWithoutPermission > 0 { words.append("--allow-deletes") }
        return words.joined(separator: " ")
    }

    /// What is sent, by kind: plans, variants, requests and points on every row.
    func counts(_ plan: Plan) -> String {
        struct Row {
            var plans = Set<PlanRef>()
            var variants = 0
            var requests = 0
            var points = 0
            /// False for rows of whole plans (create, update, delete): their variants cell is empty.
            var countsVariants = false
        }
        var rows: [String: Row] = [:]
        var order: [String] = []
        func add(_ label: String, _ op: PlanOperation, variants: Bool) {
            if rows[label] == nil { order.append(label) }
            rows[label, default: Row()].plans.insert(op.plan)
            rows[label]?.countsVariants = variants
            if variants { rows[label]?.variants += op.variantIDs.count }
            rows[label]?.requests += op.requests.count
            rows[label]?.points += op.cost
        }
        let labels = ["create plans", "update plans", "delete plans", "add variants", "remove variants"]
        for op in plan.operations {
            switch op.kind {
            case .create: add(labels[0], op, variants: false)
            case .update: add(labels[1], op, variants: false)
            case .delete: add(labels[2], op, variants: false)
            case .addVariants: add(labels[3], op, variants: true)
            case .removeVariants: add(labels[4], op, variants: true)
            case .setInventoryPolicy:
                let to = op.policy?.rawValue ?? ""
                let label =
                    op.inProgress
                    ? "inventory policy → \(to), in progress"
                    : op.isChange ? "inventory policy → \(to)" : "inventory policy → \(to), declared (unverified)"
                add(label, op, variants: true)
            }
        }
        let sorted = labels.filter { rows[$0] != nil } + order.filter { !labels.contains($0) }.sorted()
        var out = "| sent | plans | variants | requests | points |\n|---|---:|---:|---:|---:|\n"
        var requests = 0
        var points = 0
        for label in sorted {
            guard let row = rows[label] else { continue }
            let variants = row.countsVariants ? PlanText.count(row.variants) : ""
            out +=
                "| \(label) | \(PlanText.count(row.plans.count)) | \(variants) | \(PlanText.count(row.requests)) | \(PlanText.count(row.points)) |\n"
            requests += row.requests
            points += row.points
        }
        out += "| **total** | | | **\(PlanText.count(requests))** | **\(PlanText.count(points))** |\n\n"
        return out
    }

    /// Inventory policy by direction: which plans' variants will keep selling when out of stock
    /// (CONTINUE) and which will stop (DENY), verified or not.
    func policySection(_ plan: Plan) -> String {
        let statement = PlanText.policyStatement(plan)
        let policies = plan.operations.filter { $0.kind == .setInventoryPolicy }
        let removals = plan.operations.filter { $0.kind == .removeVariants && $0.policy != nil }
        guard statement != nil || !policies.isEmpty || !removals.isEmpty || !plan.unknownVariants.isEmpty else { return "" }
        var out = "#### Inventory policy\n\n"
        if let statement { out += Self.escape(statement) + "\n\n" }
        let meaning: [InventoryPolicy: String] = [
            .continue: "keeps selling when out of stock (can oversell)",
            .deny: "stops selling when out of stock",
        ]
        for policy in InventoryPolicy.allCases {
            for (label, ops) in [
                ("", policies.filter { $0.policy == policy && $0.isChange }),
                (", declared, sent unverified", policies.filter { $0.policy == policy && !$0.isChange && !$0.inProgress }),
                (
                    ", in progress (a STOQ job was running; apply waits and sends only what still differs)",
                    policies.filter { $0.policy == policy && $0.inProgress }
                ),
                (", as they leave their plan (set with the removal)", removals.filter { $0.policy == policy }),
            ] where !ops.isEmpty {
                let total = ops.reduce(0) { $0 + $1.variantIDs.count }
                var perPlan: [(PlanRef, Int)] = []
                for op in ops {
                    if let i = perPlan.firstIndex(where: { $0.0 == op.plan }) {
                        perPlan[i].1 += op.variantIDs.count
                    } else {
                        perPlan.append((op.plan, op.variantIDs.count))
                    }
                }
                let plans = perPlan.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map {
                    "\(PlanText.count($0.1)) in \(Self.code($0.0.internalName))"
                }
                out +=
                    "- **→ \(policy.rawValue)**\(Self.escape(label)), \(meaning[policy] ?? ""): \(PlanText.variants(total))\(perPlan.count == 1 ? " in \(Self.code(perPlan[0].0.internalName))" : ": " + Self.list(plans, shown: Self.namesShown))\n"
            }
        }
        if !plan.unknownVariants.isEmpty {
            let shown = plan.unknownVariants.map { u in
                let title = plan.variantInfo[u.id].map { Self.variantWithProduct($0) + ", " } ?? ""
                return "\(Self.code(String(u.id))) (\(title)\(Self.code(u.plan.internalName)), \(u.policy.rawValue))"
            }
            out += "- **Unknown to Shopify**, declared policies not sent: \(Self.list(shown, shown: Self.namesShown))\n"
        }
        return out + "\n"
    }

    /// Plans not changed: unmanaged, deletes held back, fields that cannot be verified, targets.
    func leftAlone(_ plan: Plan) -> String {
        var out = VariantText.titlesNote(plan).map { Self.escape($0) + "\n\n" } ?? ""
        let names = VariantText.changedResolutions(plan)
        if !names.isEmpty {
            out += "Names in the configuration behind these changes, as Shopify resolved them:\n\n"
            for r in names.prefix(VariantText.resolutionsShown) {
                let ids = Self.list(r.ids.map(String.init), shown: VariantText.variantsShown)
                out +=
                    "- \(Self.code(r.selector.description)) in \(Self.code(r.plan)) → \(r.ids.count == 1 ? ids : "\(PlanText.variants(r.ids.count)): \(ids)")\(r.location.map { " (\(Self.escape($0.file)):\($0.line))" } ?? "")\n"
            }
            if names.count > VariantText.resolutionsShown {
                out += "- … (\(PlanText.count(names.count - VariantText.resolutionsShown)) more)\n"
            }
            out += "\n"
        }
        if !plan.blockedDeletes.isEmpty {
            out +=
                "> [!WARNING]\n> Not deleted without `--allow-deletes` (prune is on; no file declares them): "
                + Self.list(plan.blockedDeletes.map { Self.code($0.plan.internalName) }, shown: Self.namesShown) + "\n\n"
        }
        if !plan.unverifiable.isEmpty {
            out +=
                "Cannot be verified (STOQ never returns these fields; they are sent with a create or an update): "
                + plan.unverifiable.map { "\(Self.code($0.plan.internalName)) " + $0.fields.map { Self.code($0) }.joined(separator: ", ") }
                .joined(separator: "; ") + "\n\n"
        }
        if !plan.unmanaged.isEmpty {
            let n = plan.unmanaged.count
            out +=
                "\(PlanText.count(n)) plan\(n == 1 ? "" : "s") in the shop \(n == 1 ? "is" : "are") not managed by this configuration and left alone: "
                + Self.list(plan.unmanaged.map { Self.code($0.plan.internalName) }, shown: Self.namesShown) + "\n\n"
        }
        if !plan.targets.isEmpty {
            out +=
                "Limited to `--target` " + plan.targets.map { Self.code($0) }.joined(separator: ", ")
                + "; other plans were not compared.\n\n"
        }
        return out
    }

    // MARK: - Plans

    /// One collapsible entry: a plan, or several plans with the same field changes.
    struct Entry {
        var groups: [PlanGroup]
        var first: PlanGroup { groups[0] }
    }

    /// The groups of a section as entries: plans whose only changes are the same field changes
    /// share one entry when there are at least ``sameChangesGroup`` of them.
    static func entries(_ groups: [PlanGroup]) -> [Entry] {
        func signature(_ g: PlanGroup) -> String? {
            guard g.action == .update, g.operations.allSatisfy({ $0.kind == .update }) else { return nil }
            return g.operations.flatMap(\.changes).map {
                "\($0.field.name)\u{1}\(PlanText.before($0))\u{1}\(PlanText.value($0.after))\u{1}\(PlanText.attributionNote($0) ?? "")"
            }.joined(separator: "\u{2}")
        }
        var bySignature: [String: [Int]] = [:]
        for (i, g) in groups.enumerated() { if let s = signature(g) { bySignature[s, default: []].append(i) } }
        var entries: [Entry] = []
        var placed = Set<Int>()
        for (i, g) in groups.enumerated() where !placed.contains(i) {
            if let s = signature(g), let members = bySignature[s], members.count >= sameChangesGroup {
                entries.append(Entry(groups: members.map { groups[$0] }))
                placed.formUnion(members)
            } else {
                entries.append(Entry(groups: [g]))
                placed.insert(i)
            }
        }
        return entries
    }

    /// An entry's collapsible section.
    ///
    /// Level 0: every field and up to ``idsShown`` ids; 1: fields without ids; 2: only counts.
    func details(_ entry: Entry, level: Int, plan: Plan) -> String {
        let g = entry.first
        let changes = g.operations.filter { $0.kind == .create || $0.kind == .update }.flatMap(\.changes)
        var out = "<details><summary>"
        if entry.groups.count > 1 {
            let listed = changes.prefix(3).map {
                "\(Self.htmlCode($0.field.name)) \(Self.html(PlanText.before($0))) → \(Self.html(PlanText.value($0.after)))"
            }
            let more = changes.count > 3 ? ", and \(changes.count - 3) more fields" : ""
            out +=
                "\(g.symbol) \(g.verb) \(PlanText.count(entry.groups.count)) plans: \(listed.joined(separator: ", "))\(more)</summary>\n\n"
        } else {
            let where_ = g.location.map { " — \(Self.html($0.file)):\($0.line)" } ?? ""
            out += "\(g.symbol) \(g.verb) \(Self.htmlCode(g.plan.internalName))\(where_)</summary>\n\n"
        }
        if level < 2, !changes.isEmpty {
            out += "| field | before | after |\n|---|---|---|\n"
            for c in changes {
                let before =
                    g.action == .create ? "" : c.before == nil ? "_\(PlanText.before(c))_" : Self.code(PlanText.before(c), inTable: true)
                let note = PlanText.attributionNote(c).map { " _(\(Self.escape($0)))_" } ?? ""
                out +=
                    "| \(Self.code(c.field.name, inTable: true)) | \(before) | \(Self.code(PlanText.value(c.after), inTable: true))\(note) |\n"
            }
            out += "\n"
        } else if !changes.isEmpty {
            out += "\(changes.count) field\(changes.count == 1 ? "" : "s") changed.\n\n"
        }
        if entry.groups.count > 1 {
            let names = entry.groups.map { member in
                Self.code(member.plan.internalName) + (member.location.map { " (\(Self.escape($0.file)):\($0.line))" } ?? "")
            }
            out += "Plans: " + Self.list(names, shown: level == 0 ? names.count : Self.namesShown) + "\n"
            return out + "\n</details>\n\n"
        }
        let moves = VariantText.moves(plan, in: g)
        if level < 2 {
            for m in moves { out += "- \(Self.move(m, info: plan.variantInfo))\n" }
        } else if !moves.isEmpty {
            out += "- \(PlanText.count(moves.count)) name\(moves.count == 1 ? "" : "s") moved to another variant\n"
        }
        for op in g.operations {
            guard let op = VariantText.withoutMoved(op, moves) else { continue }
            let ids = level == 0 ? ": " + Self.list(op.variantIDs.map(String.init), shown: Self.idsShown) : ""
            let calls = PlanText.calls(op.requests.count)
            switch op.kind {
            case .addVariants: out += "- add \(PlanText.variants(op.variantIDs.count)) in \(calls)\(ids)\n"
            case .setInventoryPolicy where op.isChange:
                out += "- inventory policy \(PlanText.transition(op)): \(PlanText.variants(op.variantIDs.count)) in \(calls)\(ids)\n"
            case .removeVariants:
                out += "- remove \(PlanText.variants(op.variantIDs.count)) in \(calls)\(PlanText.removalPolicy(op))\(ids)\n"
            case .delete: out += "- delete the plan\n"
            default: continue
            }
            out += products(op, info: plan.variantInfo, level: level)
        }
        return out + "\n</details>\n\n"
    }

    /// The variants of a membership or policy operation by product, one nested item each.
    ///
    /// `+ Fall Tee: Black / S (TEE-BLK-S), …` for membership, `Fall Tee: Black / S (…) → CONTINUE`
    /// for policy. Level 0 names up to ``VariantText/variantsShown`` variants of each product,
    /// level 1 counts them, level 2 shows none.
    func products(_ op: PlanOperation, info: [Int64: CatalogueVariant], level: Int) -> String {
        guard level < 2, op.kind.hasVariants else { return "" }
        let (groups, untitled) = VariantText.groups(op.variantIDs, info: info)
        guard !groups.isEmpty else { return "" }
        var out = ""
        let sign =
            switch op.kind {
            case .addVariants: "\\+ "
            case .removeVariants: "\\- "
            default: ""
            }
        let policy = op.kind == .setInventoryPolicy ? op.policy.map { " → \($0.rawValue)" } ?? "" : ""
        for g in groups.prefix(VariantText.productsShown) {
            let title = g.title.map { Self.escape($0) + (g.status.map { " (\(Self.escape($0)))" } ?? "") + ": " } ?? ""
            let list =
                level == 0
                ? Self.list(g.variants.map(Self.variant), shown: VariantText.variantsShown) : PlanText.variants(g.variants.count)
            out += "  - \(sign)\(title)\(list)\(policy)\n"
        }
        if groups.count > VariantText.productsShown {
            let n = groups.count - VariantText.productsShown
            out += "  - … (\(PlanText.count(n)) more product\(n == 1 ? "" : "s"))\n"
        }
        if level == 0, let line = VariantText.withoutDetails(untitled) {
            out += "  - \(line)\(policy)\n"
        } else if !untitled.isEmpty {
            out += "  - without details: \(PlanText.variants(untitled.count))\(policy)\n"
        }
        return out
    }

    /// `Black / S (`TEE-BLK-S`)`, or the SKU (or `id …`) alone for a variant without a title of
    /// its own.
    static func variant(_ v: CatalogueVariant) -> String {
        let ref = v.sku.map { code($0) } ?? "id \(v.id)"
        return VariantText.variantTitle(v).map { "\(escape($0)) (\(ref))" } ?? ref
    }

    /// A variant with its product: `Fall Tee (draft) — Black / S (`TEE-BLK-S`)`.
    static func variantWithProduct(_ v: CatalogueVariant) -> String {
        guard let p = v.productTitle else { return variant(v) }
        let marked = escape(p) + (VariantText.status(v).map { " (\(escape($0)))" } ?? "")
        let ref = v.sku.map { code($0) } ?? "id \(v.id)"
        return VariantText.variantTitle(v).map { "\(marked) — \(escape($0)) (\(ref))" } ?? "\(marked) (\(ref))"
    }

    /// `` `sku:TEE-BLK-S` moved: 43900910010503 → 44120000000771 (Fall Tee — Black / S) ``.
    static func move(_ m: VariantMove, info: [Int64: CatalogueVariant]) -> String {
        "\(code(m.selector.description)) moved: \(m.from) → \(m.to)"
            + (VariantText.moveTitles(m, info: info).map { " (\(escape($0)))" } ?? "")
    }

    // MARK: - Failure

    /// The comment for a run that failed before it had a plan: what failed, and every problem
    /// as the terminal shows it.
    public static func failure(status: ExitStatus, diagnostics: [Diagnostic], details: String) -> String {
        Sanitiser.output(failureComment(status: status, diagnostics: diagnostics.map(\.shown), details: details), style: .markdown)
    }

    static func failureComment(status: ExitStatus, diagnostics: [Diagnostic], details: String) -> String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        var out = "### stoqctl plan: failed\n\n"
        out +=
            "**No plan was made (exit \(status.rawValue)): \(errors == 1 ? "1 error" : "\(PlanText.count(errors)) errors"); nothing was sent.**\n\n"
        for d in diagnostics.filter({ $0.severity == .error }).prefix(10) {
            let place = d.location.map { "\(Self.code($0.description)): " } ?? ""
            out += "- \(place)\(Self.inline(d.message)) (\(Self.code(d.code.rawValue)))\n"
        }
        if errors > 10 { out += "- … (\(PlanText.count(errors - 10)) more below)\n" }
        out += "\n<details><summary>Every problem, as the terminal shows it</summary>\n\n"
        let lines = details.split(separator: "\n", omittingEmptySubsequences: false)
        let kept =
            lines.count > 400
            ? lines.prefix(400).joined(separator: "\n") + "\n… (\(PlanText.count(lines.count - 400)) more lines)" : details
        return out + fenced(kept, info: "text") + "\n</details>\n"
    }
}
