import Foundation
import StoqTestSupport
import Testing

/// The example shop copied into a fresh directory (not a git repository: the repository is the
/// configuration directory), with its state file.
struct CopiedShop {
    let dir: URL
    let shop: URL
    let state: URL

    init() throws {
        dir = try temporaryDirectory()
        shop = dir.appendingPathComponent("shop")
        try FileManager.default.copyItem(at: Golden.repositoryRoot.appendingPathComponent("examples/shop"), to: shop)
        state = try exampleState(in: dir)
    }

    /// Replaces `stoqctl.yaml`'s endpoint line with `line`.
    func settings(_ line: String) throws {
        let file = shop.appendingPathComponent("stoqctl.yaml")
        try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "endpoint: https://app.stoqapp.com/api/v1/external", with: line
        ).write(to: file, atomically: true, encoding: .utf8)
    }

    func run(_ args: [String], environment: [String: String] = [:], input: String? = nil) async throws -> Stoqctl.Outcome {
        try await Stoqctl.run(args, in: dir, environment: environment, input: input)
    }

    /// Runs `stoqctl args…` and adds what it printed to `transcript`.
    func run(_ args: [String], environment: [String: String] = [:], into transcript: inout Transcript) async throws -> Stoqctl.Outcome {
        let outcome = try await run(args, environment: environment)
        transcript.add(args, outcome)
        return outcome
    }
}

/// Lines that would be obeyed as a workflow command, terminal controls, or a fence closed by data.
func obeyedSequences(_ output: String, annotations: Bool) -> [String] {
    var found: [String] = []
    if output.contains("##[") { found.append("##[") }
    if output.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" || (0x7F...0x9F).contains($0.value) }) {
        found.append("a control character")
    }
    for line in output.split(separator: "\n") {
        let body = line.drop { $0 == " " || $0 == "\t" }
        let own = annotations && ["::error ", "::warning ", "::notice "].contains { line.hasPrefix($0) }
        if body.hasPrefix("::"), !own { found.append(String(line.prefix(60))) }
        if !annotations, body.hasPrefix("```") { found.append(String(line.prefix(60))) }
    }
    return found
}

