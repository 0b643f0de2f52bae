import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// `stoqctl plan`: what apply would change, shown for review.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compare the configuration with the shop and show the changes apply would make.",
        discussion: """
            Validates the configuration, reads the shop with the fewest calls (the plan
            list, then one read per managed plan), and prints the ordered operations
            with their YAML lines, the values they change, the requests they compile to
            and their API cost, the plan hash, and any safety gate that apply would
            refuse it by.

            EXAMPLES
              stoqctl plan examples/shop \\
                  --endpoint emulator:examples/shop/remote-state.json
              # a pull-request comment
              stoqctl plan shop/ --format markdown > plan.md
              # annotations on the YAML lines
              stoqctl plan shop/ --format github
              # save it; later: stoqctl apply plan.json
              stoqctl plan shop/ --out plan.json
              # nightly drift check: exit 2 on changes
              stoqctl plan shop/ --detailed-exitcode
              stoqctl plan shop/ --target fall-drop-2026            # one plan only

            EXIT CODES
              0  no changes (or changes, without --detailed-exitcode)
              1  error: invalid configuration, or STOQ could not be read
              2  changes present (with --detailed-exitcode); declared, unverified
                 inventory policies do not count
            """)

    @Argument(help: "Configuration files or directories (default: the current directory).")
    var paths: [String] = []

    @OptionGroup var output: OutputOptions
    @OptionGroup var planning: PlanningOptions
    @OptionGroup var remote: RemoteOptions

    @Option(help: "Also write the plan as JSON to this file (a saved plan for `stoqctl apply FILE`).")
    var out: String?

    @Flag(help: "Exit 2 when there are changes, 0 when there are none.")
    var detailedExitcode = false

    func run() async throws {
        let (plan, session) = try await planAgainstShop(paths: paths, planning: planning, remote: remote)
        await session.close()
        let shown = render(plan, format: output.format, color: output.color.enabled)
        emit(shown)
        if let out {
            do {
                let json = output.format == .json ? shown : JSONPlanRenderer.render(plan)
                try Data(json.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw CommandFailure("--out \(out): \(error.localizedDescription)")
            }
        }
        if detailedExitcode, !plan.isEmpty { throw ExitCode(Exit.changesPresent) }
    }
}
