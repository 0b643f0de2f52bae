import Foundation
import Logging
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire

// `stoqctl-bench api`: plan and apply of a 1,000-plan shop against the emulator served over HTTP
// on 127.0.0.1 at STOQ's real budget (360 points per rolling 60 s) with injected latency. Requests,
// points, 429s and 409s are counted where they arrive, at the server; the wall time is compared
// with the window bound (the start of the last window the points need: floor(points / 360) × 60 s).
//
//   stoqctl-bench api [--plans 1000] [--latency 0.05] [--window rolling|fixed] [--only plan|apply|cache|apply-cache]
//                     [--429 0.01]

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

/// The shop in STOQ (JSON state) and the configuration (YAML) for the bench: `changed` plans differ
/// in `shipping_text`, `grown` plans get 200 new variants each, declared CONTINUE (sent unverified).
func apiShop(plans: Int, changed: Int, grown: Int) -> (state: String, config: String) {
    var items: [String] = []
    var yaml = "version: 1\nselling_plans:\n"
    var next: Int64 = 41_000_000_000_000
    for p in 0..<plans {
        let ids = (0..<20).map { _ -> Int64 in
            next += 3
            return next
        }
        let idList = ids.map(String.init).joined(separator: ", ")
        items.append(
            #"{"id": "pl-\#(p)", "internal_name": "plan-\#(p)", "name": "Plan \#(p)", "enabled": true, "billing_type": "exact_time", "billing_at": "2026-10-01T09:00:00.000Z", "delivery_type": "asap", "pricing_type": "percentage", "pricing_percentage": 10.0, "product_variants_source": "custom", "shipping_text": "Ships soon", "shopify_variant_ids": [\#(idList)]}"#
        )
        var variants = ids
        var declared: [Int64] = []
        if p < grown {
            for _ in 0..<200 {
                next += 3
                variants.append(next)
                declared.append(next)
            }
        }
        yaml += """
              - internal_name: plan-\(p)
                name: "Plan \(p)"
                enabled: true
                billing_type: exact_time
                billing_at: 2026-10-01T09:00:00Z
                delivery_type: asap
                pricing_type: percentage
                pricing_percentage: 10
                product_variants_source: custom
                shipping_text: \(p < changed ? "\"Ships later\"" : "\"Ships soon\"")
                variants: [\(variants.map(String.init).joined(separator: ", "))]

            """
        if !declared.isEmpty {
            yaml += "    inventory_policy:\n      CONTINUE: [\(declared.map(String.init).joined(separator: ", "))]\n"
        }
    }
    return ("{\"plans\": [\(items.joined(separator: ",\n"))]}", yaml)
}

func runAPIBench(_ args: [String]) async throws {
    let bench = APIBench(options: APIBenchOptions(args))
    try FileManager.default.createDirectory(at: bench.dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: bench.dir) }
    let options = bench.options
    print(
        "stoqctl-bench api: \(options.plans) plans, emulator over HTTP on 127.0.0.1, 360 points / \(options.window.rawValue) 60 s, latency \(Int(options.latency * 1000)) ms\(options.burst > 0 ? ", 429 bursts (Retry-After 1 s) with probability \(options.burst)" : "")"
    )
    print("")
    print("run                      requests  points  429s  409s  wall (s)  bound (s)  ratio")
    if options.only == nil || options.only == "plan" || options.only == "cache" { try await bench.plan() }
    if options.only == nil || options.only == "apply" { try await bench.apply() }
    if options.only == "apply-cache" { try await bench.apply(warmCache: true) }
}

/// The runs of `stoqctl-bench api`, each against its own emulator served over HTTP.
struct APIBench {
    let options: APIBenchOptions
    /// Where the read cache of the `cache` runs lives (removed afterwards).
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-bench-api-\(getpid())")

    /// Plan of an unchanged shop (with `--only cache`: twice, with a cold and then a warm read cache).
    func plan() async throws {
        let shop = apiShop(plans: options.plans, changed: 0, grown: 0)
        let (emulator, port, server) = try await serve(shop.state)
        let cacheDir = dir.appendingPathComponent("cache").path
        for pass in options.only == "cache" ? ["plan, cold cache", "plan, warm cache"] : ["plan, unchanged shop"] {
            var opened = try connection(port: port)
            if options.only == "cache" { opened.cache = ReadCache(root: cacheDir, endpoint: opened.endpoint) }
            let conn = opened
            let since = await emulator.requestLog.count
            let started = Date()
            let outcome = await PlanRun.run(PlanRun.Input(config: files(shop.config))) { _, _ in conn }
            let seconds = Date().timeIntervalSince(started)
            if let failure = outcome.failure { print("plan failed: \(failure) \(outcome.diagnostics.map { Sanitiser.shown($0.message) })") }
            await report(pass, emulator, since: since, seconds: seconds)
            if let estimate = outcome.plan?.estimatedSeconds { print("  (plan estimate for its apply: ~\(estimate) s)") }
        }
        server.cancel()
    }

