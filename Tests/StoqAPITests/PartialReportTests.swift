import Foundation
import StoqCore
import StoqWire
import Testing

@testable import StoqAPI

@Suite("The partial report of a running apply keeps up with the operations that finished")
struct PartialReportTests {
    func item(_ index: Int) -> ApplyReport.Item {
        let op = PlanOperation(
            kind: .update, plan: PlanRef(internalName: "plan-\(index)", id: "id-\(index)"), location: nil,
            requests: [PlannedRequest(planID: "id-\(index)", payload: .update(fields: []))])
        return ApplyReport.Item(index: index, operation: op, outcome: .applied, planID: nil, adopted: false)
    }

    /// The internal names the report file lists.
    func listed(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let items = try #require(JSONValue.parse(text)["operations"]?.arrayValue)
        return items.compactMap { $0["plan"]?["internal_name"]?.stringValue }
    }

    func reportPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-partial-\(UUID().uuidString).json").path
    }

    @Test("operations that finish within a second of a write are written by a timer, without waiting for another one to finish")
    func trailingWrite() async throws {
        let path = reportPath()
        let partial = PartialReport(path: path)
        await partial.start(planHash: "sha256:0")
        await partial.add(item(0))
        await partial.add(item(1))
        await partial.add(item(2))
        // Nothing else finishes (a long wait for a policy job or a rate window): the timer writes.
        try await Task.sleep(nanoseconds: 1_500_000_000)
        #expect(try listed(path) == ["plan-0", "plan-1", "plan-2"])
    }

    @Test("flush writes what finished at once, and a report that was not asked for writes nothing")
    func flush() async throws {
        let path = reportPath()
        let partial = PartialReport(path: path)
        await partial.start(planHash: "sha256:0")
        await partial.add(item(0))
        await partial.add(item(1))
        await partial.flush()
        #expect(try listed(path) == ["plan-0", "plan-1"])
        let none = PartialReport(path: nil)
        await none.add(item(0))
        await none.flush()
    }

    @Test("finish writes what finished, and a pending timer never overwrites the final report written after it")
    func finish() async throws {
        let path = reportPath()
        let partial = PartialReport(path: path)
        await partial.add(item(0))
        await partial.add(item(1))
        await partial.finish()
        #expect(try listed(path) == ["plan-0", "plan-1"])
        try "final".write(toFile: path, atomically: true, encoding: .utf8)
        await partial.add(item(2))
        try await Task.sleep(nanoseconds: 1_300_000_000)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "final")
    }
}
