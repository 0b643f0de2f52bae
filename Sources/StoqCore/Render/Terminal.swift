import Foundation

/// What the streams stoqctl writes to can show, decided from the environment and from whether
/// each stream is a terminal.
///
/// Colour: `--color always` and `--color never` decide alone. Under `--color auto` a stream is
/// coloured only when it is a terminal, `NO_COLOR` is unset or empty (no-color.org) and `TERM`
/// is not `dumb`.
public struct Terminal: Sendable {
    /// The process environment.
    public var environment: [String: String]
    /// Whether a file descriptor is a terminal.
    public var isTerminal: @Sendable (Int32) -> Bool

    /// The process's own environment and streams.
    public static var current: Terminal {
        Terminal(environment: ProcessInfo.processInfo.environment, isTerminal: { isatty($0) == 1 })
    }

    /// `NO_COLOR` is set to something (an empty value counts as unset).
    public var noColor: Bool { environment["NO_COLOR"].map { !$0.isEmpty } ?? false }

    /// `TERM=dumb`: a terminal that cannot show colour or move the cursor.
    public var dumb: Bool { environment["TERM"] == "dumb" }

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
