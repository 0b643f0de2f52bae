import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// A reader over the in-process emulator's Shopify side, on a virtual clock.
struct ShopifyHarness {
    let emulator: Emulator
    let clock: VirtualClock
    let reader: PolicyReader

    init(known: ClosedRange<Int64>, unknown: [Int64] = [], configure: (inout EmulatorConfiguration) -> Void = { _ in }) throws {
        var configuration = EmulatorConfiguration()
        configure(&configuration)
        let policies = known.map { "\"\($0)\": \"\($0 % 3 == 0 ? "DENY" : "CONTINUE")\"" }.joined(separator: ", ")
        let clock = VirtualClock()
        let emulator = try Emulator(
            stateBytes: Array(#"{"variant_policies": {\#(policies)}}"#.utf8), configuration: configuration, clock: clock)
        self.emulator = emulator
        self.clock = clock
        let transport = InProcessTransport(responder: { await emulator.respond($0) })
        reader = PolicyReader(
            client: ShopifyClient.emulated(transport: transport, clock: clock), source: "emulator")
    }
}

@Suite("Reading policies from Shopify: pages of 250, paced by the cost bucket")
struct PolicyReaderTests {
    @Test("2,000 variants through a 500-point bucket at 100 points/s: 8 queries, never throttled, in the time the bucket needs")
    func paced() async throws {
        let h = try ShopifyHarness(known: 1...2_000) {
            $0.shopifyBucketSize = 500
            $0.shopifyRestoreRate = 100
        }
        let start = h.clock.now
        let result = try await h.reader.read((1...2_000).map { $0 })
        #expect(result.state.current.count == 2_000)
        #expect(result.state.current[3] == .deny && result.state.current[4] == .continue)
        #expect(result.queries == 8)
        #expect(result.points == 2_000)
        #expect(result.throttled == 0, "the client waits for points instead of being throttled")
        let elapsed = start.duration(to: h.clock.now).inSeconds
        // 2,000 points through a 500-point bucket refilled at 100/s need 15 s; pacing adds little.
        #expect(elapsed >= 15 && elapsed <= 16, "\(elapsed) s")
        let log = await h.emulator.requestLog
        #expect(log.count == 8 && log.allSatisfy { $0.shopify && $0.status == 200 })
    }

    @Test("ids Shopify does not know come back unknown; each id is read once")
    func unknown() async throws {
        let h = try ShopifyHarness(known: 1...10)
        let result = try await h.reader.read([1, 2, 2, 99, 98, 1])
        #expect(result.state.current.keys.sorted() == [1, 2])
        #expect(result.state.unknown == [98, 99])
        #expect(result.queries == 1)
    }

    @Test("THROTTLED answers are waited out, not failures; 5xx and dropped connections are retried")
    func throttledAndFaults() async throws {
        let h = try ShopifyHarness(known: 1...2_500) { $0.faults = try! FaultSpec(parsing: "429=0.3,burst=2,5xx=0.2,drop=0.1") }
        let result = try await h.reader.read((1...2_500).map { $0 })
        #expect(result.state.current.count == 2_500)
        #expect(result.throttled > 0, "some answers were THROTTLED and waited out")
        #expect(await h.emulator.requestLog.contains { $0.fault == "5xx" || $0.fault == "drop" })
    }

    @Test("a GraphQL error is a failure with Shopify's message")
    func graphQLError() async throws {
        let h = try ShopifyHarness(known: 1...3) { $0.shopifyToken = "right" }
        do {
            _ = try await h.reader.read([1])
            Issue.record("expected a failure")
        } catch {
            #expect(error.kind == .http(status: 401))
            #expect(error.description.contains("Invalid API key or access token"))
        }
    }
}
