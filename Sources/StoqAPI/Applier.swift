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
        /// Variant ids sent for it (fewer than planned when some were already as planned).
        public var variantsSent: Int = 0
        /// Policy toggles: the variants whose new policy is to be confirmed in Shopify.
        public var toConfirm: [Int64] = []
        /// Policy toggles: what confirming them found (`confirmed in Shopify`), when they were.
        public var verification: String?

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

    /// Creates a report.
    public init(items: [Item], seconds: Double) {
        self.items = items
        self.seconds = seconds
    }

    /// The report of a plan refused before anything was sent: every operation skipped.
    public static func refused(_ plan: Plan, planHash: String, reasons: [Refusal]) -> ApplyReport {
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
                ("verification", item.verification.map(JSONValue.string) ?? .null),
            ])
        }
        return JSONValue.object([
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
                        ("budget_waited_seconds", .number(String(format: "%.3f", f.budgetWaited))),
                        ("peak_in_flight", .integer(Int64(f.peakInFlight))),
                        (
                            "rate_limit_pauses",
                            .array(
                                f.pauses.map {
                                    .object([("seconds", .number(String(format: "%.3f", $0.seconds))), ("reason", .string($0.reason))])
                                })
                        ),
                    ])
                } ?? .null
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
    /// Reads policies from Shopify: for verified policy operations that must be checked again
    /// before they are sent (saved plans, and differences a running job may have settled), and to
    /// confirm that the jobs this apply started took effect.
    public let policies: PolicyReader?
    /// Wait for the policy jobs this apply starts and confirm their effect through `policies`.
    public let verifyPolicies: Bool
    /// The apply lock, asked before every request that writes: once it is lost nothing more is
    /// sent, and the remaining operations fail with its reason.
    public let lease: (any WriteLease)?

    /// Creates an applier.
    public init(client: StoqClient, policies: PolicyReader? = nil, verifyPolicies: Bool = true, lease: (any WriteLease)? = nil) {
        self.client = client
        self.policies = policies
        self.verifyPolicies = verifyPolicies
        self.lease = lease
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
    ///
    /// No membership or policy write is sent into a running STOQ job: after a policy toggle (or
    /// when the plan had a job running), the next such write first waits until the plan's
    /// `ongoing_job` clears. With a policy reader and `verifyPolicies`, the toggles' items are
    /// reported once their job finished and Shopify confirmed the new policies.
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
        var jobMayRun = live?.ongoingJob == true || ops.contains { $0.1.inProgress }
        // True once this apply sent a toggle whose job has not been seen to end.
        var jobStarted = false
        // Toggle items waiting for their job and Shopify's confirmation.
        var unconfirmed: [ApplyReport.Item] = []

        func report(_ item: ApplyReport.Item) async {
            items.append(item)
            await progress(item, await counter.next(), counter.total)
        }

        func confirm() async {
            guard !unconfirmed.isEmpty else { return }
            if let id = planID, jobMayRun {
                try? await client.awaitIdle(planID: id, running: jobStarted)
                jobMayRun = false
                jobStarted = false
            }
            for item in await self.confirmed(unconfirmed) { await report(item.withVerification()) }
            unconfirmed = []
        }

        for (index, op) in ops {
            var item = ApplyReport.Item(index: index, operation: op, status: .applied, message: nil, planID: planID, adopted: false)
            if op.kind != .setInventoryPolicy { await confirm() }
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
                case .proceed(var toSend):
                    do {
                        if op.kind.hasVariants, jobMayRun, let id = planID {
                            try await client.awaitIdle(planID: id, running: jobStarted)
                            jobMayRun = false
                            jobStarted = false
                        }
                        var conflicts: String?
                        if op.kind == .setInventoryPolicy, !op.unverified, mode == .compareAndSet || op.inProgress, let policies {
                            let current = try await policies.read(op.variantIDs).state
                            let check = LiveCheck.checkPolicies(op, current: current, saved: mode == .compareAndSet)
                            conflicts = check.conflictMessage
                            if let send = check.send {
                                toSend = send
                            } else {
                                toSend.requests = []
                            }
                            if !check.inPlace.isEmpty, check.send == nil, conflicts == nil {
                                item.message =
                                    "already in place: all \(PlanText.count(check.inPlace.count)) variants have \(op.policy?.rawValue ?? "")"
                            }
                        }
                        if !toSend.requests.isEmpty {
                            let outcome = try await execute(toSend, planID: planID, jobStarted: &jobStarted)
                            planID = outcome?.planID ?? planID
                            item.planID = planID
                            item.adopted = outcome?.adopted ?? false
                            item.sent = toSend.requests.count
                            item.variantsSent = toSend.variantIDs.count
                            if op.kind == .create { checking = false }
                            if op.kind == .setInventoryPolicy { jobMayRun = true }
                        }
                        if let conflicts {
                            item.status = .conflict
                            item.message = "conflict: \(conflicts)" + (item.sent > 0 ? "; the other variants were sent" : "")
                        }
                        if op.kind == .setInventoryPolicy, !op.unverified, item.sent > 0, verifyPolicies, policies != nil {
                            item.toConfirm = toSend.variantIDs
                            unconfirmed.append(item)
                            continue
                        }
                    } catch let error as StoqError {
                        item.status = .failed
                        item.message = error.description
                        failure = "\(op.kind.rawValue) of \(op.plan.internalName) failed"
                    } catch let error as ShopifyError {
                        item.status = .failed
                        item.message = "reading the policies before sending them failed: \(error.description)"
                        failure = "\(op.kind.rawValue) of \(op.plan.internalName) failed"
                    } catch {
                        item.status = .failed
                        item.message = "\(error)"
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
            await report(item)
        }
        await confirm()
        return items
    }

    /// The items of toggles whose job finished, checked against the policies Shopify reports
    /// now: a variant without the planned policy makes its item failed.
    func confirmed(_ pending: [ApplyReport.Item]) async -> [ApplyReport.Item] {
        guard let policies else { return pending }
        let ids = pending.flatMap(\.toConfirm)
        let current: PolicyState
        do {
            current = try await policies.read(ids).state
        } catch {
            return pending.map { item in
                var item = item
                item.verification = "could not be confirmed: \(error.description)"
                return item
            }
        }
        return pending.map { item in
            var item = item
            let planned = item.operation.policy
            let wrong = item.toConfirm.filter { current.current[$0] != planned }
            if wrong.isEmpty {
                item.verification = "confirmed in Shopify"
            } else if item.status == .applied {
                item.status = .failed
                item.message =
                    "after the job finished, Shopify reports another policy than \(planned?.rawValue ?? "") for \(PlanText.count(wrong.count)) of \(PlanText.count(item.toConfirm.count)) variants: \(LiveCheck.ids(wrong))"
            }
            return item
        }
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
            if jobStarted, request.endpoint.carriesVariants, let id = target {
                try await client.awaitIdle(planID: id, running: true)
                jobStarted = false
            }
            let done = try await client.perform(request, of: op, planID: target)
            result = PerformResult(planID: done.planID, adopted: done.adopted || (result?.adopted ?? false))
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
