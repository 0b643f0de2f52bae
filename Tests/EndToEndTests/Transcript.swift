import Foundation
import StoqTestSupport
import Testing

/// Commands and what they printed, compared whole with a golden: what a user sees, not a few
/// phrases of it.
///
/// Figures that differ between runs are replaced by placeholders: the run's directory, elapsed
/// and waited seconds, the requests that happened to be in flight at once, and plan hashes
/// (masked, as in the plan goldens: a plan names its endpoint, here a temporary file), and any
/// value a test names with ``mask(_:as:)`` (a temporary repository's commit, a server's port).
struct Transcript {
    private var text = ""
    private let directory: URL
    private var masks: [(value: String, placeholder: String, options: String.CompareOptions)] = []

    /// A transcript of commands run in `directory`.
    init(in directory: URL) { self.directory = directory }

    /// Adds a command's output.
    mutating func add(_ args: [String], _ outcome: Stoqctl.Outcome) {
        text += "$ stoqctl \(args.joined(separator: " "))\nexit \(outcome.status)\n"
        text += "--- stdout\n\(outcome.stdout)--- stderr\n\(outcome.stderr)"
    }

    /// Adds a line saying what happened between two commands (`# what`).
    mutating func note(_ what: String) { text += "# \(what)\n" }

    /// Shows `value` as `placeholder` wherever it appears: a figure of this run only.
    mutating func mask(_ value: String, as placeholder: String) { masks.append((value, placeholder, [])) }

    /// Shows every match of the regular expression `pattern` as `placeholder`.
    mutating func mask(matching pattern: String, as placeholder: String) { masks.append((pattern, placeholder, .regularExpression)) }

    /// Shows a git commit id, whole or as its 12-digit short form, as `<name>`.
    mutating func mask(commit: String, as name: String) {
        mask(commit, as: "<\(name)>")
        mask(String(commit.prefix(12)), as: "<\(name)>")
    }

    /// Adds a file the commands wrote.
    mutating func add(file name: String) throws {
        let content = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        text += "--- file \(name)\n\(content)"
    }

    /// The text with run-specific figures replaced.
    var shown: String {
        masks.reduce(text) { $0.replacingOccurrences(of: $1.value, with: $1.placeholder, options: $1.options) }
            .replacingOccurrences(of: directory.path, with: "<dir>")
            .replacingOccurrences(of: directory.resolvingSymlinksInPath().path, with: "<dir>")
            .replacingOccurrences(of: #"in [0-9]+\.[0-9]+ s"#, with: "in <seconds> s", options: .regularExpression)
            .replacingOccurrences(
                of: #""([a-z_]*seconds[a-z_]*|peak_in_flight)": [0-9.]+"#, with: "\"$1\": \"<varies>\"", options: .regularExpression
            )
            .replacingOccurrences(of: #"sha256:[0-9a-f]{12}…"#, with: "sha256:(plan hash)…", options: .regularExpression)
    }

    /// Compares the transcript with the golden at `path`, plan hashes masked.
    func expect(golden path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if let failure = Golden.check(shown, against: path, hashes: .masked) {
            Issue.record(Comment(rawValue: failure), sourceLocation: sourceLocation)
        }
    }
}
