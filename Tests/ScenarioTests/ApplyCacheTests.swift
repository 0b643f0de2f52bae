import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqTestSupport
import StoqWire
import Testing

/// A shop of `plans` plans (`p-0`…, ids `pl-0`…, three variants each) on its own emulator and
/// virtual clock, and the configuration that declares it as it is.
struct CachedShop {
    /// When every plan of the state was last changed: the virtual clock's start.
    static let start = 1_800_000_000.0
    static let startText = "2027-01-15T08:00:00.000Z"

    let emulator: Emulator
    let clock: VirtualClock
    let client: StoqClient
    let plans: Int
    let root: String

    init(plans: Int) throws {
        var items: [String] = []
        for p in 0..<plans {
            let ids = (1...3).map { String(41_000_000_000_000 + Int64(p * 10 + $0)) }.joined(separator: ", ")
            items.append(
                #"{"id": "pl-\#(p)", "internal_name": "p-\#(p)", "name": "Plan \#(p)", "enabled": true, "product_variants_source": "custom", "shipping_text": "Ships soon", "shopify_variant_ids": [\#(ids)], "created_at": "\#(Self.startText)", "updated_at": "\#(Self.startText)"}"#
            )
        }
        clock = VirtualClock(start: Self.start)
        let emulator = try Emulator(stateBytes: Array("{\"plans\": [\(items.joined(separator: ","))]}".utf8), clock: clock)
        self.emulator = emulator
        client = StoqClient(
            transport: InProcessTransport(responder: { await emulator.respond($0) }), token: APIToken.emulator,
            governor: RateGovernor(clock: clock), clock: clock)
        self.plans = plans
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-apply-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        root = url.path
    }

    /// The configuration: every plan as the shop holds it, but `shipping_text` "Ships later" for
    /// the plans in `later` and a fourth variant for those in `grown`.
    func input(later: Set<Int> = [], grown: Set<Int> = []) -> PlanRun.Input {
        var yaml = "version: 1\nselling_plans:\n"
        for p in 0..<plans {
            var ids = (1...3).map { 41_000_000_000_000 + Int64(p * 10 + $0) }
            if grown.contains(p) { ids.append(41_000_000_000_000 + Int64(p * 10 + 4)) }
            yaml += """
                  - internal_name: p-\(p)
                    name: "Plan \(p)"
                    enabled: true
                    product_variants_source: custom
                    shipping_text: \(later.contains(p) ? "\"Ships later\"" : "\"Ships soon\"")
                    variants: [\(ids.map(String.init).joined(separator: ", "))]

                """
        }
        let settings = "version: 1\nsafety:\n  max_update_percent: 100\n"
        return PlanRun.Input(
            config: ConfigInput(files: [
                (SourceFile(path: "shop/stoqctl.yaml", text: settings), .settings),
                (SourceFile(path: "shop/plans.yaml", text: yaml), .config),
            ]))
    }

    /// Opens the shop with the read cache under `root` (`refresh`: `--refresh`).
    func connect(refresh: Bool = false) -> Connect {
        let client = client
        let cache = ReadCache(root: root, endpoint: "emulator:cached", refresh: refresh)
        return { _, _ in
            var connection = ShopConnection(client: client, endpoint: "emulator:cached", description: "scenario")
            connection.cache = cache
            return connection
        }
    }

    /// Runs `body` and returns what it sent: list pages, plans read in full, and writes.
    func traffic(_ body: () async throws -> Void) async rethrows -> (lists: Int, reads: [String], writes: [String]) {
        await emulator.clearLog()
        try await body()
        let log = await emulator.requestLog.filter { !$0.shopify }
        let lists = log.filter { $0.method == "GET" && $0.target.hasPrefix("/preorders?") }.count
        let reads = log.filter { $0.method == "GET" && !$0.target.hasPrefix("/preorders?") }.map(\.target).sorted()
        let writes = log.filter { $0.method != "GET" }.map { "\($0.method) \($0.target)" }.sorted()
        return (lists, reads, writes)
    }

    /// Applies `input` through the cache; the run must succeed.
    func apply(_ input: PlanRun.Input, refresh: Bool = false) async throws -> ApplyRun.Outcome {
        let outcome = await ApplyRun.run(ApplyRun.Input(source: .configuration(input)), connect: connect(refresh: refresh))
        #expect(outcome.status == .success, "\(outcome.diagnostics.map(\.message))")
        return outcome
    }

    /// Plans `input` through the cache: the plan, which must have been made.
    func plan(_ input: PlanRun.Input) async throws -> Plan {
        let outcome = await PlanRun.run(input, connect: connect())
        return try #require(outcome.plan, "\(outcome.diagnostics.map(\.message))")
    }

