import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire

// stoqctl-bench: generates a large shop and measures loading + validation against PyYAML's C
// loader merely loading the same files. Run with `make bench` (release build).
//
//   stoqctl-bench [--plans N] [--variants N] [--runs N] [--keep DIR]
//   stoqctl-bench api …   (rate-limit bench over HTTP: see APIBench.swift)
//   stoqctl-bench names … (variants named by SKU, resolved through Shopify's cost limit: see NamesBench.swift)
//   stoqctl-bench shops … (several shops planned and applied by the stoqctl binary: see ShopsBench.swift)
//   stoqctl-bench policies (only the verified policies on a virtual clock, which the full run ends with)

struct Options {
    var plans = 1_000
    var variants = 200_000
    var runs = 5
    var keep: String?

    init(_ args: [String]) {
        forEachOption(args.dropFirst()) { name, value in
            switch name {
            case "--plans": plans = Int(value) ?? plans
            case "--variants": variants = Int(value) ?? variants
            case "--runs": runs = Int(value) ?? runs
            case "--keep": keep = value
            default: return false
            }
            return true
        }
    }
}

/// Calls `body` with each `--name value` pair; an option `body` does not know (returns false for)
/// ends the program with exit status 2.
func forEachOption(_ args: ArraySlice<String>, _ body: (String, String) -> Bool) {
    var i = args.startIndex
    while i < args.endIndex {
        let value = i + 1 < args.endIndex ? args[i + 1] : ""
        guard body(args[i], value) else {
            FileHandle.standardError.write(Data("unknown option \(args[i])\n".utf8))
            exit(2)
        }
        i += 2
    }
}

