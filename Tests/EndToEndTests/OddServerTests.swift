import Foundation
import StoqTestSupport
import Testing

@Suite("Settings errors and servers that misbehave: one error line, every client shut down", .serialized)
struct OddServerTests {
    /// A folder with one plan and `settings` as its stoqctl.yaml.
    func shop(_ settings: String) throws -> URL {
        let dir = try temporaryDirectory()
        let shop = dir.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: shop, withIntermediateDirectories: true)
        try "version: 1\nselling_plans:\n  - internal_name: a\n    name: A\n".write(
            to: shop.appendingPathComponent("plans.yaml"), atomically: true, encoding: .utf8)
        try settings.write(to: shop.appendingPathComponent("stoqctl.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test("inventory_policy_source: shopify without a shop, over HTTP: one error line with its code, exit 1, no crash")
    func shopifyWithoutSettings() async throws {
        let dir = try shop("version: 1\ninventory_policy_source: shopify\n")
        for command in ["plan", "apply", "fetch"] {
            let r = try await Stoqctl.run(
                [command, "shop", "--endpoint", "http://127.0.0.1:1/api/v1/external"], in: dir, environment: ["STOQ_API_TOKEN": "t"])
            #expect(r.status == 1, "\(command): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(command): \(r.stderr)")
            #expect(
                lines.first?.hasPrefix("error: inventory_policy_source: shopify needs the shop") == true
                    && lines.first?.hasSuffix("[missing-shopify-credentials]") == true, "\(command): \(r.stderr)")
        }
    }
}
