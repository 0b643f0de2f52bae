import StoqWire

/// One field a create or an update sends: its API name and the value, as the body carries it.
public struct SentField: Sendable, Hashable {
    /// What it sets.
    public var key: ChangeKey
    /// The value sent.
    public var value: FieldValue

    /// Creates one.
    public init(key: ChangeKey, value: FieldValue) {
        self.key = key
        self.value = value
    }

    /// `name` and its JSON value, as a member of `selling_plan`.
    public var member: (String, JSONValue) { (key.name, value.json) }
}

extension FieldChange {
    /// What the change sends: its key and its `after` value.
    public var sent: SentField { SentField(key: field, value: after) }
}

/// One HTTP request an operation compiles to: the endpoint, the path and everything it sends.
///
/// Method, path and cost come from its ``StoqEndpoint`` (which the payload decides); the body or
/// the query string comes from its ``Payload`` alone. What the plan states is exactly what the
/// client sends: ``StoqClient/perform`` reads nothing else.
public struct PlannedRequest: Sendable, Hashable {
    /// What a request sends, typed per endpoint.
    public enum Payload: Sendable, Hashable {
        /// `POST /preorders`: the fields, `internal_name` first, in the order sent.
        case create(fields: [SentField])
        /// `PUT /preorders/{id}`: only the fields it changes, in the order sent.
        case update(fields: [SentField])
        /// `POST /preorders/{id}/add_variant`: the variant ids, sorted.
        case addVariants(ids: [Int64])
        /// `DELETE /preorders/{id}/remove_variant`: the ids, and the policy the removed variants
        /// end with when the plan declares one.
        case removeVariants(ids: [Int64], inventoryPolicy: InventoryPolicy?)
        /// `POST /preorders/{id}/bulk_toggle_inventory_policy`: the ids and the policy they get.
        case toggleInventoryPolicy(ids: [Int64], policy: InventoryPolicy)
        /// `DELETE /preorders/{id}`: sends nothing.
        case delete

        /// The endpoint this payload is sent to.
        public var endpoint: StoqEndpoint {
            switch self {
            case .create: .create
            case .update: .update
            case .addVariants: .addVariant
            case .removeVariants: .removeVariant
            case .toggleInventoryPolicy: .toggleInventoryPolicy
            case .delete: .delete
            }
        }
    }

    /// Path below the API base, with `{id}` when the plan does not exist yet.
    public var path: String
    /// What it sends.
    public var payload: Payload

    /// A request carrying `payload` for the plan `planID` (nil: the plan a create makes).
    public init(planID: String?, payload: Payload) {
        self.path = payload.endpoint.path(id: planID)
        self.payload = payload
    }

    /// The endpoint it calls.
    public var endpoint: StoqEndpoint { payload.endpoint }
    /// `POST`, `PUT`, `DELETE`.
    public var method: String { endpoint.method.rawValue }
    /// Points it costs (reads 1, writes 2).
    public var cost: Int { endpoint.cost }

    /// Variant ids it carries (membership and policy calls), sorted.
    public var variantIDs: [Int64] {
        switch payload {
        case .addVariants(let ids), .removeVariants(let ids, _), .toggleInventoryPolicy(let ids, _): ids
        case .create, .update, .delete: []
        }
    }

    /// The `internal_name` a create sends (nil for the other requests).
    public var createdName: String? {
        guard case .create(let fields) = payload, case .string(let name)? = fields.first(where: { $0.key == .internalName })?.value
        else { return nil }
        return name
    }

    // MARK: What goes on the wire

    /// The JSON body, or nil for a request without one.
    public var body: JSONValue? {
        switch payload {
        case .create(let fields), .update(let fields): Self.sellingPlanBody(fields.map(\.member))
        case .addVariants(let ids): Self.variantsBody(ids)
        case .toggleInventoryPolicy(let ids, let policy): Self.toggleBody(ids, policy: policy.rawValue)
        case .removeVariants, .delete: nil
        }
    }

    /// The query parameters, in order (empty for a request without a query).
    public var query: [(String, String)] {
        guard case .removeVariants(let ids, let policy) = payload else { return [] }
        return Self.removalQuery(ids, policy: policy?.rawValue)
    }

    /// The query string as sent (`shopify_variant_ids=1,2&inventory_policy=DENY`), or nil.
    public var queryString: String? { query.isEmpty ? nil : WireHeaders.encodeQuery(query) }

    /// `{"selling_plan": {…}}`: the body of a create and an update.
    public static func sellingPlanBody(_ members: [(String, JSONValue)]) -> JSONValue {
        .object([(WireKey.sellingPlan, .object(members))])
    }

