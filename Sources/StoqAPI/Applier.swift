import Foundation
import StoqCore
import StoqWire

/// What happened to one operation.
public enum OperationStatus: String, Sendable, Hashable {
    /// Every request succeeded.
    case applied
    /// A request failed after its retries.
    case failed
    /// Not attempted because an operation it depends on failed.
    case skipped
    /// The remote changed since the plan was made (saved plans).
    case conflict
}

/// The outcome of an apply: every operation with its status.
///
/// Invariant: `items` has one entry per plan operation, in plan order.
public struct ApplyReport: Sendable {
    /// One operation's outcome.
    public struct Item: Sendable {
        /// Position in the plan.
        public var index: Int
        /// The operation.
        public var operation: PlanOperation
        /// What happened.
        public var status: OperationStatus
        /// Why it failed or was skipped.
        public var message: String?
        /// The plan id after the operation (set by a create).
        public var planID: String?
        /// True when a create found the plan already there (a lost earlier response) and adopted it.
        public var adopted: Bool
    }

    /// Every operation, in plan order.
    public var items: [Item]
    /// Seconds the apply took.
    public var seconds: Double

    /// Creates a report.
    public init(items: [Item], seconds: Double) {
        self.items = items
        self.seconds = seconds
    }

    /// Counts by status.
    public func count(_ status: OperationStatus) -> Int { items.filter { $0.status == status }.count }

    /// True when every operation was applied.
    public var succeeded: Bool { items.allSatisfy { $0.status == .applied } }

    /// The report as JSON (`format_version` 1).
    public func json() -> String {
        let entries: [JSONValue] = items.map { item in
            .object([
                ("index", .integer(Int64(item.index))), ("kind", .string(item.operation.kind.rawValue)),
                (
                    "plan",
                    .object([
                        ("internal_name", .string(item.operation.plan.internalName)),
                        ("id", (item.planID ?? item.operation.plan.id).map(JSONValue.string) ?? .null),
                    ])
                ),
                ("status", .string(item.status.rawValue)), ("message", item.message.map(JSONValue.string) ?? .null),
                ("adopted", .bool(item.adopted)), ("requests", .integer(Int64(item.operation.requests.count))),
                ("variant_count", .integer(Int64(item.operation.variantIDs.count))),
            ])
        }
        return JSONValue.object([
            ("format_version", .integer(1)),
            (
                "summary",
                .object([
                    ("applied", .integer(Int64(count(.applied)))), ("failed", .integer(Int64(count(.failed)))),
                    ("skipped", .integer(Int64(count(.skipped)))), ("conflict", .integer(Int64(count(.conflict)))),
                    ("seconds", .number(String(format: "%.3f", seconds))),
                ])
            ),
            ("operations", .array(entries)),
        ]).render() + "\n"
    }
}

/// Executes a ``Plan`` against STOQ through one client (and so one rate governor).
///
/// Operations of one plan run in plan order; different plans run concurrently (the governor
/// bounds how many requests are in flight). When an operation fails, the later operations of the
/// same plan are skipped with the reason; other plans go on.
public struct Applier: Sendable {
    /// The client.
    public let client: StoqClient

    /// Creates an applier.
    public init(client: StoqClient) { self.client = client }

    /// Called as operations start and finish (for progress output).
    public typealias Progress = @Sendable (ApplyReport.Item, _ done: Int, _ total: Int) async -> Void

    /// Runs `plan`.
    public func apply(_ plan: Plan, progress: @escaping Progress = { _, _, _ in }) async -> ApplyReport {
        let started = Date()
        var groups: [String: [Int]] = [:]
        var order: [String] = []
        for (index, op) in plan.operations.enumerated() {
            let key = op.plan.id ?? "new:" + op.plan.internalName
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(index)
        }
        let counter = Counter(total: plan.operations.count)
        let items = await withTaskGroup(of: [ApplyReport.Item].self) { group in
            for key in order {
                let indices = groups[key] ?? []
                group.addTask { await self.run(indices.map { ($0, plan.operations[$0]) }, counter: counter, progress: progress) }
            }
            var all: [ApplyReport.Item] = []
            for await items in group { all += items }
            return all
        }
        return ApplyReport(items: items.sorted { $0.index < $1.index }, seconds: Date().timeIntervalSince(started))
    }

    /// One plan's operations, in order.
    func run(_ ops: [(Int, PlanOperation)], counter: Counter, progress: Progress) async -> [ApplyReport.Item] {
        var items: [ApplyReport.Item] = []
        var planID = ops.first?.1.plan.id
        var failure: String?
        for (index, op) in ops {
            var item = ApplyReport.Item(index: index, operation: op, status: .applied, message: nil, planID: planID, adopted: false)
            if let failure {
                item.status = .skipped
                item.message = "skipped: \(failure)"
            } else {
                do {
                    let outcome = try await execute(op, planID: planID)
                    planID = outcome.planID ?? planID
                    item.planID = planID
                    item.adopted = outcome.adopted
                } catch {
                    item.status = .failed
                    item.message = error.description
                    failure = "\(op.kind.rawValue) of \(op.plan.internalName) failed"
                }
            }
            items.append(item)
            await progress(item, await counter.next(), counter.total)
        }
        return items
    }

    struct Outcome {
        var planID: String?
        var adopted = false
    }

    func execute(_ op: PlanOperation, planID: String?) async throws(StoqError) -> Outcome {
        let fields: [(String, JSONValue)] = op.changes.filter { $0.field != "internal_name" || op.kind == .update }
            .map { ($0.field, RemoteDecoding.json($0.after)) }
        if op.kind == .create {
            let result = try await client.create(internalName: op.plan.internalName, fields: fields)
            guard let id = result.plan["id"]?.stringValue else {
                throw StoqError(kind: .decoding, endpoint: "POST /preorders", message: "the created plan has no id")
            }
            return Outcome(planID: id, adopted: result.adopted)
        }
        guard let id = planID else {
            throw StoqError(kind: .decoding, endpoint: op.requests.first?.path ?? "", message: "no plan id to act on")
        }
        switch op.kind {
        case .update:
            _ = try await client.update(id: id, fields: fields)
        case .addVariants:
            for r in op.requests { _ = try await client.addVariants(planID: id, ids: r.variantIDs) }
        case .removeVariants:
            for r in op.requests { _ = try await client.removeVariants(planID: id, ids: r.variantIDs) }
        case .setInventoryPolicy:
            for r in op.requests {
                _ = try await client.toggleInventoryPolicy(planID: id, ids: r.variantIDs, policy: op.policy?.rawValue ?? "")
            }
        case .delete:
            try await client.delete(id: id)
        case .create:
            break
        }
        return Outcome(planID: id)
    }
}

/// Counts finished operations across concurrent plan pipelines.
actor Counter {
    let total: Int
    private var done = 0
    init(total: Int) { self.total = total }
    func next() -> Int {
        done += 1
        return done
    }
}
