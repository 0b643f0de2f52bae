import StoqEmulator
import StoqWire
import Testing

// The catalogue queries stoqctl sends, as the client's contract writes them.
let variantSearchQuery =
    "query VariantSearch($query: String!, $after: String) { productVariants(first: 250, after: $after, query: $query) { nodes { id sku barcode } pageInfo { hasNextPage endCursor } } }"
let productSearchQuery =
    "query ProductSearch($query: String!, $after: String) { products(first: 250, after: $after, query: $query) { nodes { id handle } pageInfo { hasNextPage endCursor } } }"
let collectionSearchQuery =
    "query CollectionSearch($query: String!, $after: String) { collections(first: 250, after: $after, query: $query) { nodes { id handle } pageInfo { hasNextPage endCursor } } }"
let productVariantsQuery =
    "query ProductVariants($id: ID!, $after: String) { product(id: $id) { id handle title status variants(first: 250, after: $after) { nodes { id sku barcode title displayName inventoryPolicy } pageInfo { hasNextPage endCursor } } } }"
let variantDetailsQuery =
    "query VariantDetails($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode title displayName inventoryPolicy } } }"
let variantIdentityQuery =
    "query VariantIdentity($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id sku barcode product { id handle } } } }"

/// A shop with a small catalogue: two products (one a draft), collections, a variant whose search
/// index lags, one with quotes, colons and spaces in its SKU, and one known only by its policy.
let catalogueState = #"""
    {"plans": [{"id": "p1", "name": "P", "product_variants_source": "custom", "shopify_variant_ids": [43900910010503, 43900920010001, 1201]}],
     "variant_policies": {"1201": "CONTINUE", "43900910010504": "DENY"},
     "products": [
       {"id": 439009100, "handle": "fall-tee", "title": "Fall Tee", "variants": [
         {"id": 43900910010503, "sku": "TEE-BLK-S", "barcode": "0123456789012", "title": "Black / S", "inventory_policy": "CONTINUE"},
         {"id": 43900910010504, "sku": "TEE-BLK-M", "barcode": "0123456789013", "title": "Black / M"},
         {"id": 43900910010505, "sku": "TEE-WHT-S", "title": "White / S", "indexed_sku": "TEE-OLD-S"}]},
       {"id": 439009200, "handle": "winter-coat", "title": "Winter Coat", "status": "DRAFT", "variants": [
         {"id": 43900920010001, "sku": "COAT \"Big\" 1:2 A\\B", "barcode": "", "title": "Default Title"}]}],
     "collections": [{"id": 5001, "handle": "summer", "title": "Summer"}, {"id": 5002, "handle": "summer-sale", "title": "Clearance"}]}
    """#

/// A state with one product of `count` variants (SKUs `BIG-1`…), ids 9000001….
func bigProductState(count: Int) -> String {
    let variants = (1...count).map { #"{"id": \#(9_000_000 + $0), "sku": "BIG-\#($0)", "title": "V\#($0)"}"# }
    return #"{"products": [{"id": 77, "handle": "big", "title": "Big", "variants": [\#(variants.joined(separator: ", "))]}]}"#
}

extension Shop {
    /// Variables as JSON text.
    static func variables(_ members: [(String, JSONValue)]) -> String { JSONValue.object(members).renderCompact() }

    /// Runs a search query (Q1–Q3) for `query` after `after`.
    func search(_ document: String, _ query: String, after: String? = nil) async throws -> (
        status: Int, body: JSONValue, response: WireResponse
    ) {
        try await graphQL(document, variables: Self.variables([("query", .string(query)), ("after", after.map { .string($0) } ?? .null)]))
    }

    /// Runs a `nodes` query (Q5, Q6) for variant ids.
    func nodes(_ document: String, _ ids: [Int64]) async throws -> (status: Int, body: JSONValue, response: WireResponse) {
        try await graphQL(document, variables: Shop.ids(ids))
    }
}

extension JSONValue {
    /// The `nodes` of a connection or `nodes` field at `path` under `data`.
    func nodes(_ path: String...) -> [JSONValue] {
        var value: JSONValue? = self["data"]
        for key in path { value = value?[key] }
        return (value?["nodes"]?.arrayValue ?? value?.arrayValue) ?? []
    }

    /// `extensions.cost`'s requested and actual cost.
    var costs: (requested: Int64?, actual: Int64?) {
        (self["extensions"]?["cost"]?["requestedQueryCost"]?.int64Value, self["extensions"]?["cost"]?["actualQueryCost"]?.int64Value)
    }

    /// The first GraphQL error's message and code.
    var firstError: (message: String?, code: String?) {
        let e = self["errors"]?.arrayValue?.first
        return (e?["message"]?.stringValue, e?["extensions"]?["code"]?.stringValue)
    }
}
