import ArgumentParser
import Foundation
import StoqCore

/// `--color auto|always|never`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Whether to colour output written to standard output.
    var enabled: Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
            return isatty(STDOUT_FILENO) == 1 && !noColor
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// Options every command that reads config shares.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: text, json or github (workflow annotations).")
    var format: OutputFormat = .text

    @Option(help: "Colour: auto (only on a terminal without NO_COLOR), always or never.")
    var color: ColorChoice = .auto
}

/// Process exit codes, documented in `--help` and the README.
enum Exit {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let changesPresent: Int32 = 2
    static let refusedByGate: Int32 = 3
    static let stalePlan: Int32 = 4
    static let partialFailure: Int32 = 5
}

/// Writes to standard output without buffering surprises.
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Writes to standard error.
func emitError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
