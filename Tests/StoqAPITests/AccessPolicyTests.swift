import Foundation
import StoqAPI
import StoqCore
import Testing

/// The setting `value` as `stoqctl.yaml` gives it.
func fromSettings(_ value: String) -> Located<String> {
    Located(value, at: SourceLocation(file: "shop/stoqctl.yaml", line: 2, column: 11))
}

/// The failure `body` throws, if any.
func refusal(_ body: () throws(RunFailure) -> Void) -> RunFailure? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

@Suite("Who may choose a host or read a file")
struct AccessPolicyTests {
    @Test("the runner's endpoint wins, the command line before the environment, and needs no permission")
    func runnerFirst() throws {
        let policy = AccessPolicy()
        let flag = try policy.endpoint(
            flag: "https://stoq.example/api", environment: "https://env.example/api", settings: fromSettings(AccessPolicy.production),
            savedPlan: nil)
        #expect(flag.endpoint == .http("https://stoq.example/api"))
        #expect(flag.chooser == .runner("--endpoint"))
        let env = try policy.endpoint(flag: nil, environment: "emulator:/anywhere/state.json", settings: nil, savedPlan: nil)
        #expect(env.endpoint == .emulator(path: "/anywhere/state.json", create: false))
        #expect(try policy.endpoint(flag: nil, environment: nil, settings: nil, savedPlan: nil).endpoint == .http(AccessPolicy.production))
    }

    @Test("stoqctl.yaml may name STOQ's own host; any other only when the runner allowed it")
    func settingsHosts() throws {
        let strict = AccessPolicy()
        let own = try strict.endpoint(flag: nil, environment: nil, settings: fromSettings(AccessPolicy.production), savedPlan: nil)
        #expect(own.endpoint == .http(AccessPolicy.production))
        for url in [
            "https://evil.example/api", "http://app.stoqapp.com/api", "https://app.stoqapp.com.evil.example/api",
            "https://shop.myshopify.com/api", "http://127.0.0.1:8080/api",
        ] {
            let failure = refusal { () throws(RunFailure) in
                _ = try strict.endpoint(flag: nil, environment: nil, settings: fromSettings(url), savedPlan: nil)
            }
            #expect(failure?.diagnostic.code == .invalidURL, "\(url)")
            #expect(failure?.diagnostic.message.contains("shop/stoqctl.yaml:2:11") == true)
            #expect(failure?.diagnostic.message.contains("nothing was sent") == true)
        }
        let allowing = AccessPolicy(allowedHosts: ["Stoq.Example", "127.0.0.1"])
        #expect(throws: Never.self) {
            _ = try allowing.endpoint(flag: nil, environment: nil, settings: fromSettings("https://stoq.example/api"), savedPlan: nil)
            _ = try allowing.endpoint(flag: nil, environment: nil, settings: fromSettings("http://127.0.0.1:9/api"), savedPlan: nil)
        }
    }

    @Test("Shopify's token goes to a myshopify.com shop over https, or where the runner says")
    func shopifyHosts() {
        let policy = AccessPolicy()
        #expect(policy.mayReceiveToken(host: "acme.myshopify.com", scheme: "https", service: .shopify))
        #expect(!policy.mayReceiveToken(host: "acme.myshopify.com", scheme: "http", service: .shopify))
        #expect(!policy.mayReceiveToken(host: "myshopify.com.evil.example", scheme: "https", service: .shopify))
        #expect(!policy.mayReceiveToken(host: "app.stoqapp.com", scheme: "https", service: .shopify))
        #expect(!policy.mayReceiveToken(host: "acme.myshopify.com", scheme: "https", service: .stoq))
        #expect(
            refusal { () throws(RunFailure) in
                try policy.checkHost("https://x.example", service: .shopify, chooser: .runner("--shopify-endpoint"))
            } == nil)
    }

    @Test("a saved plan's endpoint never chooses: the runner's must match it, and without one only STOQ's own applies")
    func savedPlans() throws {
        let policy = AccessPolicy()
        let elsewhere = (name: "plan.json", endpoint: Optional("https://evil.example/api"))
        let alone = refusal { () throws(RunFailure) in
            _ = try policy.endpoint(flag: nil, environment: nil, settings: nil, savedPlan: elsewhere)
        }
        #expect(alone?.diagnostic.code == .savedPlanRefused)
        #expect(alone?.diagnostic.message.contains("never chooses where it is applied") == true)
        let differs = refusal { () throws(RunFailure) in
            _ = try policy.endpoint(flag: nil, environment: "https://other.example/api", settings: nil, savedPlan: elsewhere)
        }
        #expect(differs?.diagnostic.message.contains("but this apply writes to https://other.example/api (STOQ_API_URL)") == true)
        let same = try policy.endpoint(flag: "https://evil.example/api", environment: nil, settings: nil, savedPlan: elsewhere)
        #expect(same.chooser == .runner("--endpoint"))
        let production = try policy.endpoint(
            flag: nil, environment: nil, settings: nil, savedPlan: (name: "plan.json", endpoint: AccessPolicy.production))
        #expect(production.endpoint == .http(AccessPolicy.production))
        let emulator = (name: "plan.json", endpoint: Optional("emulator:/tmp/state.json"))
        #expect(
            refusal { () throws(RunFailure) in _ = try policy.endpoint(flag: nil, environment: nil, settings: nil, savedPlan: emulator) }
                != nil)
    }

    @Test("emulator: files and baseline directories from stoqctl.yaml stay inside the repository, symbolic links resolved")
    func insideTheRepository() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("stoqctl-access-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let repo = root.appendingPathComponent("repo")
        let outside = root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("shop"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: repo.appendingPathComponent("out").path, withDestinationPath: outside.path)
        let policy = AccessPolicy(repository: repo.path)
        #expect(policy.contains(repo.appendingPathComponent("shop/state.json").path))
        #expect(policy.contains(repo.appendingPathComponent("shop/new/deeper.json").path))
        #expect(!policy.contains(repo.appendingPathComponent("out/state.json").path), "a link leading out")
        #expect(!policy.contains(repo.appendingPathComponent("shop/../../outside/state.json").path))
        #expect(!policy.contains(repo.appendingPathComponent("shop/missing/../../../outside/x.json").path))
        #expect(!policy.contains("/etc/passwd"))
        #expect(!AccessPolicy().contains(repo.path), "no repository: nothing is inside")

        let inside = try policy.endpoint(
            flag: nil, environment: nil, settings: fromSettings("emulator:new:\(repo.path)/shop/state.json"), savedPlan: nil)
        #expect(inside.endpoint == .emulator(path: "\(repo.path)/shop/state.json", create: true))
        for path in ["\(repo.path)/out/state.json", "/etc/passwd", "\(outside.path)/state.json"] {
            let failure = refusal { () throws(RunFailure) in
                _ = try policy.endpoint(flag: nil, environment: nil, settings: fromSettings("emulator:\(path)"), savedPlan: nil)
            }
            #expect(failure?.diagnostic.message.contains("outside the repository") == true, "\(path)")
        }
        #expect(refusal { () throws(RunFailure) in try policy.checkBaselineDirectory(outside.path, chooser: .repository(nil)) } != nil)
        #expect(
            refusal { () throws(RunFailure) in
                try policy.checkBaselineDirectory(repo.appendingPathComponent("out").path, chooser: .repository(nil))
            } != nil)
        #expect(
            refusal { () throws(RunFailure) in
                try policy.checkBaselineDirectory(repo.appendingPathComponent("shop").path, chooser: .repository(nil))
            } == nil)
        #expect(refusal { () throws(RunFailure) in try policy.checkBaselineDirectory("/usr", chooser: .runner("--baseline")) } == nil)
    }

    @Test("STOQCTL_ALLOW_HOSTS splits on commas and white space")
    func hostList() {
        #expect(AccessPolicy.hosts(in: "a.example, b.example c.example,,") == ["a.example", "b.example", "c.example"])
    }
}

