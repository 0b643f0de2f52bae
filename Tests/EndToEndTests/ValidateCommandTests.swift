import Foundation
import StoqTestSupport
import Testing

@Suite("stoqctl validate, end to end")
struct ValidateCommandTests {
    /// Runs `stoqctl args…` in the repository root and adds what it printed to `transcript`.
    static func run(_ args: [String], into transcript: inout Transcript) async throws -> Stoqctl.Outcome {
        let outcome = try await Stoqctl.run(args)
        transcript.add(args, outcome)
        return outcome
    }

    @Test("the example shop validates clean and exits 0")
    func exampleShopIsClean() async throws {
        let r = try await Stoqctl.run(["validate", "examples/shop"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "OK: 5 files, 6 plans, no problems\n")
    }

    @Test("examples/invalid reports every problem, in each format, exactly as the goldens", arguments: ["text", "json", "github"])
    func invalidExamplesGolden(format: String) async throws {
        let r = try await Stoqctl.run(["validate", "examples/invalid", "--format", format])
        #expect(r.status == 1)
        #expect(r.stderr.isEmpty)
        let ext = format == "json" ? "json" : "txt"
        let failure = Golden.check(r.stdout, against: "Tests/Fixtures/validate-reports-every-problem-in-examples-invalid/\(format).\(ext)")
        #expect(failure == nil, "\(failure ?? "")")
    }

    @Test("colour appears with --color always and never with NO_COLOR under auto")
    func colour() async throws {
        let always = try await Stoqctl.run(["validate", "examples/invalid/version-2.yaml", "--color", "always"])
        #expect(always.stdout.contains("\u{1B}[1;31merror\u{1B}[0m"))
        let auto = try await Stoqctl.run(["validate", "examples/invalid/version-2.yaml"])
        #expect(!auto.stdout.contains("\u{1B}["))
    }

    @Test("a file opening with a byte-order mark: the caret of a line-1 problem stands under its column")
    func byteOrderMarkCaret() async throws {
        let dir = try temporaryDirectory()
        try Data([0xEF, 0xBB, 0xBF] + Array("version: 7\nselling_plans: []\n".utf8)).write(to: dir.appendingPathComponent("a.yaml"))
        var transcript = Transcript(in: dir)
        let r = try await Stoqctl.run(["validate", "."], in: dir)
        transcript.add(["validate", "."], r)
        transcript.expect(golden: "Tests/Fixtures/validate/a-byte-order-mark-before-a-line-1-problem.txt")
    }

    @Test("warnings alone exit 0, and 1 with --strict")
    func strict() async throws {
        let dir = try temporaryDirectory()
        try "version: 1\nselling_plans:\n  - internal_name: a\n    inventory_provider: shopify\n"
            .write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        var transcript = Transcript(in: dir)
        let lenient = try await Self.run(["validate", dir.path], into: &transcript)
        #expect(lenient.status == 0)
        let strict = try await Self.run(["validate", dir.path, "--strict"], into: &transcript)
        #expect(strict.status == 1)
        transcript.expect(golden: "Tests/Fixtures/validate/warnings-alone-exit-0-and-1-with-strict.txt")
    }

    @Test("a path without config files, and a missing path, are errors without a position")
    func pathProblems() async throws {
        let dir = try temporaryDirectory()
        var transcript = Transcript(in: dir)
        let empty = try await Self.run(["validate", dir.path, "--format", "json"], into: &transcript)
        #expect(empty.status == 1)
        let missing = try await Self.run(["validate", "no/such/place"], into: &transcript)
        #expect(missing.status == 1)
        transcript.expect(golden: "Tests/Fixtures/validate/no-config-files-and-a-missing-path.txt")
    }

    @Test("paths are shown relative to the working directory")
    func relativePaths() async throws {
        var transcript = Transcript(in: Golden.repositoryRoot)
        transcript.note("in <dir>/examples/invalid")
        let r = try await Stoqctl.run(["validate", "version-2.yaml"], in: Golden.repositoryRoot.appendingPathComponent("examples/invalid"))
        transcript.add(["validate", "version-2.yaml"], r)
        transcript.note("in <dir>, the repository's root")
        let absolute = Golden.repositoryRoot.appendingPathComponent("examples/invalid/version-2.yaml").path
        _ = try await Self.run(["validate", absolute], into: &transcript)
        transcript.expect(golden: "Tests/Fixtures/validate/paths-relative-to-the-working-directory.txt")
    }

    @Test("a file over the 16 MiB limit is refused without being read whole")
    func hugeFile() async throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("huge.yaml")
        var text = "version: 1\nselling_plans:\n  - internal_name: big\n    billing_description: \""
        text += String(repeating: "x", count: 17 << 20) + "\"\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        var transcript = Transcript(in: dir)
        let r = try await Self.run(["validate", dir.path, "--format", "json"], into: &transcript)
        #expect(r.status == 1)
        transcript.expect(golden: "Tests/Fixtures/validate/a-file-over-the-size-limit.txt")
    }

    @Test("--version and --help with examples and exit codes")
    func helpAndVersion() async throws {
        let v = try await Stoqctl.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout == "0.1.0\n")
        let h = try await Stoqctl.run(["validate", "--help"])
        #expect(h.stdout.contains("EXAMPLES"))
        #expect(h.stdout.contains("stoqctl validate shop --format github"))
        let top = try await Stoqctl.run(["--help"])
        #expect(top.stdout.contains("5   apply finished with some operations failed"))
    }
}

/// A copy of the example shop's remote state (`examples/shop/remote-state.json`) in `dir`, as
/// `state.json`, for an emulator to change.
func exampleState(in dir: URL) throws -> URL {
    let state = dir.appendingPathComponent("state.json")
    try FileManager.default.copyItem(at: Golden.repositoryRoot.appendingPathComponent("examples/shop/remote-state.json"), to: state)
    return state
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
