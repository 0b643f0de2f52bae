import ArgumentParser
import StoqCore

/// `stoqctl validate`: load and validate config offline, report every problem.
struct Validate: StoqctlCommand {
    /// The formats it prints: checked on the command line, and listed in its help.
    static let formats: [OutputFormat] = [.text, .json, .github]

    static let configuration = CommandConfiguration(
        abstract: "Check configuration offline and report every problem with file:line:col.",
        discussion: """
            Reads every *.yaml and *.yml file under each PATH (directories recursively),
            plus a stoqctl.yaml settings file at the root of the first directory.
            Nothing is sent anywhere. Formats: \(HelpLists.formats(formats, or: "and")).

            EXAMPLES
              stoqctl validate                      # the current directory
              stoqctl validate shop/                # one directory
              stoqctl validate shop/fall.yaml       # one file
              stoqctl validate shop --format github # annotations on the PR's lines
              stoqctl validate shop --format json   # for other tools
              stoqctl validate shop --strict        # warnings fail too

            """ + ExitStatus.helpSection([.success, .failure, .usage]))

    @Argument(help: "Files or directories to read (default: the current directory).", completion: .configuration)
    var paths: [String] = []

    @OptionGroup var output: FormatOption

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    func validate() throws {
        try output.check(Self.formats, command: "validate")
    }

    /// The diagnostics are this command's result: they go to standard output in the chosen
    /// format, with the summary line.
    func execute() async -> ExitStatus {
        let result = ConfigPipeline.run(readConfiguration(paths))
        let renderer = DiagnosticRenderer(sources: result.sources, color: output.color.enabled)
        let summary = DiagnosticRenderer.Summary(result.diagnostics, files: result.fileCount, plans: result.desired.plans.count)
        let console = Console(format: output.format, color: output.color)
        console.result(renderer.render(result.diagnostics.map(Console.redacted), format: output.format.diagnosticFormat, summary: summary))
        let status: ExitStatus = result.hasErrors || (strict && result.diagnostics.hasWarnings) ? .failure : .success
        console.finish(status)
        return status
    }
}
