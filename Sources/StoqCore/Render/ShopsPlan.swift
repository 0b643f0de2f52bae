import StoqWire

/// One shop's part of a plan of several shops: its plan and verdict, or why it has none.
public struct ShopPart: Sendable {
    /// The shop's name (`shops:` key).
    public var shop: String
    /// Its myshopify.com domain, when configured.
    public var domain: String?
    /// Its plan, when it was made.
    public var plan: Plan?
    /// The plan's verdict.
    public var verdict: SafetyVerdict?
    /// Why there is no plan (the first error), when there is none.
    public var failure: String?

    /// Creates a part.
    public init(shop: String, domain: String? = nil, plan: Plan? = nil, verdict: SafetyVerdict? = nil, failure: String? = nil) {
        self.shop = shop
        self.domain = domain
        self.plan = plan
        self.verdict = verdict
        self.failure = failure
    }

    /// `no changes`, `apply will proceed`, `apply will be refused`, or `not planned`.
    var outcome: String {
        guard let plan, let verdict else { return "not planned" }
        if verdict.refuses { return "apply will be refused" }
        if plan.isEmpty { return "no changes" }
        return verdict.notices.isEmpty ? "apply will proceed" : "apply will proceed with overrides"
    }

    /// What the plan does in one line, or why there is none (outside text: a server's answer, or a
    /// saved document's `not_planned`, shown on one line).
    var line: String {
        guard let plan else { return Sanitiser.shown(failure ?? "not planned") }
        return plan.isEmpty ? "The shop matches the configuration." : PlanText.summaryLine(plan)
    }

    /// `eu (acme-eu.myshopify.com)`, on one line (a saved document's domain is outside text).
    var title: String { Sanitiser.shown(domain.map { "\(shop) (\($0))" } ?? shop) }
}

/// A plan of several shops in every format: one line per shop first, then each shop's plan.
///
/// Each shop's plan is shown as a plan of one shop shows it. Outside text goes through ``Sanitiser`` in each format's style.
public enum ShopsPlan {
    /// GitHub's comment limit.
    public static let commentBudget = 65_536
    /// The least room a shop's section is given: a plan's summary, its counts and a few changes.
    static let smallestSection = 2_500

    /// `parts` in `format`.
    public static func render(_ parts: [ShopPart], format: OutputFormat, color: Bool = false) -> String {
        switch format {
        case .text: text(parts, color: color)
        case .markdown: markdown(parts, budget: commentBudget)
        case .json: Sanitiser.output(PlanJSON.renderShops(parts), style: .json)
        case .github: github(parts)
        }
    }

    /// The one-line-per-shop lead, then each planned shop's text plan under its name.
    static func text(_ parts: [ShopPart], color: Bool) -> String {
        var out = "Plan of \(PlanText.count(parts.count)) shop\(parts.count == 1 ? "" : "s"):\n"
        for part in parts { out += "  \(Sanitiser.output(part.shop, style: .text)): \(part.outcome). \(part.line)\n" }
        let renderer = TextPlanRenderer(color: color)
        for part in parts {
            guard let plan = part.plan, let verdict = part.verdict else { continue }
            out += "\n=== shop \(part.title) ===\n\n" + renderer.render(plan, verdict: verdict)
            if !out.hasSuffix("\n") { out += "\n" }
        }
        return Sanitiser.output(out, style: .text)
    }

