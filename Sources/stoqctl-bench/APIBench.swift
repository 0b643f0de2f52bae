import Foundation
import Logging
import StoqAPI
import StoqCore
import StoqEmulator
import StoqTestSupport
import StoqWire

// `stoqctl-bench api`: plan and apply of a 1,000-plan shop against the emulator served over HTTP
// on 127.0.0.1 at STOQ's real budget (360 points per rolling 60 s) with injected latency. Requests,
// points, 429s and 409s are counted where they arrive, at the server; the wall time is compared
// with the window bound (the start of the last window the points need: floor(points / 360) × 60 s).
//
//   stoqctl-bench api [--plans 1000] [--latency 0.05] [--window rolling|fixed]
//                     [--only plan|plan250|apply|cache|apply-cache]
//                     [--429 0.01]
//
// Without --only, the questions run at once, each against its own emulator: plan at 50 ms (cold,
// then warm read cache), plan at 250 ms (8 and 32 in flight), apply at 50 ms with 429 bursts
// (1 %), and apply at 50 ms through a read cache a plan warmed.

struct APIBenchOptions {
    var plans = 1_000
    var latency = 0.05
    var window = RateLimitWindowKind.rolling
    var only: String?
    var burst = 0.0

    init(_ args: [String]) {
        forEachOption(args[...]) { name, value in
            switch name {
            case "--plans": plans = Int(value) ?? plans
            case "--latency": latency = Double(value) ?? latency
            case "--window": window = RateLimitWindowKind(rawValue: value) ?? window
            case "--only": only = value
            case "--429": burst = Double(value) ?? burst
            default: return false
            }
            return true
        }
    }
}

func runAPIBench(_ args: [String]) async throws {
    let bench = APIBench(options: APIBenchOptions(args))
    try FileManager.default.createDirectory(at: bench.dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: bench.dir) }
    let options = bench.options
    print(
        "stoqctl-bench api: \(options.plans) plans, emulator over HTTP on 127.0.0.1, 360 points / \(options.window.rawValue) 60 s\(options.burst > 0 ? ", 429 bursts (Retry-After 1 s) with probability \(options.burst) in the apply" : "")"
    )
    print("Each run has its own emulator (its own budget) and its own client; without --only they run at once.")
    print("")
    // Rate-bound runs spend their time waiting for the budget, not computing: run side by side,
    // each against its own server, they measure what each would alone, in the time of the longest.
    var runs: [(String, @Sendable () async throws -> [String])] = []
    if options.only == nil || options.only == "plan" || options.only == "cache" {
        runs.append(("plan", { try await bench.plan(latency: options.latency, cache: true) }))
    }
    if options.only == nil || options.only == "plan250" {
        // At 250 ms the last window's requests take their latency over the requests in flight:
        // 8 (the old default), the default 16, 32 and 64 (`--concurrency N`, which the
        // connection pool follows).
        for inFlight in [8, 16, 32, 64] {
            runs.append(
                (
                    "plan250-\(inFlight)",
                    { try await bench.plan(latency: options.only == nil ? 0.25 : options.latency, cache: false, concurrency: inFlight) }
                ))
        }
    }
    if options.only == nil || options.only == "apply" {
        runs.append(("apply", { try await bench.apply(latency: options.latency, burst: options.only == nil ? 0.01 : options.burst) }))
    }
    if options.only == nil || options.only == "apply-cache" {
        runs.append(("apply-cache", { try await bench.apply(latency: options.latency, burst: 0, warmCache: true) }))
    }
    let started = Date()
    let results = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
        for (i, run) in runs.enumerated() { group.addTask { (i, try await run.1()) } }
        var out: [(Int, [String])] = []
        for try await r in group { out.append(r) }
        return out.sorted { $0.0 < $1.0 }.flatMap(\.1)
    }
    print("run                                requests  points  429s  409s  wall (s)  bound (s)  ratio  estimate (s)")
    for line in results { print(line) }
    print("")
    print(String(format: "bench wall: %.1f s", Date().timeIntervalSince(started)))
}

