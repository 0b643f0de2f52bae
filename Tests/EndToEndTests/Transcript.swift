import Foundation
import StoqTestSupport
import Testing

/// Commands and what they printed, compared whole with a golden: what a user sees, not a few
/// phrases of it.
///
/// Figures that differ between runs are replaced by placeholders: the run's directory, elapsed
/// and waited seconds, the requests that happened to be in flight at once, and plan hashes
/// (masked, as in the plan goldens: a plan names its endpoint, here a temporary file).
struct Transcript {
    private var text = ""
    private let directory: URL

    /// A transcript of commands run in `directory`.
    init(in directory: URL) { self.directory = directory }

    /// Adds a command's output.
    mutating func add(_ args: [String], _ outcome: Stoqctl.Outcome) {
        text += "$ stoqctl \(args.joined(separator: " "))\nexit \(outcome.status)\n"
        text += "--- stdout\n\(outcome.stdout)--- stderr\n\(outcome.stderr)"
    }

    /// Adds a file the commands wrote.
    mutating func add(file name: String) throws {
        let content = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        text += "--- file \(name)\n\(content)"
    }

    /// The text with run-specific figures replaced.
    var shown: String {
        text.replacingOccurrences(of: directory.path, with: "<dir>")
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
