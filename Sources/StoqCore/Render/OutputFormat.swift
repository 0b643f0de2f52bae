import StoqWire

/// The output formats, and everything that depends on the choice of one, in one place: adding a
/// format means a case here and its renderer.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// For a terminal or a CI log.
    case text
    /// Machine-readable; the plan JSON is the contract saved plans use.
    case json
    /// GitHub Actions workflow annotations on the YAML lines.
    case github
    /// A pull-request comment.
    case markdown

    /// The renderer of plans in this format.
    public func planRenderer(color: Bool) -> any PlanRenderer {
        switch self {
        case .text: TextPlanRenderer(color: color)
        case .markdown: MarkdownPlanRenderer()
        case .json: JSONPlanRenderer()
        case .github: GitHubPlanRenderer()
        }
    }

    /// How problems are reported when this format is chosen (a Markdown comment's problems are
    /// text for the person reading the log).
    public var diagnosticFormat: DiagnosticFormat {
        switch self {
        case .text, .markdown: .text
        case .json: .json
        case .github: .github
        }
    }

    /// How ``Sanitiser`` reads output in this format.
    public var sanitiserStyle: Sanitiser.Style {
        switch self {
        case .text: .text
        case .markdown: .markdown
        case .github: .workflowCommands
        case .json: .json
        }
    }

    /// What a command that fails before printing its result prints on standard output instead, so
    /// that standard output is never empty where a program reads it: one diagnostics document for
    /// JSON, a Markdown report for Markdown (a pull-request comment shows why); nothing for text
    /// and GitHub, whose problems are already on standard error or are the annotations.
    public func failureOutput(_ status: ExitStatus, diagnostics: [Diagnostic], sources: [SourceFile], plans: Int) -> String? {
        switch self {
        case .json:
            let summary = DiagnosticRenderer.Summary(diagnostics, files: sources.count, plans: plans)
            return DiagnosticRenderer(sources: [], color: false).json(diagnostics, summary: summary)
        case .markdown:
            let text = DiagnosticRenderer(sources: sources, color: false).render(diagnostics, format: .text)
            return MarkdownPlanRenderer.failure(status: status, diagnostics: diagnostics, details: text)
        case .text, .github:
            return nil
        }
    }

    /// The conventional file ending of output in this format (`plan.\(fileSuffix)`).
    public var fileSuffix: String {
        switch self {
        case .text: "txt"
        case .json: "json"
        case .github: "github.txt"
        case .markdown: "md"
        }
    }
}

/// How diagnostics are written.
public enum DiagnosticFormat: String, Sendable, CaseIterable {
    /// `path:line:col: error: message [code]` with the source line and a caret.
    case text
    /// One JSON document.
    case json
    /// GitHub Actions workflow commands.
    case github
}
