import Foundation
import StoqCore
import StoqTestSupport
import Testing

/// The man page, `--help` and the README print the code's tables: ``ExitStatus`` and
/// ``EnvironmentVariable``.
@Suite("the man page's ENVIRONMENT and EXIT STATUS, --help and the README: one table each")
struct ManualTests {
    /// The man page `scripts/manpage.py` writes for the built binary (python3 runs the release's
    /// other scripts too).
    func manPage() async throws -> String {
        let r = try await Stoqctl.run(
            ["-c", "python3 scripts/manpage.py \"$0\"", Stoqctl.executable.path], shell: true)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    /// The `.TP` entries of the man page section `title`, as `key meaning`.
    func entries(of title: String, in page: String) throws -> [String] {
        let section = try #require(page.components(separatedBy: "\n.SH \(title)\n").dropFirst().first)
        let body = section.components(separatedBy: "\n.SH ").first ?? ""
        return body.components(separatedBy: ".TP\n").dropFirst().map { entry in
            let lines = entry.split(separator: "\n", omittingEmptySubsequences: false)
            let key = lines.first.map { $0.replacingOccurrences(of: "\\fB", with: "").replacingOccurrences(of: "\\fR", with: "") } ?? ""
            return key + " " + lines.dropFirst().joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test("the man page has EXIT STATUS and ENVIRONMENT sections holding exactly the code's tables")
    func manPageSections() async throws {
        let page = try await manPage()
        let exit = try entries(of: "EXIT STATUS", in: page)
        #expect(exit == ExitStatus.allCases.map { "\($0.rawValue) \($0.meaning)" })
        let environment = try entries(of: "ENVIRONMENT", in: page)
        #expect(environment == EnvironmentVariable.allCases.map { "\($0.rawValue) \($0.meaning)" })
        // The tables are sections of their own, not part of the description.
        let description = page.components(separatedBy: ".SH DESCRIPTION\n").last?.components(separatedBy: ".SH COMMANDS").first ?? ""
        #expect(!description.contains("EXIT CODES") && !description.contains("STOQ_API_TOKEN"), "\(description)")
    }

    @Test("the README's environment table and --help list every variable with its meaning, and no other")
    func readmeAndHelp() async throws {
        let readme = try String(contentsOf: Golden.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "\n## Environment\n").dropFirst().first)
        let table = section.components(separatedBy: "\n## ").first ?? ""
        let rows = table.split(separator: "\n").filter { $0.hasPrefix("| `") }.map(String.init)
        #expect(rows == EnvironmentVariable.allCases.map { "| `\($0.rawValue)` | \($0.meaning) |" })
        let help = try await Stoqctl.run(["--help"]).stdout
        let listed = help.components(separatedBy: "ENVIRONMENT\n").last?.replacingOccurrences(
            of: "\n +", with: " ", options: .regularExpression)
        for variable in EnvironmentVariable.allCases {
            #expect(
                listed?.contains(variable.rawValue) == true && listed?.contains(variable.meaning) == true,
                "--help lists \(variable.rawValue)")
        }
    }

    @Test("the table lists exactly the environment variables the sources read")
    func everyVariableRead() throws {
        let root = Golden.repositoryRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        var read = Set<String>()
        let pattern = try NSRegularExpression(pattern: #"(?:environmentValue\(|environment\[|TokenSource\.environment\()"([A-Z_]+)""#)
        for file in files where file.pathExtension == "swift" && !file.path.contains("/stoqctl-bench/") {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { read.insert(String(text[range])) }
            }
            // NSHomeDirectory() reads HOME.
            if text.contains("NSHomeDirectory()") { read.insert("HOME") }
        }
        #expect(read == Set(EnvironmentVariable.allCases.map(\.rawValue)))
    }
}
