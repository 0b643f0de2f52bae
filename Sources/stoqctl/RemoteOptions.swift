import ArgumentParser
import Foundation
import Logging
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire

/// Options of every command that talks to STOQ.
struct RemoteOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "STOQ API base URL, or emulator:FILE to use the built-in emulator over a JSON state file.",
            discussion: "Default: $STOQ_API_URL, then `endpoint` in stoqctl.yaml, then https://app.stoqapp.com/api/v1/external."))
    var endpoint: String?

    @Option(help: "Read the API token from this file instead of $STOQ_API_TOKEN.")
    var tokenFile: String?

    @Option(help: "Rate limit to keep to, as POINTS/SECONDS (STOQ's is 360/60).")
    var rateLimit: String = "360/60"

    @Option(help: "Most requests in flight at once.")
    var concurrency: Int = 8

    @Option(help: "Seconds to wait for a connection.")
    var connectTimeout: Double = 5

    @Option(help: "Seconds to wait for a response.")
    var requestTimeout: Double = 30

    @Flag(name: .long, help: "Log every request to standard error (the token is never shown).")
    var debug = false

    static let production = "https://app.stoqapp.com/api/v1/external"
}

/// A connection to STOQ (or to the in-process emulator) for one command run.
struct Session {
    let client: StoqClient
    let endpointDescription: String
    /// The endpoint as a plan records it: no user info, query or fragment.
    let endpoint: String
    private let emulator: Emulator?
    private let stateFile: URL?
    private let stateBefore: String?

    /// Picks the endpoint (`--endpoint`, `$STOQ_API_URL`, stoqctl.yaml, `fallback`, production),
    /// loads the token, and builds the client.
    init(_ options: RemoteOptions, settings: Settings?, fallback: String? = nil) async throws {
        let env = ProcessInfo.processInfo.environment
        let endpoint =
            options.endpoint ?? env["STOQ_API_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? settings?.endpoint?.value ?? fallback ?? RemoteOptions.production
        self.endpoint = Self.public(endpoint)
        var logger = Logger(label: "stoqctl")
        logger.logLevel = options.debug ? .debug : .warning
        let budget = try Self.budget(options)
        let transport: any Transport
        let token: APIToken
        if endpoint.hasPrefix("emulator:") {
            let path = String(endpoint.dropFirst("emulator:".count))
            guard !path.isEmpty else { throw ValidationError("--endpoint emulator: needs a state file, e.g. emulator:shop-state.json") }
            let url = URL(fileURLWithPath: path)
            let bytes = (try? Data(contentsOf: url)).map { Array($0) } ?? []
            let emulator: Emulator
            var configuration = EmulatorConfiguration()
            // In-process runs are demos and tests: keep policy jobs short so 409 waits are brief.
            configuration.jobDuration = 0.5
            do {
                emulator = try Emulator(stateBytes: bytes, configuration: configuration)
            } catch {
                throw CommandFailure("\(path): \(error)")
            }
            self.emulator = emulator
            self.stateFile = url
            self.stateBefore = await emulator.stateJSON()
            transport = InProcessTransport(responder: { await emulator.respond($0) })
            token = .emulator
            endpointDescription = "emulator (\(path))"
        } else {
            emulator = nil
            stateFile = nil
            stateBefore = nil
            token = try Self.token(options, env: env)
            do {
                transport = try HTTPTransport(
                    baseURL: endpoint, connectTimeout: options.connectTimeout, requestTimeout: options.requestTimeout)
            } catch {
                throw CommandFailure("--endpoint: \(error)")
            }
            endpointDescription = endpoint
        }
        client = StoqClient(transport: transport, token: token, governor: RateGovernor(budget: budget), logger: logger)
    }

    /// `endpoint` without user info, query or fragment (which could hold credentials).
    static func `public`(_ endpoint: String) -> String {
        guard !endpoint.hasPrefix("emulator:"), var parts = URLComponents(string: endpoint) else { return endpoint }
        parts.user = nil
        parts.password = nil
        parts.query = nil
        parts.fragment = nil
        return parts.string ?? endpoint
    }

    static func budget(_ options: RemoteOptions) throws -> RateBudget {
        let parts = options.rateLimit.split(separator: "/")
        guard parts.count == 2, let points = Int(parts[0]), points > 0, let seconds = Double(parts[1]), seconds > 0 else {
            throw ValidationError("--rate-limit must be POINTS/SECONDS, e.g. 360/60")
        }
        guard options.concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        return RateBudget(points: points, window: seconds, maxConcurrency: options.concurrency)
    }

    static func token(_ options: RemoteOptions, env: [String: String]) throws -> APIToken {
        if let file = options.tokenFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure("--token-file \(file): cannot be read")
            }
            guard let token = APIToken(String(decoding: data, as: UTF8.self)) else { throw CommandFailure("--token-file \(file) is empty") }
            return token
        }
        guard let token = env["STOQ_API_TOKEN"].flatMap(APIToken.init) else {
            throw CommandFailure(
                "no API token: set STOQ_API_TOKEN or pass --token-file (or try the built-in emulator: --endpoint emulator:state.json)")
        }
        return token
    }

    /// Writes the emulator's state back if it changed, and closes connections.
    func close() async {
        if let emulator, let stateFile {
            let after = await emulator.stateJSON()
            if after != stateBefore {
                try? Data(after.utf8).write(to: stateFile, options: .atomic)
            }
        }
        await client.transport.shutdown()
    }
}

/// A failure to report as `error: message` with exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