@Suite("Who may choose a host or read a file, and what reaches the log, end to end", .serialized)
struct AccessCommandTests {
    @Test("a symbolic link out of the configuration is not read, and nothing of what it points to is shown")
    func symlinkOut() async throws {
        let shop = try CopiedShop()
        try FileManager.default.createSymbolicLink(
            atPath: shop.shop.appendingPathComponent("preorders/env.yaml").path, withDestinationPath: "/proc/self/environ")
        let secretFile = shop.dir.appendingPathComponent("secret.yaml")
        try "version: 1\nselling_plans: SECRET-OUTSIDE\n".write(to: secretFile, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: shop.shop.appendingPathComponent("preorders/secret.yaml").path, withDestinationPath: secretFile.path)
        var transcript = Transcript(in: shop.dir)
        transcript.note("shop/preorders/env.yaml links to /proc/self/environ, shop/preorders/secret.yaml to <dir>/secret.yaml")
        for format in ["text", "markdown", "github", "json"] {
            let r = try await shop.run(
                ["plan", "shop", "--endpoint", "emulator:\(shop.state.path)", "--format", format],
                environment: ["CANARY_ENV": "SECRET-ENV"],
                into: &transcript)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains("SECRET"), "\(format): \(r.stdout) \(r.stderr)")
        }
        transcript.expect(golden: "Tests/Fixtures/access/symbolic-links-out-of-the-configuration-in-every-format.txt")
    }

    @Test("stoqctl.yaml cannot send the token to another host; the runner can allow it")
    func settingsHost() async throws {
        let shop = try CopiedShop()
        try shop.settings("endpoint: \"http://127.0.0.1:1/api/v1/external\"")
        let token = ["STOQ_API_TOKEN": "canary-SECRET-token"]
        var transcript = Transcript(in: shop.dir)
        transcript.note("stoqctl.yaml sets endpoint: http://127.0.0.1:1/api/v1/external")
        let refused = try await shop.run(["plan", "shop"], environment: token, into: &transcript)
        #expect(refused.status == 1)
        transcript.note("STOQCTL_ALLOW_HOSTS=127.0.0.1")
        let allowed = try await shop.run(
            ["fetch", "shop"], environment: token.merging(["STOQCTL_ALLOW_HOSTS": "127.0.0.1"]) { a, _ in a }, into: &transcript)
        #expect(allowed.status == 1)
        transcript.expect(golden: "Tests/Fixtures/access/the-settings-file-cannot-choose-the-tokens-host.txt")
        #expect(!(allowed.stdout + allowed.stderr + refused.stdout + refused.stderr).contains("SECRET"))
    }

    @Test("emulator: files and baseline directories from stoqctl.yaml stay inside the repository")
    func settingsFiles() async throws {
        let shop = try CopiedShop()
        try shop.settings("endpoint: \"emulator:\(shop.state.path)\"")
        var transcript = Transcript(in: shop.dir)
        transcript.note("stoqctl.yaml sets endpoint: emulator:<dir>/state.json")
        let outside = try await shop.run(["plan", "shop"], into: &transcript)
        #expect(outside.status == 1)
        let before = try String(contentsOf: shop.state, encoding: .utf8)
        try FileManager.default.moveItem(at: shop.state, to: shop.shop.appendingPathComponent("state.json"))
        let settingsFile = shop.shop.appendingPathComponent("stoqctl.yaml")
        try String(contentsOf: settingsFile, encoding: .utf8).replacingOccurrences(
            of: "endpoint: \"emulator:\(shop.state.path)\"", with: "endpoint: \"emulator:shop/state.json\""
        ).write(to: settingsFile, atomically: true, encoding: .utf8)
        transcript.note("stoqctl.yaml sets endpoint: emulator:shop/state.json")
        let inside = try await shop.run(["plan", "shop"], into: &transcript)
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(try String(contentsOf: shop.shop.appendingPathComponent("state.json"), encoding: .utf8) == before)

        try (String(contentsOf: settingsFile, encoding: .utf8) + "baseline: /usr\n").write(
            to: settingsFile, atomically: true, encoding: .utf8)
        transcript.note("stoqctl.yaml adds baseline: /usr")
        let started = Date()
        let baseline = try await shop.run(["plan", "shop"], into: &transcript)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(baseline.status == 1)
        transcript.expect(golden: "Tests/Fixtures/access/emulator-files-and-baselines-stay-inside-the-repository.txt")
    }

    @Test("a saved plan's endpoint does not choose where it is applied")
    func savedPlanEndpoint() async throws {
        let shop = try CopiedShop()
        var transcript = Transcript(in: shop.dir)
        let save = try await shop.run(
            ["plan", "shop", "--endpoint", "emulator:\(shop.state.path)", "--out", "plan.json"], into: &transcript)
        #expect(save.status == 0, "\(save.stderr)")
        let before = try String(contentsOf: shop.state, encoding: .utf8)
        let refused = try await shop.run(["apply", "plan.json", "shop"], environment: ["STOQ_API_TOKEN": "t"], into: &transcript)
        #expect(refused.status == 1)
        #expect(try String(contentsOf: shop.state, encoding: .utf8) == before)
        let applied = try await shop.run(["apply", "plan.json", "shop", "--endpoint", "emulator:\(shop.state.path)"], into: &transcript)
        #expect(applied.status == 0, "\(applied.stderr)")
        transcript.expect(golden: "Tests/Fixtures/access/a-saved-plans-endpoint-does-not-choose-where-it-is-applied.txt")
    }

    @Test("tokens: a line break inside, or an endless standard input, refused before any request and never shown")
    func tokens() async throws {
        let shop = try CopiedShop()
        let dead = ["--endpoint", "http://127.0.0.1:1/api"]
        var transcript = Transcript(in: shop.dir)
        transcript.note("STOQ_API_TOKEN holds a line break")
        let broken = try await shop.run(
            ["fetch", "shop"] + dead, environment: ["STOQ_API_TOKEN": "canary-SECRET\r\nX-Injected: 1"], into: &transcript)
        #expect(broken.status == 1)
        // `yes | stoqctl … --token-file -`: stoqctl stops reading at its bound and exits. Whether
        // `yes` is still writing then, and complains of the closed pipe, varies: its complaint is
        // not stoqctl's output.
        let started = Date()
        let piped = try await Stoqctl.run(
            ["-c", "yes 2>/dev/null | \"$0\" fetch shop --token-file - --endpoint http://127.0.0.1:1/api", Stoqctl.executable.path],
            in: shop.dir,
            shell: true)
        #expect(Date().timeIntervalSince(started) < 20)
        transcript.note("yes | stoqctl …")
        transcript.add(["fetch", "shop", "--token-file", "-", "--endpoint", "http://127.0.0.1:1/api"], piped)
        for r in [broken, piped] { #expect(!(r.stdout + r.stderr).contains("SECRET")) }
        transcript.expect(golden: "Tests/Fixtures/access/tokens-with-a-line-break-or-endless-refused.txt")
    }

    @Test("a shop's hostile names reach no log as commands, controls or a closed fence, in every format and in apply")
    func hostileShop() async throws {
        let shop = try CopiedShop()
        var state = try String(contentsOf: shop.state, encoding: .utf8)
        let hostile = #"summer\n::warning::INJECTED\n::add-mask::Plan\n```\n## Apply succeeded ##[add-mask]x \u001b]0;title\u0007\u202e"#
        state = state.replacingOccurrences(of: #""internal_name": "summer-2025""#, with: #""internal_name": "\#(hostile)""#)
        try state.write(to: shop.state, atomically: true, encoding: .utf8)
        let endpoint = ["--endpoint", "emulator:\(shop.state.path)"]
        for format in ["text", "markdown", "github", "json"] {
            let r = try await shop.run(["plan", "shop", "--format", format] + endpoint)
            #expect(r.status == 0, "\(r.stderr)")
            if format != "github" { #expect(r.stdout.contains("INJECTED"), "\(format) shows the unmanaged plan's name") }
            #expect(obeyedSequences(r.stdout + r.stderr, annotations: format == "github").isEmpty, "\(format): \(r.stdout)")
        }
        let apply = try await shop.run(["apply", "shop", "--color", "never"] + endpoint)
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(obeyedSequences(apply.stdout + apply.stderr, annotations: false).isEmpty, "\(apply.stdout)")
    }
}

@Suite("Symbolic links at a git baseline", .serialized)
struct BaselineLinkTests {
    @Test("a link inside the repository is read as its target; one leading out is reported, not read as its link text")
    func links() async throws {
        let repo = try GitShop()
        let secret = repo.dir.deletingLastPathComponent().appendingPathComponent("outside-\(UUID().uuidString).yaml")
        try "version: 1\nselling_plans: SECRET-OUTSIDE\n".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        let inside = repo.shop.config.appendingPathComponent("more.yml")
        try FileManager.default.createSymbolicLink(atPath: inside.path, withDestinationPath: "../extra/more.yaml")
        try FileManager.default.createDirectory(at: repo.dir.appendingPathComponent("extra"), withIntermediateDirectories: true)
        try "version: 1\n".write(to: repo.dir.appendingPathComponent("extra/more.yaml"), atomically: true, encoding: .utf8)
        try repo.git(["add", "shop", "extra"])
        try repo.git(["commit", "--quiet", "-m", "a link inside"])
        var transcript = try repo.transcript(head: "inside")
        transcript.note("shop/more.yml links to ../extra/more.yaml, committed")
        let followed = try await repo.run(["plan", "shop", "--baseline", "HEAD"], into: &transcript)
        #expect(followed.status == 0, "the link is read as extra/more.yaml, at the baseline and in the work tree: \(followed.stderr)")

        let outside = repo.shop.config.appendingPathComponent("outside.yaml")
        try FileManager.default.createSymbolicLink(atPath: outside.path, withDestinationPath: "../../\(secret.lastPathComponent)")
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "a link out"])
        transcript.mask(commit: try repo.git(["rev-parse", "HEAD"]), as: "outside")
        transcript.note("shop/outside.yaml links to a file beside the repository, committed")
        let work = try await repo.run(["plan", "shop"], into: &transcript)
        #expect(work.status == 1)
        try FileManager.default.removeItem(at: outside)
        transcript.note("shop/outside.yaml removed from the work tree")
        let refused = try await repo.run(["plan", "shop", "--baseline", "HEAD"], into: &transcript)
        #expect(refused.status == 1)
        for r in [followed, work, refused] { #expect(!(r.stdout + r.stderr).contains("SECRET")) }
        transcript.expect(golden: "Tests/Fixtures/access/symbolic-links-at-a-git-baseline.txt")
    }
}
