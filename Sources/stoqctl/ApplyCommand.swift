import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// `stoqctl apply`: make the shop match the configuration, or execute a saved plan.
struct ApplyCommand: AsyncParsableCommand {
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
            through one rate governor. When an operation fails after its retries, later
            operations of the same plan are skipped with the reason and other plans go
            on. Running apply again converges.

            EXAMPLES
              stoqctl apply examples/shop \\
                  --endpoint emulator:examples/shop/remote-state.json
              stoqctl plan shop/ --out plan.json && stoqctl apply plan.json \\
                  --report report.json
              stoqctl apply plan.json --allow-gate updates=3f9a1c2e7d4b5a60
              # with prune: true, delete unmanaged plans
              stoqctl apply shop/ --allow-deletes

            EXIT CODES
              0  every operation applied, or already in place (or nothing to do)
              1  error before anything was sent: invalid configuration or plan file, STOQ
                 unreadable
              3  refused by a safety gate, or deletes without --allow-deletes; nothing was
                 sent
              4  saved plan: some operations conflicted with changes made in STOQ
                 since the plan (the rest were applied); plan again and review.
                 Takes precedence over 5.
              5  finished, but some operations failed or were skipped (see the report);
                 running apply again converges
            """)

    @Argument(help: "Configuration files or directories (default: the current directory), or one saved plan (.json).")
    var paths: [String] = []

    @OptionGroup var planning: PlanningOptions
    @OptionGroup var remote: RemoteOptions

    @Option(
        name: .customLong("allow-gate"),
        help: ArgumentHelp(
            "Let a tripped safety gate through: GATE=HASH (repeatable).",
            discussion:
                "GATE is updates, deletes or policy_flips; HASH is at least 8 hex digits of the plan hash, so the override cannot carry over to another plan. GATE alone applies to any plan."
        ))
    var allowGates: [String] = []

    @Option(help: "Colour: auto, always or never.")
    var color: ColorChoice = .auto

    @Option(help: "Write a JSON report of every operation to this file.")
    var report: String?

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
        for text in allowGates where GateOverride(parsing: text) == nil {
            throw ValidationError(
                "--allow-gate \(text): expected GATE or GATE=HASH, with GATE one of \(SafetyGate.allCases.map(\.rawValue).joined(separator: ", ")) and HASH at least \(GateOverride.minimumPrefix) hex digits of the plan hash"
            )
        }
    }

    func run() async throws {
        let overrides = allowGates.compactMap(GateOverride.init(parsing:))
        let plan: Plan
        let hash: String
        let session: Session
        let mode: Applier.Mode
        if let file = savedPlanPath {
            (plan, hash) = try Self.readSavedPlan(file)
            session = try await Session(remote, settings: nil, fallback: plan.endpoint)
            if let planned = plan.endpoint, planned != session.endpoint {
                await session.close()
                throw CommandFailure(
                    "\(file) was planned against \(planned), but this apply would write to \(session.endpoint); apply it where it was planned, or plan again; nothing was sent"
                )
            }
            mode = .compareAndSet
        } else {
            (plan, session) = try await planAgainstShop(paths: paths, planning: planning, remote: remote)
            hash = JSONPlanRenderer.hash(plan)
            mode = .fresh
        }
        emit(TextPlanRenderer(color: color.enabled).render(plan))
        if let file = savedPlanPath {
            emit("\nApplying the saved plan \(file) (\(PlanText.shortHash(hash))); each operation is checked against STOQ first.\n")
        }

        let (refusals, notices) = gateVerdict(plan, hash: hash, overrides: overrides)
        for line in notices { emitError("warning: \(line)\n") }
        guard refusals.isEmpty else {
            await session.close()
            for line in refusals { emitError("error: \(line)\n") }
            emitError("error: refused by a safety gate; nothing was sent\n")
            let refused = ApplyReport.refused(plan, planHash: hash, reasons: refusals)
            try writeReport(refused)
            throw ExitCode(Exit.refusedByGate)
        }

        guard !plan.operations.isEmpty else {
            await session.close()
            var empty = ApplyReport(items: [], seconds: 0)
            empty.planHash = hash
            try writeReport(empty)
            return
        }
        emit("\nApplying \(plan.operations.count) operation\(plan.operations.count == 1 ? "" : "s")…\n")
        let interactive = isatty(STDOUT_FILENO) == 1
        let partial = PartialReport(path: report, planHash: hash)
        var result = await Applier(client: session.client).apply(plan, mode: mode) { item, done, total in
            await partial.add(item)
            let line = Self.describe(item)
            if interactive {
                emit("\r\u{1B}[2K[\(done)/\(total)] \(line)" + (done == total ? "\n" : ""))
                if item.status != .applied { emit("\n") }
            } else {
                emit("[\(done)/\(total)] \(line)\n")
            }
        }
        await session.close()
        result.planHash = hash
        try writeReport(result)
        emit(
            String(
                format: "\nApply finished in %.1f s: %d applied, %d failed, %d skipped, %d conflict%@.\n", result.seconds,
                result.count(.applied), result.count(.failed), result.count(.skipped), result.count(.conflict),
                result.count(.conflict) == 1 ? "" : "s"))
        for item in result.items where item.status == .failed || item.status == .conflict {
            emitError("error: \(item.operation.kind.rawValue) \(item.operation.plan.internalName): \(item.message ?? "")\n")
        }
        if result.count(.conflict) > 0 {
            emitError("error: STOQ changed since the plan was made; the conflicting operations were not sent. Plan again and review.\n")
            throw ExitCode(Exit.stalePlan)
        }
        if !result.succeeded { throw ExitCode(Exit.partialFailure) }
    }

    /// Why the plan may not be applied (tripped gates without a matching override, deletes
    /// without `--allow-deletes`), and notices about overrides that were used.
    func gateVerdict(_ plan: Plan, hash: String, overrides: [GateOverride]) -> (refusals: [String], notices: [String]) {
        var refusals: [String] = []
        var notices: [String] = []
        let short = PlanText.shortHash(hash).dropFirst("sha256:".count)
        for decision in SafetyGates.decide(plan, planHash: hash, overrides: overrides) where decision.check.tripped {
            let c = decision.check
            let what = SafetyGates.describe(c, managedPlans: plan.managedPlans, minManagedPlans: plan.safety.minManagedPlans)
            if let used = decision.override {
                notices.append("safety gate `\(c.gate.rawValue)` let through by --allow-gate \(used): \(what)")
                if used.planHash == nil {
                    notices.append(
                        "--allow-gate \(c.gate.rawValue) is not pinned to a plan; pin it with --allow-gate \(c.gate.rawValue)=\(short)")
                }
            } else {
                var line = "safety gate `\(c.gate.rawValue)`: \(what)"
                if let mismatch = decision.overrideMismatch { line += "; \(mismatch)" }
                line += ". To apply this plan anyway, after review: --allow-gate \(c.gate.rawValue)=\(short)"
                refusals.append(line)
            }
        }
        let deletes = plan.operations.filter { $0.kind == .delete }.count
        if deletes > 0, !planning.allowDeletes {
            refusals.append("the plan deletes \(deletes) plan\(deletes == 1 ? "" : "s"); deletes need --allow-deletes")
        }
        return (refusals, notices)
    }

    /// Reads and checks a saved plan, returning it with its hash; exits 1 with the reason when it
    /// cannot be applied.
    static func readSavedPlan(_ file: String) throws -> (Plan, String) {
        guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("\(file): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandFailure("\(file): not UTF-8 text; nothing was sent") }
        do {
            return try PlanFile.decode(text)
        } catch {
            throw CommandFailure("\(file): \(error.message); nothing was sent")
        }
    }

    static func describe(_ item: ApplyReport.Item) -> String {
        let op = item.operation
        var what = "\(op.kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(op.plan.internalName)"
        if !op.variantIDs.isEmpty { what += " (\(op.variantIDs.count) variants\(op.policy.map { " → \($0.rawValue)" } ?? ""))" }
        switch item.status {
        case .applied:
            if let message = item.message { return "= \(what): \(message)" }
            return "✓ \(what)\(item.adopted ? " (adopted an existing plan with this internal_name)" : "")"
        case .failed: return "✗ \(what): \(item.message ?? "")"
        case .skipped: return "- \(what): \(item.message ?? "skipped")"
        case .conflict: return "! \(what): \(item.message ?? "conflict")"
        }
    }

    /// Keeps the report file current while apply runs (at most once a second), so a run that is
    /// killed part-way still leaves a record of what was done.
    actor PartialReport {
        let path: String?
        let planHash: String
        var items: [ApplyReport.Item] = []
        var lastWrite = Date.distantPast

        init(path: String?, planHash: String) {
            self.path = path
            self.planHash = planHash
        }

        func add(_ item: ApplyReport.Item) {
            items.append(item)
            guard let path, Date().timeIntervalSince(lastWrite) >= 1 else { return }
            lastWrite = Date()
            var report = ApplyReport(items: items.sorted { $0.index < $1.index }, seconds: 0)
            report.planHash = planHash
            report.complete = false
            try? Data(report.json().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }

    func writeReport(_ result: ApplyReport) throws {
        guard let report else { return }
        do {
            try Data(result.json().utf8).write(to: URL(fileURLWithPath: report), options: .atomic)
        } catch {
            throw CommandFailure("--report \(report): \(error.localizedDescription)")
        }
    }
}
