import HTTPTypes
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

@Suite("Client: every endpoint, success and error paths, against the in-process emulator")
struct ClientEndpointTests {
    @Test("create, get, list, update, delete")
    func lifecycle() async throws {
        let h = try Harness()
        let created = try await h.client.create(
            internalName: "fall", fields: [("name", .string("Fall")), ("pricing_percentage", .integer(10))])
        #expect(created.adopted == false)
        let id = try #require(created.plan["id"]?.stringValue)
        let plan = try await h.client.get(id: id)
        #expect(plan["internal_name"] == .string("fall"))
        let listed = try await h.client.listAll()
        #expect(listed.items.count == 1 && listed.pages == 1)
        let updated = try await h.client.update(id: id, fields: [("enabled", .bool(false))])
        #expect(updated["enabled"] == .bool(false))
        try await h.client.delete(id: id)
        try await h.client.delete(id: id)  // 404 = already gone
        await #expect(throws: StoqError.self) { try await h.client.get(id: id) }
    }

    @Test("errors carry status, endpoint and STOQ's message")
    func errors() async throws {
        let h = try Harness()
        do {
            _ = try await h.client.get(id: "missing")
            Issue.record("expected an error")
        } catch {
            #expect(error.status == 404)
            #expect(error.endpoint == "GET /preorders/{id}")
            #expect(error.description == "GET /preorders/{id}: HTTP 404: Selling plan not found")
        }
        let id = try await h.seed(#""name": "A""#)
        do {
            _ = try await h.client.update(id: id, fields: [("billing_type", .string("someday"))])
            Issue.record("expected an error")
        } catch {
            #expect(error.status == 422)
            #expect(error.message == "billing_type is not included in the list")
        }
    }

    @Test("update sends only the given fields, with explicit null, exactly as the sample body")
    func updateBody() async throws {
        let h = try Harness()
        let id = try await h.seed(#""name": "A""#)
        let sample = try JSONValue.parse(try fixture("Tests/Fixtures/api/update-request.json"))
        let fields = try #require(sample["selling_plan"]?.objectValue)
        _ = try await h.client.update(id: id, fields: fields)
        let sent = try #require(h.sent.all.last)
        #expect(sent.method == .put)
        #expect(sent.path == "/preorders/\(id)")
        #expect(try JSONValue.parse(sent.body) == sample)
        #expect(sent.header(.contentType) == "application/json")
    }

    @Test("add_variant treats a 422 with existing_variants as partial success and sends the rest")
    func addPartial() async throws {
        let h = try Harness()
        let id = try await h.seed(#""name": "A""#)
        _ = try await h.client.addVariants(planID: id, ids: [1, 2])
        let result = try await h.client.addVariants(planID: id, ids: [2, 3, 1, 4])
        #expect(result == AddVariantsResult(added: [3, 4], alreadyPresent: [2, 1]))
        #expect(try await h.client.get(id: id)["shopify_variant_ids"] == .array([1, 2, 3, 4].map { .integer($0) }))
        let noOp = try await h.client.addVariants(planID: id, ids: [1, 2])
        #expect(noOp == AddVariantsResult(added: [], alreadyPresent: [1, 2]))
    }

    @Test("remove_variant sends ids comma-separated in the query, with an optional policy")
    func removeQuery() async throws {
        let h = try Harness()
        let id = try await h.seed(#""name": "A""#)
        _ = try await h.client.addVariants(planID: id, ids: [11, 12, 13])
        let r = try await h.client.removeVariants(planID: id, ids: [11, 13], inventoryPolicy: .deny)
        #expect(r["variants_removed"] == .array([.integer(11), .integer(13)]))
        let sent = try #require(h.sent.all.last)
        #expect(sent.method == .delete)
        #expect(sent.target == "/preorders/\(id)/remove_variant?shopify_variant_ids=11,13&inventory_policy=DENY")
        #expect(sent.body.isEmpty)
    }

    @Test("product_variants and the policy toggle")
    func variantsAndToggle() async throws {
        let h = try Harness { $0.jobDuration = 0 }
        let id = try await h.seed(#""name": "A""#)
        _ = try await h.client.addVariants(planID: id, ids: [4390091001050])
        let variants = try await h.client.productVariants(planID: id)
        #expect(variants.first?["shopify_variant_id"] == .integer(4390091001050))
        let queued = try await h.client.toggleInventoryPolicy(planID: id, ids: [4390091001050], policy: .continue)
        #expect(queued == [4390091001050])
        #expect(await h.emulator.inventoryPolicy(of: 4390091001050) == "CONTINUE")
    }

    @Test("a 409 while a job runs waits for ongoing_job to clear, then succeeds")
    func jobWait() async throws {
        let h = try Harness { $0.jobDuration = 30 }
        let id = try await h.seed(#""name": "A""#)
        let start = h.clock.now
        _ = try await h.client.toggleInventoryPolicy(planID: id, ids: [1], policy: .continue)
        let added = try await h.client.addVariants(planID: id, ids: [2])
        #expect(added.added == [2])
        #expect(start.duration(to: h.clock.now).inSeconds >= 30)
        let log = await h.emulator.requestLog
        #expect(log.contains { $0.status == 409 })
        #expect(log.contains { $0.method == "GET" && $0.target == "/preorders/\(id)" }, "it polled the plan")
    }

    @Test("the job wait is bounded")
    func jobWaitBounded() async throws {
        var retry = RetryPolicy()
        retry.maxJobWait = .seconds(20)
        let h = try Harness(retry: retry) { $0.jobDuration = 10_000 }
        let id = try await h.seed(#""name": "A""#)
        _ = try await h.client.toggleInventoryPolicy(planID: id, ids: [1], policy: .continue)
        do {
            _ = try await h.client.addVariants(planID: id, ids: [2])
            Issue.record("expected the wait to give up")
        } catch {
            #expect(error.status == 409)
            #expect(error.message.contains("still busy after 20 s"))
        }
        #expect(h.clock.now.secondsSinceEpoch < 1_800_000_000 + 200)
    }
}
