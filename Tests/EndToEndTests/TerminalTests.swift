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

/// Progress through the binary: a plan whose read of the shop takes about 5 s (32 plans, 1 s
/// latency, 8 in flight) against the emulator over HTTP.
@Suite("stoqctl progress: on the terminal's standard error, never on standard output")
struct TerminalProgressTests {
    /// A directory holding `state.json` (32 copies of the example's first plan) and `cfg/`
    /// (a configuration declaring them), and an emulator serving it with 1 s of latency.
    func slowShop() throws -> (dir: URL, emulator: Process, endpoint: String) {
        let dir = try temporaryDirectory()
        let example = try Data(contentsOf: exampleState(in: dir))
        var state = try #require(try JSONSerialization.jsonObject(with: example) as? [String: Any])
        let first = try #require((state["plans"] as? [[String: Any]])?.first)
        var plans: [[String: Any]] = []
        var yaml = "version: 1\nselling_plans:\n"
        for i in 0..<32 {
            var plan = first
            plan["id"] = String(format: "5e7a0c1d-0000-4000-8000-%012d", 1000 + i)
            plan["internal_name"] = "p-\(i)"
            plan["name"] = "P \(i)"
            plans.append(plan)
            yaml += "  - internal_name: p-\(i)\n    name: P \(i)\n    inventory_provider: stoq\n"
        }
        state["plans"] = plans
        try JSONSerialization.data(withJSONObject: state).write(to: dir.appendingPathComponent("state.json"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("cfg"), withIntermediateDirectories: true)
        try yaml.write(to: dir.appendingPathComponent("cfg/plans.yaml"), atomically: true, encoding: .utf8)
        try "token".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Stoqctl.executable
        process.arguments = ["emulator", "--state", dir.appendingPathComponent("state.json").path, "--port", "0", "--latency", "1s"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let firstLine = try #require(readLine(from: out.fileHandleForReading))
        let endpoint = try #require(firstLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        return (dir, process, endpoint)
    }

    @Test("on a terminal: the line updates in place on standard error, is cleared at the end, and standard output holds the plan alone")
    func inPlaceOnTerminal() async throws {
        let (dir, emulator, endpoint) = try slowShop()
        defer { emulator.terminate() }
        let plan = "\(Stoqctl.executable.path) plan cfg --endpoint \(endpoint) --token-file token"
        let terminal = try await Stoqctl.run(
            ["-c", "script -qec '\(plan) >out.txt' /dev/null"], in: dir, environment: ["TERM": "xterm", "NO_COLOR": "1"], shell: true)
        #expect(terminal.status == 0, "\(terminal.stderr)")
        #expect(terminal.stdout.contains("\r\u{1B}[2Kreading the shop: "), "\(terminal.stdout)")
        #expect(terminal.stdout.contains(" plans"), "\(terminal.stdout)")
        #expect(terminal.stdout.hasSuffix("\r\u{1B}[2K"), "the line is cleared: \(terminal.stdout)")
        let out = try String(contentsOf: dir.appendingPathComponent("out.txt"), encoding: .utf8)
        #expect(out.contains("Plan: ") && !out.contains("reading") && !out.contains("\u{1B}"), "\(out)")

        // A dumb terminal gets no in-place line (and a phase under 30 s no plain line either).
        let dumb = try await Stoqctl.run(
            ["-c", "script -qec '\(plan) >out.txt' /dev/null"], in: dir, environment: ["TERM": "dumb"], shell: true)
        #expect(dumb.status == 0)
        #expect(!dumb.stdout.contains("\u{1B}") && !dumb.stdout.contains("reading"), "\(dumb.stdout)")

        // A pipe gets nothing.
        let piped = try await Stoqctl.run(["plan", "cfg", "--endpoint", endpoint, "--token-file", "token"], in: dir)
        #expect(piped.stderr.isEmpty && !piped.stdout.contains("reading"), "\(piped.stderr)")
    }
}
