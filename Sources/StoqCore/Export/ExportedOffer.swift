/// One member of a variant list as export writes it: `sku:X` when ``VariantNaming`` names it,
/// else its id, with the reason beside it when one is known.
public struct ExportedMember: Sendable, Hashable {
    /// The variant id in the shop it was read from.
    public var id: Int64
    /// The SKU it is written by, when named.
    public var sku: String?
    /// Why it is written by id, when known.
    public var reason: String?

    /// The member `id` as `naming` writes it.
    public init(_ id: Int64, naming: VariantNaming?) {
        self.id = id
        sku = naming?.skus[id]
        reason = sku == nil ? naming?.reasons[id] : nil
    }

    /// What it is across shops: its SKU, else its id (which means nothing in another store).
    public var identity: String { sku.map { "sku:" + $0 } ?? "id:\(id)" }

    /// The list item: `- sku:X` (quoted when YAML needs it), or `- ID`, with the reason as a comment.
    func line(indent: String) -> String {
        if let sku { return "\(indent)- \(YAMLText.scalar("sku:" + sku))\n" }
        if let reason { return "\(indent)- \(id)  # \(Exporter.comment(reason))\n" }
        return "\(indent)- \(id)\n"
    }
}

/// The members of one `inventory_policy:` list.
public struct ExportedPolicyGroup: Sendable, Hashable {
    /// The policy.
    public var policy: InventoryPolicy
    /// Its members, by id.
    public var members: [ExportedMember]
}

/// The value of one key export writes.
public enum ExportedValue: Sendable, Hashable {
    /// `id:`, the pin to one remote plan.
    case pin(String)
    /// A field's value.
    case field(FieldValue)
    /// `variants:`.
    case members([ExportedMember])
    /// `inventory_policy:`.
    case policies([ExportedPolicyGroup])

    /// What the value means in any shop.
    ///
    /// Members by ``ExportedMember/identity``, as sets: two shops whose values have the same
    /// meaning can share the key.
    public var meaning: Meaning {
        switch self {
        case .pin(let id): .pin(id)
        case .field(let value): .field(value)
        case .members(let members): .members(Set(members.map(\.identity)))
        case .policies(let groups):
            .policies(Dictionary(groups.map { ($0.policy, Set($0.members.map(\.identity))) }, uniquingKeysWith: { $0.union($1) }))
        }
    }

    /// ``ExportedValue/meaning``.
    public enum Meaning: Sendable, Hashable {
        case pin(String)
        case field(FieldValue)
        case members(Set<String>)
        case policies([InventoryPolicy: Set<String>])
    }

    /// True when the value holds an id of the store it was read from (a pin, a member or policy
    /// written by id, a collection or product id, market ids): in an offer for several shops it is
    /// written under that shop's override.
    public func isShopSpecific(key: String) -> Bool {
        switch self {
        case .pin: return true
        case .field(let value):
            if key == PlanField.productVariantsSourceID.rawValue, case .integer = value { return true }
            if key == PlanField.shopifyMarketIDs.rawValue, case .ids(let ids) = value { return !ids.isEmpty }
            return false
        case .members(let members): return members.contains { $0.sku == nil }
        case .policies(let groups): return groups.contains { $0.members.contains { $0.sku == nil } }
        }
    }
}

/// One key export writes, with its value.
public struct ExportedEntry: Sendable, Hashable {
    /// The key (`id`, a field's name, `variants`, `inventory_policy`).
    public var key: String
    /// Its value.
    public var value: ExportedValue
}

/// One plan as export writes it, before it is text: what two shops' exports of one offer are
/// compared by.
public struct ExportedOffer: Sendable, Hashable {
    /// Its `internal_name`.
    public var internalName: String
    /// The remote plan's id.
    public var id: String
    /// The keys written after `internal_name`, in the order they are written.
    public var entries: [ExportedEntry]
    /// Type choices left out, each a comment (`billing_type left out: …`).
    public var leftOut: [String]
    /// Values left out.
    public var warnings: [String]
    /// Type choices left out, for the summary.
    public var notes: [String]

    /// The value of `key`, if written.
    public subscript(key: String) -> ExportedValue? { entries.first { $0.key == key }?.value }

    /// The order keys are written in: the pin, fields in API order, then membership and policies.
    public static let keyOrder: [String] = ["id"] + PlanField.allCases.map(\.rawValue) + ["variants", "inventory_policy"]

    /// The keys are written after the fields: comments for choices left out go before them.
    static let afterComments: Set<String> = ["variants", "inventory_policy"]

    /// `entries` as YAML lines at `indent`, with `comments` after the fields.
    static func render(_ entries: [ExportedEntry], comments: [String], indent: String) -> String {
        var out = ""
        var commented = false
        func writeComments() {
            guard !commented else { return }
            commented = true
            for line in comments { out += "\(indent)# \(line)\n" }
        }
        for entry in entries {
            if afterComments.contains(entry.key) { writeComments() }
            out += render(entry, indent: indent)
        }
        writeComments()
        return out
    }

    /// One key and its value at `indent`.
    static func render(_ entry: ExportedEntry, indent: String) -> String {
        switch entry.value {
        case .pin(let id): return "\(indent)\(entry.key): \(YAMLText.quoted(id))\n"
        case .field(let value): return "\(indent)\(entry.key): \(YAMLText.value(value))\n"
        case .members(let members):
            if members.isEmpty { return "\(indent)\(entry.key): []\n" }
            return "\(indent)\(entry.key):\n" + members.map { $0.line(indent: indent + "  ") }.joined()
        case .policies(let groups):
            var out = "\(indent)\(entry.key):\n"
            for group in groups {
                out += "\(indent)  \(group.policy.rawValue):\n" + group.members.map { $0.line(indent: indent + "    ") }.joined()
            }
            return out
        }
    }
}
