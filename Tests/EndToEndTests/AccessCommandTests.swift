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
        for format in ["text", "markdown", "github", "json"] {
            let r = try await shop.run(
                ["plan", "shop", "--endpoint", "emulator:\(shop.state.path)", "--format", format], environment: ["CANARY_ENV": "SECRET-ENV"]
            )
            #expect(r.status == 1, "\(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains("SECRET"), "\(format): \(r.stdout) \(r.stderr)")
            #expect((r.stdout + r.stderr).contains("preorders/env.yaml: a symbolic link to a place outside the repository"))
        }
    }

    @Test("stoqctl.yaml cannot send the token to another host; the runner can allow it")
    func settingsHost() async throws {
        let shop = try CopiedShop()
        try shop.settings("endpoint: \"http://127.0.0.1:1/api/v1/external\"")
        let token = ["STOQ_API_TOKEN": "canary-SECRET-token"]
        let refused = try await shop.run(["plan", "shop"], environment: token)
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "error: stoqctl.yaml (shop/stoqctl.yaml:4:11) points to 127.0.0.1, which is not app.stoqapp.com; the token goes there only when the runner allows it (--allow-host 127.0.0.1, STOQCTL_ALLOW_HOSTS, or --endpoint); nothing was sent [invalid-url]"
            ), "\(refused.stderr)")
        #expect(!refused.stderr.contains("cannot connect"), "no request was tried")
        let allowed = try await shop.run(["fetch", "shop"], environment: token.merging(["STOQCTL_ALLOW_HOSTS": "127.0.0.1"]) { a, _ in a })
        #expect(allowed.stderr.contains("cannot connect to 127.0.0.1:1"), "allowed, it was tried: \(allowed.stderr)")
        #expect(!(allowed.stdout + allowed.stderr + refused.stdout + refused.stderr).contains("SECRET"))
    }

    @Test("emulator: files and baseline directories from stoqctl.yaml stay inside the repository")
    func settingsFiles() async throws {
        let shop = try CopiedShop()
        try shop.settings("endpoint: \"emulator:\(shop.state.path)\"")
        let outside = try await shop.run(["plan", "shop"])
        #expect(outside.status == 1)
        #expect(outside.stderr.contains("is outside the repository"), "\(outside.stderr)")
        let before = try String(contentsOf: shop.state, encoding: .utf8)
        try FileManager.default.moveItem(at: shop.state, to: shop.shop.appendingPathComponent("state.json"))
        let settingsFile = shop.shop.appendingPathComponent("stoqctl.yaml")
        try String(contentsOf: settingsFile, encoding: .utf8).replacingOccurrences(
            of: "endpoint: \"emulator:\(shop.state.path)\"", with: "endpoint: \"emulator:shop/state.json\""
        ).write(to: settingsFile, atomically: true, encoding: .utf8)
        let inside = try await shop.run(["plan", "shop"])
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(try String(contentsOf: shop.shop.appendingPathComponent("state.json"), encoding: .utf8) == before)

        try (String(contentsOf: settingsFile, encoding: .utf8) + "baseline: /usr\n").write(
            to: settingsFile, atomically: true, encoding: .utf8)
        let started = Date()
        let baseline = try await shop.run(["plan", "shop"])
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(baseline.status == 1)
        #expect(baseline.stderr.contains("baseline /usr in stoqctl.yaml is a directory outside the repository"), "\(baseline.stderr)")
    }

    @Test("a saved plan's endpoint does not choose where it is applied")
    func savedPlanEndpoint() async throws {
        let shop = try CopiedShop()
        let save = try await shop.run(["plan", "shop", "--endpoint", "emulator:\(shop.state.path)", "--out", "plan.json"])
        #expect(save.status == 0, "\(save.stderr)")
        let before = try String(contentsOf: shop.state, encoding: .utf8)
        let refused = try await shop.run(["apply", "plan.json", "shop"], environment: ["STOQ_API_TOKEN": "t"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("a saved plan never chooses where it is applied"), "\(refused.stderr)")
        #expect(try String(contentsOf: shop.state, encoding: .utf8) == before)
        let applied = try await shop.run(["apply", "plan.json", "shop", "--endpoint", "emulator:\(shop.state.path)"])
        #expect(applied.status == 0, "\(applied.stderr)")
    }

    @Test("tokens: a line break inside, or an endless standard input, refused before any request and never shown")
    func tokens() async throws {
        let shop = try CopiedShop()
        let dead = ["--endpoint", "http://127.0.0.1:1/api"]
        let broken = try await shop.run(["fetch", "shop"] + dead, environment: ["STOQ_API_TOKEN": "canary-SECRET\r\nX-Injected: 1"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("STOQ_API_TOKEN holds a control character (character 14)"), "\(broken.stderr)")
        #expect(!broken.stderr.contains("cannot connect"))
        // `yes | stoqctl … --token-file -`: stoqctl stops reading at its bound and exits.
        let started = Date()
        let piped = try await Stoqctl.run(
            ["-c", "yes | \"$0\" fetch shop --token-file - --endpoint http://127.0.0.1:1/api", Stoqctl.executable.path], in: shop.dir,
            shell: true)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(piped.stderr.contains("--token-file -: standard input is longer than 4,096 bytes; nothing was sent"), "\(piped.stderr)")
        for r in [broken, piped] { #expect(!(r.stdout + r.stderr).contains("SECRET")) }
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
        let followed = try await repo.run(["plan", "shop", "--baseline", "HEAD"])
        #expect(followed.status == 0, "the link is read as extra/more.yaml, at the baseline and in the work tree: \(followed.stderr)")

        let outside = repo.shop.config.appendingPathComponent("outside.yaml")
        try FileManager.default.createSymbolicLink(atPath: outside.path, withDestinationPath: "../../\(secret.lastPathComponent)")
        try repo.git(["add", "shop"])
        try repo.git(["commit", "--quiet", "-m", "a link out"])
        let work = try await repo.run(["plan", "shop"])
        #expect(work.status == 1)
        #expect(work.stderr.contains("shop/outside.yaml: a symbolic link to a place outside the repository"), "\(work.stderr)")
        try FileManager.default.removeItem(at: outside)
        let refused = try await repo.run(["plan", "shop", "--baseline", "HEAD"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("baseline HEAD: shop/outside.yaml is a symbolic link to a place outside the repository; not read"),
            "\(refused.stderr)")
        for r in [followed, work, refused] { #expect(!(r.stdout + r.stderr).contains("SECRET")) }
    }
}
