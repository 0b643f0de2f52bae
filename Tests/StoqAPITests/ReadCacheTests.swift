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
        h.clock.advance(by: .seconds(5))
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

    /// Rewrites the kept entry of `id` with `edit` applied to its text.
    func edit(_ cache: ReadCache, _ id: String, _ edit: (String) -> String) throws {
        let entry = cache.directory.appendingPathComponent("\(id).json")
        let text = try String(contentsOf: entry, encoding: .utf8)
        let edited = edit(text)
        #expect(edited != text, "the edit changed the entry")
        try Data(edited.utf8).write(to: entry)
    }

    @Test("an entry stands in for a read only when it agrees with the list entry and is as it was kept")
    func entryMustAgree() async throws {
        let h = try Harness(state: stateWithPlans(3)) { $0.maxPageSize = 250 }
        let names = Set((0..<3).map { "p-\($0)" })
        let cache = ReadCache(root: try directory(), endpoint: "https://stoq.example/api")
        _ = try await Fetcher(client: h.client, cache: cache).fetch(internalNames: names, ids: [])
        let warm = try await Fetcher(client: h.client, cache: cache).fetch(internalNames: names, ids: [])
        #expect((warm.planRequests, warm.cacheHits) == (0, 3))

        // A value edited in the entry, with the same updated_at: not used, read live.
        try edit(cache, "id-0") { $0.replacingOccurrences(of: #""pricing_type":"percentage""#, with: #""pricing_type":"fixed_amount""#) }
        // An entry whose internal_name is not the list's: not used.
        try edit(cache, "id-1") { $0.replacingOccurrences(of: #""internal_name":"p-1""#, with: #""internal_name":"other""#) }
        let checked = try await Fetcher(client: h.client, cache: cache).fetch(internalNames: names, ids: [])
        #expect((checked.planRequests, checked.cacheHits) == (2, 1))
        #expect(checked.state.managed.first { $0.id == "id-1" }?.internalName == "p-1")
        #expect(checked.state == warm.state, "what was read live replaced the edited entries")
    }

    @Test("an entry whose membership count differs from the list entry is read again")
    func membershipCount() {
        let cache = ReadCache(root: (try? directory()) ?? "/nonexistent", endpoint: "https://stoq.example/api")
        let body = JSONValue.object([
            ("id", .string("id-9")), ("internal_name", .string("p-9")), ("updated_at", .string("2026-01-01T00:00:00Z")),
            ("selling_plan_product_variants_count", .integer(2)),
        ])
        cache.keep(body, id: "id-9")
        let listed = RemotePlanSummary(id: "id-9", internalName: "p-9", name: "", variantCount: 2, updatedAt: "2026-01-01T00:00:00Z")
        #expect(cache.body(for: listed) != nil)
        var grown = listed
        grown.variantCount = 3
        #expect(cache.body(for: grown) == nil)
        var renamed = listed
        renamed.internalName = "p-10"
        #expect(cache.body(for: renamed) == nil)
    }
}

@Suite("The read cache for an apply: membership must be listed; a write removes the entry, an update's whole answer replaces it")
struct ReadCacheApplyTests {
    let listed = RemotePlanSummary(
        id: "id-9", internalName: "p-9", name: "", variantCount: 2, updatedAt: "2026-01-01T00:00:00Z", variantIDs: [1, 2])
    let body = JSONValue.object([
        ("id", .string("id-9")), ("internal_name", .string("p-9")), ("updated_at", .string("2026-01-01T00:00:00Z")),
        ("shipping_text", .string("Ships soon")), ("shopify_variant_ids", .array([.integer(1), .integer(2)])),
    ])

    func cache() throws -> ReadCache {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return ReadCache(root: url.path, endpoint: "https://stoq.example/api")
    }

    @Test("a list entry with a count and no variant ids stands in for a plan's read, never for an apply's")
    func countOnly() throws {
        var cache = try cache()
        cache.keep(body, id: "id-9")
        var counted = listed
        counted.variantIDs = nil
        #expect(cache.body(for: counted) != nil, "planning: the count agrees")
        cache.purpose = .apply
        #expect(cache.body(for: counted) == nil, "apply: a swapped member with the same count would be a missed write")
        #expect(cache.body(for: listed) == body, "apply: the listed ids are the entry's")
        var swapped = listed
        swapped.variantIDs = [1, 3]
        #expect(cache.body(for: swapped) == nil)
    }

    @Test("forget removes the entry; only a whole answer of that plan replaces it")
    func forgetAndKeepWritten() throws {
        let cache = try cache()
        cache.keep(body, id: "id-9")
        let members = try #require(cache.forget("id-9"))
        #expect(members == ["id", "internal_name", "updated_at", "shipping_text", "shopify_variant_ids"])
        #expect(cache.body(for: listed) == nil)
        #expect(cache.forget("id-9") == nil, "nothing left to remove")

        // An answer that shows less than the read did is not kept: the plan is read live next time.
        let partial = JSONValue.object([
            ("id", .string("id-9")), ("internal_name", .string("p-9")), ("updated_at", .string("2026-01-01T00:00:00Z")),
        ])
        cache.keep(written: partial, id: "id-9", members: members)
        #expect(cache.body(for: listed) == nil)
        // Another plan's answer is not kept either.
        cache.keep(written: body, id: "id-8", members: members)
        #expect(cache.forget("id-8") == nil)
        // The whole answer is.
        cache.keep(written: body, id: "id-9", members: members)
        #expect(cache.body(for: listed) == body)
        // With a job running it is not: its outcome is not in the body yet.
        var running = body.objectValue ?? []
        running.append(("ongoing_job", .bool(true)))
        cache.keep(written: .object(running), id: "id-9", members: members)
        #expect(cache.body(for: listed) == nil)
    }
}
