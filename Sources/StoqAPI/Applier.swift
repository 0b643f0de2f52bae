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
        /// What happened, and why.
        public var outcome: ApplyOutcome
        /// The plan id after the operation (set by a create).
        public var planID: String?
        /// True when a create found the plan already there (a lost earlier response) and adopted it.
        public var adopted: Bool
        /// Requests sent for it (fewer than planned when a saved plan's item was partly in place).
        public var sent: Int = 0
        /// Variant ids sent for it (fewer than planned when some were already as planned).
        public var variantsSent: Int = 0
        /// Policy toggles: the variants whose new policy is to be confirmed in Shopify.
        public var toConfirm: [Int64] = []
        /// Policy toggles: what confirming them found, when they were.
        public var verification: PolicyConfirmation?

        /// What happened.
        public var status: OperationStatus { outcome.status }
        /// Why it failed, was skipped or sent nothing (``ApplyOutcome/message``).
        public var message: String? { outcome.message }

        /// The item as reported once confirmation ran (nothing left to confirm).
        func withVerification() -> Item {
            var copy = self
            copy.toConfirm = []
            return copy
        }
    }

    /// Every operation, in plan order.
    public var items: [Item]
    /// Seconds the apply took.
    public var seconds: Double
    /// The hash of the plan that was applied.
    public var planHash: String?
    /// The shop it was applied to, as ``ShopIdentity`` names it.
    public var shop: String?
    /// The baseline the plan's differences were attributed against.
    public var baseline: BaselineInfo?
    /// What refused the plan (nothing was sent): safety gates, and deletes without permission.
    public var refusedBy: [Refusal] = []
    /// False while the apply is still running (a report written part-way lists the operations
    /// finished so far).
    public var complete = true
    /// The plan's estimate of this apply's duration, seconds (``ApplyEstimate``).
    public var estimatedSeconds: Int?
    /// What the rate governor saw during the run: requests, points, waits for budget and every
    /// pause for a 429 with its reason.
    public var figures: RateGovernor.Statistics?
    /// What each name in the configuration (`sku:`, `barcode:`, `product:`) resolved to for this
    /// apply.
    public var resolutions: [VariantResolution] = []
    /// The names that resolve to other variants than in review: a saved plan's, or for a
    /// configuration the record `--reviewed-names` gives (names gone since and new ones included).
    public var resolutionChanges: [NameResolver.Change] = []
    /// With a names record (`--names-record`, the action's applied tag): the names that resolve to
    /// other variants than the record says (the last apply's), new names included.
    public var recordChanges: [NameResolver.Change] = []

    /// Creates a report.
    public init(items: [Item], seconds: Double) {
        self.items = items
        self.seconds = seconds
    }

    /// The report of a plan refused before anything was sent: every operation skipped.
    public static func refused(_ plan: Plan, planHash: String, reasons: [Refusal]) -> ApplyReport {
        var report = ApplyReport(
            items: plan.operations.enumerated().map { index, op in
                Item(index: index, operation: op, outcome: .refused, planID: op.plan.id, adopted: false)
            }, seconds: 0)
        report.planHash = planHash
        report.refusedBy = reasons
        return report
    }

    /// Counts by status.
    public func count(_ status: OperationStatus) -> Int { items.filter { $0.status == status }.count }

    /// The closing line, such as `Apply finished in 2.0 s: 12 applied, 0 failed, 0 skipped, 0 conflicts.`.
    public var summaryLine: String {
        let estimate = estimatedSeconds.map { " (estimated ~\($0) s)" } ?? ""
        return String(
            format: "Apply finished in %.1f s%@: %d applied, %d failed, %d skipped, %d conflict%@.", seconds, estimate, count(.applied),
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
                ("variants_sent", .integer(Int64(item.variantsSent))),
                ("verification", item.verification.map { .string($0.text) } ?? .null),
            ])
        }
        return JSONValue.object(
            [
                ("format_version", .integer(1)),
                ("plan_hash", planHash.map(JSONValue.string) ?? .null),
                ("shop", shop.map(JSONValue.string) ?? .null),
                (
                    "baseline",
                    baseline.map { .object([("ref", .string($0.ref)), ("commit", $0.commit.map(JSONValue.string) ?? .null)]) } ?? .null
                ),
                ("refused_by_safety_gates", .array(refusedBy.map { .string($0.text) })),
                ("complete", .bool(complete)),
                (
                    "summary",
                    .object([
                        ("applied", .integer(Int64(count(.applied)))), ("failed", .integer(Int64(count(.failed)))),
                        ("skipped", .integer(Int64(count(.skipped)))), ("conflict", .integer(Int64(count(.conflict)))),
                        ("seconds", .number(String(format: "%.3f", seconds))),
                        ("estimated_seconds", estimatedSeconds.map { .integer(Int64($0)) } ?? .null),
                    ])
                ),
                (
                    "figures",
                    figures.map { f in
                        .object([
                            ("requests", .integer(Int64(f.requests))), ("points", .integer(Int64(f.points))),
                            ("wait_wall_seconds", .number(String(format: "%.3f", f.budgetWaitWall.inSeconds))),
                            ("wait_summed_seconds", .number(String(format: "%.3f", f.budgetWaited.inSeconds))),
                            ("peak_in_flight", .integer(Int64(f.peakInFlight))),
                            ("others_points_seen", .integer(Int64(f.othersSeen))),
                            (
                                "rate_limit_pauses",
                                .array(
                                    f.pauses.map {
                                        .object([
                                            ("seconds", .number(String(format: "%.3f", $0.duration.inSeconds))),
                                            ("reason", .string($0.reason)),
                                        ])
                                    })
                            ),
                        ])
                    } ?? .null
                ),
                ("operations", .array(entries)),
            ] + namesJSON()
        ).render() + "\n"
    }

    /// `names`, `names_changed_since_review` and `names_changed_since_record`, each only when there are some (reports of
    /// configurations without names are unchanged).
    func namesJSON() -> [(String, JSONValue)] {
        func ids(_ list: [Int64]?) -> JSONValue { list.map { .array($0.map { .integer($0) }) } ?? .null }
        var out: [(String, JSONValue)] = []
        if !resolutions.isEmpty {
            out.append(
                (
                    "names",
                    .array(
                        resolutions.map { r in
                            .object([
                                ("plan", .string(r.plan)), ("list", .string(r.list)), ("selector", .string(r.selector.description)),
                                ("ids", ids(r.ids)),
                            ])
                        })
                ))
        }
        for (key, changes, was) in [
            ("names_changed_since_review", resolutionChanges, "reviewed"), ("names_changed_since_record", recordChanges, "recorded"),
        ] where !changes.isEmpty {
            out.append(
                (
                    key,
                    .array(
                        changes.map { c in
                            .object([
                                ("plan", .string(c.plan)), ("list", .string(c.list)), ("selector", .string(c.selector.description)),
                                (was, ids(c.before)), ("now", ids(c.after)),
                            ])
                        })
                ))
        }
        return out
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
    /// Reads policies from Shopify: for verified policy operations that must be checked again
    /// before they are sent (saved plans, and differences a running job may have settled), and to
    /// confirm that the jobs this apply started took effect.
    public let policies: PolicyReader?
    /// Wait for the policy jobs this apply starts and confirm their effect through `policies`.
    public let verifyPolicies: Bool
    /// The apply lock, asked before every request that writes: once it is lost nothing more is
    /// sent, and the remaining operations fail with its reason.
    public let lease: (any WriteLease)?
    /// The read cache: before its first write to a plan the plan's entry is removed, and after its
    /// last write, when that was an update whose answer shows the whole plan, the answer is kept
    /// (``ReadCache``).
    public let cache: ReadCache?

    /// Creates an applier.
    public init(
        client: StoqClient, policies: PolicyReader? = nil, verifyPolicies: Bool = true, lease: (any WriteLease)? = nil,
        cache: ReadCache? = nil
    ) {
        self.client = client
        self.policies = policies
        self.verifyPolicies = verifyPolicies
        self.lease = lease
        self.cache = cache
    }

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
                    var pipeline = PlanPipeline(applier: self, mode: mode, counter: counter, progress: progress)
                    return await pipeline.run(indices.map { ($0, plan.operations[$0]) })
                }
            }
            var all: [ApplyReport.Item] = []
            for await items in group { all += items }
            return all
        }
        return ApplyReport(items: items.sorted { $0.index < $1.index }, seconds: Date().timeIntervalSince(started))
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
    ///
    /// A membership or policy request after a toggle of the same plan waits for the toggle's job to
    /// end first, so none is sent into it (a 409 would spend points for nothing).
    func execute(_ op: PlanOperation, planID: String?, jobStarted: inout Bool) async throws(StoqError) -> PerformResult? {
        var result: PerformResult?
        for request in op.requests {
            if let lease, let lost = await lease.lost() {
                throw StoqError(kind: .transport(.configuration(lost)), endpoint: request.endpoint.label, message: "not sent")
            }
            let target = result?.planID ?? planID
            if jobStarted, request.endpoint.traits.contains(.waitsOutJobs), let id = target {
                try await client.awaitIdle(planID: id, running: true)
                jobStarted = false
            }
            let done = try await client.perform(request, planID: target)
            result = PerformResult(planID: done.planID, adopted: done.adopted || (result?.adopted ?? false), body: done.body)
            if request.endpoint == .toggleInventoryPolicy { jobStarted = true }
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
