import StoqCore

/// What happened to one operation of an apply, with the facts of why: the report's status, its
/// message and the diagnostic an apply reports come from it.
public enum ApplyOutcome: Sendable {
    /// Every request was sent and succeeded.
    case applied
    /// Nothing was sent: the shop already is what the operation would make it.
    case inPlace(LiveCheck.InPlace)
    /// Compare-and-set: reading the plan before writing it failed.
    case readFailed(StoqError)
    /// A request failed after its retries (or was not sent: the apply lock was lost).
    case requestFailed(StoqError)
    /// Reading the policies from Shopify just before sending them failed.
    case policyReadFailed(ShopifyError)
    /// Any other error, as it describes itself.
    case otherFailure(String)
    /// The policy job finished, but Shopify reports another policy than `planned` for the
    /// variants `wrong`, of the `confirmed` variants confirmed.
    case policyNotApplied(planned: InventoryPolicy?, wrong: [Int64], confirmed: Int)
    /// The shop changed since the plan; `othersSent` when the rest of the operation was sent.
    case conflict(LiveCheck.Conflict, othersSent: Bool)
    /// Saved plans: planning now makes the reviewed operation differently; not sent.
    case changedSinceReview
    /// Not attempted because an earlier operation of the same plan did not go through.
    case skipped(SkipReason)
    /// Not attempted: the plan was refused before anything was sent.
    case refused

    /// Why an operation was skipped: what happened earlier to its plan.
    public enum SkipReason: Sendable, Hashable {
        /// Reading the plan before writing it failed.
        case readFailed(plan: String)
        /// An earlier operation of the plan failed.
        case failed(OperationKind, plan: String)
        /// The plan's create conflicted.
        case createConflicted(plan: String)

        /// `create of fall-drop failed`.
        public var text: String {
            switch self {
            case .readFailed(let plan): "reading \(plan) before writing it failed"
            case .failed(let kind, let plan): "\(kind.rawValue) of \(plan) failed"
            case .createConflicted(let plan): "the create of \(plan) conflicted"
            }
        }
    }

    /// The status the report gives it.
    public var status: OperationStatus {
        switch self {
        case .applied, .inPlace: .applied
        case .readFailed, .requestFailed, .policyReadFailed, .otherFailure, .policyNotApplied: .failed
        case .conflict, .changedSinceReview: .conflict
        case .skipped, .refused: .skipped
        }
    }

    /// The diagnostic an apply reports it with: failures and conflicts only.
    public var code: DiagnosticCode? {
        switch self {
        case .applied, .inPlace, .skipped, .refused: nil
        case .readFailed, .requestFailed, .policyReadFailed, .otherFailure: .operationFailed
        case .policyNotApplied: .policyNotApplied
        case .conflict, .changedSinceReview: .conflict
        }
    }

    /// Why it failed, was skipped or sent nothing, as the report and the progress lines say it;
    /// nil when it was applied as planned.
    public var message: String? {
        switch self {
        case .applied: nil
        case .inPlace(let why): "already in place: \(why.text)"
        case .readFailed(let error): "reading the plan before writing it failed: \(error.description)"
        case .requestFailed(let error): error.description
        case .policyReadFailed(let error): "reading the policies before sending them failed: \(error.description)"
        case .otherFailure(let description): description
        case .policyNotApplied(let planned, let wrong, let confirmed):
            "after the job finished, Shopify reports another policy than \(planned?.rawValue ?? "") for \(PlanText.count(wrong.count)) of \(PlanText.count(confirmed)) variants: \(LiveCheck.ids(wrong))"
        case .conflict(let why, let othersSent): "conflict: \(why.text)" + (othersSent ? "; the other variants were sent" : "")
        case .changedSinceReview: "the shop changed since the review: planning now makes it differently; not sent"
        case .skipped(let reason): "skipped: \(reason.text)"
        case .refused: "refused by a safety gate"
        }
    }
}

/// What confirming a policy toggle in Shopify found.
public enum PolicyConfirmation: Sendable {
    /// Every toggled variant has the planned policy.
    case confirmed
    /// Reading the policies back failed.
    case unreadable(ShopifyError)

    /// `confirmed in Shopify`.
    public var text: String {
        switch self {
        case .confirmed: "confirmed in Shopify"
        case .unreadable(let error): "could not be confirmed: \(error.description)"
        }
    }
}