    /// Plans `input` from live reads only.
    func livePlan(_ input: PlanRun.Input) async throws -> Plan {
        let client = client
        let outcome = await PlanRun.run(input) { _, _ in ShopConnection(client: client, endpoint: "emulator:cached", description: "live") }
        return try #require(outcome.plan, "\(outcome.diagnostics.map(\.message))")
    }
}

@Suite("apply reads through the read cache: the list pages plus the plans whose list entry changed, never a missed write")
struct ApplyCacheTests {
    @Test("a warm cache: apply reads only the plans STOQ changed, writes them back, and the next plan reads only the list")
    func warm() async throws {
        let shop = try CachedShop(plans: 30)
        let cold = try await shop.traffic { _ = try await shop.apply(shop.input()) }
        #expect((cold.lists, cold.reads.count, cold.writes) == (1, 30, []), "a cold cache reads every plan live")

        // STOQ's dashboard changes two plans after the cache was filled: their updated_at moves.
        shop.clock.advance(by: .seconds(60))
        await shop.emulator.editPlan(id: "pl-4", field: "shipping_text", value: .string("Edited in STOQ"))
        await shop.emulator.editPlan(id: "pl-9", field: "enabled", value: .bool(false))
        shop.clock.advance(by: .seconds(60))
        // The configuration changes three others; it grows one more.
        let input = shop.input(later: [1, 2, 3], grown: [20])
        let warm = try await shop.traffic { _ = try await shop.apply(input) }
        #expect(warm.lists == 1)
        #expect(warm.reads == ["/preorders/pl-4", "/preorders/pl-9"], "only the plans whose list entry changed are read")
        #expect(
            warm.writes == [
                "POST /preorders/pl-20/add_variant", "PUT /preorders/pl-1", "PUT /preorders/pl-2", "PUT /preorders/pl-3",
                "PUT /preorders/pl-4", "PUT /preorders/pl-9",
            ], "the changes STOQ made are written back: a skipped read is not a missed write")
        #expect(try await shop.livePlan(input).changes.isEmpty, "the shop converged")

        // Entries of the updated plans were replaced by the updates' answers; the grown plan's
        // last write was an add, so its entry was removed and it alone is read again.
        shop.clock.advance(by: .seconds(60))
        var plan: Plan?
        let after = try await shop.traffic { plan = try await shop.plan(input) }
        #expect(try #require(plan).changes.isEmpty, "No changes")
        #expect((after.lists, after.reads) == (1, ["/preorders/pl-20"]))
        let again = try await shop.traffic { plan = try await shop.plan(input) }
        #expect(try #require(plan).changes.isEmpty)
        #expect((again.lists, again.reads.count) == (1, 0), "the next plan reads only the list pages")
    }

    @Test("a plan the apply updates and nothing else: the next plan reads only the list pages")
    func updatedOnly() async throws {
        let shop = try CachedShop(plans: 10)
        _ = try await shop.apply(shop.input())
        let input = shop.input(later: [0, 5])
        let applied = try await shop.traffic { _ = try await shop.apply(input) }
        #expect((applied.reads.count, applied.writes) == (0, ["PUT /preorders/pl-0", "PUT /preorders/pl-5"]))
        var plan: Plan?
        let after = try await shop.traffic { plan = try await shop.plan(input) }
        #expect(try #require(plan).changes.isEmpty)
        #expect((after.lists, after.reads.count) == (1, 0))
    }

    @Test("an apply's own write leaves updated_at as it was: the old entry is gone, so the write back is not missed")
    func writeKeepsUpdatedAt() async throws {
        // The virtual clock stands still: every write leaves updated_at as listed. Had the entry
        // read before the update stayed, the next apply would take "Ships soon" from it and not
        // write the value back.
        let shop = try CachedShop(plans: 3)
        _ = try await shop.apply(shop.input())
        let cache = ReadCache(root: shop.root, endpoint: "emulator:cached")
        let entry = cache.directory.appendingPathComponent("pl-1.json")
        #expect(try String(contentsOf: entry, encoding: .utf8).contains("Ships soon"))
        let changed = try await shop.traffic { _ = try await shop.apply(shop.input(later: [1])) }
        #expect((changed.reads.count, changed.writes) == (0, ["PUT /preorders/pl-1"]))
        #expect(try String(contentsOf: entry, encoding: .utf8).contains("Ships later"), "the update's answer replaced the entry")
        let back = try await shop.traffic { _ = try await shop.apply(shop.input()) }
        #expect((back.reads.count, back.writes) == (0, ["PUT /preorders/pl-1"]))
        #expect(try await shop.livePlan(shop.input()).changes.isEmpty)
    }

    @Test("a change in STOQ that leaves updated_at as it was is what the rule cannot see; --refresh reads live and writes it")
    func assumptionFalse() async throws {
        let shop = try CachedShop(plans: 3)
        _ = try await shop.apply(shop.input())
        // The clock stands still: the edit leaves updated_at as listed, as a STOQ that changed a
        // field without moving updated_at would.
        await shop.emulator.editPlan(id: "pl-2", field: "shipping_text", value: .string("Edited in STOQ"))
        let hidden = try await shop.traffic { _ = try await shop.apply(shop.input()) }
        #expect(hidden.writes.isEmpty, "the assumed invariant is broken: the entry hides the change")
        let refreshed = try await shop.traffic { _ = try await shop.apply(shop.input(), refresh: true) }
        #expect(refreshed.reads.count == 3)
        #expect(refreshed.writes == ["PUT /preorders/pl-2"])
        #expect(try await shop.livePlan(shop.input()).changes.isEmpty)
    }

    @Test("a saved plan's apply reads live, and keeps the entries of the plans it writes current")
    func savedPlan() async throws {
        let shop = try CachedShop(plans: 4)
        _ = try await shop.apply(shop.input())
        let input = shop.input(later: [2])
        let text = PlanJSON.render(try await shop.plan(input))
        var outcome: ApplyRun.Outcome?
        let applied = try await shop.traffic {
            outcome = await ApplyRun.run(
                ApplyRun.Input(source: .savedPlan(name: "plan.json", text: text, config: input)), connect: shop.connect())
        }
        #expect(outcome?.status == .success, "\(outcome?.diagnostics.map(\.message) ?? [])")
        #expect(applied.reads == ["/preorders/pl-0", "/preorders/pl-1", "/preorders/pl-2", "/preorders/pl-2", "/preorders/pl-3"])
        #expect(applied.writes == ["PUT /preorders/pl-2"])
        var plan: Plan?
        let after = try await shop.traffic { plan = try await shop.plan(input) }
        #expect(try #require(plan).changes.isEmpty)
        #expect(after.reads.isEmpty, "the update's answer replaced the entry")
    }
}

