import ArgumentParser
import Foundation
import StoqAPI
import StoqCore
import StoqWire

/// `--color auto|always|never`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Whether to colour output written to standard output (see ``Terminal`` for the precedence).
    var enabled: Bool { Terminal.current.colours(forced: forced, on: STDOUT_FILENO) }

    /// Whether to colour output written to standard error.
    var enabledOnStandardError: Bool { Terminal.current.colours(forced: forced, on: STDERR_FILENO) }

    /// `always` and `never` decide alone; `auto` leaves it to the terminal.
    private var forced: Bool? {
        switch self {
        case .always: true
        case .never: false
        case .auto: nil
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// The formats a command prints, checked when the command line is parsed: a format the command
/// does not print is a usage error, not silently text.
struct FormatOption: ParsableArguments {
    @Option(help: "Output format (the formats this command prints are listed in its --help).")
    var format: OutputFormat = .text

    @Option(help: "Colour: auto (only on a terminal, without NO_COLOR, not TERM=dumb), always or never.")
    var color: ColorChoice = .auto

    /// Refuses a format outside `supported`.
    func check(_ supported: [OutputFormat], command: String) throws {
        guard supported.contains(format) else {
            throw ValidationError(
                "--format \(format.rawValue): \(command) prints \(supported.map(\.rawValue).joined(separator: ", ")); not \(format.rawValue)"
            )
        }
    }
}

/// `a, b, c or d`: names as help text lists them.
func listed(_ names: [String], or last: String = "or") -> String {
    guard names.count > 1 else { return names.joined() }
    return names.dropLast().joined(separator: ", ") + " \(last) " + (names.last ?? "")
}

/// Lists that help text takes from the code's tables, so a new gate or format is listed by itself.
enum HelpLists {
    /// Every safety gate: `updates, deletes, policy_flips or continue_flips`.
    static func gates(or last: String = "or") -> String { listed(SafetyGate.allCases.map(\.rawValue), or: last) }

    /// `text, json or github`.
    static func formats(_ formats: [OutputFormat], or last: String = "or") -> String { listed(formats.map(\.rawValue), or: last) }
}

/// How a plan is judged: `--allow-deletes` and `--allow-gate` (`plan`, `show` and `apply`).
struct JudgingOptions: ParsableArguments {
    @Flag(help: "Allow deleting remote plans that no file declares (needs `prune: true` in stoqctl.yaml).")
    var allowDeletes = false

    @Option(
        name: .customLong("allow-gate"),
        help: ArgumentHelp(
            "Let a tripped safety gate through: GATE=HASH (repeatable).",
            discussion:
                "GATE is \(HelpLists.gates()); HASH is at least 8 hex digits of the plan hash, so the override cannot carry over to another plan. GATE alone applies to any plan. `plan` judges the plan with the same overrides as `apply`, so its exit code says whether apply would refuse it."
        ))
    var allowGates: [String] = []
    /// The parsed overrides.
    var overrides: [GateOverride] { allowGates.compactMap(GateOverride.init(parsing:)) }

    func validate() throws {
        for text in allowGates where GateOverride(parsing: text) == nil {
            throw ValidationError(
                "--allow-gate \(text): expected GATE or GATE=HASH, with GATE one of \(SafetyGate.allCases.map(\.rawValue).joined(separator: ", ")) and HASH at least \(GateOverride.minimumPrefix) hex digits of the plan hash"
            )
        }
    }
}

/// Options `plan` and `apply` share.
struct PlanningOptions: ParsableArguments {
    @Option(name: .customLong("target"), help: "Limit to this plan's internal_name (repeatable).")
    var targets: [String] = []

    @Option(
        name: .customLong("shop"),
        help: ArgumentHelp(
            "In a repository of several shops (`shops:` in stoqctl.yaml), only this shop (repeatable).",
            discussion: "Without it, every shop: each on its own connection, token and rate budget, all at once."))
    var shops: [String] = []

    @OptionGroup var judging: JudgingOptions

    /// `--allow-deletes`.
    var allowDeletes: Bool { judging.allowDeletes }
    /// The parsed `--allow-gate` overrides.
    var overrides: [GateOverride] { judging.overrides }

    @Option(
        help: ArgumentHelp(
            "Attribute each difference against the configuration at this git ref or in this directory.",
            discussion:
                "Default: $STOQCTL_BASELINE, then `baseline` in stoqctl.yaml. A ref (origin/main, a commit) is read with git from the same paths, without a checkout. Each difference is then a change of the configuration, drift (the shop changed), or both; write-only fields changed since the baseline are sent, and unverified policies only where they changed."
        ))
    var baseline: String?

    /// `--baseline`, else `$STOQCTL_BASELINE`.
    var baselineRef: String? {
        baseline ?? environmentValue("STOQCTL_BASELINE")
    }

    @Option(
        name: .customLong("names-record"),
        help: ArgumentHelp(
            "What the configuration's variant names resolved to before: a saved plan or an apply report (JSON).",
            discussion:
                "Shopify keeps no history of a variant's SKU. With a record, a `sku:` or `barcode:` name whose variant changed since is shown as one move (`sku:TEE-BLK-S moved: 4390…503 → 4412…771`) instead of an unrelated removal and addition. The GitHub Action keeps the last apply's record with its applied tag."
        ),
        completion: .savedPlan)
    var namesRecord: String?

    /// The record `--names-record` names, or nil after reporting why it cannot be read (`failed`
    /// is then true).
    func readNamesRecord(console: Console) -> (record: [VariantResolution]?, failed: Bool) {
        readRecordOfNames(namesRecord, option: "--names-record", console: console)
    }

}

/// The names record at `path` (a saved plan or an apply report), given with `option`; nil without
/// a path, or after reporting `usage` with why it cannot be read (`failed` is then true).
func readRecordOfNames(_ path: String?, option: String, console: Console) -> (record: [VariantResolution]?, failed: Bool) {
    guard let path else { return (nil, false) }
    guard let text = readText(path, code: .usage, what: "\(option) \(path)", console: console) else { return (nil, true) }
    do {
        return (try PlanJSON.namesRecord(text), false)
    } catch {
        console.report(.usage, "\(option) \(path): \(error.description)")
        return (nil, true)
    }
}

/// The environment variable `name` when it is set and not empty (an empty one counts as unset).
func environmentValue(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

/// The repository of the configuration at `paths` (the git work tree around the first path, or
/// outside git its directory): where `stoqctl.yaml` may point.
func repositoryRoot(_ paths: [String]) -> String {
    let first = ConfigFiles.absolute(paths.first ?? ".", cwd: FileManager.default.currentDirectoryPath)
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: first, isDirectory: &isDirectory)
    return ConfigFiles.repository(for: exists && isDirectory.boolValue ? first : (first as NSString).deletingLastPathComponent)
}

/// The paths given on the command line, read: the only code that touches configuration files.
func readConfiguration(_ paths: [String]) -> ConfigInput {
    let found = ConfigFiles(paths: paths.isEmpty ? ["."] : paths, limits: .standard)
    return ConfigInput(files: found.files, diagnostics: found.diagnostics)
}

/// The text of the saved plan at `path`, or nil after reporting why it cannot be read.
func readSavedPlan(_ path: String, console: Console) -> String? {
    readText(path, code: .savedPlanRefused, what: path, suffix: "; nothing was sent", console: console)
}

/// The UTF-8 text of the file at `path`, or nil after reporting `code` for `what` (why it cannot be
/// read, then `suffix`).
func readText(_ path: String, code: DiagnosticCode, what: String, suffix: String = "", console: Console) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else {
        console.report(code, "\(what): cannot be read\(suffix)")
        return nil
    }
    guard let text = String(data: data, encoding: .utf8) else {
        console.report(code, "\(what): not UTF-8 text\(suffix)")
        return nil
    }
    return text
}

/// Writes `text` to `path` atomically, without any secret the process holds; on failure reports
/// `output-unwritable` through `console` and returns the status the command must exit with at least.
func write(_ text: String, to path: String, option: String, console: Console) -> ExitStatus? {
    do {
        try Secrets.write(text, to: URL(fileURLWithPath: path))
        return nil
    } catch {
        let failure = RunFailure(.outputUnwritable, "\(option) \(path): \(error.localizedDescription)")
        console.report([failure.diagnostic])
        return failure.status
    }
}

extension CompletionKind {
    /// Configuration: YAML files, and directories to look in.
    static var configuration: CompletionKind { .file(extensions: ["yaml", "yml"]) }

    /// A saved plan: a JSON file written by `plan --out`.
    static var savedPlan: CompletionKind { .file(extensions: ["json"]) }

    /// `apply`'s arguments: a saved plan first, or configuration.
    static var configurationOrSavedPlan: CompletionKind { .file(extensions: ["json", "yaml", "yml"]) }
}