    /// `{"shopify_variant_ids": […]}`: the body of `add_variant`.
    static func variantsBody(_ ids: [Int64]) -> JSONValue {
        .object([(WireKey.variantIDs, .array(ids.map { .integer($0) }))])
    }

    /// `{"shopify_variant_ids": […], "inventory_policy": …}`: the body of a toggle.
    static func toggleBody(_ ids: [Int64], policy: String) -> JSONValue {
        .object([(WireKey.variantIDs, .array(ids.map { .integer($0) })), (WireKey.inventoryPolicy, .string(policy))])
    }

    /// `shopify_variant_ids=1,2,3[&inventory_policy=…]`: the query of `remove_variant`.
    static func removalQuery(_ ids: [Int64], policy: String?) -> [(String, String)] {
        var query = [(WireKey.variantIDs, ids.map(String.init).joined(separator: ","))]
        if let policy { query.append((WireKey.inventoryPolicy, policy)) }
        return query
    }

    /// The names STOQ's request bodies and queries use.
    enum WireKey {
        static let sellingPlan = "selling_plan"
        static let variantIDs = "shopify_variant_ids"
        static let inventoryPolicy = "inventory_policy"
    }

    // MARK: Reading back

    /// The payload `endpoint` sends when its body is `body` and its query `query`; nil when they
    /// are not what the endpoint sends.
    public static func payload(of endpoint: StoqEndpoint, body: JSONValue?, query: [(String, String)]) -> Payload? {
        switch endpoint {
        case .create, .update:
            guard query.isEmpty, case .object(let wrapper)? = body, wrapper.count == 1, wrapper[0].0 == WireKey.sellingPlan,
                case .object(let members) = wrapper[0].1
            else { return nil }
            var fields: [SentField] = []
            for (name, json) in members {
                guard let key = ChangeKey(name: name), let value = key.decode(json) else { return nil }
                fields.append(SentField(key: key, value: value))
            }
            return endpoint == .create ? .create(fields: fields) : .update(fields: fields)
        case .addVariant:
            guard query.isEmpty, let ids = body?[WireKey.variantIDs].flatMap(Self.ids) else { return nil }
            return .addVariants(ids: ids)
        case .toggleInventoryPolicy:
            guard query.isEmpty, let ids = body?[WireKey.variantIDs].flatMap(Self.ids),
                let policy = body?[WireKey.inventoryPolicy]?.stringValue.flatMap(InventoryPolicy.init(rawValue:))
            else { return nil }
            return .toggleInventoryPolicy(ids: ids, policy: policy)
        case .removeVariant:
            guard body == nil, let text = query.first(where: { $0.0 == WireKey.variantIDs })?.1 else { return nil }
            let ids = text.split(separator: ",", omittingEmptySubsequences: false).map { Int64($0) }
            guard !ids.contains(nil) else { return nil }
            let policyText = query.first { $0.0 == WireKey.inventoryPolicy }?.1
            let policy = policyText.flatMap(InventoryPolicy.init(rawValue:))
            guard policyText == nil || policy != nil else { return nil }
            return .removeVariants(ids: ids.compactMap { $0 }, inventoryPolicy: policy)
        case .delete:
            return body == nil && query.isEmpty ? .delete : nil
        case .list, .read, .productVariants:
            return nil
        }
    }

    static func ids(_ json: JSONValue) -> [Int64]? {
        guard let items = json.arrayValue else { return nil }
        let ids = items.map(\.int64Value)
        return ids.contains(nil) ? nil : ids.compactMap { $0 }
    }

    // MARK: Trimming

    /// The request with only the variant ids in `ids`; nil when none of its ids is left.
    public func keeping(ids: Set<Int64>) -> PlannedRequest? {
        var out = self
        switch payload {
        case .addVariants(let all): out.payload = .addVariants(ids: all.filter(ids.contains))
        case .removeVariants(let all, let policy): out.payload = .removeVariants(ids: all.filter(ids.contains), inventoryPolicy: policy)
        case .toggleInventoryPolicy(let all, let policy):
            out.payload = .toggleInventoryPolicy(ids: all.filter(ids.contains), policy: policy)
        case .create, .update, .delete: return self
        }
        return out.variantIDs.isEmpty ? nil : out
    }

    /// The request with only the fields whose key is in `keys` (creates and updates).
    public func keeping(fields keys: Set<ChangeKey>) -> PlannedRequest {
        var out = self
        switch payload {
        case .create(let all): out.payload = .create(fields: all.filter { keys.contains($0.key) })
        case .update(let all): out.payload = .update(fields: all.filter { keys.contains($0.key) })
        case .addVariants, .removeVariants, .toggleInventoryPolicy, .delete: break
        }
        return out
    }
}
