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
        /// Requests sent for it (fewer than planned when a saved plan's item was partly in place).
        public var sent: Int = 0
    }

    /// Every operation, in plan order.
    public var items: [Item]
    /// Seconds the apply took.
    public var seconds: Double
    /// The hash of the plan that was applied.
    public var planHash: String?
    /// Safety gates that refused the plan (nothing was sent), as sentences.
    public var refusedBy: [String] = []
    /// False while the apply is still running (a report written part-way lists the operations
    /// finished so far).
    public var complete = true

    /// Creates a report.
    public init(items: [Item], seconds: Double) {
        self.items = items
        self.seconds = seconds
    }

    /// The report of a plan refused before anything was sent: every operation skipped.
    public static func refused(_ plan: Plan, planHash: String, reasons: [String]) -> ApplyReport {
        var report = ApplyReport(
            items: plan.operations.enumerated().map { index, op in
                Item(index: index, operation: op, status: .skipped, message: "refused by a safety gate", planID: op.plan.id, adopted: false)
            }, seconds: 0)
        report.planHash = planHash
        report.refusedBy = reasons
        return report
    }

    /// Counts by status.
    public func count(_ status: OperationStatus) -> Int { items.filter { $0.status == status }.count }

    /// The closing line, such as `Apply finished in 2.0 s: 12 applied, 0 failed, 0 skipped, 0 conflicts.`.
    public var summaryLine: String {
        String(
            format: "Apply finished in %.1f s: %d applied, %d failed, %d skipped, %d conflict%@.", seconds, count(.applied),
            count(.failed), count(.skipped), count(.conflict), count(.conflict) == 1 ? "" : "s")
    }

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
                ("requests_sent", .integer(Int64(item.sent))),
                ("variant_count", .integer(Int64(item.operation.variantIDs.count))),
            ])
        }
        return JSONValue.object([
            ("format_version", .integer(1)),
            ("plan_hash", planHash.map(JSONValue.string) ?? .null),
            ("refused_by_safety_gates", .array(refusedBy.map(JSONValue.string))),
            ("complete", .bool(complete)),
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

    /// Called as each operation finishes (for progress output and the running report).
    public typealias Progress = @Sendable (ApplyReport.Item, _ done: Int, _ total: Int) async -> Void

    /// How operations are checked before they are sent.
    public enum Mode: Sendable {
        /// A plan made just now from live state: send as planned.
        case fresh
        /// A saved plan: read each plan's live state just before writing it and compare-and-set
        /// every operation on the values it was planned from (``LiveCheck``).
        case compareAndSet
    }

    /// Runs `plan`.
    public func apply(_ plan: Plan, mode: Mode = .fresh, progress: @escaping Progress = { _, _, _ in }) async -> ApplyReport {
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
                group.addTask {
                    await self.run(indices.map { ($0, plan.operations[$0]) }, mode: mode, counter: counter, progress: progress)
                }
            }
            var all: [ApplyReport.Item] = []
            for await items in group { all += items }
            return all
        }
        return ApplyReport(items: items.sorted { $0.index < $1.index }, seconds: Date().timeIntervalSince(started))
    }

    /// One plan's operations, in order.
    func run(_ ops: [(Int, PlanOperation)], mode: Mode, counter: Counter, progress: Progress) async -> [ApplyReport.Item] {
        var items: [ApplyReport.Item] = []
        var planID = ops.first?.1.plan.id
        var failure: String?
        // Compare-and-set: the live plan, read just before the first write; nil once this apply
        // created the plan (what follows was planned against a plan that did not exist).
        var checking = mode == .compareAndSet
        var live: RemotePlan?
        var readError: String?
        if checking, let first = ops.first?.1 {
            do {
                live = try await readLive(first)
            } catch {
                readError = "reading the plan before writing it failed: \(error.description)"
                failure = "reading \(first.plan.internalName) before writing it failed"
            }
        }
        for (index, op) in ops {
            var item = ApplyReport.Item(index: index, operation: op, status: .applied, message: nil, planID: planID, adopted: false)
            if let error = readError {
                // The first operation carries the error; the others are skipped because of it.
                readError = nil
                item.status = .failed
                item.message = error
            } else if let failure {
                item.status = .skipped
                item.message = "skipped: \(failure)"
            } else {
                switch checking ? LiveCheck.check(op, live: live) : .proceed(op) {
                case .proceed(let toSend):
                    do {
                        let outcome = try await execute(toSend, planID: planID)
                        planID = outcome?.planID ?? planID
                        item.planID = planID
                        item.adopted = outcome?.adopted ?? false
                        item.sent = toSend.requests.count
                        if op.kind == .create { checking = false }
                    } catch {
                        item.status = .failed
                        item.message = error.description
                        failure = "\(op.kind.rawValue) of \(op.plan.internalName) failed"
                    }
                case .inPlace(let why):
                    item.message = "already in place: \(why)"
                    if op.kind == .create, let live {
                        planID = live.id
                        item.planID = live.id
                        item.adopted = true
                    }
                case .conflict(let why):
                    item.status = .conflict
                    item.message = "conflict: \(why)"
                    if op.kind == .create { failure = "the create of \(op.plan.internalName) conflicted" }
                }
            }
            items.append(item)
            await progress(item, await counter.next(), counter.total)
        }
        return items
    }

    /// The live state of the plan `op` acts on: by id, or for a create by `internal_name`; nil
    /// when there is no such plan.
    func readLive(_ op: PlanOperation) async throws(StoqError) -> RemotePlan? {
        let json: JSONValue?
        if let id = op.plan.id {
            do {
                json = try await client.get(id: id)
            } catch  where error.status == 404 {
                return nil
            }
        } else {
            json = try await client.find(internalName: op.plan.internalName)
        }
        guard let json else { return nil }
        guard let decoded = RemoteDecoding.plan(json) else {
            throw StoqError(kind: .decoding, endpoint: StoqEndpoint.read.label, message: "the plan object has no id")
        }
        return decoded.plan
    }

    /// Sends every request of `op`, in order, to the plan `planID` (nil for a create).
    func execute(_ op: PlanOperation, planID: String?) async throws(StoqError) -> PerformResult? {
        var result: PerformResult?
        for request in op.requests {
            let done = try await client.perform(request, of: op, planID: result?.planID ?? planID)
            result = PerformResult(planID: done.planID, adopted: done.adopted || (result?.adopted ?? false))
        }
        return result
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
