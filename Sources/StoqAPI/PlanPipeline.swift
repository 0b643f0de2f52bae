import StoqCore
import StoqWire

/// One plan's operations as an ``Applier`` runs them, in plan order, with what later operations
/// depend on: the plan's id, the first failure, the live plan compared against, and the policy
/// jobs this apply started.
///
/// No membership or policy write is sent into a running STOQ job: after a policy toggle (or
/// when the plan had a job running), the next such write first waits until the plan's
/// `ongoing_job` clears. With a policy reader and `verifyPolicies`, the toggles' items are
/// reported once their job finished and Shopify confirmed the new policies.
struct PlanPipeline {
    let applier: Applier
    let mode: Applier.Mode
    let counter: Counter
    let progress: Applier.Progress

    /// The plan's id: as planned, or as its create made it.
    var planID: String?
    /// Once an operation did not go through: why the later ones are skipped.
    var failure: ApplyOutcome.SkipReason?
    /// Compare-and-set: check each operation against `live`; false once this apply created the
    /// plan (what follows was planned against a plan that did not exist).
    var checking = false
    /// Compare-and-set: the live plan, read just before the first write.
    var live: RemotePlan?
    /// Reading the live plan failed: the first operation carries the error.
    var readError: StoqError?
    /// A STOQ job may be running on the plan.
    var jobMayRun = false
    /// True once this apply sent a toggle whose job has not been seen to end.
    var jobStarted = false
    /// Read cache: true once the plan's entry was removed before this apply's first write to it.
    var forgotten = false
    /// Read cache: the members of the removed entry's body (nil when there was none).
    var keptMembers: Set<String>?
    /// Read cache: the answer to the last write to the plan when it was an update, else nil.
    var lastAnswer: JSONValue?
    /// Toggle items waiting for their job and Shopify's confirmation.
    var unconfirmed: [ApplyReport.Item] = []
    /// The items reported so far.
    var items: [ApplyReport.Item] = []

    init(applier: Applier, mode: Applier.Mode, counter: Counter, progress: @escaping Applier.Progress) {
        self.applier = applier
        self.mode = mode
        self.counter = counter
        self.progress = progress
    }

    /// Runs `ops` (one plan's, in plan order) and returns their items.
    mutating func run(_ ops: [(Int, PlanOperation)]) async -> [ApplyReport.Item] {
        planID = ops.first?.1.plan.id
        await start(ops)
        for (index, op) in ops {
            if op.kind != .setInventoryPolicy { await confirm() }
            var item = ApplyReport.Item(index: index, operation: op, outcome: .applied, planID: planID, adopted: false)
            if let error = readError {
                // The first operation carries the error; the others are skipped because of it.
                readError = nil
                item.outcome = .readFailed(error)
            } else if let failure {
                item.outcome = .skipped(failure)
            } else {
                switch checking ? LiveCheck.check(op, live: live) : .proceed(op) {
                case .proceed(let toSend):
                    if await send(op, toSend, item: &item) {
                        unconfirmed.append(item)
                        continue
                    }
                case .inPlace(let why):
                    item.outcome = .inPlace(why)
                    if op.kind == .create, let live {
                        planID = live.id
                        item.planID = live.id
                        item.adopted = true
                    }
                case .conflict(let why):
                    item.outcome = .conflict(why, othersSent: false)
                    if op.kind == .create { failure = .createConflicted(plan: op.plan.internalName) }
                }
            }
            await report(item)
        }
        await confirm()
        rememberLastAnswer()
        return items
    }

    /// Read cache: keeps the answer to the plan's last write when it shows the whole plan as it is
    /// now (an update, every operation applied or in place); else the entry stays removed.
    func rememberLastAnswer() {
        guard let cache = applier.cache, forgotten, failure == nil, let id = planID, let answer = lastAnswer,
            let members = keptMembers,
            items.allSatisfy({ $0.status == .applied })
        else { return }
        cache.keep(written: answer, id: id, members: members)
    }

    /// Compare-and-set: reads the live plan before the first write; notes whether a job may run.
    mutating func start(_ ops: [(Int, PlanOperation)]) async {
        checking = mode == .compareAndSet
        if checking, let first = ops.first?.1 {
            do {
                live = try await applier.readLive(first)
            } catch {
                readError = error
                failure = .readFailed(plan: first.plan.internalName)
            }
        }
        jobMayRun = live?.ongoingJob == true || ops.contains { $0.1.inProgress }
    }

