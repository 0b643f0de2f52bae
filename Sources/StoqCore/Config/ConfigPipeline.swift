/// The configuration as the caller read it: every file with its role, and problems with the paths
/// themselves (a missing path, a directory without configuration files, an unreadable file).
public struct ConfigInput: Sendable {
    /// The files, in the order they were found.
    public var files: [(SourceFile, SourceRole)]
    /// Problems finding or reading the files.
    public var diagnostics: [Diagnostic]

    /// Creates an input.
    public init(files: [(SourceFile, SourceRole)], diagnostics: [Diagnostic] = []) {
        self.files = files
        self.diagnostics = diagnostics
    }
}

/// The configuration loaded and validated: the first two stages in one call, and all that
/// `stoqctl validate` runs.
public struct ConfigResult: Sendable {
    /// What the files declare (partial when there are errors).
    public var desired: DesiredState
    /// The files read, for source lines under diagnostics.
    public var sources: [SourceFile]
    /// Every problem, sorted by file, line and column.
    public var diagnostics: [Diagnostic]
    /// Number of files read.
    public var fileCount: Int

    /// True when nothing may be sent.
    public var hasErrors: Bool { diagnostics.hasErrors }
}

/// Loads and validates configuration.
///
/// Pure.
public enum ConfigPipeline {
    /// Loads and validates `files`.
    /// - Returns: the desired state and every diagnostic, sorted by location.
    public static func run(_ files: [(SourceFile, SourceRole)], limits: LoadLimits = .standard) -> (DesiredState, [Diagnostic]) {
        var (state, diagnostics) = ConfigLoader.load(files, limits: limits)
        diagnostics += ShopRules.validate(state)
        return (state, Diagnostics.capped(diagnostics.sorted(by: Diagnostic.stableOrder)))
    }

    /// Loads and validates `input`, keeping the problems with the paths.
    public static func run(_ input: ConfigInput, limits: LoadLimits = .standard) -> ConfigResult {
        let (desired, loaded) = run(input.files, limits: limits)
        return ConfigResult(
            desired: desired, sources: input.files.map(\.0),
            diagnostics: Diagnostics.capped((input.diagnostics + loaded).sorted(by: Diagnostic.stableOrder)),
            fileCount: input.files.count)
    }
}
