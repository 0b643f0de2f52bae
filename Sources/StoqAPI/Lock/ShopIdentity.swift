import StoqCore
import StoqWire

/// Which shop a run writes to: the one name the apply lock and the apply report use.
///
/// STOQ has one base URL for every store and the API token picks the store, so the endpoint alone
/// does not tell shops apart, and the token must never be shown. In order of precedence:
///
/// 1. the Shopify shop's domain, when it is configured (`shopify_shop` in stoqctl.yaml, else
///    `SHOPIFY_SHOP`): known before anything is read, and the same for every run of the shop;
/// 2. else STOQ's `shop_id`, read from the first plan the shop lists;
/// 3. else (no domain, and no plan to read it from) the endpoint.
///
/// A shop without a configured domain is named by its `shop_id` once it has a plan, and by the
/// endpoint before; configure `shopify_shop` for a name that never changes.
public struct ShopIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Where the name comes from.
    public enum Source: String, Sendable {
        /// The Shopify shop's myshopify.com domain.
        case shopifyDomain = "shopify_shop"
        /// STOQ's `shop_id`.
        case stoqShopID = "stoq_shop_id"
        /// The endpoint, when neither is known.
        case endpoint
    }

    /// Where the name comes from.
    public let source: Source
    /// The domain, the `shop_id`, or the endpoint (without user info, query or fragment).
    public let value: String

    /// Creates an identity; an endpoint is recorded without user info, query or fragment.
    public init(_ source: Source, _ value: String) {
        self.source = source
        self.value = source == .endpoint ? Redact.url(value) : value
    }

    /// How messages and reports name the shop: `acme.myshopify.com`, `STOQ shop 1`, or
    /// `the shop at https://…`.
    public var description: String {
        switch source {
        case .shopifyDomain: value
        case .stoqShopID: "STOQ shop \(value)"
        case .endpoint: "the shop at \(value)"
        }
    }

    /// The name as one path component safe for a git ref and a file name: letters, digits, `.`,
    /// `_` and `-` only, never starting with `.` or `-`, without `..`, not ending in `.lock`.
    public var key: String {
        let prefix: String
        switch source {
        case .shopifyDomain: prefix = "shopify-"
        case .stoqShopID: prefix = "stoq-shop-"
        case .endpoint: prefix = "endpoint-"
        }
        var text = ""
        for scalar in value.unicodeScalars { text.unicodeScalars.append(Self.isSafeScalar(scalar) ? scalar : "-") }
        while text.contains("..") { text = text.replacingOccurrences(of: "..", with: ".") }
        var key = prefix + text
        while key.hasSuffix(".") || key.hasSuffix(".lock") { key = String(key.dropLast(key.hasSuffix(".lock") ? 5 : 1)) }
        return key
    }

    /// ASCII letters, digits, `.`, `_` and `-`.
    static func isSafeScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "._-".unicodeScalars.contains(scalar)
    }

    /// Whether `key` is one ``key`` could be: one safe path component.
    static func isSafeKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first != "-", first != "." else { return false }
        return key.unicodeScalars.allSatisfy(isSafeScalar) && !key.contains("..") && !key.hasSuffix(".lock") && !key.hasSuffix(".")
    }

    /// The identity of the shop `connection` talks to: `domain` when given (a normalised
    /// myshopify.com domain), else the `shop_id` of the first plan STOQ lists (a list page of one
    /// plan, and that plan's body when the list entry does not carry it), else the endpoint.
    public static func resolve(domain: String?, connection: ShopConnection) async throws(RunFailure) -> ShopIdentity {
        if let domain, let normalized = ShopDomain.normalize(domain) { return ShopIdentity(.shopifyDomain, normalized) }
        let client = connection.client
        do {
            let page = try await client.listPage(page: 1, perPage: 1)
            guard let first = page.items.first else { return ShopIdentity(.endpoint, connection.endpoint) }
            if let id = shopID(in: first) { return ShopIdentity(.stoqShopID, id) }
            guard let planID = first["id"]?.stringValue else { return ShopIdentity(.endpoint, connection.endpoint) }
            return try await shopID(in: client.get(id: planID)).map { ShopIdentity(.stoqShopID, $0) }
                ?? ShopIdentity(.endpoint, connection.endpoint)
        } catch {
            var failure = RunFailure(.stoqRequestFailed, "")
            failure.diagnostic = error.diagnostic("reading which shop this is (for the apply lock) failed; nothing was sent")
            throw failure
        }
    }

    /// `shop_id` of a plan object, as text (STOQ sends a number).
    static func shopID(in plan: JSONValue) -> String? {
        if let number = plan["shop_id"]?.int64Value { return String(number) }
        if let text = plan["shop_id"]?.stringValue, !text.isEmpty { return String(text.prefix(64)) }
        return nil
    }
}
