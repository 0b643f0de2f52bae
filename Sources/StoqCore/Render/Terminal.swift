import Foundation

/// What the streams stoqctl writes to can show, decided from the environment and from whether
/// each stream is a terminal: colour, and how progress is shown.
///
/// Colour: `--color always` and `--color never` decide alone. Under `--color auto` a stream is
/// coloured only when it is a terminal, `NO_COLOR` is unset or empty (no-color.org) and `TERM`
/// is not `dumb`.
///
/// Progress (on standard error, never on standard output): on a terminal that is not dumb, one
/// line updated in place; when `CI` is set, or on a dumb terminal, a plain line at an interval;
/// otherwise (a pipe or a file) nothing.
public struct Terminal: Sendable {
    /// The process environment.
    public var environment: [String: String]
    /// Whether a file descriptor is a terminal.
    public var isTerminal: @Sendable (Int32) -> Bool

    /// The process's own environment and streams (the environment read once).
    public static let current = Terminal(environment: ProcessInfo.processInfo.environment, isTerminal: { isatty($0) == 1 })

    /// `NO_COLOR` is set to something (an empty value counts as unset).
    public var noColor: Bool { environment["NO_COLOR"].map { !$0.isEmpty } ?? false }

    /// `TERM=dumb`: a terminal that cannot show colour or move the cursor.
    public var dumb: Bool { environment["TERM"] == "dumb" }

    /// `CI` is set to something: a continuous-integration job, whose log is read later.
    public var continuousIntegration: Bool { environment["CI"].map { !$0.isEmpty } ?? false }

    /// A terminal as `environment` and `isTerminal` describe it.
    public init(environment: [String: String], isTerminal: @escaping @Sendable (Int32) -> Bool) {
        self.environment = environment
        self.isTerminal = isTerminal
    }

    /// Whether output on `descriptor` is coloured: `forced` (`--color always` or `never`) when
    /// given, otherwise only on a terminal without `NO_COLOR` and not `TERM=dumb`.
    public func colours(forced: Bool?, on descriptor: Int32) -> Bool {
        if let forced { return forced }
        return !noColor && !dumb && isTerminal(descriptor)
    }
}

/// How progress is shown on standard error.
public enum ProgressStyle: Equatable, Sendable {
    /// One line, rewritten in place (a terminal that can move the cursor).
    case inPlace
    /// A plain line at each interval (a CI log, a dumb terminal).
    case lines(every: Duration)
    /// Nothing (a pipe or a file, outside CI).
    case none

    /// How often a CI log or a dumb terminal gets a line.
    public static let lineInterval: Duration = .seconds(30)

    /// The style for `terminal`'s standard error: in place on a terminal that is not dumb; a
    /// line every `interval` when `CI` is set or on a dumb terminal; otherwise nothing.
    public static func choose(for terminal: Terminal, interval: Duration = lineInterval) -> ProgressStyle {
        let onTerminal = terminal.isTerminal(STDERR_FILENO)
        if onTerminal, !terminal.dumb { return .inPlace }
        if terminal.continuousIntegration || onTerminal { return .lines(every: interval) }
        return .none
    }
}