    /// Apply: 300 updates, 20,000 variants added and declared CONTINUE (100 plans × 200); with
    /// `warmCache` (`--only apply-cache`), through a read cache a plan of the same configuration
    /// filled first (not measured).
    func apply(warmCache: Bool = false) async throws {
        let shop = apiShop(plans: options.plans, changed: options.plans * 3 / 10, grown: options.plans / 10)
        let (emulator, port, server) = try await serve(shop.state)
        var opened = try connection(port: port)
        if warmCache {
            opened.cache = ReadCache(root: dir.appendingPathComponent("apply-cache").path, endpoint: opened.endpoint)
            let warming = opened
            _ = await PlanRun.run(PlanRun.Input(config: files(shop.config))) { _, _ in warming }
            // The next window starts with the whole budget, as an apply some time after the plan would.
            try await Task.sleep(for: .seconds(60))
        }
        let conn = opened
        let since = await emulator.requestLog.count
        let started = Date()
        let outcome = await ApplyRun.run(
            ApplyRun.Input(source: .configuration(PlanRun.Input(config: files(shop.config))))
        ) {
            _, _ in
            conn
        } events: { _ in
        }
        let seconds = Date().timeIntervalSince(started)
        if let report = outcome.report {
            print("  apply: \(report.summaryLine)")
        } else {
            print("  apply failed: \(outcome.diagnostics.map { Sanitiser.shown($0.message) })")
        }
        await report(warmCache ? "apply, warm cache" : "apply (plan + writes)", emulator, since: since, seconds: seconds)
        // A debug build checks that the HTTP client was shut down before it goes.
        await (conn.client.transport as? HTTPTransport)?.shutdown()
        server.cancel()
    }

    /// An emulator holding `state`, served on a free port of 127.0.0.1.
    func serve(_ state: String) async throws -> (Emulator, Int, Task<Void, any Error>) {
        var configuration = EmulatorConfiguration()
        configuration.rateLimitWindowKind = options.window
        configuration.faults.latency = options.latency
        configuration.faults.rateLimitBurst = options.burst
        configuration.faults.burstLength = 3
        let emulator = try Emulator(stateBytes: Array(state.utf8), configuration: configuration)
        let (port, server) = await serveOnFreePort(emulator)
        return (emulator, port, server)
    }

    func connection(port: Int) throws -> ShopConnection {
        let base = "http://127.0.0.1:\(port)\(Emulator.basePath)"
        let transport = try HTTPTransport(baseURL: base)
        let client = StoqClient(transport: transport, token: APIToken.emulator, governor: RateGovernor(budget: RateBudget()))
        return ShopConnection(client: client, endpoint: base, description: "bench emulator")
    }

    /// One row of the table: what the server saw since request `since`, against the window bound.
    func report(_ label: String, _ emulator: Emulator, since: Int, seconds: Double) async {
        let log = Array(await emulator.requestLog.dropFirst(since)).filter { !$0.shopify }
        let points = log.filter { $0.status != 429 }.reduce(0) { $0 + $1.cost }
        let bound = Double(points / 360) * 60
        let ratio = bound > 0 ? String(format: "%.3f", seconds / bound) : "-"
        print(
            label.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(
                    format: " %8d  %6d  %4d  %4d  %8.1f  %9.0f  %@", log.count, points, log.filter { $0.status == 429 }.count,
                    log.filter { $0.status == 409 }.count, seconds, bound, ratio))
    }

    func files(_ config: String) -> ConfigInput {
        let settings = "version: 1\ninventory_policy_source: declared\nsafety:\n  max_update_percent: 100\n  max_policy_flips: 1000000\n"
        return ConfigInput(files: [
            (SourceFile(path: "shop/plans.yaml", text: config), .config),
            (SourceFile(path: "shop/stoqctl.yaml", text: settings), .settings),
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
