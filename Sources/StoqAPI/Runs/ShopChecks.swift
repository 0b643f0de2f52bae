import StoqCore
import StoqWire

/// The checks that keep one shop's token to its own store, in a repository of several shops:
/// before anything is read beyond the first list page's answer, and before anything is written.
public enum ShopChecks {
    /// `desired` narrowed to `shop`: a shop `shops:` does not hold, a shop asked of a repository
    /// of one shop, and a repository of several shops without a shop are refused.
    public static func narrow(_ desired: DesiredState, to shop: String?) -> Result<DesiredState, RunFailure> {
        switch (shop, desired.hasShops) {
        case (nil, false): return .success(desired)
        case (nil, true):
            return .failure(
                RunFailure(
                    .usage,
                    "stoqctl.yaml describes \(desired.shopNames.count) shops (\(desired.shopNames.joined(separator: ", "))); name one with --shop",
                    status: .usage))
        case (let name?, false):
            return .failure(
                RunFailure(
                    .unknownShop,
                    "--shop \(name): stoqctl.yaml has no `shops:`; this repository describes one shop, planned without --shop",
                    status: .usage))
        case (let name?, true):
            guard let narrowed = desired.forShop(name) else { return .failure(unknown(name, in: desired)) }
            return .success(narrowed)
        }
    }

    /// The refusal of `--shop name` when `shops:` does not hold it.
    static func unknown(_ name: String, in desired: DesiredState) -> RunFailure {
        RunFailure(
            .unknownShop,
            "--shop \(name): stoqctl.yaml has no shop `\(name)` (it has \(desired.shopNames.joined(separator: ", ")))\(Suggest.hint(for: name, in: desired.shopNames))",
            status: .usage)
    }

    /// STOQ's `shop_id`s in what was read of the shop (its plans' bodies, and the list when it
    /// shows them); when none shows one and the shop has plans, the first listed plan is read for
    /// it (one request, counted in the second member).
    static func stoqShopIDs(_ state: RemoteState, client: StoqClient) async -> Result<(Set<String>, Int), RunFailure> {
        let seen = Set(state.managed.compactMap(\.shopID) + state.listed.compactMap(\.shopID))
        guard seen.isEmpty, let first = state.listed.first else { return .success((seen, 0)) }
        do throws(StoqError) {
            let body = try await client.get(id: first.id)
            return .success((ShopIdentity.shopID(in: body).map { [$0] } ?? [], 1))
        } catch {
            var failure = RunFailure(.stoqRequestFailed, "")
            failure.diagnostic = error.diagnostic("reading which store the STOQ token reaches (plan \(first.id)) failed; nothing was sent")
            return .failure(failure)
        }
    }

    /// A refusal when the `shop_id`s STOQ showed are not the shop's `stoq_shop_id`, or are two:
    /// the token reaches another store than the one named.
    public static func stoqShop(_ seen: Set<String>, shop: ShopSettings?) -> RunFailure? {
        guard let shop else { return nil }
        if seen.count > 1 {
            return RunFailure(
                .shopMismatch,
                "shop `\(shop.name.value)`: STOQ listed plans of \(seen.count) stores (shop_id \(seen.sorted().map { String($0.prefix(24)) }.joined(separator: ", "))) for one token; nothing was sent"
            )
        }
        if let expected = shop.stoqShopID?.value, let found = seen.first, found != String(expected) {
            return RunFailure(
                .shopMismatch,
                "shop `\(shop.name.value)`: the token in \(shop.stoqTokenVariable.value) reaches STOQ shop_id \(found.prefix(24)), not \(expected) (`stoq_shop_id` in stoqctl.yaml); it is another store's token, so nothing was sent"
            )
        }
        return nil
    }

    /// A refusal when Shopify's answer to `shop { myshopifyDomain }` is not the shop's `shopify_shop`.
    ///
    /// The Shopify token (or the endpoint) belongs to another store. One point.
    public static func shopifyDomain(of shop: ShopSettings?, reader: PolicyReader?) async -> RunFailure? {
        guard let shop, let reader, let configured = shop.shopifyShop.flatMap({ ShopDomain.normalize($0.value) }) else { return nil }
        let answer: ShopifyClient.Answer
        do throws(ShopifyError) {
            answer = try await reader.client.query("query ShopDomain { shop { myshopifyDomain } }", variables: .object([]), cost: 1)
        } catch {
            let diagnostic = error.diagnostic("shop `\(shop.name.value)`: reading which store the Shopify token reaches")
            return RunFailure(diagnostic.code, diagnostic.message)
        }
        let found = answer.data["shop"]?["myshopifyDomain"]?.stringValue ?? ""
        guard found.lowercased() != configured else { return nil }
        return RunFailure(
            .shopMismatch,
            "shop `\(shop.name.value)`: the Shopify token in \(shop.shopifyTokenVariable.value) reaches \(found.isEmpty ? "a store that does not name itself" : String(found.prefix(80))), not \(configured) (`shopify_shop` in stoqctl.yaml); nothing was sent"
        )
    }

    /// A refusal for each shop whose STOQ token reaches the same store as another shop's.
    public static func crossed(_ seen: [(shop: String, ids: Set<String>)]) -> [String: RunFailure] {
        var owners: [String: [String]] = [:]
        for (shop, ids) in seen { for id in ids { owners[id, default: []].append(shop) } }
        var result: [String: RunFailure] = [:]
        for (id, shops) in owners.sorted(by: { $0.key < $1.key }) where shops.count > 1 {
            for shop in shops where result[shop] == nil {
                result[shop] = RunFailure(
                    .shopMismatch,
                    "shops \(shops.map { "`\($0)`" }.joined(separator: " and ")) reach the same STOQ store (shop_id \(id.prefix(24))): one of their tokens is another store's; nothing was sent to either"
                )
            }
        }
        return result
    }
}
