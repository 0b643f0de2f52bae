import ArgumentParser
import StoqCore

/// `stoqctl validate`: load and validate config offline, report every problem.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check configuration offline and report every problem with file:line:col.",
        discussion: """
            Reads every *.yaml and *.yml file under each PATH (directories recursively),
            plus a stoqctl.yaml settings file at the root of the first directory.
            Nothing is sent anywhere.

            EXAMPLES
              stoqctl validate                      # the current directory
              stoqctl validate shop/                # one directory
              stoqctl validate shop/fall.yaml       # one file
              stoqctl validate shop --format github # annotations on the PR's lines
              stoqctl validate shop --format json   # for other tools
              stoqctl validate shop --strict        # warnings fail too

            EXIT CODES
              0  no errors (warnings allowed unless --strict)
              1  at least one error (or a warning with --strict)
            """)

    @Argument(help: "Files or directories to read (default: the current directory).")
    var paths: [String] = []

    @OptionGroup var output: OutputOptions

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    func run() throws {
        let limits = LoadLimits.standard
        let found = ConfigFiles(paths: paths.isEmpty ? ["."] : paths, limits: limits)
        let (state, loaded) = ConfigPipeline.run(found.files, limits: limits)
        let diagnostics = (found.diagnostics + loaded).sorted(by: Diagnostic.stableOrder)
        let renderer = DiagnosticRenderer(sources: found.files.map(\.0), color: output.color.enabled)
        let summary = DiagnosticRenderer.Summary(diagnostics, files: found.files.count, plans: state.plans.count)
        switch output.format {
        case .json: emit(renderer.json(diagnostics, summary: summary))
        case .github: emit(renderer.github(diagnostics, summary: summary))
        case .text, .markdown: emit(renderer.text(diagnostics, summary: summary))
        }
        if diagnostics.hasErrors || (strict && diagnostics.hasWarnings) {
            throw ExitCode(Exit.failure)
        }
    }
}
