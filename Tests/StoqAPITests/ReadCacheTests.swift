import Foundation
import StoqAPI
import StoqCore
import StoqWire
import Testing

@Suite("The read cache: an unchanged shop plans with its list pages only")
struct ReadCacheTests {
    func directory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    @Test("cold, warm, one plan changed, --refresh, and a damaged entry")
    func lifecycle() async throws {
        let h = try Harness(state: stateWithPlans(30)) { $0.maxPageSize = 250 }
        let names = Set((0..<30).map { "p-\($0)" })
        let root = try directory()
        let cache = ReadCache(root: root, endpoint: "https://user:secret@stoq.example/api?token=x")
        let cold = try await Fetcher(client: h.client, cache: cache).fetch(internalNames: names, ids: [])
        #expect((cold.listRequests, cold.planRequests, cold.cacheHits) == (1, 30, 0))
        let warm = try await Fetcher(client: h.client, cache: cache).fetch(internalNames: names, ids: [])
        #expect((warm.listRequests, warm.planRequests, warm.cacheHits) == (1, 0, 30))
        #expect(warm.state == cold.state, "kept bodies decode to the same shop")

        // STOQ changes one plan: its updated_at moves, so it alone is read again.
        h.clock.advance(by: 5)
        _ = try await h.client.update(id: "id-7", fields: [("name", .string("Renamed"))])
        let changed = try await Fetcher(client: h.client, cache: cache).fetch(internalNames: names, ids: [])
        #expect((changed.planRequests, changed.cacheHits) == (1, 29))
        #expect(changed.state.managed.first { $0.id == "id-7" }?.fields[.name] == .string("Renamed"))

        let refreshed = try await Fetcher(
            client: h.client, cache: ReadCache(root: root, endpoint: "https://stoq.example/api", refresh: true)
        )
        .fetch(internalNames: names, ids: [])
        #expect(refreshed.planRequests == 30)

        // A damaged entry is read again and replaced; the key holds no secret of the endpoint.
        let entry = cache.directory.appendingPathComponent("id-3.json")
        try Data("{not json".utf8).write(to: entry)
        let repaired = try await Fetcher(client: h.client, cache: cache).fetch(internalNames: names, ids: [])
        #expect((repaired.planRequests, repaired.cacheHits) == (1, 29))
        #expect(!cache.directory.path.contains("secret") && !cache.directory.path.contains("token"))
        #expect(
            ReadCache(root: root, endpoint: "https://stoq.example/api").directory.path == cache.directory.path,
            "the same shop, however given")
    }
}
