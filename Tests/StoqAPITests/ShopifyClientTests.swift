import Foundation
import HTTPTypes
import Logging
import StoqAPI
import StoqCore
import StoqWire
import Testing

/// A Shopify client over scripted answers, on a virtual clock; the times it sent are kept.
final class ScriptedShopify: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [WireResponse]
    private var times: [Double] = []
    let clock = VirtualClock()
    let log = CapturedLog()

    init(_ answers: [WireResponse]) { self.answers = answers }

    var sentAt: [Double] { lock.withLock { times } }

    func reader() -> PolicyReader {
        let transport = InProcessTransport(responder: { [self] (_: WireRequest) -> WireResponse? in
            lock.withLock {
                times.append(clock.now.secondsSinceEpoch)
                return answers.isEmpty ? WireResponse(status: 500) : answers.removeFirst()
            }
        })
        let client = ShopifyClient(
            transport: transport, path: ShopifyClient.graphQLPath(version: "2026-10"), token: .emulator,
            budget: ShopifyBudget(clock: clock), clock: clock, logger: Logger(label: "test") { _ in self.log })
        return PolicyReader(client: client, source: "test")
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> WireResponse {
        WireResponse(status: status, headers: [.contentType: "application/json"] + headers, body: Array(text.utf8))
    }

    static func nodes(_ nodes: String, headers: HTTPFields = [:]) -> WireResponse {
        json(#"{"data": {"nodes": [\#(nodes)]}}"#, headers: headers)
    }

    static func variant(_ id: Int64, _ policy: String) -> String {
        #"{"id": "gid://shopify/ProductVariant/\#(id)", "inventoryPolicy": "\#(policy)"}"#
    }
}

@Suite("The Shopify client: answers matched by id, waits as Shopify asks, and one-line errors")
struct ShopifyClientTests {
    @Test("answers are matched to variants by id, not by position")
    func matchedByID() async throws {
        let s = ScriptedShopify([
            ScriptedShopify.nodes(
                [ScriptedShopify.variant(2, "DENY"), ScriptedShopify.variant(1, "CONTINUE"), "null"].joined(separator: ","))
        ])
        let result = try await s.reader().read([1, 2, 3])
        #expect(result.state.current == [1: .continue, 2: .deny])
        #expect(result.state.unknown == [3])
    }

    @Test("an id that was not asked for, or one answered twice, is an error")
    func extraID() async throws {
        for nodes in [
            [ScriptedShopify.variant(1, "DENY"), ScriptedShopify.variant(7, "DENY")],
            [ScriptedShopify.variant(1, "DENY"), ScriptedShopify.variant(1, "DENY")],
            [ScriptedShopify.variant(1, "DENY"), #"{"inventoryPolicy": "DENY"}"#],
        ] {
            let answer = ScriptedShopify.nodes(nodes.joined(separator: ","))
            let s = ScriptedShopify([answer, answer])
            await #expect(throws: ShopifyError.self) { try await s.reader().read([1, 2]) }
            do throws(ShopifyError) {
                _ = try await s.reader().read([1, 2])
            } catch {
                #expect(error.description.contains("a node") || error.description.contains("two nodes"), "\(error)")
            }
        }
    }

    @Test("a 429 waits its Retry-After before the next attempt")
    func retryAfter() async throws {
        let s = ScriptedShopify([
            ScriptedShopify.json(#"{"errors": "Exceeded 2 calls per second"}"#, status: 429, headers: [.retryAfter: "4"]),
            ScriptedShopify.json(#"{"errors": "Exceeded 2 calls per second"}"#, status: 429, headers: [.retryAfter: "4"]),
            ScriptedShopify.nodes(ScriptedShopify.variant(1, "DENY")),
        ])
        let result = try await s.reader().read([1])
        #expect(result.state.current == [1: .deny])
        let times = s.sentAt
        #expect(times.count == 3)
        #expect(times[1] - times[0] >= 4 && times[2] - times[1] >= 4, "\(times)")
    }

    @Test("a transient GraphQL error is retried with backoff; its message is one line")
    func transientGraphQL() async throws {
        let internalError = ScriptedShopify.json(
            #"{"errors": [{"message": "Internal error.\nLooks like something went wrong on our end.\nRequest ID: 1", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}"#
        )
        let s = ScriptedShopify([internalError, ScriptedShopify.nodes(ScriptedShopify.variant(1, "DENY"))])
        let result = try await s.reader().read([1])
        #expect(result.state.current == [1: .deny])
        #expect(s.sentAt.count == 2)

        let failing = ScriptedShopify(Array(repeating: internalError, count: 5))
        do throws(ShopifyError) {
            _ = try await failing.reader().read([1])
            Issue.record("five internal errors fail the read")
        } catch {
            #expect(!error.description.contains("\n"), "\(error)")
            #expect(error.description.contains("Internal error. Looks like something went wrong on our end."), "\(error)")
            #expect(error.attempts == 5)
        }
    }

    @Test("an HTML error page is one shortened line of its text")
    func htmlPage() async throws {
        let page =
            "<!DOCTYPE html>\n<html>\n<head><title>Service Unavailable</title><style>body { color: red }</style></head>\n<body>\n<h1>503</h1>\n"
            + String(repeating: "<p>There was a problem loading this website. Please try again.</p>\n", count: 40) + "</body></html>"
        let s = ScriptedShopify(
            Array(repeating: WireResponse(status: 503, headers: [.contentType: "text/html"], body: Array(page.utf8)), count: 5))
        do throws(ShopifyError) {
            _ = try await s.reader().read([1])
            Issue.record("five 503s fail the read")
        } catch {
            let text = error.description
            #expect(!text.contains("\n") && !text.contains("<") && !text.contains("color: red"), "\(text)")
            #expect(text.contains("HTTP 503: Service Unavailable 503 There was a problem"), "\(text)")
            #expect(text.count < 400, "\(text.count)")
        }
    }

    @Test("a different X-Shopify-API-Version is warned about once")
    func versionFallForward() async throws {
        let header: HTTPFields = [.xShopifyAPIVersion: "2025-10"]
        let s = ScriptedShopify([
            ScriptedShopify.nodes(ScriptedShopify.variant(1, "DENY"), headers: header),
            ScriptedShopify.nodes(ScriptedShopify.variant(2, "DENY"), headers: header),
        ])
        let reader = s.reader()
        _ = try await reader.read([1])
        _ = try await reader.read([2])
        let warnings = s.log.text.split(separator: "\n").filter { $0.contains("2025-10") }
        #expect(warnings.count == 1, "\(s.log.text)")
        #expect(warnings.first?.hasPrefix("warning Shopify answered with Admin API version 2025-10, not 2026-10") == true, "\(s.log.text)")
    }
}
