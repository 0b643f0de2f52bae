import ArgumentParser
import Foundation
import StoqAPI
import StoqCore
import StoqWire

/// `stoqctl apply`: make the shop match the configuration, or execute a saved plan.
struct ApplyCommand: StoqctlCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the shop match the configuration, or execute a saved plan.",
        discussion: """
            With configuration paths, plans exactly as `stoqctl plan` does, prints the
            plan, then executes it. With a .json file written by `stoqctl plan --out`
            first, followed by the configuration it was planned from (default: the
            current directory), executes the reviewed part of that plan: the file must
            be unmodified (its plan_hash is checked), the plan is made again from the
            configuration and the live shop, and everything sent (targets, values,
            request bodies) and every gate comes from that, never from the file. An
            operation of the file the configuration does not declare refuses the whole
            apply; one the shop changed under since the plan is a conflict, and so is
            every operation compared with the live plan just before it is written, on
            the values it was planned from; the others proceed. A saved plan applies
            only at the endpoint it was planned against, chosen by the command line or
            the environment, never by the file.

            Before anything is sent, the plan is measured against the safety gates of
            stoqctl.yaml: \(HelpLists.gates(or: "and")).
            A tripped gate refuses the whole plan unless --allow-gate GATE=HASH names
            it, pinned to this plan's hash. A plan that deletes needs --allow-deletes.
            There is no confirmation prompt: review happens on the plan.

            Operations of one plan run in order, different plans concurrently, all
            through one rate governor; each is reported in plan order as it finishes.
            No membership or policy write is sent into a running STOQ job. With policies
            read from Shopify, apply waits for the policy jobs it starts and confirms
            that every toggled variant changed (--no-wait skips this).
            When an operation fails after its retries, later operations of the same plan
            are skipped with the reason and other plans go on. Running apply again
            converges.

            One apply per shop at a time: once it knows which shop it talks to, and
            before it reads the shop to plan, apply takes the shop's apply lock (--lock).
            While another apply holds it, apply says who and waits up to --lock-wait
            seconds, then exits 6 with nothing sent. The lock is renewed while apply
            runs and released when it ends; if it is lost mid-run, nothing more is sent.

            EXAMPLES
              stoqctl apply examples/shop \\
                  --endpoint emulator:examples/shop/remote-state.json
              stoqctl plan shop/ --out plan.json && stoqctl apply plan.json shop/ \\
                  --report report.json
              stoqctl apply plan.json shop/ --allow-gate updates=3f9a1c2e7d4b5a60
              # with prune: true, delete unmanaged plans
              stoqctl apply shop/ --allow-deletes

            """ + ExitStatus.helpSection([.success, .failure, .refused, .conflict, .partialFailure, .locked, .usage]))

    @Argument(
        help:
            "Configuration files or directories (default: the current directory), after a saved plan (.json) when applying one.",
        completion: .configurationOrSavedPlan)
    var paths: [String] = []

    @OptionGroup var planning: PlanningOptions
    @OptionGroup var remote: RemoteOptions
    @OptionGroup var locking: LockOptions

    @Option(help: "Colour: auto (only on a terminal, without NO_COLOR, not TERM=dumb), always or never.")
    var color: ColorChoice = .auto

    @Option(help: "Write a JSON report of every operation to this file.", completion: .file())
    var report: String?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Wait for the inventory-policy jobs apply starts and confirm in Shopify that they took effect (when policies are read from Shopify)."
    )
    var wait = true

    @Option(
        name: .customLong("reviewed-names"),
        help: ArgumentHelp(
            "What the configuration's variant names resolved to when it was reviewed: a saved plan or an apply report (JSON).",
            discussion:
                "For applying a configuration (a saved plan carries its own review). Each name that resolves otherwise now than the record says is a `resolution-changed` warning and is listed in the report's `names_changed_since_review`, names gone since and new ones included. It only reports: what is sent is planned now, as without it. The GitHub Action passes what each merged pull request's plan comment showed."
        ),
        completion: .savedPlan)
    var reviewedNames: String?

    /// The saved plan named by the arguments, if they name one: the first, a .json file.
    var savedPlanPath: String? {
        guard let path = paths.first, path.lowercased().hasSuffix(".json") else { return nil }
        return path
    }

    /// The configuration paths: every argument after a saved plan.
    var configPaths: [String] { savedPlanPath == nil ? paths : Array(paths.dropFirst()) }

    func validate() throws {
        if configPaths.contains(where: { $0.lowercased().hasSuffix(".json") }) {
            throw ValidationError(
                "a saved plan (.json) comes first, followed by the configuration it was planned from: stoqctl apply plan.json shop/")
        }
        if savedPlanPath != nil, !planning.targets.isEmpty {
            throw ValidationError("--target cannot narrow a saved plan; plan again with --target")
        }
        if savedPlanPath != nil, reviewedNames != nil {
            throw ValidationError(
                "--reviewed-names is for applying a configuration; a saved plan carries its own review (its resolutions)")
        }
    }

    func execute() async -> ExitStatus {
        let console = Console(color: color)
        let record = planning.readNamesRecord(console: console)
        let reviewed = readRecordOfNames(reviewedNames, option: "--reviewed-names", console: console)
        if record.failed || reviewed.failed {
            console.finish(.usage)
            return .usage
        }
        var savedPlan = savedPlanPath.flatMap { file in readSavedPlan(file, console: console).map { (file, $0) } }
        if savedPlanPath != nil, savedPlan == nil { return .failure }
        let configInput = readConfiguration(configPaths)
        let loaded = ConfigPipeline.run(configInput)
        if let (file, text) = savedPlan {
            switch Self.shopPart(of: text, file: file, shops: planning.shops) {
            case .failure(let failure):
                console.report([failure.diagnostic])
                console.finish(failure.status)
                return failure.status
            case .success(let part): savedPlan = (file, part)
            }
        }
        let shops: [String]
        if loaded.hasErrors {
            // One run reports the configuration's errors (and sends nothing).
            shops = Array(loaded.desired.shopNames.prefix(1))
        } else {
            switch ShopSessions.choose(loaded.desired, selected: planning.shops, options: remote, console: console) {
            case .stopped(let status): return status
            case .shops(let chosen): shops = chosen
            }
        }
        if shops.count > 1, savedPlan != nil {
            console.report(
                .usage,
                "a saved plan is one shop's plan, and stoqctl.yaml describes \(shops.count) shops; name its shop with --shop")
            console.finish(.usage)
            return .usage
        }
        if shops.count > 1 {
            return await executeShops(
                shops, configInput: configInput, loaded: loaded, record: record.record, reviewed: reviewed.record, console: console)
        }
        return await apply(
            shop: shops.first, configInput: configInput, loaded: loaded, savedPlan: savedPlan, record: record.record,
            reviewed: reviewed.record, console: console)
    }

    /// The text of the plan `text` holds for the shop `--shop` names: `text` itself for a plan
    /// of one shop, or that shop's part of a plan of several.
    static func shopPart(of text: String, file: String, shops: [String]) -> Result<String, RunFailure> {
        let parts: [PlanJSON.ShopEntry]
        do {
            guard let found = try PlanJSON.shopParts(text) else { return .success(text) }
            parts = found
        } catch {
            return .failure(RunFailure(.savedPlanRefused, "\(file): \(error.message); nothing was sent"))
        }
        let names = parts.map(\.shop)
        // `--shop eu --shop eu` names one shop, as everywhere else.
        let named = shops.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard named.count == 1, let shop = named.first else {
            return .failure(
                RunFailure(
                    .usage,
                    "\(file) holds the plans of \(names.count) shops (\(names.joined(separator: ", "))); apply one with --shop NAME (a CI matrix runs one job per shop)",
                    status: .usage))
        }
        guard let part = parts.first(where: { $0.shop == shop }), let planText = part.text else {
            return .failure(
                RunFailure(
                    .savedPlanRefused,
                    "\(file) has no plan for shop `\(shop)` (it has \(parts.filter { $0.text != nil }.map(\.shop).joined(separator: ", "))); nothing was sent"
                ))
        }
        return .success(planText)
    }

    /// Applies one shop: the repository's only one (`shop` nil), or the shop of several named.
    func apply(
        shop: String?, configInput: ConfigInput, loaded: ConfigResult, savedPlan: (String, String)?, record: [VariantResolution]?,
        reviewed: [VariantResolution]?, console: Console, label: String = "", barrier: ShopBarrier? = nil, targets: [String]? = nil
    ) async -> ExitStatus {
        let slot = SessionSlot(
            remote, console: console, repository: repositoryRoot(configPaths),
            savedPlan: savedPlan.map { (name: $0.0, endpoint: ApplyCommand.plannedEndpoint($0.1)) })
        let lock = ApplyLocking(locking, console: console)
        var input = PlanRun.Input(config: configInput)
        input.loaded = loaded
        input.shop = shop
        input.targets = targets ?? planning.targets
        input.budget = remote.budget
        input.baseline = planning.baselineRef
        input.namesRecord = record
        input.readBaseline = BaselineReader.reader(for: configPaths, runnerRef: planning.baselineRef)
        let source: ApplyRun.Source
        if let (file, text) = savedPlan {
            source = .savedPlan(name: file, text: text, config: input)
        } else {
            source = .configuration(input)
        }
        let reportPath = label.isEmpty ? report : report.map { Self.reportPath($0, shop: shop ?? "") }
        let partial = PartialReport(path: reportPath, shop: { lock.shop?.description })
        // Written first when a signal ends apply (the lock is released after it).
        if reportPath != nil { SignalExit.shared.add { await partial.flush() } }
        let render = TextPlanRenderer(color: color.enabled)
        var applyInput = ApplyRun.Input(
            source: source, overrides: planning.overrides, allowDeletes: planning.allowDeletes, verifyPolicies: wait,
            reviewedNames: reviewed)
        if let barrier, let shop { applyInput.beforeWriting = { ids in await barrier.arrive(shop, ids: ids) } }
        let outcome = await ApplyRun.run(
            applyInput,
            connect: lock.connect(through: slot)
        ) { event in
            switch event {
            case .planned(let plan, let verdict, let saved):
                console.result(Self.labelled(render.render(plan, verdict: verdict), label))
                if let saved {
                    let baseline = plan.baseline.map { ", attributed against the baseline \($0.description)" } ?? ""
                    console.result(
                        label
                            + "\nApplying the saved plan \(saved) (\(verdict.shortHash)\(baseline)); each operation is checked against STOQ first.\n"
                    )
                }
                await partial.start(planHash: verdict.planHash)
            case .applying(let count):
                console.result("\n\(label)Applying \(count) operation\(count == 1 ? "" : "s")…\n")
            case .finished(let item, let done, let total):
                await partial.add(item)
                console.progress("\(label)[\(done)/\(total)] \(Self.describe(item))")
            }
        }
        await partial.finish()
        console.show(sources: (outcome.config?.sources ?? []) + outcome.baselineSources)
        let diagnostics = shop.map { name in outcome.diagnostics.map { ShopSessions.named($0, shop: name) } } ?? outcome.diagnostics
        console.reportRun(diagnostics, config: outcome.config)
        var status = outcome.status
        if var result = outcome.report {
            result.shop = lock.shop?.description
            if !result.items.isEmpty, outcome.verdict?.refuses != true {
                console.result("\n" + label + result.summaryLine + "\n")
            }
            if let reportPath, let failed = write(result.json(), to: reportPath, option: "--report", console: console) {
                status = max(status, failed)
            }
        }
        if let closing = await slot.close() { status = max(status, closing) }
        // Released after the session closed: an emulator's state file is written by then.
        await lock.release()
        console.finish(status)
        return status
    }

    /// Every shop of `shops` applied at once, each as `apply --shop NAME` would apply it (its own
    /// connection, lock, baseline, cache and report), its output lines marked with its name.
    func executeShops(
        _ shops: [String], configInput: ConfigInput, loaded: ConfigResult, record: [VariantResolution]?, reviewed: [VariantResolution]?,
        console: Console
    ) async -> ExitStatus {
        if record != nil || reviewed != nil {
            // A record holds one store's variant ids: against another store, every name would move.
            console.report([
                Diagnostic(
                    .usage,
                    "--names-record and --reviewed-names are not used: they record one shop's names, and this apply covers \(shops.count) shops; apply one with --shop to use them",
                    at: nil, severity: .warning)
            ])
        }
        // With --target, the shops that get a target (a target no shop gets: every shop, to say so).
        let targeted = ShopsRun.targeted(shops, in: loaded.desired, targets: planning.targets)
        let barrier = ShopBarrier(shops: targeted.map(\.shop))
        let statuses = await withTaskGroup(of: ExitStatus.self) { group in
            for (shop, targets) in targeted {
                group.addTask {
                    let status = await apply(
                        shop: shop, configInput: configInput, loaded: loaded, savedPlan: nil, record: nil, reviewed: nil,
                        console: console, label: "[\(shop)] ", barrier: barrier, targets: targets)
                    await barrier.leave(shop)
                    return status
                }
            }
            var all: [ExitStatus] = []
            for await status in group { all.append(status) }
            return all
        }
        let status = statuses.max() ?? .success
        console.finish(status)
        return status
    }

    /// `text` with `label` before each line (nothing without a label).
    static func labelled(_ text: String, _ label: String) -> String {
        guard !label.isEmpty else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : label + $0 }.joined(separator: "\n")
    }

    /// `report.eu.json` for `report.json` and shop `eu`: one report per shop.
    static func reportPath(_ path: String, shop: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return ext.isEmpty ? "\(base).\(shop)" : "\(base).\(shop).\(ext)"
    }

    /// The endpoint a saved plan's text records, if it records one (the plan is checked fully
    /// later; this only lets the access policy refuse before anything is opened).
    static func plannedEndpoint(_ text: String) -> String? {
        (try? JSONValue.parse(text))?["endpoint"]?.stringValue
    }

    static func describe(_ item: ApplyReport.Item) -> String {
        let op = item.operation
        var what = "\(op.kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(op.plan.internalName)"
        if !op.variantIDs.isEmpty { what += " (\(PlanText.variants(op.variantIDs.count))\(op.policy.map { " → \($0.rawValue)" } ?? ""))" }
        switch item.status {
        case .applied:
            if let message = item.message { return "= \(what): \(message)" }
            let confirmed = item.verification.map { "; \($0.text)" } ?? ""
            return "✓ \(what)\(item.adopted ? " (adopted an existing plan with this internal_name)" : "")\(confirmed)"
        case .failed: return "✗ \(what): \(item.message ?? "")"
        case .skipped: return "- \(what): \(item.message ?? "skipped")"
        case .conflict: return "! \(what): \(item.message ?? "conflict")"
        }
    }
}
