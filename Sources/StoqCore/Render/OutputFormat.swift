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
