import Foundation
import StoqCore
import StoqWire
import Testing

@testable import StoqAPI

@Suite("Apply outcomes are facts that know their status, their code and their words")
struct ApplyOutcomeTests {
    static let stoqError = StoqError(kind: .http(status: 500), endpoint: "PUT /preorders/{id}", message: "boom", attempts: 3)
    static let shopifyError = ShopifyError(kind: .http(status: 401), message: "Invalid API key")

    /// Every kind of outcome with the status, diagnostic code and message it must give.
    static let cases: [(ApplyOutcome, OperationStatus, DiagnosticCode?, String?)] = [
        (.applied, .applied, nil, nil),
        (.inPlace(.fieldsSet), .applied, nil, "already in place: every planned field has its new value"),
        (
            .readFailed(stoqError), .failed, .operationFailed,
            "reading the plan before writing it failed: PUT /preorders/{id}: HTTP 500: boom (after 3 attempts)"
        ),
        (.requestFailed(stoqError), .failed, .operationFailed, "PUT /preorders/{id}: HTTP 500: boom (after 3 attempts)"),
        (
            .policyReadFailed(shopifyError), .failed, .operationFailed,
            "reading the policies before sending them failed: Shopify Admin GraphQL: HTTP 401: Invalid API key"
        ),
        (.otherFailure("something else"), .failed, .operationFailed, "something else"),
        (
            .policyNotApplied(planned: .continue, wrong: [11, 12], confirmed: 5), .failed, .policyNotApplied,
            "after the job finished, Shopify reports another policy than CONTINUE for 2 of 5 variants: 11, 12"
        ),
        (.conflict(.planGone, othersSent: false), .conflict, .conflict, "conflict: the plan no longer exists in STOQ"),
        (
            .conflict(.policies(changed: [3], gone: [], policy: .deny), othersSent: true), .conflict, .conflict,
            "conflict: 1 variant changed to DENY since the plan: 3; the other variants were sent"
        ),
        (
            .changedSinceReview, .conflict, .conflict,
            "the shop changed since the review: planning now makes it differently; not sent"
        ),
        (.skipped(.readFailed(plan: "fall")), .skipped, nil, "skipped: reading fall before writing it failed"),
        (.skipped(.failed(.addVariants, plan: "fall")), .skipped, nil, "skipped: add_variants of fall failed"),
        (.skipped(.createConflicted(plan: "fall")), .skipped, nil, "skipped: the create of fall conflicted"),
        (.refused, .skipped, nil, "refused by a safety gate"),
    ]

    @Test("each outcome gives its status, its code and its message")
    func everyOutcome() {
        for (outcome, status, code, message) in Self.cases {
            #expect(outcome.status == status, "\(outcome)")
            #expect(outcome.code == code, "\(outcome)")
            #expect(outcome.message == message, "\(outcome)")
        }
    }

    @Test("an item's status and message are its outcome's, and the report JSON carries the message")
    func item() throws {
        let op = PlanOperation(
            kind: .update, plan: PlanRef(internalName: "fall", id: "1"), location: nil,
            requests: [PlannedRequest(planID: "1", payload: .update(fields: []))])
        let item = ApplyReport.Item(index: 0, operation: op, outcome: .requestFailed(Self.stoqError), planID: "1", adopted: false)
        #expect(item.status == .failed && item.message == Self.stoqError.description)
        var report = ApplyReport(items: [item], seconds: 0)
        report.refusedBy = [.deletesWithoutPermission(count: 1)]
        let json = try JSONValue.parse(report.json())
        #expect(json["operations"]?.arrayValue?.first?["message"]?.stringValue == Self.stoqError.description)
        #expect(json["refused_by_safety_gates"]?.arrayValue?.first?.stringValue == "the plan deletes 1 plan; deletes need --allow-deletes")
    }

    @Test("a policy confirmation says what it found")
    func confirmation() {
        #expect(PolicyConfirmation.confirmed.text == "confirmed in Shopify")
        #expect(
            PolicyConfirmation.unreadable(Self.shopifyError).text
                == "could not be confirmed: Shopify Admin GraphQL: HTTP 401: Invalid API key")
    }
}
