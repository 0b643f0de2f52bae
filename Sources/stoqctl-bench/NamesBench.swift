import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire

// `stoqctl-bench names`: a plan whose variants are named by SKU, resolved through Shopify's Admin
// GraphQL API served by the emulator over HTTP on 127.0.0.1, at a standard plan's and at Shopify
// Plus's query cost limits. The run is the real plan path (PlanRun: configuration, STOQ read and
// catalogue read at once, name resolution, planner). Queries, points charged (actualQueryCost) and
// THROTTLED answers are counted where they arrive, at the emulator; the wall time is compared with
// the bucket bound: the points beyond a full bucket at the restore rate, max(0, points − bucket) / rate.
//
//   stoqctl-bench names [--skus 20000 | --sizes 1000,5000,20000] [--plan standard|plus]
//                       [--latency 0.05] [--bucket 2000]
//
// Every plan should come out with no changes (STOQ holds the ids the SKUs name): the last column
// says whether each name resolved exactly.

struct NamesBenchOptions {
    var sizes = [1_000, 5_000, 20_000]
    var limits = ShopifyLimits.all
    var latency = 0.05
    var bucket: Double?

    init(_ args: [String]) {
        forEachOption(args[...]) { name, value in
            func refuse(_ expected: String) -> Never {
                FileHandle.standardError.write(Data("\(name) \(value): expected \(expected)\n".utf8))
                exit(2)
            }
            switch name {
            case "--skus", "--sizes":
                let parsed = value.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
                guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) > 0 }) else { refuse("positive numbers of SKUs, comma-separated") }
                sizes = parsed.compactMap { $0 }
            case "--plan":
                limits = ShopifyLimits.all.filter { $0.name == value }
                if limits.isEmpty { refuse("standard or plus") }
            case "--latency":
                guard let seconds = Double(value), seconds >= 0 else { refuse("seconds, 0 or more") }
                latency = seconds
            case "--bucket":
                guard let points = Double(value), points >= 1_000 else { refuse("points, at least 1,000 (Shopify's largest query)") }
                bucket = points
            default: return false
            }
            return true
        }
        if let bucket { limits = limits.map { ShopifyLimits(name: $0.name, bucket: bucket, restore: $0.restore) } }
    }
}

/// A Shopify plan's GraphQL Admin cost limits: the bucket and the points it regains per second.
///
/// Restore rates are Shopify's published ones (standard 100, Plus 1,000 points per second); the
/// bucket is the emulator's default, 2,000 points, for both (a larger bucket only adds a one-off
/// burst of `bucket − 2,000` points).
struct ShopifyLimits {
    var name: String
    var bucket: Double
    var restore: Double

    static let standard = ShopifyLimits(name: "standard", bucket: 2_000, restore: 100)
    static let plus = ShopifyLimits(name: "plus", bucket: 2_000, restore: 1_000)
    static let all = [standard, plus]
}

