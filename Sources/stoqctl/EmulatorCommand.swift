import ArgumentParser
import Foundation
import Logging
import NIOCore
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire

/// `stoqctl emulator`: serve the STOQ API emulator over HTTP on 127.0.0.1.
struct EmulatorCommand: StoqctlCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run the STOQ API emulator as an HTTP server on 127.0.0.1.",
        discussion: """
            Serves every v1 Preorders endpoint at http://127.0.0.1:PORT/api/v1/external
            with STOQ's shapes, status codes, rate-limit headers and 429s, and Shopify's
            Admin GraphQL query for variants' inventory policies at
            http://127.0.0.1:PORT/admin/api/VERSION/graphql.json, with its cost
            extensions and THROTTLED errors. State comes
            from the JSON file given with --state, which must exist (new:FILE starts an
            empty shop when FILE does not exist yet), and is written back after every
            change; a state that cannot be written stops the server. Assumptions where
            STOQ's docs are silent: Docs/Emulator.md.

            EXAMPLES
              stoqctl emulator --state examples/shop/remote-state.json --port 8080
              # picks a free port, prints it
              stoqctl emulator --state new:s.json --port 0
              stoqctl emulator --state s.json --latency 50ms --rate-limit 60/10
              stoqctl emulator --state s.json --faults 5xx=0.05,drop=0.02 --seed 7

            Any non-empty X-Auth-Token is accepted unless --token is given. A state
            file with "shops" serves several shops on one port, each with its own
            tokens (taken from the file, so --token and --shopify-token are refused),
            state and rate limits: a request reaches the shop whose token it carries.

            """ + ExitStatus.helpSection([.success, .failure, .usage]))

    @Option(
        help:
            "JSON state file (read at start, written within 0.2 s of a change and when stopped by SIGINT or SIGTERM); new:FILE may not exist yet.",
        completion: .file(extensions: ["json"])
    )
    var state: String

    @Option(help: "TCP port on 127.0.0.1; 0 picks a free one and prints it.")
    var port: Int = 8080

    @Option(help: "Latency added to every response, e.g. 50ms.")
    var latency: String?

    @Option(help: "Rate limit as POINTS/SECONDS.")
    var rateLimit: String = "360/60"

    @Option(
        help: "How the rate-limit window moves: rolling (STOQ's, the default) or fixed (restarts with the first request after it ends).")
    var rateWindow: String = "rolling"

    @Option(help: "Faults to inject, e.g. latency=50ms,jitter=10ms,5xx=0.05,drop=0.02,lost=0.01,429=0.01,malformed=0.01.")
    var faults: String = ""

    @Option(help: "Seed for faults and jitter (the same seed gives the same faults).")
    var seed: UInt64 = 1

    @Option(help: "How long a bulk inventory-policy job runs, e.g. 2s.")
    var jobDuration: String = "2s"

    @Option(help: "Require this X-Auth-Token (default: accept any non-empty token).")
    var token: String?

    @Option(help: "Shopify's GraphQL cost bucket in points (a standard plan's is 2000).")
    var shopifyBucket: Double = 2_000

    @Option(help: "Points Shopify's bucket regains per second (standard 100, Plus 1000).")
    var shopifyRestoreRate: Double = 100

    @Option(help: "Require this X-Shopify-Access-Token (default: accept any non-empty token).")
    var shopifyToken: String?

    @Flag(help: "Log every request to standard error.")
    var log = false

    /// The settings the flags describe (checked when the command line is parsed).
    func emulatorConfiguration() throws -> EmulatorConfiguration {
        var configuration = EmulatorConfiguration()
        do {
            configuration.faults = try FaultSpec(parsing: faults)
        } catch {
            throw ValidationError("--faults: \(error)")
        }
        if let latency {
            guard let seconds = FaultSpec.seconds(latency) else { throw ValidationError("--latency must be a duration like 50ms") }
            configuration.faults.latency = seconds
        }
        guard let job = FaultSpec.seconds(jobDuration) else { throw ValidationError("--job-duration must be a duration like 2s") }
        configuration.jobDuration = job
        let parts = rateLimit.split(separator: "/")
        guard parts.count == 2, let points = Int(parts[0]), points > 0, let window = Double(parts[1]), window > 0 else {
            throw ValidationError("--rate-limit must be POINTS/SECONDS, e.g. 360/60")
        }
        configuration.rateLimitPoints = points
        configuration.rateLimitWindow = window
        guard let kind = RateLimitWindowKind(rawValue: rateWindow) else {
            throw ValidationError("--rate-window must be rolling or fixed, not \(rateWindow)")
        }
        configuration.rateLimitWindowKind = kind
        configuration.seed = seed
        configuration.token = token
        guard shopifyBucket >= 1, shopifyRestoreRate > 0 else {
            throw ValidationError("--shopify-bucket must be at least 1 and --shopify-restore-rate positive")
        }
        configuration.shopifyBucketSize = shopifyBucket
        configuration.shopifyRestoreRate = shopifyRestoreRate
        configuration.shopifyToken = shopifyToken
        return configuration
    }

    func validate() throws {
        _ = try emulatorConfiguration()
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard !statePath.isEmpty else { throw ValidationError("--state needs a file, e.g. --state shop.json or --state new:shop.json") }
    }

    /// The state file, without `new:`.
    var statePath: String { state.hasPrefix("new:") ? String(state.dropFirst("new:".count)) : state }

    func execute() async -> ExitStatus {
        let console = Console()
        let path = statePath
        let bytes: [UInt8]
        if let data = FileManager.default.contents(atPath: path) {
            bytes = Array(data)
        } else if !FileManager.default.fileExists(atPath: path), state.hasPrefix("new:") {
            bytes = []
        } else {
            let missing = !FileManager.default.fileExists(atPath: path)
            console.report(
                .emulatorState,
                missing
                    ? "emulator state file \(path) does not exist; to start an empty shop there, use --state new:\(path)"
                    : "emulator state file \(path) cannot be read")
            return .failure
        }
        let emulator: EmulatorShops
        do {
            emulator = try EmulatorShops(stateBytes: bytes, configuration: try emulatorConfiguration())
        } catch {
            console.report(.emulatorState, "\(path): \(error)")
            return .failure
        }
        let names = emulator.names
        if !names.isEmpty, token != nil || shopifyToken != nil {
            console.report(
                .usage,
                "\(token != nil ? "--token" : "--shopify-token") cannot be used with \(path): it holds several shops, whose tokens it gives"
            )
            return .usage
        }
        let saver = StateSaver(path: path)
        do throws(RunFailureText) {
            // Written once at start, so a state that cannot be written is found before serving.
            try await saver.save(await emulator.stateJSON())
        } catch {
            console.report([error.diagnostic])
            return .failure
        }
        var logger = Logger(label: "stoqctl.emulator")
        logger.logLevel = .warning
        let logRequests = log
        do {
            try await EmulatorServer.run(
                emulator, port: port, logger: logger,
                onReady: { bound in
                    let shops = names.isEmpty ? "" : "; shops: \(names.joined(separator: ", "))"
                    console.result(
                        "stoqctl emulator listening on http://127.0.0.1:\(bound)/api/v1/external (state: \(path)\(shops)); Shopify Admin GraphQL at http://127.0.0.1:\(bound)/admin/api/\(ShopifyClient.defaultVersion)/graphql.json\n"
                    )
                },
                afterRequest: { handled in
                    if logRequests {
                        let shop = names.isEmpty ? "" : "[\(handled.shop ?? "no shop")] "
                        console.log("\(shop)\(handled.entry)")
                    }
                    await saver.changed(emulator, console: console)
                })
            await saver.flush(emulator, console: console)
        } catch let error as IOError {
            console.report(.listenFailed, "cannot listen on 127.0.0.1:\(port): \(Self.reason(errno: error.errnoCode))")
            return .failure
        } catch {
            console.report(.listenFailed, "the emulator stopped: \(error)")
            return .failure
        }
        return .success
    }

    /// `address already in use` for EADDRINUSE.
    static func reason(errno code: CInt) -> String {
        guard let c = strerror(code) else { return "error \(code)" }
        let text = String(cString: c)
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}

