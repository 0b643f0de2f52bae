import StoqAPI
import StoqEmulator
import StoqWire
import Testing

/// A client and an in-process emulator on one ``EventClock``: concurrent requests overlap in
/// virtual time as they would in real time, so latency hiding can be measured.
struct OverlapHarness {
    let emulator: Emulator
    let clock = EventClock()
    let client: StoqClient

    /// `rateHeaders: false` stands for a server that does not say what is left (the
    /// `X-RateLimit-*` headers are taken off every answer).
    init(
        plans: Int, budget: RateBudget = RateBudget(), rateHeaders: Bool = true, configure: (inout EmulatorConfiguration) -> Void
    ) throws {
        var configuration = EmulatorConfiguration()
        configuration.maxPageSize = 250
        configure(&configuration)
        let emulator = try Emulator(stateBytes: Array(stateWithPlans(plans).utf8), configuration: configuration, clock: clock)
        self.emulator = emulator
        client = Self.client(emulator, budget: budget, clock: clock, rateHeaders: rateHeaders)
    }

    /// Another client of the same emulator, with its own governor: another run against one shop.
    func secondClient(budget: RateBudget = RateBudget()) -> StoqClient {
        Self.client(emulator, budget: budget, clock: clock, rateHeaders: true)
    }

    static func client(_ emulator: Emulator, budget: RateBudget, clock: EventClock, rateHeaders: Bool) -> StoqClient {
        StoqClient(
            transport: InProcessTransport(responder: { request in
                var response = await emulator.respond(request)
                if !rateHeaders {
                    response?.headers[.xRateLimitRemaining] = nil
                    response?.headers[.xRateLimitLimit] = nil
                    response?.headers[.xRateLimitReset] = nil
                }
                return response
            }), token: .emulator,
            governor: RateGovernor(budget: budget, clock: clock), clock: clock)
    }

    /// A plan's reads: the list pages, then every plan read concurrently; the virtual seconds taken.
    func planShapedLoad(plans: Int) async throws -> Double {
        let client = self.client
        let start = clock.now
        _ = try await clock.run {
            try await Fetcher(client: client).fetch(internalNames: Set((0..<plans).map { "p-\($0)" }), ids: [])
        }
        return start.duration(to: clock.now).inSeconds
    }
}

@Suite("The governor spends the budget: at the window bound, without 429s, latency hidden (virtual clock)")
struct GovernorBoundTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var window: RateLimitWindowKind
        var latency: Double
        var allowed: Double
        var testDescription: String { "\(window.rawValue) window, \(Int(latency * 1000)) ms" }
    }

    @Test(
        "1,004 points of reads finish within the window bound's allowance, with no 429",
        arguments: [
            Case(window: .rolling, latency: 0.05, allowed: 1.05), Case(window: .fixed, latency: 0.05, allowed: 1.05),
            Case(window: .rolling, latency: 0.25, allowed: 1.10), Case(window: .fixed, latency: 0.25, allowed: 1.10),
        ])
    func atTheBound(_ c: Case) async throws {
        let h = try OverlapHarness(plans: 1_000) {
            $0.rateLimitWindowKind = c.window
            $0.faults.latency = c.latency
        }
        let elapsed = try await h.planShapedLoad(plans: 1_000)
        let log = await h.emulator.requestLog
        #expect(log.filter { $0.status == 429 }.isEmpty, "429s: \(log.filter { $0.status == 429 }.count)")
        let points = log.reduce(0) { $0 + $1.cost }
        #expect(points == 1_004)
        let bound = Double(points / 360) * 60
        #expect(elapsed <= bound * c.allowed, "took \(elapsed) s; the window bound is \(bound) s")
        #expect(await h.client.governor.statistics.peakInFlight == RateBudget().maxConcurrency)
    }

    @Test("a 429 with Retry-After: 1 from another app costs about a second, not the rest of the window")
    func retryAfterNotWindow() async throws {
        let h = try OverlapHarness(plans: 300) {
            $0.faults.rateLimitBurst = 0.01
            $0.faults.burstLength = 3
            $0.faults.latency = 0.05
            $0.seed = 7
        }
        let elapsed = try await h.planShapedLoad(plans: 300)
        let log = await h.emulator.requestLog
        let rejected = log.filter { $0.status == 429 }.count
        #expect(rejected >= 3, "the seed starts at least one burst")
        // 302 points fit in the first window: without bursts this takes a few seconds; each
        // rejected request costs at most its Retry-After of 1 s.
        #expect(elapsed <= Double(rejected) + 5, "took \(elapsed) s for \(rejected) rejected requests")
        let pauses = await h.client.governor.statistics.pauses
        #expect(pauses.count >= 1 && pauses.allSatisfy { $0.duration <= .seconds(1.0001) && $0.reason.contains("Retry-After 1.0 s") })
    }

    @Test("points are reused only after the server let them go: rolling window, long latency, a second window of writes")
    func reuseAfterRelease() async throws {
        let budget = RateBudget(points: 20, window: .seconds(10), maxConcurrency: 8)
        let h = try Harness(state: stateWithPlans(1), budget: budget) {
            $0.rateLimitPoints = 20
            $0.rateLimitWindow = 10
            $0.faults.latency = 0.4
            $0.faults.jitter = 0.3
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<120 { group.addTask { _ = try await h.client.get(id: "id-0") } }
            try await group.waitForAll()
        }
        let log = await h.emulator.requestLog
        #expect(log.count == 120 && log.allSatisfy { $0.status == 200 })
    }
}
