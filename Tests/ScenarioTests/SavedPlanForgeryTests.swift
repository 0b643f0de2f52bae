import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqWire
import Testing

/// A saved plan's `plan_hash` is public: anyone can edit the file and hash it again.
///
/// These tests do exactly that, to every leaf of a saved plan in turn, and apply each forgery to a fresh copy
/// of the shop: an edit may be refused or may change nothing, but no edit may change what is
/// sent, where it goes, or what a gate allows.
@Suite("Saved plans carry no permission: every leaf edited, the hash recomputed, applied")
struct SavedPlanForgeryTests {
    /// Settings and a configuration that change every kind of thing: fields of two plans, a
    /// membership (variants added and removed), declared policies, a new plan, and a delete.
    static func settings(maxUpdatePercent: Int) -> String {
        """
        version: 1
        prune: true
        safety:
          max_update_percent: \(maxUpdatePercent)
          max_delete_percent: 100
          min_managed_plans: 0
        """
    }

    static let config = """
        version: 1
        selling_plans:
          - internal_name: fall-drop
            name: Fall Drop — Preorder
            pricing_type: percentage
            pricing_percentage: 12.5
            shipping_text: Ships in October
            product_variants_source: custom
            variants: [101, 102, 103]
            inventory_policy_on_removal: DENY
            inventory_policy:
              CONTINUE: [101, 103]
              DENY: [102]
          - internal_name: winter
            name: Winter
          - internal_name: spring
            name: Spring
            product_variants_source: custom
            variants: [201, 202]
        """

    static let remote = """
        {"plans": [
          {"id": "p1", "internal_name": "fall-drop", "name": "Fall Drop", "pricing_type": "percentage",
           "pricing_percentage": 10, "shipping_text": "Ships in October", "product_variants_source": "custom",
           "shopify_variant_ids": [101, 102, 109]},
          {"id": "p2", "internal_name": "winter", "name": "Winter (old)"},
          {"id": "p3", "internal_name": "leftover", "name": "Not declared any more"}
        ]}
        """

    static let endpoint = "emulator:forgery"

    static func input(maxUpdatePercent: Int) -> PlanRun.Input {
        PlanRun.Input(
            config: ConfigInput(files: [
                (SourceFile(path: "shop/stoqctl.yaml", text: settings(maxUpdatePercent: maxUpdatePercent)), .settings),
                (SourceFile(path: "shop/plans.yaml", text: config), .config),
            ]))
    }

    /// A fresh shop and the `Connect` that opens it.
    static func shop() throws -> (ScenarioShop, Connect) {
        let shop = try ScenarioShop(remoteJSON: remote)
        let connect: Connect = { _, _ in ShopConnection(client: shop.client, endpoint: endpoint, description: "scenario") }
        return (shop, connect)
    }