/// The shop for `skus` SKUs: a catalogue of `skus` + 10 % variants (8 per product, unique SKUs
/// `NB-<product>-<colour>-<size>`), plans of 200 variants each naming them by `sku:`, and STOQ
/// holding those plans with exactly the ids the SKUs name, so a plan that resolved every name
/// exactly has no changes.
func namesShop(skus: Int) -> (state: String, config: String, named: Set<String>) {
    let colours = ["BLK", "WHT"]
    let sizes = ["S", "M", "L", "XL"]
    let perProduct = colours.count * sizes.count
    let total = skus + skus / 10 + 10
    var products: [String] = []
    var variants: [(id: Int64, sku: String)] = []
    var product = 0
    while variants.count < total {
        product += 1
        let productID = Int64(8_100_000_000 + product)
        var items: [String] = []
        for v in 0..<min(perProduct, total - variants.count) {
            let id = Int64(45_000_000_000_000) + Int64(product) * 16 + Int64(v)
            let sku = "NB-\(String(format: "%05d", product))-\(colours[v / sizes.count])-\(sizes[v % sizes.count])"
            variants.append((id, sku))
            items.append(#"{"id": \#(id), "sku": "\#(sku)", "title": "\#(colours[v / sizes.count]) / \#(sizes[v % sizes.count])"}"#)
        }
        products.append(
            #"{"id": \#(productID), "handle": "nb-tee-\#(product)", "title": "Bench Tee \#(product)", "variants": [\#(items.joined(separator: ", "))]}"#
        )
    }
    // Every 11th variant is never named: the catalogue holds more than the configuration asks for.
    let named = Array(variants.enumerated().filter { $0.offset % 11 != 10 }.map(\.element).prefix(skus))
    var plans: [String] = []
    var yaml = "version: 1\nselling_plans:\n"
    for (p, start) in stride(from: 0, to: named.count, by: 200).enumerated() {
        let members = named[start..<min(start + 200, named.count)]
        plans.append(
            #"{"id": "nb-\#(p)", "internal_name": "names-\#(p)", "name": "Names \#(p)", "product_variants_source": "custom", "shopify_variant_ids": [\#(members.map { String($0.id) }.joined(separator: ", "))]}"#
        )
        yaml += """
              - internal_name: names-\(p)
                name: "Names \(p)"
                product_variants_source: custom
                variants: [\(members.map { "sku:\($0.sku)" }.joined(separator: ", "))]

            """
    }
    let state = #"{"plans": [\#(plans.joined(separator: ",\n"))], "products": [\#(products.joined(separator: ",\n"))]}"#
    return (state, yaml, Set(named.map(\.sku)))
}

func runNamesBench(_ args: [String]) async throws {
    let options = NamesBenchOptions(args)
    print(
        "stoqctl-bench names: variants named by sku:, resolved through the emulator's Shopify Admin GraphQL over HTTP on 127.0.0.1, latency \(Int(options.latency * 1000)) ms; STOQ at 360 points / rolling 60 s"
    )
    print("")
    print("SKUs    plan      bucket  restore  queries  estimate  points  THROTTLED  wall (s)  bound (s)  ratio  resolved")
    for skus in options.sizes {
        let shop = namesShop(skus: skus)
        for limits in options.limits { try await measureNames(skus: skus, shop: shop, limits: limits, latency: options.latency) }
    }
}

/// One row: a plan of `shop` against an emulator with `limits`, served over HTTP.
func measureNames(
    skus: Int, shop: (state: String, config: String, named: Set<String>), limits: ShopifyLimits, latency: Double
) async throws {
    var configuration = EmulatorConfiguration()
    configuration.shopifyBucketSize = limits.bucket
    configuration.shopifyRestoreRate = limits.restore
    configuration.faults.latency = latency
    let emulator = try Emulator(stateBytes: Array(shop.state.utf8), configuration: configuration)
    let (port, server) = await serveOnFreePort(emulator)
    defer { server.cancel() }

    let base = "http://127.0.0.1:\(port)"
    let stoq = try HTTPTransport(baseURL: base + Emulator.basePath)
    let shopify = try HTTPTransport(baseURL: base)
    let reader = PolicyReader(
        client: ShopifyClient.emulated(transport: shopify),
        source: "bench emulator")
    let connection = ShopConnection(
        client: StoqClient(transport: stoq, token: APIToken.emulator, governor: RateGovernor(budget: RateBudget())),
        endpoint: base + Emulator.basePath, description: "bench emulator", policies: reader)
    let input = PlanRun.Input(
        config: ConfigInput(files: [
            (SourceFile(path: "shop/names.yaml", text: shop.config), .config),
            (SourceFile(path: "shop/stoqctl.yaml", text: "version: 1\n"), .settings),
        ]))

    let started = Date()
    let outcome = await PlanRun.run(input) { _, _ in connection }
    let seconds = Date().timeIntervalSince(started)
    await stoq.shutdown()
    await shopify.shutdown()

    let log = await emulator.requestLog.filter(\.shopify)
    let answered = log.filter { $0.status == 200 && !$0.throttled }.count
    let throttled = log.filter(\.throttled).count
    let points = log.reduce(0) { $0 + $1.shopifyPoints }
    let estimate = CatalogueReader.estimate(CatalogueReader.Request(skus: shop.named)).queries
    let bound = max(0, Double(points) - limits.bucket) / limits.restore
    var resolved = "all exact"
    if let failure = outcome.failure {
        resolved = "FAILED (\(failure)): \(outcome.diagnostics.prefix(3).map { Sanitiser.shown($0.message) })"
    } else if let plan = outcome.plan, !plan.operations.isEmpty {
        resolved = "NOT exact: \(plan.operations.count) operations"
    }
    if let read = outcome.policyRead, read.queries != answered || read.points != points || read.throttled != throttled {
        resolved += " (client counted \(read.queries) queries, \(read.points) points, \(read.throttled) THROTTLED)"
    }
    print(
        String(skus).padding(toLength: 8, withPad: " ", startingAt: 0) + limits.name.padding(toLength: 8, withPad: " ", startingAt: 0)
            + String(
                format: " %7.0f  %7.0f  %7d  %8d  %6d  %9d  %8.1f  %9.1f  ", limits.bucket, limits.restore, answered, estimate, points,
                throttled, seconds, bound)
            + (bound > 0 ? String(format: "%.2f", seconds / bound) : "-").padding(toLength: 5, withPad: " ", startingAt: 0) + "  "
            + resolved)
}
