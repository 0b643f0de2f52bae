import Foundation
import StoqTestSupport
import Testing

/// Colour as a terminal sees it: stoqctl runs under `script`, on a pseudo-terminal, so that
/// `--color auto` would pick colour unless the environment says otherwise.
@Suite("stoqctl on a terminal: colour, NO_COLOR and TERM=dumb")
struct TerminalColourTests {
    /// Runs `stoqctl validate` on a file with one error, on a pseudo-terminal, with `environment`
    /// (`NO_COLOR` empty, that is unset, unless given) and `extra` arguments; returns what the
    /// terminal showed (standard output and standard error together).
    func onTerminal(_ environment: [String: String], _ extra: [String] = []) async throws -> String {
        let command = ([Stoqctl.executable.path, "validate", "examples/invalid/version-2.yaml"] + extra).joined(separator: " ")
        var env = ["NO_COLOR": ""]
        env.merge(environment) { _, new in new }
        let r = try await Stoqctl.run(["-c", "script -qec '\(command)' /dev/null"], environment: env, shell: true)
        #expect(r.stdout.contains("`version` must be 1"), "the run did not show its diagnostic: \(r.stdout) \(r.stderr)")
        return r.stdout
    }

    @Test("a terminal gets colour under --color auto")
    func terminalGetsColour() async throws {
        let shown = try await onTerminal(["TERM": "xterm"])
        #expect(shown.contains("\u{1B}[1;31merror\u{1B}[0m"), "\(shown)")
    }

    @Test("TERM=dumb turns colour off under --color auto", arguments: [[], ["--color", "auto"]])
    func dumbTerminal(arguments: [String]) async throws {
        let shown = try await onTerminal(["TERM": "dumb"], arguments)
        #expect(!shown.contains("\u{1B}"), "\(shown)")
    }

    @Test("NO_COLOR with any non-empty value turns colour off under --color auto", arguments: ["1", "0", "false", "yes"])
    func noColor(value: String) async throws {
        let shown = try await onTerminal(["TERM": "xterm", "NO_COLOR": value])
        #expect(!shown.contains("\u{1B}"), "\(shown)")
    }

    @Test("--color always still colours with TERM=dumb and NO_COLOR; --color never never does")
    func explicitChoiceWins() async throws {
        let always = try await onTerminal(["TERM": "dumb", "NO_COLOR": "1"], ["--color", "always"])
        #expect(always.contains("\u{1B}[1;31merror\u{1B}[0m"), "\(always)")
        let never = try await onTerminal(["TERM": "xterm"], ["--color", "never"])
        #expect(!never.contains("\u{1B}"), "\(never)")
    }

    @Test("standard error follows the same rule: a run that fails with a diagnostic there has no colour with TERM=dumb")
    func standardError() async throws {
        let command = "\(Stoqctl.executable.path) plan examples/shop --endpoint ftp://nowhere 2>&1 >/dev/null"
        for (term, coloured) in [("xterm", true), ("dumb", false)] {
            let r = try await Stoqctl.run(
                ["-c", "script -qec '\(command)' /dev/null"], environment: ["NO_COLOR": "", "TERM": term], shell: true)
            #expect(r.stdout.contains("\u{1B}[") == coloured, "TERM=\(term): \(r.stdout)")
        }
    }
}