    /// The comment: a table with one row per shop, then a collapsed section per shop with
    /// changes, each given an equal share of what the table leaves of `budget`; a section that
    /// does not fit its share even shortened is left out and said so.
    public static func markdown(_ parts: [ShopPart], budget: Int) -> String {
        let refused = parts.filter { $0.verdict?.refuses == true }.count
        let failed = parts.filter { $0.plan == nil }.count
        let changing = parts.filter { $0.plan.map { !$0.isEmpty } ?? false }.count
        var head = "### stoqctl plan: \(PlanText.count(parts.count)) shop\(parts.count == 1 ? "" : "s") — "
        if failed > 0 {
            head += "\(PlanText.count(failed)) not planned"
        } else if refused > 0 {
            head += "apply will be refused for \(PlanText.count(refused))"
        } else if changing == 0 {
            head += "no changes"
        } else {
            head += "apply will proceed"
        }
        head += "\n\n| shop | outcome | changes |\n|---|---|---|\n"
        for part in parts {
            let mark = part.plan == nil ? "❌ " : part.verdict?.refuses == true ? "⛔ " : ""
            head +=
                "| \(MarkdownPlanRenderer.escape(part.title)) | \(mark)\(part.outcome) | \(MarkdownPlanRenderer.escape(part.line.replacingOccurrences(of: "`", with: "'"))) |\n"
        }
        head += "\n"
        let shown = parts.filter { part in part.plan.map { !$0.isEmpty } ?? false || part.verdict?.refuses == true }
        var sections = ""
        var left: [String] = []
        // The closing note may name every shop left out: its room is kept aside.
        var room = budget - head.count - 300 - shown.reduce(0) { $0 + $1.shop.count + 2 }
        for (index, part) in shown.enumerated() {
            guard let plan = part.plan, let verdict = part.verdict else { continue }
            let open = "<details><summary>\(MarkdownPlanRenderer.escape(part.title)): \(part.outcome)</summary>\n\n"
            let close = "\n</details>\n\n"
            // An equal share of what is left, and never less than a short plan needs: what a
            // small plan leaves goes to the shops after it, and shops that no longer fit are named.
            let share = max(room / (shown.count - index), Self.smallestSection)
            let inner = share - open.count - close.count
            guard share <= room else {
                left.append(part.shop)
                continue
            }
            let body = MarkdownPlanRenderer(budget: inner).render(plan, verdict: verdict)
            guard body.count <= inner else {
                left.append(part.shop)
                continue
            }
            sections += open + body + close
            room -= open.count + body.count + close.count
        }
        var out = head + sections
        if !left.isEmpty {
            out +=
                "The plans of \(PlanText.count(left.count)) shop\(left.count == 1 ? "" : "s") (\(MarkdownPlanRenderer.escape(left.joined(separator: ", ")))) do not fit in this comment; `stoqctl plan --shop NAME` shows one.\n"
        }
        return Sanitiser.output(out, style: .markdown)
    }

    /// Each shop's annotations, after a plain line naming the shop.
    static func github(_ parts: [ShopPart]) -> String {
        var out = ""
        for part in parts {
            out += "shop \(part.title): \(part.outcome). \(part.line)\n"
            guard let plan = part.plan, let verdict = part.verdict else { continue }
            // Annotations name their shop: two shops' changes to one line are two annotations.
            out += GitHubPlanRenderer().render(plan, verdict: verdict)
                .replacingOccurrences(of: "title=stoqctl plan%3A ", with: "title=stoqctl plan \(part.shop)%3A ")
            if !out.hasSuffix("\n") { out += "\n" }
        }
        return Sanitiser.output(out, style: .workflowCommands)
    }
}

extension PlanJSON {
    /// The document of several shops' plans: `shop_plans` (its format version) and `shops`, one
    /// entry per shop in order: its name, its `shopify_shop`, and its `plan` (a plan document with
    /// its own `shop` and `plan_hash`, which `apply --shop` applies alone) or, when it has none,
    /// `not_planned` (why).
    public static func renderShops(_ parts: [ShopPart]) -> String {
        let entries = parts.map { part -> JSONValue in
            var members: [(String, JSONValue)] = [
                (Key.shop, .string(part.shop)), ("shopify_shop", part.domain.map(JSONValue.string) ?? .null),
            ]
            if let plan = part.plan {
                members.append(("plan", document(plan)))
            } else {
                members.append(("not_planned", .string(part.failure ?? "not planned")))
            }
            return .object(members)
        }
        return JSONValue.object([(Key.shopPlans, .integer(1)), (Key.shops, .array(entries))]).render() + "\n"
    }

    /// One shop's entry of a document of several shops' plans: its plan document's text, or why
    /// it has none.
    public struct ShopEntry: Sendable {
        /// The shop's name.
        public var shop: String
        /// Its domain, as the document gives it.
        public var domain: String?
        /// Its plan document, as text (checked by ``decode(_:)`` when read).
        public var text: String?
        /// Why it has no plan.
        public var notPlanned: String?
    }

    /// The entries of a document of several shops' plans; nil when `text` is not such a document
    /// (a plan of one shop, or not JSON).
    public static func shopParts(_ text: String) throws(PlanFileError) -> [ShopEntry]? {
        guard let json = try? JSONValue.parse(text), json[Key.shopPlans] != nil else { return nil }
        guard json[Key.shopPlans]?.int64Value == 1 else {
            throw PlanFileError("unknown shop_plans version \(json[Key.shopPlans]?.renderCompact() ?? ""): plan again with this stoqctl")
        }
        guard let items = json[Key.shops]?.arrayValue else { throw PlanFileError("`shops` must be a list of shops' plans") }
        var entries: [ShopEntry] = []
        for (index, item) in items.enumerated() {
            guard let shop = item[Key.shop]?.stringValue, ShopSettings.isName(shop) else {
                throw PlanFileError("shops[\(index)] does not name its shop")
            }
            guard !entries.contains(where: { $0.shop == shop }) else { throw PlanFileError("shop `\(shop)` is in the file twice") }
            var entry = ShopEntry(shop: shop, domain: item["shopify_shop"]?.stringValue)
            if let plan = item["plan"], plan.objectValue != nil {
                guard plan[Key.shop]?.stringValue == shop else {
                    throw PlanFileError("shops[\(index)]: the plan of shop `\(shop)` names another shop")
                }
                entry.text = plan.render()
            } else {
                entry.notPlanned = item["not_planned"]?.stringValue ?? "not planned"
            }
            entries.append(entry)
        }
        return entries
    }
}
