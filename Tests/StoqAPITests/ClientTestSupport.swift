import Foundation
import HTTPTypes
import Logging
import StoqAPI
import StoqEmulator
import StoqWire
import Testing

/// A client wired to an in-process emulator on one virtual clock.
struct Harness {
    let emulator: Emulator
    let clock: VirtualClock
    let client: StoqClient
    let sent: SentLog

    init(
        state: String = "", budget: RateBudget = RateBudget(), retry: RetryPolicy = RetryPolicy(),
        token: String = "test-token", logger: Logger = Logger(label: "test"), configure: (inout EmulatorConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = EmulatorConfiguration()
        configure(&configuration)
        let clock = VirtualClock()
        let emulator = try Emulator(stateBytes: Array(state.utf8), configuration: configuration, clock: clock)
        let sent = SentLog()
        let transport = InProcessTransport(responder: { request in
            sent.append(request)
            return await emulator.respond(request)
        })
        self.emulator = emulator
        self.clock = clock
        self.sent = sent
        self.client = StoqClient(
            transport: transport, token: try #require(APIToken(token)), governor: RateGovernor(budget: budget, clock: clock),
            retry: retry, clock: clock, logger: logger)
    }

    /// Creates a plan directly in the emulator and returns its id.
    func seed(_ fields: String) async throws -> String {
        let outcome = await emulator.handle(
            WireRequest(
                method: .post, path: "/preorders", headers: [.xAuthToken: "seed"],
                body: Array(#"{"selling_plan": {\#(fields)}}"#.utf8)))
        guard case .response(let r) = outcome else { throw TransportError.connection("seed failed") }
        return try #require(try JSONValue.parse(r.body)["id"]?.stringValue)
    }
}

/// A state file with `count` plans named `p-0`, `p-1`, … (ids `id-0`, …), for seeding without
/// going through the emulator's faults or rate limit.
func stateWithPlans(_ count: Int) -> String {
    let plans = (0..<count).map { #"{"id": "id-\#($0)", "name": "P\#($0)", "internal_name": "p-\#($0)"}"# }
    return #"{"plans": [\#(plans.joined(separator: ","))]}"#
}

/// Requests as the transport saw them (headers included).
final class SentLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [WireRequest] = []
    func append(_ r: WireRequest) { lock.withLock { items.append(r) } }
    var all: [WireRequest] { lock.withLock { items } }
}

/// A log handler that keeps every line, to prove what never reaches logs.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lock.withLock { lines.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}

func fixture(_ path: String) throws -> [UInt8] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return Array(try Data(contentsOf: root.appendingPathComponent(path)))
}