/// Writes the state file when it changed; a failed write is an error, never skipped.
///
/// Reads never render the state; writes are batched, at most one file write per
/// ``interval`` (the state is rendered once per batch, not once per request), and the last batch
/// is written when the server stops.
actor StateSaver {
    let path: String
    var last: String?
    /// The shops' mutation count at the last write.
    var saved = 0
    var pending = false
    /// Longest delay between a change and its write.
    static let interval = Duration.milliseconds(200)

    init(path: String) { self.path = path }

    func save(_ json: String) throws(RunFailureText) {
        guard json != last else { return }
        do {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RunFailureText(
                diagnostic: Diagnostic(
                    .emulatorState, "the emulator state could not be written to \(path) (\(error.localizedDescription))", at: nil))
        }
        last = json
    }

    /// After a request: when it changed the shop, writes it within ``interval``.
    func changed(_ emulator: EmulatorShops, console: Console) async {
        guard await emulator.mutations != saved, !pending else { return }
        pending = true
        Task {
            try? await Task.sleep(for: Self.interval)
            await self.flush(emulator, console: console)
        }
    }

    /// Writes the state now if it changed; a failed write stops the emulator.
    func flush(_ emulator: EmulatorShops, console: Console) async {
        pending = false
        let mutations = await emulator.mutations
        guard mutations != saved else { return }
        do throws(RunFailureText) {
            try save(await emulator.stateJSON())
            saved = mutations
        } catch {
            console.report([error.diagnostic])
            Foundation.exit(ExitStatus.failure.rawValue)
        }
    }
}

/// A failure that carries one diagnostic (the emulator command does not use the runs).
struct RunFailureText: Error {
    var diagnostic: Diagnostic
}
