import StoqCore
import StoqWire

/// One page of `GET /preorders`, decoded defensively.
///
/// STOQ does not document the list wrapper or its paging metadata, so this
/// accepts a top-level array, or an object whose items are under `selling_plans`, `preorders`,
/// `data`, `items` or `results` (else its first array member); paging comes from `meta` or
/// `pagination` (`total_pages`, `page`, `per_page`), or `has_next_page` / `next_page`, or, failing
/// all of those, a page shorter than the page size ends the list.
public struct ListPage: Sendable {
    /// The plan summaries on this page.
    public var items: [JSONValue]
    /// `total_pages`, when the server says.
    public var totalPages: Int?
    /// Whether another page follows, when the server says so directly.
    public var hasNextPage: Bool?
    /// The page size the server used (it may cap what was asked).
    public var perPage: Int

    static let itemKeys = ["selling_plans", "preorders", "data", "items", "results"]

    /// Decodes a list response.
    static func decode(_ json: JSONValue, requestedPerPage: Int) throws(StoqError) -> ListPage {
        var items: [JSONValue]?
        var meta: JSONValue?
        switch json {
        case .array(let a):
            items = a
        case .object(let members):
            for key in itemKeys {
                if let a = json[key]?.arrayValue {
                    items = a
                    break
                }
            }
            if items == nil { items = members.first { $0.1.arrayValue != nil }?.1.arrayValue }
            meta = json["meta"] ?? json["pagination"]
        default: break
        }
        guard let items else {
            throw StoqError(kind: .decoding, endpoint: StoqEndpoint.list.label, message: "the list response holds no array of plans")
        }
        let source = meta ?? json
        let perPage = source["per_page"]?.int64Value.map { Int($0) } ?? requestedPerPage
        var hasNext = source["has_next_page"]?.boolValue ?? json["has_next_page"]?.boolValue
        if hasNext == nil, let next = source["next_page"] ?? json["next_page"] { hasNext = !next.isNull }
        return ListPage(
            items: items, totalPages: source["total_pages"]?.int64Value.map { Int($0) }, hasNextPage: hasNext,
            perPage: max(1, min(perPage, requestedPerPage)))
    }

    /// Whether to ask for the page after `page`.
    func hasMore(page: Int) -> Bool {
        if items.isEmpty { return false }
        if let totalPages { return page < totalPages }
        if let hasNextPage { return hasNextPage }
        return items.count >= perPage
    }
}
