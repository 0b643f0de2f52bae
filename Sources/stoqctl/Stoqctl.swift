import ArgumentParser
import Foundation

/// The `stoqctl` command line.
@main
struct Stoqctl: AsyncParsableCommand {
    /// Released version, printed by `--version`.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "stoqctl",
        abstract: "Preorder configuration as code for STOQ: validate, plan and apply selling plans from YAML.",
        discussion: """
            EXIT CODES
              0  success, or no changes
              1  error: invalid config, network or API failure
              2  changes present (plan --detailed-exitcode)
              3  refused by a safety gate
              4  saved plan is stale or conflicts with live state
              5  apply finished with some operations failed
            """,
        version: version,
        subcommands: [Validate.self, PlanCommand.self, ApplyCommand.self, ExportCommand.self, Fetch.self, EmulatorCommand.self])

    /// Runs the command; a ``CommandFailure`` prints as `error: …` (like every other stoqctl error)
    /// and exits 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            emitError("error: \(failure.description)\n")
            Foundation.exit(Exit.failure)
        } catch {
            exit(withError: error)
        }
    }
}
