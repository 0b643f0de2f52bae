import Foundation
import StoqTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("The emulator server writes its state when stopped by a signal", .serialized)
struct EmulatorSignalTests {
    @Test("a change made just before SIGINT or SIGTERM is in the state file afterwards", arguments: [SIGINT, SIGTERM])
    func stateOnSignal(_ signal: Int32) async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("s.json")
        let server = try ServedEmulator(state: "new:" + state.path)
        var request = URLRequest(url: try #require(URL(string: "\(server.base)/preorders")))
        request.httpMethod = "POST"
        request.setValue("t", forHTTPHeaderField: "X-Auth-Token")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"selling_plan": {"name": "Just before", "internal_name": "just-before"}}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((200..<300).contains((response as? HTTPURLResponse)?.statusCode ?? 0))
        // At once: well inside the 0.2 s in which a change is otherwise written.
        kill(server.process.processIdentifier, signal)
        server.process.waitUntilExit()
        let written = try String(contentsOf: state, encoding: .utf8)
        #expect(written.contains("just-before"), "\(written.prefix(300))")
        #expect(server.process.terminationStatus == 0)
    }
}