@Suite("The bench's apply (1,000 plans, 300 updates, 20,000 variants added) with and without a warm read cache")
struct ApplyCacheBenchTests {
    /// The bench's workload (`stoqctl-bench api`: ``RateWorkload``) as a plan input.
    static func workload(plans: Int, changed: Int, grown: Int) -> (state: String, input: PlanRun.Input) {
        let shop = RateWorkload.shop(plans: plans, changed: changed, grown: grown)
        let input = PlanRun.Input(
            config: ConfigInput(files: [
                (SourceFile(path: "shop/plans.yaml", text: shop.config), .config),
                (SourceFile(path: "shop/stoqctl.yaml", text: shop.settings), .settings),
            ]))
        return (shop.state, input)
    }

    /// Applies the workload, with a cache warmed by a plan of it when `warm`: the requests and
    /// points STOQ saw before the first write (planning reads), and in all.
    static func measure(warm: Bool) async throws -> (planning: (requests: Int, points: Int), all: (requests: Int, points: Int)) {
        let (state, input) = workload(plans: 1_000, changed: 300, grown: 100)
        let shop = try ScenarioShop(remoteJSON: state)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-apply-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let cache = warm ? ReadCache(root: url.path, endpoint: "emulator:bench") : nil
        let connect: Connect = { _, _ in
            var connection = ShopConnection(client: shop.client, endpoint: "emulator:bench", description: "bench")
            connection.cache = cache
            return connection
        }
        if warm {
            let planned = await PlanRun.run(input, connect: connect)
            #expect(planned.plan != nil)
            await shop.emulator.clearLog()
        }
        let outcome = await ApplyRun.run(ApplyRun.Input(source: .configuration(input), verifyPolicies: false), connect: connect)
        #expect(outcome.status == .success, "\(outcome.diagnostics.map(\.message).prefix(3))")
        let log = await shop.emulator.requestLog.filter { !$0.shopify && $0.status != 429 }
        let planning = log.prefix { $0.method == "GET" }
        if warm {
            // The next plan: the updated plans' entries are their updates' answers; the grown
            // plans' last writes were adds and toggles, so those 100 are read live.
            await shop.emulator.clearLog()
            let next = await PlanRun.run(input, connect: connect)
            #expect(next.plan?.changes.isEmpty == true)
            #expect(await shop.emulator.requestLog.filter { !$0.shopify }.count == 4 + 100)
        }
        return ((planning.count, planning.reduce(0) { $0 + $1.cost }), (log.count, log.reduce(0) { $0 + $1.cost }))
    }

    @Test(
        "planning reads: 1,004 requests live, the 4 list pages with a warm cache; the writes are the same; the next plan reads the grown plans"
    )
    func bench() async throws {
        let live = try await Self.measure(warm: false)
        let cached = try await Self.measure(warm: true)
        print("apply, no cache:   planning \(live.planning), all \(live.all)")
        print("apply, warm cache: planning \(cached.planning), all \(cached.all)")
        #expect(live.planning == (1_004, 1_004))
        #expect(cached.planning == (4, 4))
        #expect(live.all.requests - live.planning.requests == cached.all.requests - cached.planning.requests)
    }
}
