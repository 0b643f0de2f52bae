import StoqAPI
import StoqEmulator
import StoqWire
import Testing

/// `count` reads through `client`, eight at a time as the governor allows.
private func reads(_ client: StoqClient, _ count: Int) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<count { group.addTask { _ = try await client.get(id: "id-0") } }
        try await group.waitForAll()
    }
}

@Suite("The governor follows the shop's budget as the server tells it (virtual clock)")
struct SharedBudgetTests {
    @Test("a client that believes it has more than the server allows follows X-RateLimit-*: no 429")
    func followsTheServer() async throws {
        let budget = RateBudget(points: 1_000, window: .seconds(10), maxConcurrency: 8)
        let h = try OverlapHarness(plans: 1, budget: budget) {
            $0.rateLimitPoints = 20; $0.rateLimitWindow = 10; $0.rateLimitWindowKind = .fixed; $0.faults.latency = 0.01
        }
        let client = h.client
        let start = h.clock.now
        try await h.clock.run { try await reads(client, 60) }
        let log = await h.emulator.requestLog
        #expect(log.filter { $0.status == 429 }.isEmpty, "429s: \(log.filter { $0.status == 429 }.count)")
        #expect(log.count == 60)
        // 60 reads at 20 per 10 s: the third window.
        let elapsed = start.duration(to: h.clock.now).inSeconds
        #expect(elapsed >= 20 && elapsed < 31, "\(elapsed) s")
    }

    @Test(
        "two runs against one shop, back to back or overlapping, share its budget: no 429",
        arguments: [false, true])
    func twoRuns(overlapping: Bool) async throws {
        let h = try OverlapHarness(plans: 1) {
            $0.rateLimitWindowKind = .rolling; $0.faults.latency = 0.05
        }
        let first = h.client
        let second = h.secondClient()
        let start = h.clock.now
        try await h.clock.run {
            if overlapping {
                async let a: Void = reads(first, 300)
                async let b: Void = reads(second, 300)
                _ = try await (a, b)
            } else {
                try await reads(first, 300)
                try await reads(second, 300)
            }
        }
        let log = await h.emulator.requestLog
        #expect(log.filter { $0.status == 429 }.isEmpty, "429s: \(log.filter { $0.status == 429 }.count)")
        #expect(log.filter { $0.status == 200 }.count == 600)
        // 600 points at 360 per 60 s: the second window, and not far into it.
        let elapsed = start.duration(to: h.clock.now).inSeconds
        #expect(elapsed >= 60 && elapsed < 75, "\(elapsed) s")
        let seen = await second.governor.statistics.othersSeen
        #expect(seen > 0, "the second run saw the first one's spending")
    }

    @Test("a server that says its limit is 1 point slows writes to one at a time but never stalls them")
    func tinyLimit() async throws {
        // Each write's 2 points leave the 1 s window before the next goes.
        let clock = EventClock()
        let slow = RateGovernor(budget: RateBudget(points: 360, window: .seconds(1), maxConcurrency: 8), clock: clock)
        try await clock.run {
            for _ in 0..<3 {
                try await slow.acquire(cost: 2)
                await slow.release(cost: 2, server: .init(remaining: 0, limit: 1, reset: nil))
            }
        }
        #expect(await slow.statistics.requests == 3)
        #expect(clock.now.secondsSinceEpoch - 1_800_000_000 >= 2, "one write per window")
    }

    @Test("header figures beyond any real budget neither overflow nor stall: a huge limit, a huge remainder, a limit below what was spent")
    func hostileFigures() async throws {
        let clock = EventClock()
        let governor = RateGovernor(budget: RateBudget(points: 360, window: .seconds(1), maxConcurrency: 8), clock: clock)
        let answers: [RateGovernor.ServerBudget?] = [
            RateGovernor.ServerBudget(
                WireResponse(status: .ok, headers: [.xRateLimitLimit: "9223372036854775807", .xRateLimitRemaining: "0"], body: [])),
            RateGovernor.ServerBudget(
                WireResponse(status: .ok, headers: [.xRateLimitLimit: "1", .xRateLimitRemaining: "9223372036854775807"], body: [])),
            RateGovernor.ServerBudget(WireResponse(status: .ok, headers: [.xRateLimitRemaining: "-5"], body: [])),
        ]
        #expect(answers[0]?.limit == RateGovernor.ServerBudget.most && answers[0]?.remaining == 0)
        #expect(answers[1]?.remaining == RateGovernor.ServerBudget.most)
        #expect(answers[2] == nil, "a negative remainder is no figure")
        try await clock.run {
            for answer in answers + answers {
                try await governor.acquire(cost: 2)
                await governor.release(cost: 2, server: answer)
            }
        }
        #expect(await governor.statistics.requests == 6)
    }

    @Test("the first request goes alone: nothing more is sent before an answer says what is left")
    func firstRequestAlone() async throws {
        let h = try OverlapHarness(plans: 1) { $0.faults.latency = 0.2 }
        let client = h.client
        try await h.clock.run { try await reads(client, 9) }
        let log = await h.emulator.requestLog
        let times = log.map(\.time).sorted()
        #expect(times.count == 9)
        #expect(times[1] >= times[0] + 0.19, "the second request waited for the first answer: \(times)")
        #expect(times[8] < times[1] + 0.01, "then the other eight went together: \(times)")
    }
}
