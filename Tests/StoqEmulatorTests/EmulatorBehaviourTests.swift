import Foundation
import HTTPTypes
import StoqEmulator
import StoqWire
import Testing

@Suite("Emulator: rate limit, faults, state, wire samples")
struct EmulatorBehaviourTests {
    @Test("every response carries rate-limit headers; flooding gets 429 with Retry-After and STOQ's body; the window resets")
    func rateLimit() async throws {
        let shop = try Shop {
            $0.rateLimitPoints = 10; $0.rateLimitWindow = 60
        }
        let id = try await shop.create(#""name": "A""#)  // 2 points
        var statuses: [Int] = []
        for _ in 0..<9 { statuses.append(try await shop.send("GET", "/preorders/\(id)").status) }
        #expect(statuses == [200, 200, 200, 200, 200, 200, 200, 200, 429])
        let limited = try await shop.send("GET", "/preorders/\(id)")
        #expect(limited.status == 429)
        #expect(limited.response.header(.retryAfter) == "60")
        #expect(limited.response.header(.xRateLimitRemaining) == "0")
        #expect(limited.body["error"] == .string("Rate limit exceeded"))
        #expect(limited.body["retry_after"] == .integer(60))
        #expect(limited.body["message"]?.stringValue?.hasPrefix("You have exceeded the rate limit of 10 points per 60 seconds.") == true)
        let reset = Double(limited.response.header(.xRateLimitReset) ?? "") ?? 0
        // The window began at the first request; no time has passed since (no latency).
        #expect(reset == shop.clock.now.secondsSinceEpoch + 60)
        shop.clock.advance(by: .seconds(61))
        let after = try await shop.send("GET", "/preorders/\(id)")
        #expect(after.status == 200)
        #expect(after.response.header(.xRateLimitRemaining) == "9")
    }

    @Test("the same seed injects the same faults; 5xx leaves state untouched")
    func seededFaults() async throws {
        func run(seed: UInt64) async throws -> [String] {
            let shop = try Shop {
                $0.seed = seed
                $0.faults.serverError = 0.3
                $0.faults.drop = 0.1
                $0.faults.malformed = 0.1
            }
            for _ in 0..<40 {
                _ = await shop.emulator.handle(WireRequest(method: .get, path: "/preorders", headers: [.xAuthToken: "t"]))
            }
            return await shop.emulator.requestLog.map { "\($0.status.map(String.init) ?? "-")\($0.fault ?? "")" }
        }
        let a = try await run(seed: 7)
        #expect(a == (try await run(seed: 7)))
        #expect(a != (try await run(seed: 8)))
        #expect(a.contains { $0.hasSuffix("5xx") } && a.contains("-drop") && a.contains("200malformed"))
    }

    @Test("a lost response means the write happened but the client saw no answer")
    func lostResponse() async throws {
        let shop = try Shop { $0.faults.lost = 1 }
        let outcome = await shop.emulator.handle(
            WireRequest(
                method: .post, path: "/preorders", headers: [.xAuthToken: "t"], body: Array(#"{"selling_plan": {"name": "X"}}"#.utf8))
        )
        guard case .dropped = outcome else {
            Issue.record("expected a dropped connection")
            return
        }
        #expect(await shop.emulator.activePlanCount == 1)
        #expect(await shop.emulator.requestLog.last?.mutated == true)
    }

    @Test("429 bursts force Retry-After: 1 for a run of requests")
    func bursts() async throws {
        let shop = try Shop {
            $0.faults.rateLimitBurst = 1; $0.faults.burstLength = 3
        }
        let r = try await shop.send("GET", "/preorders")
        #expect(r.status == 429)
        #expect(r.response.header(.retryAfter) == "1")
        #expect(await shop.emulator.requestLog.last?.fault == "429-burst")
    }

    @Test("latency is added on the emulator's clock")
    func latency() async throws {
        let shop = try Shop { $0.faults.latency = 0.05 }
        let before = shop.clock.now
        _ = try await shop.send("GET", "/preorders")
        #expect(abs(before.duration(to: shop.clock.now).inSeconds - 0.05) < 1e-6)
    }

    @Test("state saves and loads back to the same JSON")
    func stateRoundTrip() async throws {
        let shop = try Shop()
        let id = try await shop.create(#""name": "A", "markets_enabled": true, "shopify_market_ids": [5]"#)
        try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [11]}"#)
        try await shop.send(
            "POST", "/preorders/\(id)/bulk_toggle_inventory_policy", json: #"{"shopify_variant_ids": [11], "inventory_policy": "CONTINUE"}"#
        )
        let saved = await shop.emulator.stateJSON()
        #expect(saved.contains("\"shopify_market_ids\": [\n        5\n      ]"))
        #expect(saved.contains("\"job\""))
        let reloaded = try Emulator(stateBytes: Array(saved.utf8), clock: shop.clock)
        #expect(await reloaded.stateJSON() == saved)
        #expect(throws: (any Error).self) { try Emulator(stateBytes: Array("[1, 2]".utf8)) }
        #expect(throws: (any Error).self) { try Emulator(stateBytes: Array("{oops".utf8)) }
    }

    @Test("the example shop's state file loads and lists its active plans")
    func exampleState() async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/shop/remote-state.json")
        let shop = try Shop(state: String(decoding: try Data(contentsOf: url), as: UTF8.self))
        let r = try await shop.send("GET", "/preorders", query: [("per_page", "250")])
        #expect(r.body["meta"]?["total_count"] == .integer(6), "the discarded plan is not listed")
    }
}
