import Foundation
import StoqEmulator
import StoqWire
import Testing

/// The emulator must answer with the same shapes as the samples in Tests/Fixtures/api, which are
/// shaped after STOQ's published examples (the client tests decode the same files).
func sample(_ name: String) throws -> JSONValue {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/api/\(name).json")
    return try JSONValue.parse(Array(try Data(contentsOf: url)))
}

/// Keys and value kinds, recursively (arrays by their first item); numbers are one kind.
func shape(_ v: JSONValue) -> String {
    switch v {
    case .null: "null"
    case .bool: "bool"
    case .integer, .number: "number"
    case .string: "string"
    case .array(let items): "[" + (items.first.map(shape) ?? "") + "]"
    case .object(let members): "{" + members.map { "\($0.0):\(shape($0.1))" }.joined(separator: ",") + "}"
    }
}

/// Like `shape`, but nullable fields may be null on either side.
func sameShape(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, _), (_, .null): return true
    case (.object(let x), .object(let y)):
        return x.map(\.0) == y.map(\.0) && zip(x, y).allSatisfy { sameShape($0.1, $1.1) }
    case (.array(let x), .array(let y)):
        guard let f = x.first, let g = y.first else { return true }
        return sameShape(f, g)
    default: return shape(a) == shape(b)
    }
}

@Suite("Emulator responses have the shapes of the recorded wire samples")
struct WireSampleTests {
    @Test func shapes() async throws {
        let shop = try Shop()
        let id = try await shop.create(
            #""name": "Fall Drop — Preorder", "internal_name": "fall-drop-2026", "billing_type": "exact_time", "billing_at": "2026-10-01T09:00:00Z""#
        )
        let add = try await shop.send(
            "POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [43900910010503, 43900910043271]}"#)
        let dup = try await shop.send("POST", "/preorders/\(id)/add_variant", json: #"{"shopify_variant_ids": [43900910010503]}"#)
        let get = try await shop.send("GET", "/preorders/\(id)")
        let list = try await shop.send("GET", "/preorders", query: [("per_page", "250")])
        let pv = try await shop.send("GET", "/preorders/\(id)/product_variants")
        let remove = try await shop.send("DELETE", "/preorders/\(id)/remove_variant", query: [("shopify_variant_ids", "43900910043271")])
        let toggle = try await shop.send(
            "POST", "/preorders/\(id)/bulk_toggle_inventory_policy",
            json: #"{"shopify_variant_ids": [43900910010503], "inventory_policy": "DENY"}"#)
        let bad = try await shop.send("PUT", "/preorders/\(id)", json: #"{"selling_plan": {"billing_type": "later"}}"#)
        let missing = try await shop.send("GET", "/preorders/unknown")
        let tight = try Shop { $0.rateLimitPoints = 1 }
        let limited = try await tight.send("DELETE", "/preorders/x")
        let delete = try await shop.send("DELETE", "/preorders/\(id)")
        let pairs: [(String, JSONValue)] = [
            ("add-variant-200", add.body), ("add-variant-422", dup.body), ("get-selling-plan", get.body),
            ("list-selling-plans", list.body), ("product-variants", pv.body), ("remove-variant-200", remove.body),
            ("bulk-toggle-200", toggle.body), ("update-422", bad.body), ("error-404", missing.body),
            ("rate-limited-429", limited.body), ("delete-200", delete.body),
        ]
        for (name, actual) in pairs {
            let expected = try sample(name)
            #expect(sameShape(expected, actual), "\(name): emulator \(shape(actual)) vs sample \(shape(expected))")
        }
        #expect(limited.status == 429)
    }
}
