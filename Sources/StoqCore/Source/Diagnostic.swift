/// How serious a diagnostic is.
public enum Severity: String, Sendable, Hashable, Codable, Comparable {
    case error
    case warning
    case note

    private var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .note: 2
        }
    }

    /// Errors sort before warnings before notes.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A secondary message attached to a diagnostic, usually pointing elsewhere ("first declared here").
public struct DiagnosticNote: Sendable, Hashable, Codable {
    /// What the note says.
    public var message: String
    /// Where it points, if anywhere.
    public var location: SourceLocation?

    /// Creates a note.
    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }
}

/// One problem found while loading or validating configuration.
///
/// Invariant: `code` is one of ``DiagnosticCode``'s stable raw values; messages may change between
/// releases, codes do not.
public struct Diagnostic: Sendable, Hashable, Codable {
    /// Error, warning or note.
    public var severity: Severity
    /// Stable machine-readable code.
    public var code: DiagnosticCode
    /// Human-readable message (one sentence, no trailing period).
    public var message: String
    /// Where the problem is; nil only for problems that belong to no file.
    public var location: SourceLocation?
    /// Further context, possibly pointing at other places.
    public var notes: [DiagnosticNote]

    /// Creates a diagnostic.
    ///
    /// The default severity is the code's own.
    public init(
        _ code: DiagnosticCode, _ message: String, at location: SourceLocation?,
        severity: Severity? = nil, notes: [DiagnosticNote] = []
    ) {
        self.code = code
        self.message = message
        self.location = location
        self.severity = severity ?? code.defaultSeverity
        self.notes = notes
    }
}

extension Diagnostic {
    /// Orders diagnostics by location (files, lines, columns), then code, for stable output.
    public static func stableOrder(_ lhs: Diagnostic, _ rhs: Diagnostic) -> Bool {
        switch (lhs.location, rhs.location) {
        case (nil, nil): break
        case (nil, _): return true
        case (_, nil): return false
        case (let l?, let r?): if l != r { return l < r }
        }
        if lhs.severity != rhs.severity { return lhs.severity < rhs.severity }
        if lhs.code != rhs.code { return lhs.code.rawValue < rhs.code.rawValue }
        return lhs.message < rhs.message
    }
}

extension Array where Element == Diagnostic {
    /// True if any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }
    /// True if any diagnostic is a warning.
    public var hasWarnings: Bool { contains { $0.severity == .warning } }
}