/// The runs of `stoqctl-bench api`, each against its own emulator served over HTTP.
struct APIBench: Sendable {
    let options: APIBenchOptions
    /// Where the read cache of the `cache` runs lives (removed afterwards).
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-bench-api-\(getpid())")

    /// Plan of an unchanged shop at `latency`; with `cache`, twice: with a cold and then a warm
    /// read cache (the cold one is the plain plan's figure: it reads everything).
    func plan(latency: Double, cache: Bool, concurrency: Int = 16) async throws -> [String] {
        let shop = RateWorkload.shop(plans: options.plans, changed: 0, grown: 0)
        let (emulator, port, server) = try await serve(shop.state, latency: latency, burst: 0)
        defer { server.cancel() }
        let cacheDir = dir.appendingPathComponent("cache").path
        var rows: [String] = []
        let ms = Int(latency * 1000)
        let inFlight = concurrency == 16 ? "" : ", --concurrency \(concurrency)"
        for pass in cache ? ["plan \(ms) ms, cold cache", "plan \(ms) ms, warm cache"] : ["plan \(ms) ms\(inFlight)"] {
            var (opened, transport) = try connection(port: port, concurrency: concurrency)
            if cache { opened.cache = ReadCache(root: cacheDir, endpoint: opened.endpoint) }
            let conn = opened
            let since = await emulator.requestLog.count
            let started = Date()
            let outcome = await PlanRun.run(PlanRun.Input(config: files(shop))) { _, _ in conn }
            let seconds = Date().timeIntervalSince(started)
            await transport.shutdown()
            if let failure = outcome.failure {
                rows.append("\(pass): failed: \(failure) \(outcome.diagnostics.map { Sanitiser.shown($0.message) })")
            }
            rows.append(await report(pass, emulator, since: since, seconds: seconds, estimate: nil))
        }
        return rows
    }

    /// Apply: 300 updates, 20,000 variants added and declared CONTINUE (100 plans × 200).
    ///
    /// The apply's own plan is included; its estimate is that of a `plan` of the same shop. With
    /// `warmCache`, through a read cache a plan of the same configuration filled first (not
    /// measured), a window before the apply.
    func apply(latency: Double, burst: Double, warmCache: Bool = false) async throws -> [String] {
        let shop = RateWorkload.shop(plans: options.plans, changed: options.plans * 3 / 10, grown: options.plans / 10)
        let (emulator, port, server) = try await serve(shop.state, latency: latency, burst: burst)
        defer { server.cancel() }
        let cacheRoot = dir.appendingPathComponent("apply-cache-\(Int(latency * 1000))").path
        // The estimate `plan` prints for this apply, from a plan run against a copy of the shop
        // (its own budget, at the same time, so it neither spends the apply's points nor adds
        // to the bench's time).
        let config = files(shop)
        async let estimate: Int? = {
            let (twin, twinPort, twinServer) = try await serve(shop.state, latency: latency, burst: 0)
            defer { twinServer.cancel() }
            var (twinConnection, twinTransport) = try connection(port: twinPort)
            if warmCache {
                // As `plan --cache` would estimate it: a warm cache of the twin's own.
                twinConnection.cache = ReadCache(root: cacheRoot + "-twin", endpoint: twinConnection.endpoint)
                let warming = twinConnection
                _ = await PlanRun.run(PlanRun.Input(config: config)) { _, _ in warming }
            }
            let twinReady = twinConnection
            let planned = await PlanRun.run(PlanRun.Input(config: config)) { _, _ in twinReady }
            await twinTransport.shutdown()
            _ = twin
            return planned.plan?.applyEstimate.seconds
        }()
        var (opened, transport) = try connection(port: port)
        if warmCache {
            opened.cache = ReadCache(root: cacheRoot, endpoint: opened.endpoint)
            let warming = opened
            _ = await PlanRun.run(PlanRun.Input(config: config)) { _, _ in warming }
            // The next window starts with the whole budget, as an apply some time after the plan would.
            try await Task.sleep(for: .seconds(60))
        }
        let conn = opened
        let since = await emulator.requestLog.count
        let started = Date()
        let outcome = await ApplyRun.run(ApplyRun.Input(source: .configuration(PlanRun.Input(config: config)))) { _, _ in
            conn
        } events: { _ in
        }
        let seconds = Date().timeIntervalSince(started)
        await transport.shutdown()
        let estimated = try await estimate
        var rows: [String] = []
        let label = "apply \(Int(latency * 1000)) ms\(burst > 0 ? ", 429 bursts" : "")\(warmCache ? ", warm cache" : "")"
        rows.append(await report(label, emulator, since: since, seconds: seconds, estimate: estimated))
        if let report = outcome.report {
            rows.append("  \(report.summaryLine)")
            if let f = report.figures {
                rows.append(
                    String(
                        format:
                            "  governor: %d requests, %d points; waited for budget %.1f s of wall time (%.1f s summed over requests); peak in flight %d",
                        f.requests, f.points, f.budgetWaitWall.inSeconds, f.budgetWaited.inSeconds, f.peakInFlight))
            }
        } else {
            rows.append("  apply failed: \(outcome.diagnostics.map { Sanitiser.shown($0.message) })")
        }
        return rows
    }

