import Foundation
import StoqCore
import Testing

@Suite("Live checks report what is in place or in conflict as facts")
struct LiveCheckWordsTests {
    @Test("each in-place reason has its words")
    func inPlace() {
        let words: [(LiveCheck.InPlace, String)] = [
            (.createdAsPlanned(id: "42"), "the plan exists with the planned values (id 42); adopted"),
            (.fieldsSet, "every planned field has its new value"),
            (.membership(variants: 3, adding: true), "all 3 variants are members"),
            (.membership(variants: 1_200, adding: false), "all 1,200 variants are gone"),
            (.planGone, "the plan is gone"),
            (.policies(variants: 2, policy: .deny), "all 2 variants have DENY"),
            (.nothingToDo, "planning now finds nothing to do for it"),
        ]
        for (reason, text) in words { #expect(reason.text == text) }
    }

    @Test("each conflict has its words, naming at most three fields and five ids")
    func conflicts() {
        let fields = (0..<4).map { i in
            LiveCheck.FieldDifference(field: .field(.name), planned: .string("p\(i)"), found: .string("f\(i)"))
        }
        #expect(
            LiveCheck.Conflict.createdDiffering(name: "fall", id: "7", differing: fields).text
                == "a plan named `fall` was created since the plan was made (id 7) and differs: name: planned \"p0\", found \"f0\"; name: planned \"p1\", found \"f1\"; name: planned \"p2\", found \"f2\""
        )
        #expect(
            LiveCheck.Conflict.changed([LiveCheck.FieldDifference(field: .field(.name), planned: nil, found: .string("x"))]).text
                == "changed in STOQ since the plan: name: planned from null, now \"x\"")
        #expect(LiveCheck.Conflict.planGone.text == "the plan no longer exists in STOQ")
        #expect(LiveCheck.Conflict.renamed(now: "winter").text == "renamed in STOQ since the plan (internal_name is now `winter`)")
        #expect(
            LiveCheck.Conflict.policies(changed: [1, 2, 3, 4, 5, 6], gone: [9], policy: .continue).text
                == "6 variants changed to CONTINUE since the plan: 1, 2, 3, 4, 5, … (1 more); 1 variant no longer known to Shopify: 9")
    }

    @Test("an update whose field changed in STOQ is a conflict naming the field and both values")
    func updateConflict() {
        let op = PlanOperation(
            kind: .update, plan: PlanRef(internalName: "fall", id: "1"), location: nil,
            changes: [FieldChange(field: .field(.name), before: .string("a"), after: .string("b"), location: nil)],
            requests: [PlannedRequest(planID: "1", payload: .update(fields: [SentField(key: .field(.name), value: .string("b"))]))])
        var live = RemotePlan(id: "1", internalName: "fall")
        live.fields[.name] = .string("c")
        #expect(
            LiveCheck.check(op, live: live)
                == .conflict(.changed([LiveCheck.FieldDifference(field: .field(.name), planned: .string("a"), found: .string("c"))])))
        #expect(LiveCheck.check(op, live: nil) == .conflict(.planGone))
    }
}
