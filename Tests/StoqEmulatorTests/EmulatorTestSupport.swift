import HTTPTypes
import StoqEmulator
import StoqWire
import Testing

/// A small driver for the emulator's handler.
struct Shop {
    let emulator: Emulator
    let clock: VirtualClock

    init(state: String = "", configure: (inout EmulatorConfiguration) -> Void = { _ in }) throws {
        var configuration = EmulatorConfiguration()
        configuration.jobDuration = 2
        configure(&configuration)
        clock = VirtualClock()
        emulator = try Emulator(stateBytes: Array(state.utf8), configuration: configuration, clock: clock)
    }

    @discardableResult
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], json: String? = nil, token: String? = "t"
    ) async throws -> (status: Int, body: JSONValue, response: WireResponse) {
        var headers: HTTPFields = [:]
        if let token { headers[.xAuthToken] = token }
        let request = WireRequest(
            method: try #require(HTTPRequest.Method(method)), path: path, query: query, headers: headers, body: Array((json ?? "").utf8))
        guard case .response(let r) = await emulator.handle(request) else {
            Issue.record("connection dropped")
            return (0, .null, WireResponse(status: 0))
        }
        return (r.status.code, (try? JSONValue.parse(r.body)) ?? .null, r)
    }

    func create(_ fields: String) async throws -> String {
        let r = try await send("POST", "/preorders", json: #"{"selling_plan": {\#(fields)}}"#)
        #expect(r.status == 200)
        return try #require(r.body["id"]?.stringValue)
    }
}
