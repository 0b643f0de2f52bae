import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// Options `plan` and `apply` share.
struct PlanningOptions: ParsableArguments {
    @Option(name: .customLong("target"), help: "Limit to this plan's internal_name (repeatable).")
    var targets: [String] = []

    @Flag(help: "Allow deleting remote plans that no file declares (needs `prune: true` in stoqctl.yaml).")
    var allowDeletes = false
}

/// Loads and validates config; on errors prints them to standard error and exits 1.
func loadConfiguration(_ paths: [String]) throws -> (DesiredState, [SourceFile]) {
    let limits = LoadLimits.standard
    let found = ConfigFiles(paths: paths.isEmpty ? ["."] : paths, limits: limits)
    let (desired, loaded) = ConfigPipeline.run(found.files, limits: limits)
    let diagnostics = (found.diagnostics + loaded).sorted(by: Diagnostic.stableOrder)
    let sources = found.files.map(\.0)
    if !diagnostics.isEmpty {
        let renderer = DiagnosticRenderer(sources: sources, color: ColorChoice.auto.enabledOnStandardError)
        let summary = DiagnosticRenderer.Summary(diagnostics, files: found.files.count, plans: desired.plans.count)
        if diagnostics.hasErrors {
            emitError(renderer.text(diagnostics, summary: summary))
            emitError("error: the configuration is invalid; nothing was sent\n")
            throw ExitCode(Exit.failure)
        }
        emitError(renderer.text(diagnostics, summary: summary))
    }
    return (desired, sources)
}

/// Fetches remote state and plans.
///
/// Throws `ExitCode(1)` with a message on failure.
func makePlan(_ desired: DesiredState, session: Session, options: PlanningOptions, budget: RateBudget) async throws -> Plan {
    let fetched: Fetcher.Result
    do {
        fetched = try await Fetcher(client: session.client).fetch(
            internalNames: Set(desired.plans.map(\.internalName.value)), ids: desired.pinnedIDs)
    } catch {
        throw CommandFailure("reading the shop failed: \(error)")
    }
    for (id, problems) in fetched.problems.sorted(by: { $0.key < $1.key }) {
        emitError("warning: plan \(id) returned values stoqctl could not read: \(problems.joined(separator: "; "))\n")
    }
    var planOptions = PlanOptions()
    planOptions.allowDeletes = options.allowDeletes
    planOptions.targets = options.targets
    planOptions.budgetPoints = budget.points
    planOptions.budgetWindow = budget.window
    let (plan, diagnostics) = Planner.plan(desired: desired, remote: fetched.state, options: planOptions)
    for d in diagnostics {
        emitError("\(d.location.map { "\($0.description): " } ?? "")\(d.severity.rawValue): \(d.message) [\(d.code.rawValue)]\n")
    }
    guard var plan else { throw ExitCode(Exit.failure) }
    plan.endpoint = session.endpoint
    return plan
}

/// Loads and validates `paths`, opens a session, and plans.
///
/// The caller closes the session.
func planAgainstShop(paths: [String], planning: PlanningOptions, remote: RemoteOptions) async throws -> (Plan, Session) {
    let (desired, _) = try loadConfiguration(paths)
    let session = try await Session(remote, settings: desired.settings)
    do {
        let plan = try await makePlan(desired, session: session, options: planning, budget: try Session.budget(remote))
        return (plan, session)
    } catch {
        await session.close()
        throw error
    }
}

/// Renders `plan` in `format`.
func render(_ plan: Plan, format: OutputFormat, color: Bool) -> String {
    switch format {
    case .text: TextPlanRenderer(color: color).render(plan)
    case .markdown: MarkdownPlanRenderer().render(plan)
    case .json: JSONPlanRenderer.render(plan)
    case .github: GitHubPlanRenderer.render(plan)
    }
}

extension ColorChoice {
    /// Auto colour for standard error.
    var enabledOnStandardError: Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
            return isatty(STDERR_FILENO) == 1 && !noColor
        }
    }
}
