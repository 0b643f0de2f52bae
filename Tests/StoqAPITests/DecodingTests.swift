import Foundation
import StoqAPI
import StoqCore
import StoqWire
import Testing

@Suite("Decoding STOQ's wire samples and odd shapes")
struct DecodingTests {
    @Test("the GET sample decodes into typed fields, normalised")
    func getSample() throws {
        let json = try JSONValue.parse(try fixture("Tests/Fixtures/api/get-selling-plan.json"))
        let (plan, problems) = try #require(RemoteDecoding.plan(json))
        #expect(problems.isEmpty)
        #expect(plan.id == "5e7a0c1d-0000-4000-8000-000000000001")
        #expect(plan.internalName == "fall-drop-2026")
        #expect(plan.fields[.billingCheckoutChargePercentage] == .decimal(try #require(DecimalNumber("20"))))
        #expect(plan.fields[.billingAt] == .datetime(try Timestamp.parse("2026-10-01T09:00:00Z").get()))
        #expect(plan.fields[.billingAfterNIntervals] == .null)
        #expect(plan.fields[.marketsEnabled] == nil, "write-only fields are never decoded")
        #expect(plan.variantIDs == [43900910010503, 43900910043271])
        #expect(plan.ongoingJob == false)
    }

    @Test("a field of an unexpected shape is skipped and reported, not fatal")
    func tolerant() throws {
        let json = try JSONValue.parse(
            #"{"id": 7, "internal_name": "x", "enabled": "yes", "pricing_amount": "5.50", "delivery_at": "soon"}"#)
        let (plan, problems) = try #require(RemoteDecoding.plan(json))
        #expect(plan.id == "7")
        #expect(plan.fields[.pricingAmount] == .decimal(try #require(DecimalNumber("5.5"))))
        #expect(plan.fields[.enabled] == nil)
        #expect(problems.count == 2)
    }

    @Test("a listed plan with a discarded_at is treated as deleted; one with a null discarded_at is not")
    func discarded() throws {
        let gone = try JSONValue.parse(#"{"id": "1", "internal_name": "old", "discarded_at": "2025-07-01T19:15:12.965Z"}"#)
        let live = try JSONValue.parse(#"{"id": "2", "internal_name": "new", "discarded_at": null}"#)
        #expect(RemoteDecoding.summary(gone) == nil)
        #expect(RemoteDecoding.summary(live)?.internalName == "new")
    }

    /// A client whose transport answers `GET /preorders?page=N` with `page(N)`.
    func client(_ page: @escaping @Sendable (Int) -> String) throws -> StoqClient {
        let transport = InProcessTransport { (request: WireRequest) async throws(TransportError) -> WireResponse in
            let n = Int(request.queryValue("page") ?? "1") ?? 1
            return WireResponse(status: 200, body: Array(page(n).utf8))
        }
        return StoqClient(
            transport: transport, token: try #require(APIToken("t")), governor: RateGovernor(clock: VirtualClock()), clock: VirtualClock())
    }

    @Test("list pages decode in every shape the client accepts, and paging stops correctly")
    func listShapes() async throws {
        let documented = String(decoding: try fixture("Tests/Fixtures/api/list-selling-plans.json"), as: UTF8.self)
        let full = "[" + (1...250).map { #"{"id": "x\#($0)"}"# }.joined(separator: ",") + "]"
        let fullPage: @Sendable (Int) -> String = { n in "[" + (1...250).map { #"{"id": "r\#(n)-\#($0)"}"# }.joined(separator: ",") + "]" }
        let cases: [(String, @Sendable (Int) -> String, items: Int, pages: Int)] = [
            ("documented wrapper and meta", { _ in documented }, 1, 1),
            ("bare array, short page ends the list", { n in n == 1 ? #"[{"id": "a"}, {"id": "b"}]"# : "[]" }, 2, 1),
            (
                "`preorders` key and `pagination.total_pages`",
                { n in #"{"preorders": [{"id": "p\#(n)"}], "pagination": {"total_pages": 3}}"# }, 3, 3
            ),
            ("`data` key and `has_next_page`", { n in #"{"data": [{"id": "d\#(n)"}], "has_next_page": \#(n < 2)}"# }, 2, 2),
            ("full pages then an empty one", { n in n <= 2 ? #"{"results": \#(fullPage(n))}"# : #"{"results": []}"# }, 500, 3),
            ("a server that ignores `page`", { _ in full }, 250, 2),
        ]
        for (name, page, items, pages) in cases {
            let result = try await client(page).listAll()
            #expect(result.items.count == items, "\(name)")
            #expect(result.pages == pages, "\(name)")
        }
        await #expect(throws: StoqError.self) { try await client { _ in #"{"nothing": 1}"# }.listAll() }
    }

    @Test(
        "error bodies are read leniently",
        arguments: [
            (#"{"error": "Selling plan not found"}"#, "Selling plan not found"),
            (#"{"errors": ["Name is too long", "Bad date"]}"#, "Name is too long; Bad date"),
            (
                #"{"errors": {"billing_type": ["is not included in the list"], "name": ["can't be blank"]}}"#,
                "billing_type is not included in the list; name can't be blank"
            ),
            (
                #"{"error": "Rate limit exceeded", "retry_after": 24, "message": "You have exceeded the rate limit"}"#,
                "Rate limit exceeded; You have exceeded the rate limit"
            ),
            ("<html>Bad Gateway</html>", "Bad Gateway"),
            (
                "<!DOCTYPE html>\n<html><head><title>503</title></head>\n<body>\n<h1>Service\nUnavailable</h1></body></html>",
                "503 Service Unavailable"
            ),
            (#"{"unexpected": true}"#, #"{"unexpected":true}"#),
        ])
    func errorMessages(_ c: (String, String)) {
        #expect(StoqError.message(from: Array(c.0.utf8)) == c.1)
    }
}
