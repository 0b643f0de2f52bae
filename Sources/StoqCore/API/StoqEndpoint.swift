import HTTPTypes

/// Every STOQ v1 Preorders endpoint stoqctl calls: its method, path and rate-limit cost, written
/// once.
///
/// The planner describes requests with it, the client sends them with it, and the time estimate
/// and the rate governor charge what it says. Paths are relative to the API base
/// (`https://app.stoqapp.com/api/v1/external`).
public enum StoqEndpoint: String, Sendable, Hashable, CaseIterable {
    /// `GET /preorders` — list and filter plans, paginated.
    case list
    /// `GET /preorders/{id}` — one plan in full.
    case read
    /// `POST /preorders` — create a plan.
    case create
    /// `PUT /preorders/{id}` — update a plan's fields (partial).
    case update
    /// `DELETE /preorders/{id}` — soft-delete a plan.
    case delete
    /// `POST /preorders/{id}/add_variant` — attach variants.
    case addVariant
    /// `DELETE /preorders/{id}/remove_variant` — detach variants (ids in the query string).
    case removeVariant
    /// `GET /preorders/{id}/product_variants` — the variants of a plan with their settings.
    case productVariants
    /// `POST /preorders/{id}/bulk_toggle_inventory_policy` — queue a policy change (a job).
    case toggleInventoryPolicy

    /// The HTTP method.
    public var method: HTTPRequest.Method {
        switch self {
        case .list, .read, .productVariants: .get
        case .create, .addVariant, .toggleInventoryPolicy: .post
        case .update: .put
        case .delete, .removeVariant: .delete
        }
    }

    /// The path with `{id}` where the plan id goes.
    public var pathTemplate: String {
        switch self {
        case .list, .create: "/preorders"
        case .read, .update, .delete: "/preorders/{id}"
        case .addVariant: "/preorders/{id}/add_variant"
        case .removeVariant: "/preorders/{id}/remove_variant"
        case .productVariants: "/preorders/{id}/product_variants"
        case .toggleInventoryPolicy: "/preorders/{id}/bulk_toggle_inventory_policy"
        }
    }

    /// How the client sends a request to an endpoint beyond sending it once: what an answer other
    /// than 2xx means, and when the request may go again.
    public struct Traits: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        /// Creates traits from their bits.
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Never sent twice blindly: after an unclear outcome (no response, 5xx, unreadable body)
        /// the plan is looked up by `internal_name` and adopted if it exists.
        public static let adoptsOnUnclearOutcome = Traits(rawValue: 1 << 0)
        /// A 409 "job in progress" waits for the plan's job to end, then the request goes again.
        public static let waitsOutJobs = Traits(rawValue: 1 << 1)
        /// A 422 listing `existing_variants`: those ids are already members, and the request goes
        /// again without them.
        public static let existingVariantsArePresent = Traits(rawValue: 1 << 2)
        /// A 404 means the plan is already gone: success.
        public static let goneIsDone = Traits(rawValue: 1 << 3)
    }

    /// What the client does beyond sending once, declared here for every endpoint.
    public var traits: Traits {
        switch self {
        case .create: .adoptsOnUnclearOutcome
        case .addVariant: [.waitsOutJobs, .existingVariantsArePresent]
        case .removeVariant, .toggleInventoryPolicy: .waitsOutJobs
        case .delete: .goneIsDone
        case .list, .read, .update, .productVariants: []
        }
    }

    /// Rate-limit points: STOQ charges 1 for a read and 2 for any write.
    public var cost: Int { isRead ? 1 : 2 }

    /// True for calls that change nothing.
    public var isRead: Bool { method == .get }

    /// `PUT /preorders/{id}`: how errors and logs name the endpoint.
    public var label: String { "\(method.rawValue) \(pathTemplate)" }

    /// The path for the plan `id` (`{id}` kept when the plan does not exist yet).
    ///
    /// The id is inserted as given; the client percent-encodes it when it sends the request.
    public func path(id: String?) -> String {
        pathTemplate.replacingAll("{id}", id ?? "{id}")
    }

    /// The endpoint a planned `method` (as written in a plan file) and `path` describe, if any.
    public init?(method: String, path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.first == "preorders" else { return nil }
        let shape: String
        switch parts.count {
        case 1: shape = "/preorders"
        case 2: shape = "/preorders/{id}"
        case 3: shape = "/preorders/{id}/\(parts[2])"
        default: return nil
        }
        guard let found = Self.allCases.first(where: { $0.method.rawValue == method && $0.pathTemplate == shape }) else { return nil }
        self = found
    }

    /// The plan id in a path made by ``path(id:)`` (nil for `{id}` or a path without one).
    public static func planID(inPath path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[1] != "{id}" else { return nil }
        return String(parts[1])
    }
}
