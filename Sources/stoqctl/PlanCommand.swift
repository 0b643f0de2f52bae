import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// `stoqctl plan`: what apply would change, shown for review.
struct PlanCommand: StoqctlCommand {
    /// The formats it prints: checked on the command line, and listed in its help.
    static let formats: [OutputFormat] = OutputFormat.allCases

    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compare the configuration with the shop and show the changes apply would make.",
        discussion: """
            Validates the configuration, reads the shop with the fewest calls (the plan
            list, then one read per managed plan), and prints the ordered operations
            with their YAML lines, the values they change, the requests they compile to
            and their API cost, the plan hash, and any safety gate that apply would
            refuse it by. Formats: \(HelpLists.formats(formats, or: "and")).

            The plan is judged with the same --allow-gate and --allow-deletes as apply:
            when apply would refuse it, plan exits 3, so CI can tell from the exit code
            alone, with or without --detailed-exitcode. With --detailed-exitcode, changes
            apply would make exit 2 as in Terraform; a nightly drift job therefore sees 3,
            not 2, when the drift it found is refused by a gate.

            EXAMPLES
              stoqctl plan examples/shop \\
                  --endpoint emulator:examples/shop/remote-state.json
              # a pull-request comment
              stoqctl plan shop/ --format markdown > plan.md
              # annotations on the YAML lines
              stoqctl plan shop/ --format github
              # save it; later: stoqctl apply plan.json
              stoqctl plan shop/ --out plan.json
              # nightly drift check: exit 2 on changes, 3 when apply would refuse them
              stoqctl plan shop/ --detailed-exitcode
              stoqctl plan shop/ --target fall-drop-2026            # one plan only

            """ + ExitStatus.helpSection([.success, .failure, .changesPresent, .refused, .usage]))

    @Argument(help: "Configuration files or directories (default: the current directory).", completion: .configuration)
    var paths: [String] = []

    @OptionGroup var output: FormatOption
    @OptionGroup var planning: PlanningOptions
    @OptionGroup var remote: RemoteOptions

    @Option(help: "Also write the plan as JSON to this file (a saved plan for `stoqctl apply FILE`).", completion: .file())
    var out: String?

    @Flag(help: "Exit 2 when there are changes, 0 when there are none; a plan apply would refuse exits 3 either way.")
    var detailedExitcode = false

    @Option(
        help: ArgumentHelp(
            "Which changes make --detailed-exitcode exit 2: all, config (the configuration changed since the baseline) or drift (the shop changed).",
            discussion: "config and drift need a baseline. A PR job: --changes config; a nightly drift check: --changes drift."))
    var changes: ChangeFilter = .all

    /// `--changes`.
    enum ChangeFilter: String, ExpressibleByArgument, CaseIterable {
        case all, config, drift

        var attribution: Attribution {
            switch self {
            case .all: .both
            case .config: .config
            case .drift: .remote
            }
        }
    }

    func validate() throws {
        try output.check(Self.formats, command: "plan")
        if changes != .all, !detailedExitcode {
            throw ValidationError("--changes \(changes.rawValue) says which changes --detailed-exitcode counts; add --detailed-exitcode")
        }
    }

    func execute() async -> ExitStatus {
        let console = Console(format: output.format, color: output.color)
        let record = planning.readNamesRecord(console: console)
        if record.failed {
            console.finish(.usage)
            return .usage
        }
        let configInput = readConfiguration(paths)
        let loaded = ConfigPipeline.run(configInput)
        if loaded.desired.hasShops, !loaded.hasErrors {
            return await executeShops(configInput, loaded: loaded, record: record.record, console: console)
        }
        let slot = SessionSlot(remote, console: console, repository: repositoryRoot(paths))
        var input = PlanRun.Input(config: configInput)
        input.loaded = loaded
        input.shop = planning.shops.first
        // A repository of several shops with errors reaches here too: its errors are the answer.
        if planning.shops.count > 1, !loaded.desired.hasShops {
            console.report(
                .usage,
                "--shop is given \(planning.shops.count) times, but stoqctl.yaml has no `shops:`: this repository describes one shop")
            console.finish(.usage)
            return .usage
        }
        input.targets = planning.targets
        input.allowDeletes = planning.allowDeletes
        input.overrides = planning.overrides
        input.budget = remote.budget
        input.baseline = planning.baselineRef
        input.namesRecord = record.record
        input.readBaseline = BaselineReader.reader(for: paths, runnerRef: planning.baselineRef)
        let outcome = await PlanRun.run(input, connect: slot.connect)
        console.show(sources: outcome.config.sources + outcome.baselineSources)
        console.reportRun(outcome.diagnostics, config: outcome.config)
        if changes != .all, outcome.failure == nil, outcome.plan?.baseline == nil {
            console.report(
                .usage, "--changes \(changes.rawValue) needs a baseline (--baseline, STOQCTL_BASELINE or baseline: in stoqctl.yaml)")
            console.finish(.usage)
            _ = await slot.close()
            return .usage
        }
        if let plan = outcome.plan, !plan.resolutions.isEmpty, let read = outcome.policyRead {
            // What the names cost, beside the plan's estimate of what apply sends to STOQ.
            console.log(
                "Read Shopify (\(read.state.source)) to resolve \(PlanText.count(Set(plan.resolutions.map(\.selector)).count)) names and read titles and policies: \(PlanText.count(read.queries)) \(read.queries == 1 ? "query" : "queries"), \(PlanText.count(read.points)) points\(read.throttled > 0 ? ", \(read.throttled) THROTTLED answers waited out" : "")."
            )
        }
        let members = outcome.memberTitleReads
        if members.plans > 0 {
            // Without Shopify, what the members' titles cost STOQ (beside the plan's estimate).
            console.log(
                "Read STOQ for the titles of \(PlanText.variants(members.titled)) being removed: \(PlanText.count(members.plans)) \(members.plans == 1 ? "request" : "requests"), \(PlanText.count(members.plans)) points\(members.untitled > 0 ? "; \(PlanText.count(members.untitled)) more in other plans are shown by id" : "")."
            )
        }
        var status = outcome.status(detailedExitcode: detailedExitcode, counting: changes.attribution)
        if let plan = outcome.plan, let verdict = outcome.verdict {
            let shown = output.format.planRenderer(color: output.color.enabled).render(plan, verdict: verdict)
            console.result(shown)
            if let out,
                let failed = write(output.format == .json ? shown : PlanJSON.render(plan), to: out, option: "--out", console: console)
            {
                status = max(status, failed)
            }
        }
        if let closing = await slot.close() { status = max(status, closing) }
        console.finish(status)
        return status
    }

    /// A repository of several shops: every shop (or those `--shop` names) planned at once, each
    /// on its own connection, shown grouped by shop.
    func executeShops(_ configInput: ConfigInput, loaded: ConfigResult, record: [VariantResolution]?, console: Console) async
        -> ExitStatus
    {
        let shops: [String]
        switch ShopSessions.choose(loaded.desired, selected: planning.shops, options: remote, console: console) {
        case .stopped(let status): return status
        case .shops(let chosen): shops = chosen
        }
        let sessions = ShopSessions(remote, console: console, repository: repositoryRoot(paths), shops: shops)
        var input = PlanRun.Input(config: configInput)
        input.targets = planning.targets
        input.allowDeletes = planning.allowDeletes
        input.overrides = planning.overrides
        input.budget = remote.budget
        input.baseline = planning.baselineRef
        input.namesRecord = shops.count == 1 ? record : nil
        if record != nil, shops.count > 1 {
            // A record holds one store's variant ids: read against another store, every name would move.
            console.report([
                Diagnostic(
                    .usage,
                    "--names-record is not used: it records one shop's names, and this plan covers \(shops.count) shops; plan one with --shop to show its moves",
                    at: nil, severity: .warning)
            ])
        }
        input.readBaseline = BaselineReader.reader(for: paths, runnerRef: planning.baselineRef)
        let results = await ShopsRun.plan(input, shops: shops, loaded: loaded, connect: sessions.connect)
        var status = ExitStatus.success
        var parts: [ShopPart] = []
        console.show(sources: loaded.sources + results.flatMap(\.outcome.baselineSources))
        console.reportRun(ShopSessions.diagnostics(of: results.map { ($0.shop, $0.outcome.diagnostics) }), config: loaded)
        for (shop, outcome) in results {
            let domain = loaded.desired.shop(named: shop)?.shopifyShop.flatMap { ShopDomain.normalize($0.value) }
            status = max(status, outcome.status(detailedExitcode: detailedExitcode, counting: changes.attribution))
            if changes != .all, outcome.failure == nil, outcome.plan?.baseline == nil {
                console.report(
                    .usage, "--changes \(changes.rawValue) needs a baseline (--baseline, STOQCTL_BASELINE or baseline: in stoqctl.yaml)")
                status = max(status, .usage)
            }
            let failure = outcome.diagnostics.first { $0.severity == .error }.map { ShopSessions.named($0, shop: shop).message }
            parts.append(ShopPart(shop: shop, domain: domain, plan: outcome.plan, verdict: outcome.verdict, failure: failure))
        }
        let shown = ShopsPlan.render(parts, format: output.format, color: output.color.enabled)
        console.result(shown)
        if let out, let failed = write(PlanJSON.renderShops(parts), to: out, option: "--out", console: console) {
            status = max(status, failed)
        }
        if let closing = await sessions.close() { status = max(status, closing) }
        console.finish(status)
        return status
    }
}
