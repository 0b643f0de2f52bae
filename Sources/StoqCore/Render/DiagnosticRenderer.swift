import Foundation
import StoqWire

/// Renders diagnostics as text, JSON or GitHub workflow commands.
///
/// Pure: sources come in as values.
public struct DiagnosticRenderer: Sendable {
    /// Files by display path, for the source line under each diagnostic.
    public var sources: [String: SourceFile]
    /// Use ANSI colour (text format only).
    public var color: Bool

    /// Creates a renderer.
    public init(sources: [SourceFile], color: Bool) {
        self.sources = Dictionary(sources.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        self.color = color
    }

    /// Counts for the summary line.
    public struct Summary: Sendable {
        public var errors: Int
        public var warnings: Int
        public var files: Int
        public var plans: Int

        public init(errors: Int, warnings: Int, files: Int, plans: Int) {
            self.errors = errors
            self.warnings = warnings
            self.files = files
            self.plans = plans
        }

        /// Counts `diagnostics`, with the problems a `more-problems` diagnostic stands for.
        public init(_ diagnostics: [Diagnostic], files: Int, plans: Int) {
            var errors = 0
            var warnings = 0
            for d in diagnostics {
                if let unlisted = d.unlisted {
                    errors += unlisted.errors
                    warnings += unlisted.warnings
                } else if d.severity == .error {
                    errors += 1
                } else if d.severity == .warning {
                    warnings += 1
                }
            }
            self.init(errors: errors, warnings: warnings, files: files, plans: plans)
        }
    }

    // MARK: text

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    private func severityLabel(_ severity: Severity) -> String {
        switch severity {
        case .error: paint("error", "1;31")
        case .warning: paint("warning", "1;33")
        case .note: paint("note", "1;36")
        }
    }

    /// `diagnostics` in `format`, with the summary line when one is given.
    public func render(_ diagnostics: [Diagnostic], format: DiagnosticFormat, summary: Summary? = nil) -> String {
        switch format {
        case .text: text(diagnostics, summary: summary)
        case .github: github(diagnostics, summary: summary)
        case .json: json(diagnostics, summary: summary ?? Summary(diagnostics, files: 0, plans: 0))
        }
    }

    /// `path:line:col: error: message [code]`, the source line and a caret, then the notes.
    ///
    /// Paths, messages and source lines are outside text: shown through ``Sanitiser``.
    public func text(_ diagnostics: [Diagnostic], summary: Summary?) -> String {
        var out = ""
        for d in diagnostics {
            out += header(d.location, severityLabel(d.severity), Sanitiser.shown(d.message) + " " + paint("[\(d.code.rawValue)]", "2"))
            out += snippet(d.location)
            for note in d.notes {
                out += header(note.location, severityLabel(.note), Sanitiser.shown(note.message))
                out += snippet(note.location)
            }
        }
        if let summary { out += summaryLine(summary) + "\n" }
        return Sanitiser.output(out, style: .text)
    }

    private func header(_ location: SourceLocation?, _ label: String, _ message: String) -> String {
        let place = location.map { paint("\($0.shown.description):", "1") + " " } ?? ""
        return "\(place)\(label): \(message)\n"
    }

    /// Widest source excerpt shown; longer lines are cut to a window around the column.
    static let snippetWidth = 120

    private func snippet(_ location: SourceLocation?) -> String {
        guard let location, let file = sources[location.file], var line = file.line(location.line, lossy: true) else { return "" }
        var column = location.column
        // A byte-order mark opens the file; it is not part of the first line (positions never
        // count it).
        if location.line == 1, line.unicodeScalars.first == "\u{FEFF}" { line = String(line.unicodeScalars.dropFirst()) }
        let number = String(location.line)
        let gutter = String(repeating: " ", count: number.count)
        var scalars = Array(line.unicodeScalars)
        column = min(max(column, 1), scalars.count + 1)
        var prefix = ""
        if scalars.count > Self.snippetWidth {
            let start = max(0, min(column - 1 - Self.snippetWidth / 2, scalars.count - Self.snippetWidth))
            let end = min(scalars.count, start + Self.snippetWidth)
            let cutEnd = end < scalars.count
            scalars = Array(scalars[start..<end])
            column -= start
            if start > 0 { prefix = "…" }
            if cutEnd { scalars.append("…") }
        }
        // Keep tabs so the caret lines up under the same column in a terminal; a hidden character
        // is shown escaped, and the caret moves by its escape's width.
        let lead =
            String(repeating: " ", count: prefix.count)
            + scalars.prefix(column - 1).map { scalar in
                scalar == "\t" ? "\t" : String(repeating: " ", count: Self.shown(scalar).count)
            }.joined()
        let shown = prefix + scalars.map(Self.shown).joined()
        return " \(number) | \(shown)\n \(gutter) | \(lead)\(paint("^", "1;32"))\n"
    }

    /// One character of a source line as the excerpt shows it: tabs as they are, hidden
    /// characters escaped.
    static func shown(_ scalar: Unicode.Scalar) -> String {
        scalar != "\t" && Sanitiser.isHidden(scalar) ? Sanitiser.visible(scalar) : String(scalar)
    }

    /// `3 errors, 1 warning in 7 files (12 plans)` or `OK: 7 files, 12 plans`.
    public func summaryLine(_ s: Summary) -> String {
        let files = "\(s.files) file\(s.files == 1 ? "" : "s")"
        let plans = "\(s.plans) plan\(s.plans == 1 ? "" : "s")"
        if s.errors == 0, s.warnings == 0 { return "OK: \(files), \(plans), no problems" }
        let e = "\(s.errors) error\(s.errors == 1 ? "" : "s")"
        let w = "\(s.warnings) warning\(s.warnings == 1 ? "" : "s")"
        return "\(e), \(w) in \(files) (\(plans))"
    }

    // MARK: json

    static func locationMembers(_ location: SourceLocation?) -> [(String, JSONValue)] {
        guard let l = location else { return [("file", .null), ("line", .null), ("column", .null)] }
        return [("file", .string(l.file)), ("line", .integer(Int64(l.line))), ("column", .integer(Int64(l.column)))]
    }

    /// Diagnostics as a JSON document (`format_version` 1).
    ///
    /// Documented in Docs/ConfigReference.md.
    public func json(_ diagnostics: [Diagnostic], summary: Summary) -> String {
        let items: [JSONValue] = diagnostics.map { d in
            .object(
                [("severity", .string(d.severity.rawValue)), ("code", .string(d.code.rawValue)), ("message", .string(d.message))]
                    + Self.locationMembers(d.location)
                    + [("notes", .array(d.notes.map { .object([("message", .string($0.message))] + Self.locationMembers($0.location)) }))])
        }
        let doc = JSONValue.object([
            ("format_version", .integer(1)),
            ("diagnostics", .array(items)),
            (
                "summary",
                .object([
                    ("errors", .integer(Int64(summary.errors))), ("warnings", .integer(Int64(summary.warnings))),
                    ("files", .integer(Int64(summary.files))), ("plans", .integer(Int64(summary.plans))),
                ])
            ),
        ])
        return Sanitiser.output(doc.render() + "\n", style: .json)
    }

    // MARK: github

    /// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`.
    public func github(_ diagnostics: [Diagnostic], summary: Summary?) -> String {
        var out = ""
        var budget = AnnotationBudget()
        for d in diagnostics {
            let command: String
            switch d.severity {
            case .error: command = "error"
            case .warning: command = "warning"
            case .note: command = "notice"
            }
            let shown = d.shown
            var message = shown.message
            for note in shown.notes {
                message += "\nnote: \(note.message)" + (note.location.map { " (\($0.description))" } ?? "")
            }
            out += budget.command(command, location: shown.location, title: "stoqctl \(d.code.rawValue)", message: message)
        }
        out += budget.closing()
        if let summary { out += summaryLine(summary) + "\n" }
        return Sanitiser.output(out, style: .workflowCommands)
    }

    /// One workflow command line with GitHub's escaping of properties and data.
    public static func workflowCommand(_ command: String, location: SourceLocation?, title: String, message: String) -> String {
        var props: [String] = []
        if let l = location {
            props.append("file=\(escapeProperty(l.file))")
            props.append("line=\(l.line)")
            props.append("col=\(l.column)")
        }
        props.append("title=\(escapeProperty(title))")
        return "::\(command) \(props.joined(separator: ","))::\(escapeData(message))\n"
    }

    /// Annotations of each kind (error, warning, notice) that one step shows: GitHub drops the
    /// rest without a word.
    public struct AnnotationBudget {
        /// GitHub's limit per kind and step, less one kept for the closing notice.
        public static let perKind = 9
        private var used: [String: Int] = [:]

        /// Creates an empty budget.
        public init() {}

        /// The annotation while the kind has budget; after that the same words as a plain log line.
        public mutating func command(_ command: String, location: SourceLocation?, title: String, message: String) -> String {
            used[command, default: 0] += 1
            if used[command, default: 0] <= Self.perKind {
                return DiagnosticRenderer.workflowCommand(command, location: location, title: title, message: message)
            }
            let place = location.map { "\($0.file):\($0.line):\($0.column): " } ?? ""
            return "\(command): \(place)\(title): \(message.replacingAll("\r", "").replacingAll("\n", "; "))\n"
        }

        /// A notice saying how many were written as log lines, when any were.
        public func closing() -> String {
            let over = used.filter { $0.value > Self.perKind }.sorted { $0.key < $1.key }
            guard !over.isEmpty else { return "" }
            let counts = over.map { "\(PlanText.count($0.value - Self.perKind)) more \($0.key)\($0.value - Self.perKind == 1 ? "" : "s")" }
            return DiagnosticRenderer.workflowCommand(
                "notice", location: nil, title: "stoqctl: more in the log",
                message: counts.joined(separator: ", ")
                    + " are written as plain lines in this step's log: GitHub shows at most 10 annotations of each kind per step")
        }
    }

    static func escapeData(_ s: String) -> String {
        s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
