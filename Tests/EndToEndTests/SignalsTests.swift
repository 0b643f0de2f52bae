import Foundation
import StoqCore
import StoqTestSupport
import Testing

/// The emulator served over HTTP by the built binary, for tests that need a real socket.
final class ServedEmulator {
    let process = Process()
    let base: String
    let port: Int

    init(state: String, extra: [String] = []) throws {
        process.executableURL = Stoqctl.executable
        process.arguments = ["emulator", "--state", state, "--port", "0"] + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = try #require(readLine(from: out.fileHandleForReading))
        base = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        port = try #require(Int(base.split(separator: ":")[2].split(separator: "/")[0]))
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}

@Suite("Signals agree: one funnel, one exit table, redaction, and no silent failures", .serialized)
struct SignalsTests {
    @Test("a token planted in every place a token or URL can be given never reaches any output or file")
    func canary() async throws {
        let dir = try temporaryDirectory()
        let state = try exampleState(in: dir)
        let server = try ServedEmulator(state: state.path)
        let shop = dir.appendingPathComponent("shop")
        try FileManager.default.copyItem(at: Golden.repositoryRoot.appendingPathComponent("examples/shop"), to: shop)
        try "CANARY-TOKEN-FILE\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let settings = shop.appendingPathComponent("stoqctl.yaml")
        let hostPort = "127.0.0.1:\(server.port)"
        try String(contentsOf: settings, encoding: .utf8).replacingOccurrences(
            of: "endpoint: https://app.stoqapp.com/api/v1/external",
            with: "endpoint: \"http://u:CANARY-SETTINGS@\(hostPort)/api/v1/external?key=CANARY-SETTINGS-QUERY\""
        ).write(to: settings, atomically: true, encoding: .utf8)

        let flagURL = "http://user:CANARY-USERINFO@\(hostPort)/api/v1/external?token=CANARY-QUERY#CANARY-FRAGMENT"
        let envURL = "http://u:CANARY-ENV-URL@\(hostPort)/api/v1/external?token=CANARY-ENV-QUERY"
        let env = ["STOQ_API_TOKEN": "CANARY-ENV-TOKEN"]
        var runs: [Stoqctl.Outcome] = []
        func run(_ args: [String], _ extraEnv: [String: String] = [:]) async throws {
            runs.append(try await Stoqctl.run(args, in: dir, environment: env.merging(extraEnv) { _, b in b }))
        }
        // The settings file's endpoint (its host allowed by the runner), with the token from the environment.
        try await run(["fetch", "shop", "--debug"], ["STOQCTL_ALLOW_HOSTS": "127.0.0.1"])
        // The environment's URL.
        try await run(["plan", "shop", "--debug", "--format", "json"], ["STOQ_API_URL": envURL])
        // The flag, with a token file, in every plan format, a saved plan, apply with a report, export.
        for format in ["text", "markdown", "github"] {
            try await run(["plan", "shop", "--format", format, "--endpoint", flagURL, "--token-file", "token", "--debug"])
        }
        try await run(["plan", "shop", "--out", "plan.json", "--endpoint", flagURL, "--token-file", "token"])
        try await run(["apply", "plan.json", "shop", "--report", "report.json", "--endpoint", flagURL, "--token-file", "token", "--debug"])
        try await run(["export", "--endpoint", flagURL, "--debug"])
        try await run(["export", "--out", "exported", "--endpoint", flagURL])
        // Nothing listening: every retry line (with --debug) and the final connection error.
        try await run(["fetch", "shop", "--debug", "--endpoint", "http://user:CANARY-DEAD@127.0.0.1:1/api?token=CANARY-DEAD-QUERY"])

        #expect(runs.count == 10)
        #expect(runs[0].status == 0, "the settings file's endpoint was used: \(runs[0].stderr)")
        #expect(runs[4].status == 0, "the saved plan was written: \(runs[4].stderr)")
        #expect(runs[5].status == 0, "and applied where it was planned: \(runs[5].stderr)")
        let dead = try #require(runs.last)
        #expect(dead.status == 1)
        #expect(dead.stderr.contains("cannot connect to 127.0.0.1:1: connection refused"))
        #expect(dead.stderr.contains("retrying in"), "retries say what they wait for")
        for (i, r) in runs.enumerated() {
            #expect(!(r.stdout + r.stderr).contains("CANARY"), "run \(i): \(r.stdout.prefix(200)) \(r.stderr.prefix(2000))")
        }
        var files = 0
        let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "json" || url.path.contains("exported") else { continue }
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            files += 1
            #expect(!text.contains("CANARY"), "\(url.lastPathComponent)")
        }
        #expect(files >= 4, "plan.json, report.json, the state and the exported files were checked")
        let planned = try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8)
        #expect(planned.contains("\"endpoint\": \"http://\(hostPort)/api/v1/external\""))
    }

    @Test("with nothing listening, fetch says what it waits for and ends with a sentence")
    func networkDown() async throws {
        let r = try await Stoqctl.run(
            ["fetch", "examples/shop", "--endpoint", "http://127.0.0.1:1/api/v1/external"], environment: ["STOQ_API_TOKEN": "t"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(
            lines.filter { $0.hasPrefix("stoqctl: GET /preorders: cannot connect to 127.0.0.1:1: connection refused; retrying in") }.count
                == 4)
        #expect(
            lines.last
                == "error: reading the shop failed: GET /preorders: cannot connect to 127.0.0.1:1: connection refused (after 5 attempts) [stoq-unreachable]"
        )
    }

    @Test("a second emulator on a taken port says so in a sentence")
    func portTaken() async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("s.json")
        let server = try ServedEmulator(state: "new:" + state.path)
        let r = try await Stoqctl.run(["emulator", "--state", state.path, "--port", "\(server.port)"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: cannot listen on 127.0.0.1:\(server.port): address already in use [listen-failed]\n")
    }

    @Test("a state that cannot be written fails the command instead of reporting success")
    func stateWriteFails() async throws {
        let missingDir = try temporaryDirectory().appendingPathComponent("no-such-dir/state.json").path
        let apply = try await Stoqctl.run(["apply", "examples/shop", "--endpoint", "emulator:new:\(missingDir)"])
        #expect(apply.status == 1, "\(apply.stderr)")
        #expect(apply.stderr.contains("the emulator state could not be written to \(missingDir)"))
        #expect(apply.stderr.contains("its changes are lost [emulator-state]"))
        let server = try await Stoqctl.run(["emulator", "--state", "new:\(missingDir)", "--port", "0"])
        #expect(server.status == 1)
        #expect(server.stderr.contains("the emulator state could not be written to \(missingDir)"))
        let missing = try await Stoqctl.run(["emulator", "--state", missingDir, "--port", "0"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist; to start an empty shop there, use --state new:"))
    }

    @Test("a format a command does not print is a usage error (64), as are bad options")
    func formats() async throws {
        let validate = try await Stoqctl.run(["validate", "examples/shop", "--format", "markdown"])
        #expect(validate.status == 64)
        #expect(validate.stdout.isEmpty)
        #expect(
            validate.stderr.hasPrefix(
                "error: --format markdown: validate prints text, json, github; not markdown [usage]\nUsage: stoqctl validate"))
        let fetch = try await Stoqctl.run(["fetch", "examples/shop", "--format", "github"])
        #expect(fetch.status == 64)
        #expect(fetch.stderr.hasPrefix("error: --format github: fetch prints text, json; not github [usage]"))
        let unknown = try await Stoqctl.run(["plan", "--no-such-option"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.hasPrefix("error: Unknown option '--no-such-option'"))
        let rate = try await Stoqctl.run(["plan", "--rate-limit", "fast"])
        #expect(rate.status == 64)
    }

    @Test("the exit codes in --help and the README are the code's one table")
    func exitTable() async throws {
        let readme = try String(contentsOf: Golden.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Exit codes").dropFirst().first)
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| code") }.map { row in
            row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let table = rows.map { "\($0[0]) \($0[1])" }
        #expect(table == ExitStatus.allCases.map { "\($0.rawValue) \($0.meaning)" })
        let help = try await Stoqctl.run(["--help"]).stdout.replacingOccurrences(of: "\n     ", with: "")
        for status in ExitStatus.allCases {
            let number = String(status.rawValue)
            let line = "  \(number)\(String(repeating: " ", count: 4 - number.count))\(status.meaning)"
            #expect(help.contains(line), "--help lists \(status)")
        }
    }

    @Test("with --format json, a failure prints one diagnostics document; with github, an annotation")
    func failureFormats() async throws {
        let json = try await Stoqctl.run(["plan", "examples/invalid/version-2.yaml", "--format", "json"])
        #expect(json.status == 1)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let codes = (document?["diagnostics"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
        #expect(codes == ["unsupported-version", "invalid-configuration"])
        let github = try await Stoqctl.run(["plan", "examples/shop", "--format", "github", "--endpoint", "emulator:missing.json"])
        #expect(github.status == 1)
        #expect(github.stdout.hasPrefix("::error title=stoqctl emulator-state::emulator state file missing.json does not exist"))
    }

    @Test("planner diagnostics go through the same renderer: github annotates ambiguous-remote-plan on its line")
    func plannerDiagnostics() async throws {
        let dir = try temporaryDirectory()
        try "version: 1\nselling_plans:\n  - internal_name: twice\n    name: Twice\n".write(
            to: dir.appendingPathComponent("plans.yaml"), atomically: true, encoding: .utf8)
        try #"{"plans": [{"id": "a", "internal_name": "twice"}, {"id": "b", "internal_name": "twice"}]}"#.write(
            to: dir.appendingPathComponent("state.json"), atomically: true, encoding: .utf8)
        let r = try await Stoqctl.run(["plan", "plans.yaml", "--format", "github", "--endpoint", "emulator:state.json"], in: dir)
        #expect(r.status == 1)
        #expect(
            r.stdout.hasPrefix(
                "::error file=plans.yaml,line=3,col=20,title=stoqctl ambiguous-remote-plan::STOQ has 2 plans with internal_name `twice` (ids a, b); pin one with `id:`"
            ))
    }
}