    /// An emulator holding `state`, served on a free port of 127.0.0.1.
    func serve(_ state: String, latency: Double, burst: Double) async throws -> (Emulator, Int, Task<Void, any Error>) {
        var configuration = EmulatorConfiguration()
        configuration.rateLimitWindowKind = options.window
        configuration.faults.latency = latency
        configuration.faults.rateLimitBurst = burst
        configuration.faults.burstLength = 3
        let emulator = try Emulator(stateBytes: Array(state.utf8), configuration: configuration)
        let (port, server) = await serveOnFreePort(emulator)
        return (emulator, port, server)
    }

    /// A connection to the emulator on `port`, and its transport (shut it down when done).
    func connection(port: Int, concurrency: Int = 16) throws -> (ShopConnection, HTTPTransport) {
        let base = "http://127.0.0.1:\(port)\(Emulator.basePath)"
        // As `--concurrency N` sets them: N requests in flight, N connections in the pool.
        let transport = try HTTPTransport(baseURL: base, maxConnections: concurrency)
        var budget = RateBudget()
        budget.maxConcurrency = concurrency
        let client = StoqClient(transport: transport, token: APIToken.emulator, governor: RateGovernor(budget: budget))
        return (ShopConnection(client: client, endpoint: base, description: "bench emulator"), transport)
    }

    /// One row of the table: what the server saw since request `since`, against the window bound.
    func report(_ label: String, _ emulator: Emulator, since: Int, seconds: Double, estimate: Int?) async -> String {
        let log = Array(await emulator.requestLog.dropFirst(since)).filter { !$0.shopify }
        let points = log.filter { $0.status != 429 }.reduce(0) { $0 + $1.cost }
        let bound = Double(points / 360) * 60
        let ratio = bound > 0 ? String(format: "%.3f", seconds / bound) : "-"
        return label.padding(toLength: 34, withPad: " ", startingAt: 0)
            + String(
                format: " %8d  %6d  %4d  %4d  %8.1f  %9.0f  %5@  %@", log.count, points, log.filter { $0.status == 429 }.count,
                log.filter { $0.status == 409 }.count, seconds, bound, ratio,
                estimate.map { String(format: "%d (%.2f×)", $0, Double($0) / max(seconds, 0.001)) } ?? "-")
    }

    func files(_ shop: (state: String, config: String, settings: String)) -> ConfigInput {
        ConfigInput(files: [
            (SourceFile(path: "shop/plans.yaml", text: shop.config), .config),
            (SourceFile(path: "shop/stoqctl.yaml", text: shop.settings), .settings),
        ])
    }
}

/// `emulator` served on a free port of 127.0.0.1, quietly: the port and the server's task
/// (cancel it to stop).
func serveOnFreePort(_ emulator: Emulator) async -> (port: Int, server: Task<Void, any Error>) {
    let ready = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "bench.emulator")
    logger.logLevel = .critical
    let server = Task {
        try await EmulatorServer.run(emulator, port: 0, logger: logger, onReady: { port in ready.continuation.yield(port) })
    }
    var port = 0
    for await p in ready.stream {
        port = p
        break
    }
    return (port, server)
}
