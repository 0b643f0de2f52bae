import Foundation
import StoqTestSupport

/// The repository of several shops `stoqctl-bench shops` plans and applies, and the emulator
/// state that serves those shops: generated in code, the same every time.
///
/// `shops` shops named `s01`, `s02`, … share `plans` offers (custom plans of `variants`
/// variants). Variant ids differ between stores, so each offer lists each store's own under
/// `overrides.<shop>.variants`, as a repository of several stores must. Each store in STOQ holds
/// every offer as the configuration declares it for that store, under its own plan ids,
/// `shop_id` (1001, 1002, …), tokens and myshopify.com domain. The configuration also gives each
/// shop `updates` offers a `shipping_text` of its own in the same overrides, so each shop's plan
/// updates exactly those, and no two shops' plans are the same.
struct ShopsWorkload: Sendable {
    var shops: Int
    var plans: Int
    var updates: Int
    var variants = 20

    /// `s01`, `s02`, …, `s50`.
    func name(_ shop: Int) -> String { String(format: "s%02d", shop + 1) }

    /// The offers `shop` overrides: `updates` of them, spread evenly, each shop starting one
    /// further on.
    func overridden(_ shop: Int) -> Set<Int> {
        let stride = max(1, plans / max(1, updates))
        return Set((0..<min(updates, plans)).map { (shop + $0 * stride) % plans })
    }

    /// Offer `plan`'s variant ids in `shop`'s store (at most 100 a plan).
    func variantIDs(shop: Int, plan: Int) -> [Int64] {
        (0..<min(variants, 100)).map { 41_000_000_000_000 + Int64(shop) * 100_000_000 + Int64(plan) * 100 + Int64($0) }
    }

    /// The STOQ token, Shopify token and domain of `shop`.
    func stoqToken(_ shop: Int) -> String { "bench-stoq-token-\(name(shop))" }
    func shopifyToken(_ shop: Int) -> String { "bench-shopify-token-\(name(shop))" }
    func domain(_ shop: Int) -> String { "bench-\(name(shop)).myshopify.com" }

    /// The token variables every shop reads by default (`STOQ_API_TOKEN_S01`, …).
    var environment: [String: String] {
        var env: [String: String] = [:]
        for shop in 0..<shops {
            let suffix = name(shop).uppercased()
            env["STOQ_API_TOKEN_\(suffix)"] = stoqToken(shop)
            env["SHOPIFY_ADMIN_TOKEN_\(suffix)"] = shopifyToken(shop)
        }
        return env
    }

    /// stoqctl.yaml: every shop with its domain and the STOQ `shop_id` its token must reach.
    var settings: String {
        var text = "version: 1\nshops:\n"
        for shop in 0..<shops {
            text += "  \(name(shop)):\n    shopify_shop: bench-\(name(shop))\n    stoq_shop_id: \(1_001 + shop)\n"
        }
        return text
    }

    /// The offers, in files of 100 (`offers-000.yaml`, …).
    var offerFiles: [(name: String, text: String)] {
        let sets = (0..<shops).map(overridden)
        var files: [(name: String, text: String)] = []
        for file in 0..<((plans + 99) / 100) {
            var text = "version: 1\nselling_plans:\n"
            for p in (file * 100)..<min(plans, file * 100 + 100) {
                text += RateWorkload.offer(plan: p, shippingText: "Ships soon") + "    overrides:\n"
                for shop in 0..<shops {
                    text += "      \(name(shop)):\n"
                    text += "        variants: [\(variantIDs(shop: shop, plan: p).map(String.init).joined(separator: ", "))]\n"
                    if sets[shop].contains(p) { text += "        shipping_text: \"Ships later from \(name(shop))\"\n" }
                }
            }
            files.append((String(format: "offers-%03d.yaml", file), text))
        }
        return files
    }

    /// The emulator's state file: every shop with its tokens, domain, `shop_id` and every offer
    /// as the configuration declares it for that shop but for `shipping_text` (so only the
    /// overridden texts differ).
    var state: String {
        var shopsJSON: [String] = []
        for shop in 0..<shops {
            var items: [String] = []
            items.reserveCapacity(plans)
            for p in 0..<plans {
                items.append(RateWorkload.remotePlan(id: "\(name(shop))-pl-\(p)", plan: p, variantIDs: variantIDs(shop: shop, plan: p)))
            }
            shopsJSON.append(
                #""\#(name(shop))": {"stoq_token": "\#(stoqToken(shop))", "shopify_token": "\#(shopifyToken(shop))", "shopify_domain": "\#(domain(shop))", "state": {"shop_id": \#(1_001 + shop), "plans": [\#(items.joined(separator: ",\n"))]}}"#
            )
        }
        return "{\"shops\": {\n\(shopsJSON.joined(separator: ",\n"))\n}}\n"
    }

    /// Writes the repository (stoqctl.yaml and the offers) to `dir`.
    func writeRepository(to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try settings.write(to: dir.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
        for file in offerFiles {
            try file.text.write(to: dir.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
        }
    }
}