    /// The saved plan, as `plan --allow-deletes --out` writes it.
    static func savedText(maxUpdatePercent: Int) async throws -> String {
        let (_, connect) = try shop()
        var planInput = input(maxUpdatePercent: maxUpdatePercent)
        planInput.allowDeletes = true
        let outcome = await PlanRun.run(planInput, connect: connect)
        return PlanJSON.render(try #require(outcome.plan))
    }

    /// Applies `text` to a fresh shop: the exit status and the shop's state afterwards.
    static func apply(_ text: String, maxUpdatePercent: Int) async throws -> (StoqCore.ExitStatus, String) {
        let (status, state, _, _) = try await applyWatching(text, maxUpdatePercent: maxUpdatePercent)
        return (status, state)
    }

    /// Applies `text` to a fresh shop: the exit status, the shop's state afterwards, every write
    /// STOQ received (method, target and body, sorted: plans are written concurrently) and the
    /// diagnostics' messages.
    static func applyWatching(_ text: String, maxUpdatePercent: Int) async throws -> (
        StoqCore.ExitStatus, String, writes: [String], messages: String
    ) {
        let (shop, connect) = try shop()
        let input = ApplyRun.Input(
            source: .savedPlan(name: "plan.json", text: text, config: input(maxUpdatePercent: maxUpdatePercent)), allowDeletes: true,
            verifyPolicies: false)
        let outcome = await ApplyRun.run(input, connect: connect)
        let writes = await shop.emulator.requestLog.filter { $0.method != "GET" }.map {
            "\($0.method) \($0.target) \(String(decoding: $0.body, as: UTF8.self))"
        }
        return (
            outcome.status, try withoutTimes(await shop.emulator.stateJSON()), writes.sorted(),
            outcome.diagnostics.map(\.message).joined(separator: "\n")
        )
    }

    /// The shop's state without its timestamps (`created_at`, `updated_at`, …), which record
    /// when, in the run, each write happened rather than what it wrote.
    static func withoutTimes(_ state: String) throws -> String {
        func strip(_ value: JSONValue) -> JSONValue {
            switch value {
            case .array(let items): .array(items.map(strip))
            case .object(let members): .object(members.map { ($0.0, $0.0.hasSuffix("_at") ? .null : strip($0.1)) })
            default: value
            }
        }
        return strip(try JSONValue.parse(state)).render()
    }

    /// Every forgery of `text`: one leaf edited, the hash computed again.
    static func forgeries(of text: String) throws -> [(path: String, text: String)] {
        guard case .object(let members) = try JSONValue.parse(text) else { return [] }
        let body = members.filter { $0.0 != "plan_hash" }
        return edits(of: .object(body), path: "").map { path, edited in
            guard case .object(let edited) = edited else { return (path, "") }
            var document = edited
            // As stoqctl hashes it: the body without `moves` and `reads`.
            let hashed = edited.filter { $0.0 != "moves" && $0.0 != "reads" }
            document.insert(("plan_hash", .string("sha256:" + ContentHash.sha256(JSONValue.object(hashed).renderCompact()))), at: 1)
            return (path, JSONValue.object(document).render() + "\n")
        }
    }

    /// The value with one leaf changed, for every leaf.
    static func edits(of value: JSONValue, path: String) -> [(String, JSONValue)] {
        switch value {
        case .null: return [(path, .string("x"))]
        case .bool(let b): return [(path, .bool(!b))]
        case .integer(let i): return [(path, .integer(i + 1))]
        case .number(let n): return [(path, .number(n == "0" ? "1" : n + "1"))]
        case .string(let s): return [(path, .string(s + "x"))]
        case .array(let items):
            return items.indices.flatMap { index in
                edits(of: items[index], path: "\(path)[\(index)]").map { sub, edited in
                    var copy = items
                    copy[index] = edited
                    return (sub, JSONValue.array(copy))
                }
            }
        case .object(let members):
            return members.indices.flatMap { index in
                edits(of: members[index].1, path: "\(path).\(members[index].0)").map { sub, edited in
                    var copy = members
                    copy[index].1 = edited
                    return (sub, JSONValue.object(copy))
                }
            }
        }
    }

    @Test("a plan apply would make: no forgery is accepted unless the shop ends exactly as with the reviewed plan")
    func allowedPlan() async throws {
        let text = try await Self.savedText(maxUpdatePercent: 100)
        let (status, reference, sent, _) = try await Self.applyWatching(text, maxUpdatePercent: 100)
        #expect(status == .success)
        let forgeries = try Self.forgeries(of: text)
        #expect(forgeries.count > 150, "every leaf: \(forgeries.count)")
        var accepted = 0
        var harmful: [String] = []
        for forgery in forgeries {
            let (status, state, writes, _) = try await Self.applyWatching(forgery.text, maxUpdatePercent: 100)
            guard status == .success else { continue }
            accepted += 1
            if state != reference || writes != sent { harmful.append(forgery.path) }
        }
        #expect(harmful.isEmpty, "forgeries that changed what was written or sent: \(harmful)")
        print("saved-plan forgeries: \(forgeries.count) leaves edited, \(accepted) accepted, \(harmful.count) changed the shop")
        // Edits of what a reviewer reads but apply does not use (file paths, the estimate, the
        // thresholds and counts, which are recomputed) are accepted and change nothing.
        #expect(accepted < forgeries.count)
    }

    @Test("a plan a gate refuses: no forgery writes anything (thresholds and counts come from the configuration)")
    func refusedPlan() async throws {
        let text = try await Self.savedText(maxUpdatePercent: 10)
        let (status, untouched) = try await Self.apply(text, maxUpdatePercent: 10)
        #expect(status == .refused)
        let initial = try Self.withoutTimes(await Self.shop().0.emulator.stateJSON())
        #expect(untouched == initial)
        var written: [String] = []
        for forgery in try Self.forgeries(of: text) {
            let (status, state) = try await Self.apply(forgery.text, maxUpdatePercent: 10)
            if status == .success || state != initial { written.append(forgery.path) }
        }
        #expect(written.isEmpty, "forgeries that wrote to the shop: \(written)")
    }

    @Test("an after value the configuration does not declare refuses the whole apply, naming it; nothing is sent")
    func undeclaredValue() async throws {
        let text = try await Self.savedText(maxUpdatePercent: 100)
        let forged = try #require(
            Self.forgeries(of: text).first { $0.path.hasSuffix(".after") && $0.text.contains("Winterx") })
        let (shop, connect) = try Self.shop()
        let before = try Self.withoutTimes(await shop.emulator.stateJSON())
        let input = ApplyRun.Input(
            source: .savedPlan(name: "plan.json", text: forged.text, config: Self.input(maxUpdatePercent: 100)), allowDeletes: true)
        let outcome = await ApplyRun.run(input, connect: connect)
        #expect(outcome.status == .failure)
        let message = outcome.diagnostics.map(\.message).joined(separator: "\n")
        #expect(
            message.contains(
                "plan.json: the configuration being applied does not declare what it does: update winter: sets name to \"Winterx\", but the configuration declares \"Winter\"; nothing was sent"
            ), "\(message)")
        #expect(try Self.withoutTimes(await shop.emulator.stateJSON()) == before)
    }

    @Test("a request body or query edited in the file never changes what is sent: the apply is refused, naming the request")
    func bodyEdits() async throws {
        let text = try await Self.savedText(maxUpdatePercent: 100)
        let initial = try Self.withoutTimes(await Self.shop().0.emulator.stateJSON())
        let edits = try Self.forgeries(of: text).filter { $0.path.contains(".body") || $0.path.contains(".query") }
        #expect(edits.count >= 10, "body and query leaves: \(edits.count)")
        var accepted = 0
        var named = 0
        var sentSomething: [String] = []
        for edit in edits {
            let (status, state, writes, messages) = try await Self.applyWatching(edit.text, maxUpdatePercent: 100)
            if status == .success { accepted += 1 }
            if messages.contains(": request 1 (") { named += 1 }
            if state != initial || !writes.isEmpty { sentSomething.append(edit.path) }
        }
        print(
            "saved-plan body forgeries: \(edits.count) body or query leaves edited, \(accepted) accepted, \(sentSomething.count) sent anything"
        )
        #expect(accepted == 0)
        #expect(sentSomething.isEmpty, "body edits that sent something: \(sentSomething)")
        // Refused by the comparison with the recomputed requests, not only by a decoding rule.
        #expect(named > edits.count / 2, "\(named) of \(edits.count) named the request")

        let forged = try #require(edits.first { $0.path.hasSuffix(".body.selling_plan.name") && $0.text.contains("\"Winterx\"") })
        let (status, _, writes, messages) = try await Self.applyWatching(forged.text, maxUpdatePercent: 100)
        #expect(status == .failure)
        #expect(writes.isEmpty)
        #expect(
            messages.contains(
                #"plan.json: the configuration being applied does not declare what it does: update winter: request 1 (PUT /preorders/p2) sends body {"selling_plan":{"name":"Winter"}}, but the file shows PUT /preorders/p2 with body {"selling_plan":{"name":"Winterx"}}; nothing was sent"#
            ), "\(messages)")
    }
}
