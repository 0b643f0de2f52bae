import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// A catalogue reader wired to an in-process emulator on one virtual clock (waits for the cost
/// bucket take no real time).
struct CatalogueHarness {
    let emulator: Emulator
    let clock = VirtualClock()
    let reader: CatalogueReader

    init(state: String, configure: (inout EmulatorConfiguration) -> Void = { _ in }) throws {
        var configuration = EmulatorConfiguration()
        configure(&configuration)
        let emulator = try Emulator(stateBytes: Array(state.utf8), configuration: configuration, clock: clock)
        self.emulator = emulator
        let transport = InProcessTransport(responder: { await emulator.respond($0) })
        reader = CatalogueReader(
            client: ShopifyClient.emulated(transport: transport, clock: clock), source: "emulator")
    }

    /// The Shopify queries the emulator received, by operation name (`VariantSearch`, …), with
    /// the points it charged and the THROTTLED answers it gave.
    func received() async -> (byName: [String: Int], answered: Int, points: Int, throttled: Int) {
        let log = await emulator.requestLog.filter(\.shopify)
        var byName: [String: Int] = [:]
        for entry in log where !entry.throttled {
            let query = (try? JSONValue.parse(entry.body))?["query"]?.stringValue ?? ""
            let name = query.split(separator: " ").dropFirst().first.map { String($0.prefix { $0 != "(" }) } ?? "?"
            byName[name, default: 0] += 1
        }
        return (
            byName, log.filter { $0.status == 200 && !$0.throttled }.count, log.reduce(0) { $0 + $1.shopifyPoints },
            log.filter(\.throttled).count
        )
    }
}

/// A catalogue of `products` products with 8 variants each (ids `4_500_000_000_000 + 16 × product +
/// position`), SKUs `SC-<product>-<colour>-<size>`, unique and none a run of another's tokens.
func scaleCatalogue(products: Int) -> (state: String, skus: [(sku: String, id: Int64)]) {
    let colours = ["BLK", "WHT"]
    let sizes = ["S", "M", "L", "XL"]
    var skus: [(String, Int64)] = []
    var items: [String] = []
    for p in 1...products {
        var variants: [String] = []
        for v in 0..<8 {
            let id = 4_500_000_000_000 + Int64(p) * 16 + Int64(v)
            let sku = "SC-\(p)-\(colours[v / 4])-\(sizes[v % 4])"
            skus.append((sku, id))
            variants.append(#"{"id": \#(id), "sku": "\#(sku)", "title": "\#(colours[v / 4]) / \#(sizes[v % 4])"}"#)
        }
        items.append(
            #"{"id": \#(810_000_000 + p), "handle": "sc-\#(p)", "title": "Scale \#(p)", "variants": [\#(variants.joined(separator: ","))]}"#
        )
    }
    return (#"{"products": [\#(items.joined(separator: ",\n"))]}"#, skus)
}

@Suite("Resolving names at scale through the emulator's Shopify (counted where the queries arrive)")
struct CatalogueScaleTests {
    @Test(
        "20,000 SKUs of a 22,000-variant catalogue resolve exactly, in the queries the estimate gives, at a standard plan's bucket, never throttled"
    )
    func twentyThousandSKUs() async throws {
        let (state, all) = scaleCatalogue(products: 2_750)
        // Every 11th variant is not asked for: the catalogue holds more than the request names.
        let asked = all.enumerated().filter { $0.offset % 11 != 10 }.map(\.element)
        try #require(asked.count == 20_000 && all.count == 22_000)
        let h = try CatalogueHarness(state: state) {
            $0.shopifyBucketSize = 2_000
            $0.shopifyRestoreRate = 100
        }
        let request = CatalogueReader.Request(skus: Set(asked.map(\.sku)))
        let start = h.clock.now
        let result = try await h.reader.read(request)
        let seconds = start.duration(to: h.clock.now).inSeconds

        var wrong: [String] = []
        for (sku, id) in asked where result.catalogue.bySKU[sku] != [id] { wrong.append(sku) }
        #expect(wrong.isEmpty, "\(wrong.count) SKUs not resolved to their one variant, such as \(wrong.prefix(3))")
        #expect(result.catalogue.bySKU.count == 20_000)
        #expect(result.catalogue.variants.count == 20_000, "only the variants asked for are read")

        let seen = await h.received()
        let estimate = CatalogueReader.estimate(request)
        #expect(seen.answered == estimate.queries)
        #expect(seen.byName == ["VariantSearch": 20_000 / 50, "VariantDetails": 20_000 / 250])
        #expect(seen.throttled == 0, "the client paces itself by the bucket")
        // Each search is charged 2 + its 50 variants, each details page 1 per variant.
        #expect(seen.points == 400 * (2 + 50) + 20_000)
        #expect(result.queries == seen.answered && result.points == seen.points && result.throttled == seen.throttled)
        #expect(seen.points <= estimate.points, "the estimate counts requested costs, which Shopify charges at most")
        // Paced by the restore rate: the points beyond a full bucket, and not much more.
        let bound = Double(seen.points - 2_000) / 100
        #expect(seconds >= bound - 3 && seconds <= bound * 1.05 + 5, "\(seconds) s against a bound of \(bound) s")
    }

    @Test("a product handle with 2,048 variants resolves to all 2,048 ids in position order: one search, 9 pages, no details query")
    func productOf2048() async throws {
        let variants = (1...2_048).map { #"{"id": \#(9_100_000 + $0), "sku": "HUGE-\#($0)", "title": "V\#($0)"}"# }
        // A near miss whose handle the tokenised search also finds: never selected.
        let state = #"""
            {"products": [
              {"id": 77, "handle": "huge-tee", "title": "Huge Tee", "variants": [\#(variants.joined(separator: ", "))]},
              {"id": 78, "handle": "huge-tee-kids", "title": "Huge Tee Kids", "variants": [{"id": 9200001, "sku": "KID-1"}]}]}
            """#
        let h = try CatalogueHarness(state: state)
        let result = try await h.reader.read(CatalogueReader.Request(productHandles: ["huge-tee"]))
        let product = try #require(result.catalogue.products["huge-tee"])
        #expect(product.id == 77)
        #expect(product.variantIDs == (1...2_048).map { 9_100_000 + Int64($0) })
        #expect(result.catalogue.products.count == 1)
        #expect(result.catalogue.variants.count == 2_048 && result.catalogue.variants[9_200_001] == nil)
        let seen = await h.received()
        #expect(seen.byName == ["ProductSearch": 1, "ProductVariants": 9])
        // 2 + 2 products found; each page 1 + 2 + its variants.
        #expect(seen.points == (2 + 2) + 9 * 3 + 2_048)
        #expect(result.queries == 10 && result.points == seen.points)
    }
}
