import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// `stoqctl apply`: plan, then make the shop match.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Plan, then make the shop match the configuration.",
        discussion: """
            Plans exactly as `stoqctl plan` does, prints the plan, then executes it through one rate
            governor: the operations of a plan in order, different plans concurrently. It does not
            ask for confirmation: review happens on the plan (e.g. in the pull request).

            EXAMPLES
              stoqctl apply examples/shop --endpoint emulator:examples/shop/remote-state.json
              stoqctl apply shop/ --report apply-report.json
              stoqctl apply shop/ --allow-deletes                   # with prune: true, delete unmanaged plans

            EXIT CODES
              0  every operation applied (or nothing to do)
              1  error before anything was sent: invalid configuration, STOQ unreadable
              5  finished, but some operations failed or were skipped (see the report);
                 running apply again converges
            """)

    @Argument(help: "Configuration files or directories (default: the current directory).")
    var paths: [String] = []

    @OptionGroup var planning: PlanningOptions
    @OptionGroup var remote: RemoteOptions

    @Option(help: "Colour: auto, always or never.")
    var color: ColorChoice = .auto

    @Option(help: "Write a JSON report of every operation to this file.")
    var report: String?

    func run() async throws {
        let (plan, session) = try await planAgainstShop(paths: paths, planning: planning, remote: remote)
        let useColor = color.enabled
        emit(TextPlanRenderer(color: useColor).render(plan))
        guard !plan.operations.isEmpty else {
            await session.close()
            try writeReport(ApplyReport(items: [], seconds: 0))
            return
        }
        emit("\nApplying \(plan.operations.count) operation\(plan.operations.count == 1 ? "" : "s")…\n")
        let interactive = isatty(STDOUT_FILENO) == 1
        let result = await Applier(client: session.client).apply(plan) { item, done, total in
            let line = Self.describe(item)
            if interactive {
                emit("\r\u{1B}[2K[\(done)/\(total)] \(line)" + (done == total ? "\n" : ""))
                if item.status != .applied { emit("\n") }
            } else {
                emit("[\(done)/\(total)] \(line)\n")
            }
        }
        await session.close()
        try writeReport(result)
        emit(
            String(
                format: "\nApply finished in %.1f s: %d applied, %d failed, %d skipped.\n", result.seconds, result.count(.applied),
                result.count(.failed), result.count(.skipped)))
        if !result.succeeded {
            for item in result.items where item.status == .failed {
                emitError("error: \(item.operation.kind.rawValue) \(item.operation.plan.internalName): \(item.message ?? "")\n")
            }
            throw ExitCode(Exit.partialFailure)
        }
    }

    static func describe(_ item: ApplyReport.Item) -> String {
        let op = item.operation
        var what = "\(op.kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(op.plan.internalName)"
        if !op.variantIDs.isEmpty { what += " (\(op.variantIDs.count) variants\(op.policy.map { " → \($0.rawValue)" } ?? ""))" }
        switch item.status {
        case .applied: return "✓ \(what)\(item.adopted ? " (adopted an existing plan with this internal_name)" : "")"
        case .failed: return "✗ \(what): \(item.message ?? "")"
        case .skipped: return "- \(what): \(item.message ?? "skipped")"
        case .conflict: return "! \(what): \(item.message ?? "conflict")"
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
