import ArgumentParser
import Foundation
import Logging
import StoqEmulator
import StoqWire

/// `stoqctl emulator`: serve the STOQ API emulator over HTTP on 127.0.0.1.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run the STOQ API emulator as an HTTP server on 127.0.0.1.",
        discussion: """
            Serves every v1 Preorders endpoint at http://127.0.0.1:PORT/api/v1/external
            with STOQ's shapes, status codes, rate-limit headers and 429s. State comes
            from the JSON file given with --state (created if missing) and is written
            back after every change. Assumptions where STOQ's docs are silent:
            Docs/Emulator.md.

            EXAMPLES
              stoqctl emulator --state examples/shop/remote-state.json --port 8080
              # picks a free port, prints it
              stoqctl emulator --state s.json --port 0
              stoqctl emulator --state s.json --latency 50ms --rate-limit 60/10
              stoqctl emulator --state s.json --faults 5xx=0.05,drop=0.02 --seed 7

            Any non-empty X-Auth-Token is accepted unless --token is given.
            """)

    @Option(help: "JSON state file (read at start, written after every change).")
    var state: String

    @Option(help: "TCP port on 127.0.0.1; 0 picks a free one and prints it.")
    var port: Int = 8080

    @Option(help: "Latency added to every response, e.g. 50ms.")
    var latency: String?

    @Option(help: "Rate limit as POINTS/SECONDS.")
    var rateLimit: String = "360/60"

    @Option(help: "Faults to inject, e.g. latency=50ms,jitter=10ms,5xx=0.05,drop=0.02,lost=0.01,429=0.01,malformed=0.01.")
    var faults: String = ""

    @Option(help: "Seed for faults and jitter (the same seed gives the same faults).")
    var seed: UInt64 = 1

    @Option(help: "How long a bulk inventory-policy job runs, e.g. 2s.")
    var jobDuration: String = "2s"

    @Option(help: "Require this X-Auth-Token (default: accept any non-empty token).")
    var token: String?

    @Flag(help: "Log every request to standard error.")
    var log = false

    func run() async throws {
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
        configuration.seed = seed
        configuration.token = token
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }

        let url = URL(fileURLWithPath: state)
        let bytes = (try? Data(contentsOf: url)).map { Array($0) } ?? []
        let emulator: Emulator
        do {
            emulator = try Emulator(stateBytes: bytes, configuration: configuration)
        } catch {
            throw CommandFailure("\(state): \(error)")
        }
        let saver = StateSaver(url: url, initial: await emulator.stateJSON())
        var logger = Logger(label: "stoqctl.emulator")
        logger.logLevel = .warning
        let path = state
        let logRequests = log
        try await EmulatorServer.run(
            emulator, port: port, logger: logger,
            onReady: { bound in
                emit("stoqctl emulator listening on http://127.0.0.1:\(bound)/api/v1/external (state: \(path))\n")
            },
            afterRequest: {
                if logRequests, let last = await emulator.requestLog.last { emitError("\(last)\n") }
                await saver.save(await emulator.stateJSON())
            })
    }
}

/// Writes the state file when it changed.
actor StateSaver {
    let url: URL
    var last: String

    init(url: URL, initial: String) {
        self.url = url
        self.last = initial
    }

    func save(_ json: String) {
        guard json != last else { return }
        last = json
        try? Data(json.utf8).write(to: url, options: .atomic)
    }
}
