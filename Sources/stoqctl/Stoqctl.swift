import ArgumentParser
import CBuildRecord
import Foundation
import StoqCore

/// A stoqctl command: runs, reports through its ``Console``, and returns the exit status.
protocol StoqctlCommand: AsyncParsableCommand {
    /// Runs the command.
    func execute() async -> ExitStatus
}

extension StoqctlCommand {
    mutating func run() async throws {
        let status = await execute()
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// The `stoqctl` command line.
@main
struct Stoqctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stoqctl",
        abstract: "Preorder configuration as code for STOQ: validate, plan and apply selling plans from YAML.",
        discussion: ExitStatus.helpSection() + "\n" + EnvironmentVariable.helpSection(),
        version: Release.version,
        subcommands: [
            Validate.self, PlanCommand.self, ShowCommand.self, ApplyCommand.self, ExportCommand.self, Fetch.self, EmulatorCommand.self,
        ])

    /// Parses the command line and runs the command.
    ///
    /// A usage error is reported like every other problem (`error: … [usage]`, then the usage)
    /// and exits 64; `--help` and `--version` print to standard output and exit 0.
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.count == 2, Set(arguments) == ["--version", "--verbose"] {
            Output.out(verboseVersion())
            Foundation.exit(0)
        }
        do {
            var command = try parseAsRoot()
            if let command = command as? any StoqctlCommand {
                Foundation.exit(await command.execute().rawValue)
            }
            // `help` and the root command without a subcommand: argument-parser prints the help.
            try command.run()
            Foundation.exit(0)
        } catch {
            if exitCode(for: error) == .success {
                Output.out(fullMessage(for: error) + "\n")
                Foundation.exit(0)
            }
            Console().report(.usage, message(for: error))
            let usage = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false).drop { !$0.hasPrefix("Usage:") }
            if !usage.isEmpty { Output.error(usage.joined(separator: "\n") + "\n") }
            Foundation.exit(ExitStatus.usage.rawValue)
        }
    }

    /// What `stoqctl --version --verbose` prints: what this build was made from.
    ///
    /// A release build (`make release-binary`) carries the resolved dependency graph, the toolchain and the source
    /// commit; other builds say that nothing was recorded.
    static func verboseVersion() -> String {
        if let record = stoqctl_build_record() { return String(cString: record) }
        return """
            stoqctl \(Release.version)
            development build: the source commit, the toolchain and the resolved packages were not recorded \
            (release builds made with `make release-binary` record them)

            """
    }
}
