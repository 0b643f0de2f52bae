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
    /// For `more-problems`: the problems it stands for, which were counted but not listed.
    public var unlisted: Unlisted?

    /// Problems counted but not listed.
    public struct Unlisted: Sendable, Hashable, Codable {
        /// Errors among them.
        public var errors: Int
        /// Warnings among them.
        public var warnings: Int
    }

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

/// Limits on what is listed, so a file full of mistakes neither floods the terminal nor costs more
/// than reading a clean file: the first ``perFile`` problems of a file and ``total`` in all are
/// listed, the rest counted in one `more-problems` diagnostic; quoted values are shortened.
public enum Diagnostics {
    /// Problems listed per file.
    public static let perFile = 100
    /// Problems listed in all.
    public static let total = 1_000
    /// Longest message, in characters.
    public static let messageLength = 500

    /// `message`, cut to ``messageLength`` characters.
    public static func shortened(_ message: String) -> String {
        message.count > messageLength ? String(message.prefix(messageLength - 1)) + "…" : message
    }

    /// One diagnostic that counts `count` problems (`errors` of them errors) not listed.
    public static func more(_ count: Int, errors: Int, at location: SourceLocation?, scope: String) -> Diagnostic {
        let n = PlanText.count(count)
        var d = Diagnostic(
            .moreProblems,
            "\(n) more problem\(count == 1 ? "" : "s") \(scope) (\(PlanText.count(errors)) error\(errors == 1 ? "" : "s")) \(count == 1 ? "is" : "are") not listed, from here on; fix the ones above and run again",
            at: location, severity: errors > 0 ? .error : .warning)
        d.unlisted = Diagnostic.Unlisted(errors: errors, warnings: count - errors)
        return d
    }

    /// `sorted` (in stable order) with at most ``perFile`` per file and ``total`` in all; the rest
    /// counted in `more-problems` diagnostics.
    public static func capped(_ sorted: [Diagnostic]) -> [Diagnostic] {
        guard sorted.count > perFile else { return sorted }
        var kept: [Diagnostic] = []
        var perFileCount: [String: Int] = [:]
        var dropped: [String: (count: Int, errors: Int, first: SourceLocation?)] = [:]
        var droppedOrder: [String] = []
        for d in sorted {
            let file = d.location?.file ?? ""
            let listed = perFileCount[file, default: 0]
            if d.code != .moreProblems, listed >= perFile || kept.count >= total {
                if dropped[file] == nil { droppedOrder.append(file) }
                var entry = dropped[file] ?? (0, 0, d.location)
                entry.count += 1
                if d.severity == .error { entry.errors += 1 }
                dropped[file] = entry
                continue
            }
            perFileCount[file] = listed + 1
            kept.append(d)
        }
        for file in droppedOrder {
            guard let entry = dropped[file] else { continue }
            kept.append(more(entry.count, errors: entry.errors, at: entry.first, scope: file.isEmpty ? "" : "in \(file)"))
        }
        return kept.sorted(by: Diagnostic.stableOrder)
    }
}
