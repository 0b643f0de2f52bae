import StoqAPI
import StoqEmulator
import StoqWire
import Testing

@Suite("Rate governor, retries and faults, on a virtual clock (no test sleeps)")
struct GovernorAndFaultTests {
    @Test("a scaled-down limit is never exceeded, and queued work uses at least 95 % of it")
    func noRateLimitHit() async throws {
        let budget = RateBudget(points: 20, window: .seconds(10), maxConcurrency: 4)
        let h = try OverlapHarness(plans: 1, budget: budget) {
            $0.rateLimitPoints = 20; $0.rateLimitWindow = 10; $0.faults.latency = 0.01
        }
        let client = h.client
        let start = h.clock.now
        try await h.clock.run {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 { group.addTask { _ = try await client.get(id: "id-0") } }
                try await group.waitForAll()
            }
        }
        let log = await h.emulator.requestLog
        #expect(log.count == 200)
        #expect(log.allSatisfy { $0.status == 200 }, "429s: \(log.filter { $0.status == 429 }.count)")
        // 200 reads at 20 per 10 s need 9 full windows after the first: 90 s at 100 % use.
        let elapsed = start.duration(to: h.clock.now).inSeconds
        #expect(elapsed >= 90)
        #expect(elapsed <= 90 / 0.95, "elapsed \(elapsed) s is under 95 % use of the budget")
    }

    @Test("Retry-After is honoured and every request waits it out, not only the one that got it")
    func retryAfterPausesEveryRequest() async throws {
        // The client believes it has 1,000 points; the server allows 20 per 10 s and does not say
        // what is left, so 60 reads eight at a time run into its limit twice.
        let budget = RateBudget(points: 1_000, window: .seconds(10), maxConcurrency: 8)
        let h = try OverlapHarness(plans: 1, budget: budget, rateHeaders: false) {
            $0.rateLimitPoints = 20; $0.rateLimitWindow = 10; $0.rateLimitWindowKind = .fixed; $0.faults.latency = 0.01
        }
        let client = h.client
        try await h.clock.run {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<60 { group.addTask { _ = try await client.get(id: "id-0") } }
                try await group.waitForAll()
            }
        }
        let log = await h.emulator.requestLog
        #expect(log.filter { $0.status == 200 }.count == 60, "every read succeeds in the end")
        let limited = log.filter { $0.status == 429 }
        #expect(!limited.isEmpty, "the server's limit is reached")
        // A 429 stops everyone: only the requests already in flight when it came (at most the
        // eight the client allows) meet the limit, per time it is reached: twice, or three times
        // when a pause ends just as a window turns and the virtual clock's tasks are late to it.
        #expect(limited.count <= 3 * budget.maxConcurrency, "\(limited.count) × 429")
        // Retry-After is at least 1 s: once the 429 is back (one latency), no request reaches the
        // server until that second is over, whichever request the 429 answered.
        for refused in limited {
            let during = log.filter { $0.time > refused.time + 0.02 && $0.time < refused.time + 1 }
            #expect(during.isEmpty, "\(during.count) requests sent during the pause after the 429 at \(refused.time) s")
        }
    }

    @Test("a request that meets 429 on every attempt gives up after the waits the policy allows, each Retry-After long")
    func retryAfter() async throws {
        let h = try Harness {
            $0.faults.rateLimitBurst = 1; $0.faults.burstLength = 1
        }
        let start = h.clock.now
        do {
            _ = try await h.client.listPage(page: 1, perPage: 10)
            Issue.record("every request starts a burst here, so the client must give up")
        } catch {
            #expect(error.status == 429)
        }
        let waited = start.duration(to: h.clock.now).inSeconds
        #expect(
            waited >= Double(RetryPolicy().maxRateLimitWaits), "waited \(waited) s for \(RetryPolicy().maxRateLimitWaits) Retry-After: 1")
        #expect(await h.emulator.requestLog.count == RetryPolicy().maxRateLimitWaits + 1)
    }

    @Test("one 429 burst is waited out and the call succeeds")
    func burstRecovers() async throws {
        let h = try Harness {
            $0.faults.rateLimitBurst = 0.3; $0.seed = 3
        }
        let start = h.clock.now
        for _ in 0..<20 { _ = try await h.client.listPage(page: 1, perPage: 10) }
        let log = await h.emulator.requestLog
        #expect(log.contains { $0.status == 429 })
        #expect(log.filter { $0.status == 200 }.count == 20)
        #expect(start.duration(to: h.clock.now).inSeconds >= Double(log.filter { $0.status == 429 }.count) - 0.001)
    }

    @Test("retries on 5xx are bounded by maxAttempts and back off")
    func retriesBounded() async throws {
        let h = try Harness { $0.faults.serverError = 1 }
        let start = h.clock.now
        do {
            _ = try await h.client.get(id: "x")
            Issue.record("expected failure")
        } catch {
            #expect(error.attempts == 5)
            #expect(error.status.map { $0 >= 500 } == true)
        }
        #expect(await h.emulator.requestLog.count == 5)
        #expect(start.duration(to: h.clock.now).inSeconds >= 0.25 + 0.5 + 1 + 2, "backoff of at least half of 0.5, 1, 2, 4 s")
    }

    @Test("concurrency is bounded while latency is hidden")
    func concurrencyBounded() async throws {
        let h = try Harness(budget: RateBudget(points: 10_000, window: .seconds(60), maxConcurrency: 3)) { $0.faults.latency = 0.05 }
        let id = try await h.seed(#""name": "A""#)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<30 { group.addTask { _ = try await h.client.get(id: id) } }
            try await group.waitForAll()
        }
        let peak = await h.emulator.peakConcurrency
        #expect(peak <= 3)
        #expect(peak >= 2, "requests did overlap")
        #expect(await h.client.governor.statistics.peakInFlight <= 3)
    }

    @Test("reads succeed through 5xx, dropped connections and malformed bodies", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func readsSurviveFaults(seed: UInt64) async throws {
        let h = try Harness(state: stateWithPlans(30)) {
            $0.seed = seed
            $0.faults.serverError = 0.1
            $0.faults.drop = 0.05
            $0.faults.malformed = 0.05
        }
        let ids = (0..<30).map { "id-\($0)" }
        let fetched = try await Fetcher(client: h.client).fetch(internalNames: Set((0..<30).map { "p-\($0)" }), ids: [])
        #expect(Set(fetched.state.managed.map(\.id)) == Set(ids))
        #expect(await h.emulator.requestLog.contains { $0.fault != nil }, "faults were injected")
    }

    @Test(
        "creates are never duplicated when responses are lost, connections drop or the server fails", arguments: Array(1...10) as [UInt64])
    func createsNeverDuplicated(seed: UInt64) async throws {
        let h = try Harness {
            $0.seed = seed
            $0.faults.lost = 0.25
            $0.faults.drop = 0.1
            $0.faults.serverError = 0.1
        }
        var adopted = 0
        for i in 0..<20 {
            let r = try await h.client.create(internalName: "plan-\(i)", fields: [("name", .string("Plan \(i)"))])
            if r.adopted { adopted += 1 }
            #expect(r.plan["internal_name"] == .string("plan-\(i)"))
        }
        #expect(await h.emulator.activePlanCount == 20)
        let log = await h.emulator.requestLog
        let lostCreates = log.filter { $0.fault == "lost" && $0.method == "POST" }
        #expect(!lostCreates.isEmpty, "seed \(seed) lost no create response")
        #expect(lostCreates.allSatisfy { $0.mutated }, "a lost response belongs to a handled request")
        #expect(adopted == lostCreates.count, "every lost create was adopted")
    }
}