@Suite("Tokens: checked before any request, read up to a bound, never shown")
struct TokenTests {
    @Test("empty, over 4,096 bytes, or with a control character inside: refused, without quoting the token")
    func validation() throws {
        #expect(throws: APIToken.Problem.empty) { try APIToken(validating: " \n\t") }
        #expect(throws: APIToken.Problem.tooLong) { try APIToken(validating: String(repeating: "k", count: 4_097)) }
        #expect(throws: Never.self) { try APIToken(validating: String(repeating: "k", count: 4_096) + "\r\n") }
        for (token, position) in [("SECRET\nX", 7), ("SECRET\rX", 7), ("SE\0CRET", 3), ("SECRET\u{7F}", 7), ("A\u{85}B", 2)] {
            #expect(throws: APIToken.Problem.controlCharacter(position: position)) { try APIToken(validating: token) }
        }
        let problem = APIToken.Problem.controlCharacter(position: 7)
        #expect(!problem.description.contains("SECRET"))
        #expect(APIToken("  spaced-token\n") != nil, "surrounding white space is not part of the token")
    }

    @Test("a token file or standard input is read only up to the bound: an endless stream is refused at once")
    func bounded() throws {
        let pipe = Pipe()
        let writer = Thread {
            // Far more than the bound (`yes | stoqctl plan --token-file -`).
            let chunk = Data(repeating: UInt8(ascii: "y"), count: 65_536)
            for _ in 0..<64 { try? pipe.fileHandleForWriting.write(contentsOf: chunk) }
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        let failure = refusal { () throws(RunFailure) in
            _ = try TokenSource.read("-", option: "--token-file", code: .missingToken, standardInput: pipe.fileHandleForReading)
        }
        // What the reader left behind is still there: it stopped at the bound.
        let rest = pipe.fileHandleForReading.readDataToEndOfFile()
        #expect(rest.count == 64 * 65_536 - TokenSource.readLimit - 1)
        #expect(failure?.diagnostic.message == "--token-file -: standard input is longer than 4,096 bytes; nothing was sent")

        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("stoqctl-token-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "line-one-SECRET\nline-two-SECRET\n".write(to: file, atomically: true, encoding: .utf8)
        let twoLines = refusal { () throws(RunFailure) in _ = try TokenSource.read(file.path, option: "--token-file", code: .missingToken) }
        #expect(twoLines?.diagnostic.message.contains("holds a control character (character 16)") == true)
        #expect(twoLines?.diagnostic.message.contains("SECRET") == false)
        try "ok-token\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(
            refusal { () throws(RunFailure) in _ = try TokenSource.read(file.path, option: "--token-file", code: .missingToken) } == nil)
        let env = refusal { () throws(RunFailure) in
            _ = try TokenSource.environment("STOQ_API_TOKEN", in: ["STOQ_API_TOKEN": "a\r\nSECRET"], code: .missingToken)
        }
        #expect(env?.diagnostic.message.hasPrefix("STOQ_API_TOKEN holds a control character") == true)
        #expect(env?.diagnostic.message.contains("SECRET") == false)
        #expect(try TokenSource.environment("STOQ_API_TOKEN", in: [:], code: .missingToken) == nil)
    }
}
