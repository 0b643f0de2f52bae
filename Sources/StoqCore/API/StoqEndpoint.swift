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
    public var method: String {
        switch self {
        case .list, .read, .productVariants: "GET"
        case .create, .addVariant, .toggleInventoryPolicy: "POST"
        case .update: "PUT"
        case .delete, .removeVariant: "DELETE"
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

    /// True for the membership and policy calls, which STOQ refuses (409) while the plan's job runs.
    public var carriesVariants: Bool { self == .addVariant || self == .removeVariant || self == .toggleInventoryPolicy }

    /// Rate-limit points: STOQ charges 1 for a read and 2 for any write.
    public var cost: Int { method == "GET" ? 1 : 2 }

    /// True for calls that change nothing.
    public var isRead: Bool { method == "GET" }

    /// `PUT /preorders/{id}`: how errors and logs name the endpoint.
    public var label: String { "\(method) \(pathTemplate)" }

    /// The path for the plan `id` (`{id}` kept when the plan does not exist yet).
    ///
    /// The id is inserted as given; the client percent-encodes it when it sends the request.
    public func path(id: String?) -> String {
        pathTemplate.replacingAll("{id}", id ?? "{id}")
    }

    /// The endpoint a planned `method` and `path` describe, if any.
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
        guard let found = Self.allCases.first(where: { $0.method == method && $0.pathTemplate == shape }) else { return nil }
        self = found
    }

    /// The plan id in a path made by ``path(id:)`` (nil for `{id}` or a path without one).
    public static func planID(inPath path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[1] != "{id}" else { return nil }
        return String(parts[1])
    }
}
