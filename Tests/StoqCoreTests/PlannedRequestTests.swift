import Foundation
import StoqCore
import StoqTestSupport
import StoqWire
import Testing

@Suite("A planned request's payload gives exactly the body or query it sends")
struct PlannedRequestTests {
    static let fields = [
        SentField(key: .internalName, value: .string("fall-drop")), SentField(key: .field(.name), value: .string("Fall \"Drop\"")),
        SentField(key: .field(.pricingPercentage), value: .decimal(DecimalNumber("12.5") ?? DecimalNumber(0))),
        SentField(key: .field(.billingCheckoutChargeAmount), value: .null),
    ]

    /// The body as sent, as text.
    func body(_ request: PlannedRequest) -> String? { request.body.map { String(decoding: $0.bytes, as: UTF8.self) } }

    @Test("create: internal_name first, then every field in the order sent, inside selling_plan")
    func create() {
        let request = PlannedRequest(planID: nil, payload: .create(fields: Self.fields))
        #expect(request.method == "POST")
        #expect(request.path == "/preorders")
        #expect(
            body(request)
                == #"{"selling_plan":{"internal_name":"fall-drop","name":"Fall \"Drop\"","pricing_percentage":12.5,"billing_checkout_charge_amount":null}}"#
        )
        #expect(request.query.isEmpty)
        #expect(request.queryString == nil)
        #expect(request.createdName == "fall-drop")
    }

    @Test("update: only its fields, in order; an explicit null is sent as null")
    func update() {
        let request = PlannedRequest(planID: "p 1", payload: .update(fields: Array(Self.fields.dropFirst())))
        #expect(request.method == "PUT")
        #expect(request.path == "/preorders/p 1")
        #expect(
            body(request) == #"{"selling_plan":{"name":"Fall \"Drop\"","pricing_percentage":12.5,"billing_checkout_charge_amount":null}}"#)
        #expect(request.queryString == nil)
        #expect(request.createdName == nil)
    }

    @Test("add_variant: the ids in a JSON array")
    func add() {
        let request = PlannedRequest(planID: "p1", payload: .addVariants(ids: [101, 4_390_091_001_050]))
        #expect(request.method == "POST")
        #expect(request.path == "/preorders/p1/add_variant")
        #expect(body(request) == #"{"shopify_variant_ids":[101,4390091001050]}"#)
        #expect(request.variantIDs == [101, 4_390_091_001_050])
    }

    @Test("remove_variant: the ids comma-separated in the query, with the removal policy when there is one; no body")
    func remove() {
        let withPolicy = PlannedRequest(planID: "p1", payload: .removeVariants(ids: [9001, 9002], inventoryPolicy: .deny))
        #expect(withPolicy.method == "DELETE")
        #expect(withPolicy.path == "/preorders/p1/remove_variant")
        #expect(withPolicy.body == nil)
        #expect(withPolicy.queryString == "shopify_variant_ids=9001,9002&inventory_policy=DENY")
        let without = PlannedRequest(planID: "p1", payload: .removeVariants(ids: [9001], inventoryPolicy: nil))
        #expect(without.queryString == "shopify_variant_ids=9001")
        // The query string is the one the request target carries.
        let wire = WireRequest(method: without.endpoint.method, path: without.path, query: without.query)
        #expect(wire.target == "/preorders/p1/remove_variant?shopify_variant_ids=9001")
    }

    @Test("bulk_toggle_inventory_policy: the ids and the policy")
    func toggle() {
        let request = PlannedRequest(planID: "p1", payload: .toggleInventoryPolicy(ids: [1, 2], policy: .continue))
        #expect(request.method == "POST")
        #expect(request.path == "/preorders/p1/bulk_toggle_inventory_policy")
        #expect(body(request) == #"{"shopify_variant_ids":[1,2],"inventory_policy":"CONTINUE"}"#)
        #expect(request.queryString == nil)
    }

    @Test("delete: neither body nor query")
    func delete() {
        let request = PlannedRequest(planID: "p1", payload: .delete)
        #expect(request.method == "DELETE")
        #expect(request.path == "/preorders/p1")
        #expect(request.body == nil)
        #expect(request.query.isEmpty)
    }

    @Test("every payload reads back from the body or query it sends, and nothing else does")
    func readBack() {
        let requests = [
            PlannedRequest(planID: nil, payload: .create(fields: Self.fields)),
            PlannedRequest(planID: "p1", payload: .update(fields: Array(Self.fields.dropFirst()))),
            PlannedRequest(planID: "p1", payload: .addVariants(ids: [1, 2])),
            PlannedRequest(planID: "p1", payload: .removeVariants(ids: [3], inventoryPolicy: .continue)),
            PlannedRequest(planID: "p1", payload: .removeVariants(ids: [3, 4], inventoryPolicy: nil)),
            PlannedRequest(planID: "p1", payload: .toggleInventoryPolicy(ids: [5], policy: .deny)),
            PlannedRequest(planID: "p1", payload: .delete),
        ]
        for request in requests {
            let query = request.queryString.map { WireHeaders.parseQuery(Substring($0)) } ?? []
            #expect(PlannedRequest.payload(of: request.endpoint, body: request.body, query: query) == request.payload)
        }
        #expect(PlannedRequest.payload(of: .update, body: .object([("selling_plan", .object([("nope", .null)]))]), query: []) == nil)
        #expect(PlannedRequest.payload(of: .addVariant, body: .object([("shopify_variant_ids", .array([.string("1")]))]), query: []) == nil)
        #expect(PlannedRequest.payload(of: .removeVariant, body: nil, query: [("shopify_variant_ids", "1,x")]) == nil)
        #expect(PlannedRequest.payload(of: .delete, body: .object([]), query: []) == nil)
    }

    @Test("trimming keeps the request's own boundaries: fields by key, ids by set; a request left with no ids is dropped")
    func trimming() {
        let update = PlannedRequest(planID: "p1", payload: .update(fields: Array(Self.fields.dropFirst())))
        #expect(
            update.keeping(fields: [.field(.name)]).body?.renderCompact() == #"{"selling_plan":{"name":"Fall \"Drop\""}}"#)
        let toggle = PlannedRequest(planID: "p1", payload: .toggleInventoryPolicy(ids: [1, 2, 3], policy: .deny))
        #expect(toggle.keeping(ids: [2])?.body?.renderCompact() == #"{"shopify_variant_ids":[2],"inventory_policy":"DENY"}"#)
        #expect(toggle.keeping(ids: [9]) == nil)
    }

    @Test("a format_version 1 file without bodies or queries still reads, with the payloads its operations imply")
    func olderFile() throws {
        for name in ["membership-added-and-removed", "the-example-shop", "variants-removed-end-with-deny", "a-policy-job-in-progress"] {
            let text = try readGolden("Tests/Fixtures/plan/\(name)/plan.json")
            let current = try PlanJSON.decode(text)
            // The same file as written before requests showed what they send.
            guard case .object(let members) = try JSONValue.parse(text) else { Issue.record("not an object"); return }
            func strip(_ value: JSONValue, key: String?) -> JSONValue {
                switch value {
                case .array(let items): return .array(items.map { strip($0, key: key) })
                case .object(let members) where key == "requests":
                    return .object(members.filter { $0.0 != "body" && $0.0 != "query" })
                case .object(let members): return .object(members.map { ($0.0, strip($0.1, key: $0.0)) })
                default: return value
                }
            }
            let body = members.filter { $0.0 != "plan_hash" }.map { ($0.0, strip($0.1, key: $0.0)) }
            var document = body
            document.insert(("plan_hash", .string("sha256:" + ContentHash.sha256(JSONValue.object(body).renderCompact()))), at: 1)
            #expect(!JSONValue.object(document).render().contains("\"body\""), "\(name)")
            let older = try PlanJSON.decode(JSONValue.object(document).render())
            #expect(older.plan == current.plan, "\(name)")
            #expect(older.hash != current.hash)
        }
    }
}