/// Writes a shop of `plans` plans spread over files of 50, with `variants` ids in total.
func generateShop(at dir: URL, plans: Int, variants: Int) throws -> [URL] {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let perPlan = max(1, variants / plans)
    var urls: [URL] = []
    var nextID: Int64 = 40_000_000_000_000
    for fileIndex in 0..<((plans + 49) / 50) {
        var text = "version: 1\nselling_plans:\n"
        for p in (fileIndex * 50)..<min(plans, fileIndex * 50 + 50) {
            let ids = (0..<perPlan).map { _ -> Int64 in
                nextID += 7
                return nextID
            }
            text += """
                  - internal_name: plan-\(p)
                    name: "Plan \(p) — Preorder"
                    enabled: \(p % 3 == 0 ? "false" : "true")
                    billing_type: exact_time
                    billing_at: 2026-10-\(String(format: "%02d", p % 28 + 1))T09:00:00Z
                    billing_checkout_charge_type: percentage
                    billing_checkout_charge_percentage: \(10 + p % 80)
                    delivery_type: asap
                    pricing_type: percentage
                    pricing_percentage: \(p % 50).5
                    preorder_button_text: Preorder now
                    shipping_text: Ships in \(p % 6 + 1) weeks
                    product_variants_source: custom
                    variants: [\(ids.map(String.init).joined(separator: ", "))]
                    inventory_policy:
                      CONTINUE: [\(ids.prefix(perPlan / 2).map(String.init).joined(separator: ", "))]

                """
        }
        let url = dir.appendingPathComponent(String(format: "plans-%03d.yaml", fileIndex))
        try text.write(to: url, atomically: true, encoding: .utf8)
        urls.append(url)
    }
    return urls
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "api" {
    try await runAPIBench(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "policies" {
    // Only the verified-policies part (virtual clock), which the full bench ends with.
    for restore in [100.0, 1_000.0] {
        try await measurePolicies(differing: 500, restore: restore)
        try await measurePolicies(differing: 0, restore: restore)
    }
    exit(0)
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "shops" {
    try runShopsBench(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "names" {
    try await runNamesBench(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}

let options = Options(CommandLine.arguments)
let dir =
    options.keep.map { URL(fileURLWithPath: $0) }
    ?? FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-bench-\(getpid())")
let urls = try generateShop(at: dir, plans: options.plans, variants: options.variants)
let totalBytes = urls.reduce(0) { $0 + ((try? Data(contentsOf: $1).count) ?? 0) }
print("shop: \(options.plans) plans, \(options.variants) variant ids, \(urls.count) files, \(totalBytes / 1024) KiB")

// Read once; time parsing and validation only (the CLI's disk reads are not what is compared).
let files: [(SourceFile, SourceRole)] = try urls.map { url in
    (SourceFile(path: url.lastPathComponent, bytes: Array(try Data(contentsOf: url))), .config)
}
var times: [Double] = []
var plansLoaded = 0
var problems = 0
for _ in 0..<options.runs {
    let start = DispatchTime.now()
    let (state, diagnostics) = ConfigPipeline.run(files)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
    plansLoaded = state.plans.count
    problems = diagnostics.count
}
let ours = median(times)
print(
    String(
        format: "stoqctl load+validate: median %.1f ms over %d runs (%d plans, %d diagnostics), peak RSS %.0f MiB",
        ours, options.runs, plansLoaded, problems, peakRSSMiB()))

// PyYAML's C loader (libyaml underneath, plus Python objects and a regex per plain scalar).
let script = """
    import sys, time, yaml
    files = sys.argv[2:]
    texts = [open(f, 'rb').read() for f in files]
    runs = int(sys.argv[1]); ts = []
    for _ in range(runs):
        t = time.perf_counter()
        for b in texts: yaml.load(b, Loader=yaml.CSafeLoader)
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort(); print('%.1f' % ts[len(ts)//2])
    """
let python = Process()
python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
python.arguments = ["python3", "-c", script, String(options.runs)] + urls.map(\.path)
let pipe = Pipe()
python.standardOutput = pipe
python.standardError = FileHandle.nullDevice
do {
    try python.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    python.waitUntilExit()
    if python.terminationStatus == 0, let theirs = Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) {
        print(String(format: "PyYAML CSafeLoader load only: median %.1f ms", theirs))
        print(String(format: "stoqctl is %.1fx faster while also validating", theirs / ours))
    } else {
        print("PyYAML with its C loader is not available; comparison skipped")
    }
} catch {
    print("python3 not found; comparison skipped")
}

// MARK: Plan at scale: fetch + diff + render against the in-process emulator (no latency).

/// A remote state for the generated shop: every plan exists; one in ten has a changed name and
/// a few different members, so the plan has real work in it.
func generateRemoteState(files: [(SourceFile, SourceRole)]) -> String {
    let (desired, _) = ConfigPipeline.run(files)
    var plans: [JSONValue] = []
    for (index, spec) in desired.plans.enumerated() {
        var members: [(String, JSONValue)] = [("id", .string("bench-\(index)")), ("internal_name", .string(spec.internalName.value))]
        for (field, declared) in spec.fields.sorted(by: { $0.key < $1.key }) {
            var value = declared.value.json
            if field == .name, index % 10 == 0 { value = .string("Renamed in the dashboard") }
            members.append((field.rawValue, value))
        }
        var ids = spec.variants?.map(\.value) ?? []
        if index % 10 == 0 { ids = Array(ids.dropLast(3)) + [99_000_000 + Int64(index)] }
        members.append(("shopify_variant_ids", .array(ids.map { .integer($0) })))
        plans.append(.object(members))
    }
    return JSONValue.object([("plans", .array(plans))]).renderCompact()
}

func measurePlan(label: String, files: [(SourceFile, SourceRole)], remote: String) async throws {
    var configuration = EmulatorConfiguration()
    configuration.rateLimitPoints = 1_000_000_000
    let emulator = try Emulator(stateBytes: Array(remote.utf8), configuration: configuration)
    let transport = InProcessTransport(responder: { await emulator.respond($0) })
    let client = StoqClient(
        transport: transport, token: APIToken.emulator,
        governor: RateGovernor(budget: RateBudget(points: 1_000_000_000, window: .seconds(60), maxConcurrency: 8)))
    let start = DispatchTime.now()
    let (desired, diagnostics) = ConfigPipeline.run(files)
    let loaded = DispatchTime.now()
    let fetched = try await Fetcher(client: client).fetch(
        internalNames: Set(desired.plans.map(\.internalName.value)), ids: desired.pinnedIDs)
    let fetchedAt = DispatchTime.now()
    let (plan, _) = Planner.plan(desired: desired, remote: fetched.state)
    let text = plan.map { TextPlanRenderer(color: false).render($0) } ?? ""
    let end = DispatchTime.now()
    func ms(_ a: DispatchTime, _ b: DispatchTime) -> Double { Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e6 }
    let requests = await emulator.requestLog.count
    print(
        String(
            format:
                "%@: %d requests (%d list pages, %d plan reads); %.0f ms total = load+validate %.0f, fetch %.0f, diff+plan+render %.0f; %d operations, %d diagnostics, %d output bytes; peak RSS %.0f MiB",
            label, requests, fetched.listRequests, fetched.planRequests, ms(start, end), ms(start, loaded), ms(loaded, fetchedAt),
            ms(fetchedAt, end),
            plan?.operations.count ?? -1, diagnostics.count, text.utf8.count, peakRSSMiB()))

    // Against a baseline: the same configuration as at the last apply, so every difference is
    // drift. Measures the second load and the attribution on top of the plan above.
    let baselineStart = DispatchTime.now()
    let (before, _) = ConfigPipeline.run(files)
    let baselineLoaded = DispatchTime.now()
    let (attributed, _) = Planner.plan(
        desired: desired, remote: fetched.state, baseline: Baseline(desired: before, info: BaselineInfo(ref: "bench", commit: nil)))
    let attributedText = attributed.map { TextPlanRenderer(color: false).render($0) } ?? ""
    let attributedEnd = DispatchTime.now()
    print(
        String(
            format:
                "%@: against a baseline (the same configuration): baseline load %.0f ms, diff+attribute+render %.0f ms; differences: %d from the configuration, %d drift; %d output bytes",
            label, ms(baselineStart, baselineLoaded), ms(baselineLoaded, attributedEnd), attributed?.summary.fromConfig ?? -1,
            attributed?.summary.fromRemote ?? -1, attributedText.utf8.count))

    // Saved plan: write the JSON with its hash, then read it back as `apply plan.json` does.
    guard let plan else { return }
    let saveStart = DispatchTime.now()
    let json = PlanJSON.render(plan)
    let saved = DispatchTime.now()
    let decoded = try PlanJSON.decode(json)
    let read = DispatchTime.now()
    print(
        String(
            format: "%@: saved plan %d bytes; render+hash %.0f ms, read+verify %.0f ms (%d operations back, hash %@)",
            label, json.utf8.count, ms(saveStart, saved), ms(saved, read), decoded.plan.operations.count,
            String(decoded.hash.prefix(19))))

    // Export: every plan read in full, then written as config.
    let exportStart = DispatchTime.now()
    let all = try await Fetcher(client: client).fetchAll()
    let exportFetched = DispatchTime.now()
    let exported = Exporter.export(all.state.managed)
    let exportEnd = DispatchTime.now()
    print(
        String(
            format: "%@: export %d plans in %d files, %d bytes; fetch %.0f ms (%d requests), write %.0f ms",
            label, exported.exported, exported.files.count, exported.files.reduce(0) { $0 + $1.text.utf8.count },
            ms(exportStart, exportFetched), all.listRequests + all.planRequests, ms(exportFetched, exportEnd)))
}

let exampleRoot = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("examples/shop")
if let exampleState = try? Data(contentsOf: exampleRoot.appendingPathComponent("remote-state.json")) {
    let names = ["stoqctl.yaml", "preorders/archive.yaml", "preorders/catalog.yaml", "preorders/fall-drop.yaml", "preorders/holiday.yaml"]
    let exampleFiles: [(SourceFile, SourceRole)] = try names.map { name in
        (
            SourceFile(path: name, bytes: Array(try Data(contentsOf: exampleRoot.appendingPathComponent(name)))),
            name == "stoqctl.yaml" ? .settings : .config
        )
    }
    try await measurePlan(label: "plan, example shop", files: exampleFiles, remote: String(decoding: exampleState, as: UTF8.self))
}
try await measurePlan(
    label: "plan, \(options.plans) plans and \(options.variants) variant ids", files: files, remote: generateRemoteState(files: files))
if options.keep == nil { try? FileManager.default.removeItem(at: dir) }

// MARK: Verified policies at scale: 20,000 declared policies, read from Shopify, on a virtual clock.

/// Plans and applies 20,000 declared policies, `differing` of them different in Shopify.
///
/// The shop has 100 custom plans with 200 variants each, every variant declared CONTINUE, of which
/// `differing` are DENY in Shopify (spread over 25 plans); Shopify's bucket refills at `restore`
/// points per second and STOQ's budget is 360 points per 60 s. All time is virtual (the emulator's
/// 2 s policy jobs included), and waits that overlap in a real run overlap here: the figures are
/// what the real services' limits would impose.
func measurePolicies(differing: Int, restore: Double) async throws {
    let plans = 100
    let perPlan = 200
    var yaml = "version: 1\nselling_plans:\n"
    var remotePlans: [JSONValue] = []
    var policies: [(String, JSONValue)] = []
    var next: Int64 = 41_000_000_000_000
    var denied = 0
    for p in 0..<plans {
        let ids = (0..<perPlan).map { _ -> Int64 in
            next += 11
            return next
        }
        yaml += "  - internal_name: policy-plan-\(p)\n    product_variants_source: custom\n"
        yaml += "    variants: [\(ids.map(String.init).joined(separator: ", "))]\n"
        yaml += "    inventory_policy:\n      CONTINUE: [\(ids.map(String.init).joined(separator: ", "))]\n"
        remotePlans.append(
            .object([
                ("id", .string("pp-\(p)")), ("internal_name", .string("policy-plan-\(p)")), ("product_variants_source", .string("custom")),
                ("shopify_variant_ids", .array(ids.map { .integer($0) })),
            ]))
        for (i, id) in ids.enumerated() {
            let deny = p % 4 == 0 && i < differing / (plans / 4) && denied < differing
            if deny { denied += 1 }
            policies.append((String(id), .string(deny ? "DENY" : "CONTINUE")))
        }
    }
    let remote = JSONValue.object([("plans", .array(remotePlans)), ("variant_policies", .object(policies))]).renderCompact()
    let (desired, _) = ConfigPipeline.run([(SourceFile(path: "policies.yaml", text: yaml), .config)])
    var configuration = EmulatorConfiguration()
    configuration.shopifyRestoreRate = restore
    // Sleeps that overlap in a real run overlap here too (an ``EventClock`` moves to the next
    // deadline once every task waits), so concurrent job waits are not added up.
    let clock = EventClock()
    let emulator = try Emulator(stateBytes: Array(remote.utf8), configuration: configuration, clock: clock)
    let transport = InProcessTransport(responder: { await emulator.respond($0) })
    let client = StoqClient(transport: transport, token: .emulator, governor: RateGovernor(clock: clock), clock: clock)
    let reader = PolicyReader(
        client: ShopifyClient.emulated(transport: transport, clock: clock), source: "emulator")
    let ids = desired.plans.flatMap { $0.inventoryPolicy.values.flatMap { $0.map(\.value) } }

    let differed = denied
    try await clock.run {
        let start = clock.now
        async let shop = Fetcher(client: client).fetch(internalNames: Set(desired.plans.map(\.internalName.value)), ids: [])
        async let read = reader.read(ids)
        var (fetched, policyRead) = try await (shop, read)
        let planned = clock.now
        fetched.state.policies = policyRead.state
        let (plan, _) = Planner.plan(desired: desired, remote: fetched.state)
        guard let plan else { return }
        await emulator.clearLog()
        let applyStart = clock.now
        let report = await Applier(client: client, policies: reader).apply(plan)
        let applied = clock.now
        let log = await emulator.requestLog
        let stoq = log.filter { !$0.shopify }
        let writes = stoq.filter { $0.method != "GET" }
        print(
            String(
                format:
                    "policies, %d declared, %d differ, Shopify restoring %.0f points/s: read %d points in %d queries (%d throttled), %.1f s; STOQ read %d requests; plan %d toggles (%d variants); apply %d STOQ writes, %d reads, %d 409s, %d 429s, %d Shopify queries to confirm, %.1f s, %@",
                ids.count, differed, restore, policyRead.points, policyRead.queries, policyRead.throttled,
                start.duration(to: planned).inSeconds,
                fetched.listRequests + fetched.planRequests, plan.operations.filter { $0.kind == .setInventoryPolicy }.count,
                plan.operations.reduce(0) { $0 + ($1.kind == .setInventoryPolicy ? $1.variantIDs.count : 0) }, writes.count,
                stoq.count - writes.count, stoq.filter { $0.status == 409 }.count, stoq.filter { $0.status == 429 }.count,
                log.filter(\.shopify).count, applyStart.duration(to: applied).inSeconds,
                report.succeeded ? "all applied" : "NOT all applied"))
    }
}

for restore in [100.0, 1_000.0] {
    try await measurePolicies(differing: 500, restore: restore)
    try await measurePolicies(differing: 0, restore: restore)
}
