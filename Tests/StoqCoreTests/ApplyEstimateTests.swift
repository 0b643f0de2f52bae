import StoqCore
import StoqTestSupport
import StoqWire
import Testing

/// The estimate of everything an apply does: the reads it repeats count, the plan hash does not
/// move with them, and saved plans carry them.
@Suite("The apply estimate counts the reads an apply repeats")
struct ApplyEstimateTests {
    /// A plan adding three variants to a new plan (one create, one add).
    static func plan() throws -> Plan {
        try PlanTitlesTests.untitledPlan()
    }

    @Test("1,004 planning reads of an unchanged 1,000-plan shop take two windows and the last one's requests")
    func readsAlone() throws {
        var plan = Plan(operations: [])
        plan.reads.stoqRequests = 1_004
        let e = plan.applyEstimate
        #expect(e.readPoints == 1_004 && e.writePoints == 0 && e.points == 1_004)
        // floor(1,003 / 360) = 2 windows, then 284 requests at 8 in flight and 0.15 s each.
        #expect(e.seconds == 126)
        #expect(e.readSeconds == 126, "reads alone: all of it")
        #expect(plan.estimatedSeconds == 0, "nothing to send: the hashed figure is the writes'")
    }

    @Test("reads add to the writes' points and time, outside the plan hash; a saved plan keeps them")
    func readsAndWrites() throws {
        var plan = try Self.plan()
        let writesOnly = plan.applyEstimate
        let hash = PlanJSON.hash(plan)
        let writes = plan.estimatedSeconds
        plan.reads = Plan.Reads(stoqRequests: 2_000, shopifyPoints: 1_500, shopifyBucket: 1_000, shopifyRestoreRate: 50)
        let e = plan.applyEstimate
        #expect(e.readPoints == 2_000 && e.writePoints == plan.summary.points)
        #expect(e.points == 2_000 + plan.summary.points)
        #expect(e.seconds > writesOnly.seconds)
        #expect(e.readSeconds > 0 && e.readSeconds <= e.seconds, "the reads' share of the whole")
        // 2,000 + 4 points: floor(2,003 / 360) = 5 windows.
        #expect(e.seconds >= 300 && e.seconds <= 310, "\(e.seconds)")
        #expect(PlanJSON.hash(plan) == hash, "what planning read never changes the hash")
        #expect(plan.estimatedSeconds == writes)
        let text = TextPlanRenderer(color: false).render(plan)
        #expect(
            text.contains("API cost 2,004 points (2,000 to read the shop, 4 to write) and 1,500 Shopify points; ~\(e.seconds) s"), "\(text)"
        )
        let loaded = try PlanJSON.decode(PlanJSON.render(plan)).plan
        #expect(loaded.reads == plan.reads)
        #expect(PlanJSON.render(loaded) == PlanJSON.render(plan))
    }

    @Test("Shopify's bucket paces the estimate when its points outrun STOQ's")
    func shopifyBound() throws {
        var plan = try Self.plan()
        plan.reads = Plan.Reads(stoqRequests: 5, shopifyPoints: 41_000, shopifyBucket: 1_000, shopifyRestoreRate: 100)
        #expect(plan.applyEstimate.seconds == 400, "(41,000 − 1,000) / 100 points a second")
        plan.reads.shopifyRestoreRate = 1_000
        #expect(plan.applyEstimate.seconds == 40)
    }

    @Test("a saved plan's budget window beyond a day is refused, not trusted to an estimate that would trap")
    func hostileWindow() throws {
        let text = PlanJSON.render(try Self.plan())
        #expect(text.contains("\"window_seconds\": 60"))
        for bad in ["1e300", "86401", "0"] {
            let edited = text.replacingOccurrences(of: "\"window_seconds\": 60", with: "\"window_seconds\": \(bad)")
            #expect(throws: PlanFileError.self) { try PlanJSON.decode(edited) }
        }
        var plan = try Self.plan()
        plan.budgetWindow = .infinity
        #expect(plan.applyEstimate.seconds == 1_000_000_000, "bounded, never a trap")
    }

    @Test("a saved plan whose reads are out of range is refused, not trusted")
    func hostileReads() throws {
        var plan = try Self.plan()
        plan.reads.stoqRequests = 10
        let text = PlanJSON.render(plan)
        for bad in ["\"stoq_requests\": -1", "\"stoq_requests\": 99999999999", "\"stoq_requests\": \"10\""] {
            let edited = text.replacingOccurrences(of: "\"stoq_requests\": 10", with: bad)
            #expect(edited != text)
            #expect(throws: PlanFileError.self) { try PlanJSON.decode(edited) }
        }
    }
}
