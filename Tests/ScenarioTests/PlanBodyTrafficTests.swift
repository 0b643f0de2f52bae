import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

@Suite("The plan JSON shows exactly what is sent: each request's body or query, byte for byte as STOQ receives it")
struct PlanBodyTrafficTests {
    /// One request as the plan JSON shows it: method, target (the created plan's id in place of
    /// `{id}`, the query appended) and body bytes.
    struct Shown: Equatable, CustomStringConvertible {
        var kind: String
        var method: String
        var target: String
        var body: [UInt8]
        var description: String { "\(kind): \(method) \(target) \(String(decoding: body, as: UTF8.self))" }
    }

    @Test("a saved plan that creates, updates, adds, removes, toggles and deletes: every write STOQ receives is one the file shows")
    func everyKind() async throws {
        let text = try await SavedPlanForgeryTests.savedText(maxUpdatePercent: 100)
        let (shop, connect) = try SavedPlanForgeryTests.shop()
        let input = ApplyRun.Input(
            source: .savedPlan(name: "plan.json", text: text, config: SavedPlanForgeryTests.input(maxUpdatePercent: 100)),
            allowDeletes: true, verifyPolicies: false)
        let outcome = await ApplyRun.run(input, connect: connect)
        #expect(outcome.status == .success, "\(outcome.diagnostics.map(\.message))")
        let received = await shop.emulator.requestLog.filter { !$0.shopify && $0.method != "GET" }
        let createdID = try #require(try await shop.client.find(internalName: "spring")?["id"]?.stringValue)

        var shown: [Shown] = []
        for op in try #require(JSONValue.parse(text)["operations"]?.arrayValue) {
            let kind = try #require(op["kind"]?.stringValue)
            for request in try #require(op["requests"]?.arrayValue) {
                let path = try #require(request["path"]?.stringValue).replacingOccurrences(of: "{id}", with: createdID)
                let query = request["query"]?.stringValue.map { "?" + $0 } ?? ""
                shown.append(
                    Shown(
                        kind: kind, method: try #require(request["method"]?.stringValue), target: path + query,
                        body: request["body"]?.bytes ?? []))
            }
        }
        #expect(
            Set(shown.map(\.kind)) == ["create", "update", "add_variants", "remove_variants", "set_inventory_policy", "delete"])
        #expect(shown.contains { $0.target.hasSuffix("?shopify_variant_ids=109&inventory_policy=DENY") }, "a removal shows its query")
        // Each planned request was received once, with exactly the bytes shown, and nothing else was.
        let sent = received.map { Shown(kind: "", method: $0.method, target: $0.target, body: $0.body) }
        #expect(sent.count == shown.count, "received: \(received)")
        for request in shown {
            let matching = sent.filter { $0.method == request.method && $0.target == request.target && $0.body == request.body }
            #expect(matching.count == 1, "\(request) was received \(matching.count) times; received: \(sent)")
        }
    }
}