    /// Sends what is still needed of `op`, checking a verified policy operation against Shopify first.
    ///
    /// `planned` is `op` as the live check trimmed it. Returns true when the item waits for the
    /// job and Shopify's confirmation.
    mutating func send(_ op: PlanOperation, _ planned: PlanOperation, item: inout ApplyReport.Item) async -> Bool {
        var toSend = planned
        do {
            if op.kind.hasVariants, jobMayRun, let id = planID {
                try await applier.client.awaitIdle(planID: id, running: jobStarted)
                jobMayRun = false
                jobStarted = false
            }
            var conflict: LiveCheck.Conflict?
            if op.kind == .setInventoryPolicy, !op.unverified, mode == .compareAndSet || op.inProgress, let policies = applier.policies {
                let current = try await policies.read(op.variantIDs).state
                let check = LiveCheck.checkPolicies(op, current: current, saved: mode == .compareAndSet)
                conflict = check.conflict
                if let send = check.send {
                    toSend = send
                } else {
                    toSend.requests = []
                }
                if !check.inPlace.isEmpty, check.send == nil, conflict == nil {
                    item.outcome = .inPlace(.policies(variants: check.inPlace.count, policy: op.policy))
                }
            }
            if !toSend.requests.isEmpty {
                if let cache = applier.cache, !forgotten {
                    // The entry is stale from the first write on: read live next time unless the
                    // last write's answer replaces it.
                    if let id = planID { keptMembers = cache.forget(id) }
                    forgotten = true
                }
                lastAnswer = nil
                let outcome = try await applier.execute(toSend, planID: planID, jobStarted: &jobStarted)
                lastAnswer = op.kind == .update ? outcome?.body : nil
                // A create that adopted a plan already there: no entry of it may outlive this apply.
                if op.kind == .create, let id = outcome?.planID { applier.cache?.forget(id) }
                planID = outcome?.planID ?? planID
                item.planID = planID
                item.adopted = outcome?.adopted ?? false
                item.sent = toSend.requests.count
                item.variantsSent = toSend.variantIDs.count
                if op.kind == .create { checking = false }
                if op.kind == .setInventoryPolicy { jobMayRun = true }
            }
            if let conflict { item.outcome = .conflict(conflict, othersSent: item.sent > 0) }
            if op.kind == .setInventoryPolicy, !op.unverified, item.sent > 0, applier.verifyPolicies, applier.policies != nil {
                item.toConfirm = toSend.variantIDs
                return true
            }
        } catch let error as StoqError {
            item.outcome = .requestFailed(error)
            failure = .failed(op.kind, plan: op.plan.internalName)
        } catch let error as ShopifyError {
            item.outcome = .policyReadFailed(error)
            failure = .failed(op.kind, plan: op.plan.internalName)
        } catch {
            item.outcome = .otherFailure("\(error)")
            failure = .failed(op.kind, plan: op.plan.internalName)
        }
        return false
    }

    /// Reports the toggles waiting for confirmation, once their job ended and Shopify was asked.
    mutating func confirm() async {
        guard !unconfirmed.isEmpty else { return }
        if let id = planID, jobMayRun {
            try? await applier.client.awaitIdle(planID: id, running: jobStarted)
            jobMayRun = false
            jobStarted = false
        }
        for item in await applier.confirmed(unconfirmed) { await report(item.withVerification()) }
        unconfirmed = []
    }

    /// Adds `item` and passes it on as finished.
    mutating func report(_ item: ApplyReport.Item) async {
        items.append(item)
        await progress(item, await counter.next(), counter.total)
    }
}

extension Applier {
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
                item.verification = .unreadable(error)
                return item
            }
        }
        return pending.map { item in
            var item = item
            let planned = item.operation.policy
            let wrong = item.toConfirm.filter { current.current[$0] != planned }
            if wrong.isEmpty {
                item.verification = .confirmed
            } else if item.status == .applied {
                item.outcome = .policyNotApplied(planned: planned, wrong: wrong, confirmed: item.toConfirm.count)
            }
            return item
        }
    }
}
