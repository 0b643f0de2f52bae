import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// `stoqctl apply`: make the shop match the configuration, or execute a saved plan.
struct ApplyCommand: StoqctlCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the shop match the configuration, or execute a saved plan.",
        discussion: """
            With configuration paths, plans exactly as `stoqctl plan` does, prints the
            plan, then executes it. With one .json file written by `stoqctl plan --out`,
            executes that plan: the file must be unmodified (its plan_hash is checked),
            and every operation is compared with the live plan just before it is
            written, on the values it was planned from. An operation whose target
            changed since the plan is skipped as a conflict; the others proceed.

            Before anything is sent, the plan is measured against the safety gates of
            stoqctl.yaml (updates, deletes, policy_flips). A tripped gate refuses the
            whole plan unless --allow-gate GATE=HASH names it, pinned to this plan's
            hash. A plan that deletes needs --allow-deletes. There is no confirmation
            prompt: review happens on the plan.

            Operations of one plan run in order, different plans concurrently, all
            through one rate governor; each is reported in plan order as it finishes.
            No membership or policy write is sent into a running STOQ job. With policies
            read from Shopify, apply waits for the policy jobs it starts and confirms
            that every toggled variant changed (--no-wait skips this).
            When an operation fails after its retries, later operations of the same plan
            are skipped with the reason and other plans go on. Running apply again
            converges.

            EXAMPLES
              stoqctl apply examples/shop \\
                  --endpoint emulator:examples/shop/remote-state.json
              stoqctl plan shop/ --out plan.json && stoqctl apply plan.json \\
                  --report report.json
              stoqctl apply plan.json --allow-gate updates=3f9a1c2e7d4b5a60
              # with prune: true, delete unmanaged plans
              stoqctl apply shop/ --allow-deletes

            """ + ExitStatus.helpSection([.success, .failure, .refused, .conflict, .partialFailure, .usage]))

    @Argument(help: "Configuration files or directories (default: the current directory), or one saved plan (.json).")
    var paths: [String] = []

    @OptionGroup var planning: PlanningOptions
    @OptionGroup var remote: RemoteOptions

    @Option(help: "Colour: auto, always or never.")
    var color: ColorChoice = .auto

    @Option(help: "Write a JSON report of every operation to this file.")
    var report: String?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Wait for the inventory-policy jobs apply starts and confirm in Shopify that they took effect (when policies are read from Shopify)."
    )
    var wait = true

    /// The saved plan named by the arguments, if they name one.
    var savedPlanPath: String? {
        guard paths.count == 1, let path = paths.first, path.lowercased().hasSuffix(".json") else { return nil }
        return path
    }

    func validate() throws {
        if paths.count > 1, paths.contains(where: { $0.lowercased().hasSuffix(".json") }) {
            throw ValidationError("a saved plan (.json) is applied on its own, without configuration paths")
        }
        if savedPlanPath != nil, !planning.targets.isEmpty {
            throw ValidationError("--target cannot narrow a saved plan; plan again with --target")
        }
        if savedPlanPath != nil, planning.baseline != nil {
            throw ValidationError("--baseline does not apply to a saved plan: it was attributed against the baseline it was made with")
        }
    }

    func execute() async -> ExitStatus {
        let console = Console(color: color)
        let slot = SessionSlot(remote, console: console)
        let source: ApplyRun.Source
        if let file = savedPlanPath {
            guard let text = readSavedPlan(file, console: console) else { return .failure }
            source = .savedPlan(name: file, text: text)
        } else {
            var input = PlanRun.Input(config: readConfiguration(paths))
            input.targets = planning.targets
            input.budget = remote.budget
            input.baseline = planning.baselineRef
            input.readBaseline = BaselineReader.reader(for: paths)
            source = .configuration(input)
        }
        let partial = PartialReport(path: report)
        let interactive = isatty(STDOUT_FILENO) == 1
        let render = TextPlanRenderer(color: color.enabled)
        let outcome = await ApplyRun.run(
            ApplyRun.Input(source: source, overrides: planning.overrides, allowDeletes: planning.allowDeletes, verifyPolicies: wait),
            connect: slot.connect
        ) { event in
            switch event {
            case .planned(let plan, let verdict, let saved):
                console.result(render.render(plan, verdict: verdict))
                if let saved {
                    let baseline = plan.baseline.map { ", attributed against the baseline \($0.description)" } ?? ""
                    console.result(
                        "\nApplying the saved plan \(saved) (\(verdict.shortHash)\(baseline)); each operation is checked against STOQ first.\n"
                    )
                }
                await partial.start(planHash: verdict.planHash)
            case .applying(let count):
                console.result("\nApplying \(count) operation\(count == 1 ? "" : "s")…\n")
            case .finished(let item, let done, let total):
                await partial.add(item)
                let line = "[\(done)/\(total)] \(Self.describe(item))"
                console.result(interactive ? "\r\u{1B}[2K\(line)\n" : "\(line)\n")
            }
        }
        console.show(sources: (outcome.config?.sources ?? []) + outcome.baselineSources)
        console.reportRun(outcome.diagnostics, config: outcome.config)
        var status = outcome.status
        if let result = outcome.report {
            if !result.items.isEmpty, outcome.verdict?.refuses != true {
                console.result("\n" + result.summaryLine + "\n")
            }
            if let report, let failed = write(result.json(), to: report, option: "--report", console: console) {
                status = max(status, failed)
            }
        }
        if let closing = await slot.close() { status = max(status, closing) }
        console.finish(status)
        return status
    }

    static func describe(_ item: ApplyReport.Item) -> String {
        let op = item.operation
        var what = "\(op.kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(op.plan.internalName)"
        if !op.variantIDs.isEmpty { what += " (\(PlanText.variants(op.variantIDs.count))\(op.policy.map { " → \($0.rawValue)" } ?? ""))" }
        switch item.status {
        case .applied:
            if let message = item.message { return "= \(what): \(message)" }
            let confirmed = item.verification.map { "; \($0)" } ?? ""
            return "✓ \(what)\(item.adopted ? " (adopted an existing plan with this internal_name)" : "")\(confirmed)"
        case .failed: return "✗ \(what): \(item.message ?? "")"
        case .skipped: return "- \(what): \(item.message ?? "skipped")"
        case .conflict: return "! \(what): \(item.message ?? "conflict")"
        }
    }
}

/// Keeps the report file current while apply runs (at most once a second), so a run that is
/// killed part-way still leaves a record of what was done.
actor PartialReport {
    let path: String?
    var planHash: String?
    var items: [ApplyReport.Item] = []
    var lastWrite = Date.distantPast

    init(path: String?) { self.path = path }

    func start(planHash: String) { self.planHash = planHash }

    func add(_ item: ApplyReport.Item) {
        items.append(item)
        guard let path, Date().timeIntervalSince(lastWrite) >= 1 else { return }
        lastWrite = Date()
        var report = ApplyReport(items: items, seconds: 0)
        report.planHash = planHash
        report.complete = false
        // A failed write here is not fatal: the final report is written (and checked) at the end.
        try? Data(report.json().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
