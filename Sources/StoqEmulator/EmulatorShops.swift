import HTTPTypes
import StoqWire

/// One request handled by ``EmulatorShops``: the shop that answered it and its log entry.
public struct ShopRequest: Sendable {
    /// The shop whose token the request carried; nil for a single-shop file, and for a request no
    /// shop's token matched.
    public var shop: String?
    /// What was answered.
    public var outcome: EmulatorOutcome
    /// The request as logged (by the shop that answered, or as ``EmulatorShops/unmatchedLog``).
    public var entry: LoggedRequest
}

/// The emulator of one state file: one shop, or several named shops that share STOQ's base URL and
/// are told apart by their tokens, as STOQ is installed per Shopify store.
///
/// A single-shop state file (one without a top-level `"shops"` key) is one unnamed ``Emulator``,
/// served exactly as the emulator alone serves it. A multi-shop file names each shop's tokens and
/// Shopify domain:
///
/// ```json
/// {"shops": {"eu": {"stoq_token": "…", "shopify_token": "…", "shopify_domain": "acme-eu.myshopify.com",
///                   "state": {…a single-shop state…}}}}
/// ```
///
/// Each shop is its own ``Emulator`` (state, rate window, Shopify bucket, jobs, request log),
/// built with the shared configuration and that shop's tokens and domain. A STOQ request goes to
/// the shop whose `stoq_token` is its `X-Auth-Token`, a Shopify Admin request to the one whose
/// `shopify_token` is its `X-Shopify-Access-Token`; a request no shop's token matches is 401, as
/// a shop answers a wrong token, and is charged to no shop.
public actor EmulatorShops {
    /// One shop of a multi-shop file.
    struct Shop: Sendable {
        var name: String
        var emulator: Emulator
        var stoqToken: [UInt8]
        var shopifyToken: [UInt8]
        var domain: String
    }

    /// The shops of a multi-shop file, in the file's order; empty for a single-shop file.
    let shops: [Shop]
    /// The emulator of a single-shop file.
    public nonisolated let single: Emulator?
    private let clock: any WireClock
    private var unmatched: [LoggedRequest] = []

    /// The shops' names, in the file's order; empty for a single-shop file.
    public nonisolated var names: [String] { shops.map(\.name) }

    /// The emulator of the shop called `name` (nil for a single-shop file).
    public nonisolated func shop(named name: String) -> Emulator? {
        shops.first { $0.name == name }?.emulator
    }

    /// Reads a single-shop or a multi-shop state file (empty for a new single shop).
    ///
    /// A single shop takes its token rules from `configuration`; each shop of a multi-shop file
    /// takes `configuration` with its own tokens and Shopify domain.
    public init(
        stateBytes: [UInt8], configuration: EmulatorConfiguration = EmulatorConfiguration(),
        clock: any WireClock = SystemClock()
    ) throws {
        self.clock = clock
        guard let json = Self.multiShop(stateBytes) else {
            single = try Emulator(stateBytes: stateBytes, configuration: configuration, clock: clock)
            shops = []
            return
        }
        single = nil
        shops = try Self.load(json, configuration: configuration, clock: clock)
    }

    typealias LoadError = EmulatorState.LoadError

    /// The parsed file when it is a multi-shop one (an object with `"shops"`).
    private static func multiShop(_ bytes: [UInt8]) -> JSONValue? {
        guard let json = try? JSONValue.parse(bytes), json["shops"] != nil else { return nil }
        return json
    }

    private static func load(_ json: JSONValue, configuration: EmulatorConfiguration, clock: any WireClock) throws -> [Shop] {
        if let other = json.objectValue?.first(where: { $0.0 != "shops" }) {
            throw LoadError(description: "state file: a multi-shop file holds only \"shops\", not \(quoted(other.0))")
        }
        guard let entries = json["shops"]?.objectValue else {
            throw LoadError(description: "state file: \"shops\" must be an object of shops by name")
        }
        guard !entries.isEmpty else { throw LoadError(description: "state file: \"shops\" names no shop") }
        var shops: [Shop] = []
        var shopIDs: [Int64: String] = [:]
        for (name, entry) in entries {
            guard validName(name) else {
                throw LoadError(
                    description:
                        "state file: shop name \(quoted(name)) must be 1 to 40 characters of a-z, 0-9, _ and -, starting with a letter or digit"
                )
            }
            let at = "state file: shop \(quoted(name))"
            if shops.contains(where: { $0.name == name }) { throw LoadError(description: "\(at) is named twice") }
            guard let members = entry.objectValue else { throw LoadError(description: "\(at) must be an object") }
            let known = ["stoq_token", "shopify_token", "shopify_domain", "state"]
            if let other = members.first(where: { !known.contains($0.0) }) {
                throw LoadError(description: "\(at): unknown key \(quoted(other.0)) (known: \(known.joined(separator: ", ")))")
            }
            let stoqToken = try token(entry, "stoq_token", at: at)
            let shopifyToken = try token(entry, "shopify_token", at: at)
            guard let domain = entry["shopify_domain"]?.stringValue, validDomain(domain) else {
                throw LoadError(
                    description: "\(at): \"shopify_domain\" is required, the store's NAME.myshopify.com (lowercase letters, digits and -)")
            }
            for other in shops {
                let shared =
                    other.stoqToken == stoqToken
                    ? "stoq_token"
                    : other.shopifyToken == shopifyToken ? "shopify_token" : other.domain == domain ? "shopify_domain" : nil
                if let shared {
                    throw LoadError(description: "state file: shops \(quoted(other.name)) and \(quoted(name)) have the same \(shared)")
                }
            }
            let state = entry["state"] ?? .object([])
            guard state.objectValue != nil else { throw LoadError(description: "\(at): \"state\" must be an object") }
            let shopID = state["shop_id"]?.int64Value ?? 1
            if let other = shopIDs[shopID] {
                throw LoadError(description: "state file: shops \(quoted(other)) and \(quoted(name)) have the same shop_id \(shopID)")
            }
            shopIDs[shopID] = name
            var own = configuration
            own.token = String(decoding: stoqToken, as: UTF8.self)
            own.shopifyToken = String(decoding: shopifyToken, as: UTF8.self)
            own.shopifyDomain = domain
            let emulator: Emulator
            do {
                emulator = try Emulator(stateBytes: state.bytes, configuration: own, clock: clock)
            } catch {
                throw LoadError(description: "\(at): \(error)")
            }
            shops.append(Shop(name: name, emulator: emulator, stoqToken: stoqToken, shopifyToken: shopifyToken, domain: domain))
        }
        return shops
    }

    /// A shop's token: a non-empty string of visible ASCII (what an HTTP header carries unchanged).
    private static func token(_ entry: JSONValue, _ key: String, at: String) throws -> [UInt8] {
        guard let text = entry[key]?.stringValue, !text.isEmpty, text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw LoadError(description: "\(at): \(quoted(key)) is required, a non-empty token of visible ASCII characters")
        }
        return Array(text.utf8)
    }

    /// 1 to 40 of `[a-z0-9_-]`, starting with a letter or digit.
    static func validName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        guard (1...40).contains(bytes.count), alnum(bytes[0]) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// `NAME.myshopify.com`, NAME 1 to 63 of `[a-z0-9-]`, starting and ending with a letter or digit.
    static func validDomain(_ domain: String) -> Bool {
        let suffix = ".myshopify.com"
        guard domain.hasSuffix(suffix) else { return false }
        let label = Array(domain.utf8.dropLast(suffix.utf8.count))
        func alnum(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        guard (1...63).contains(label.count), alnum(label[0]), alnum(label[label.count - 1]) else { return false }
        return label.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    private static func quoted(_ text: String) -> String {
        var out = ""
        JSONValue.escape(text, into: &out)
        return out
    }

    // MARK: Handling

    /// Handles one request: the single shop's emulator answers it, or the shop whose token it carries.
    public func handle(_ request: WireRequest) async -> EmulatorOutcome {
        await handleLogged(request).outcome
    }

    /// Handles one request for an in-process caller: the response, or nil when the connection was
    /// dropped.
    public func respond(_ request: WireRequest) async -> WireResponse? {
        switch await handle(request) {
        case .response(let r): return r
        case .dropped: return nil
        }
    }

    /// Handles one request of an in-process caller that works for the shop called `name`.
    ///
    /// The request carries that shop's tokens in place of its own (the caller holds the state file, and
    /// with it the tokens), then goes the way every request goes. Nil when the connection was
    /// dropped or the file has no such shop.
    public func respond(_ request: WireRequest, asShop name: String) async -> WireResponse? {
        guard let shop = shops.first(where: { $0.name == name }) else { return nil }
        var request = request
        if Emulator.isShopify(request) {
            request.headers[.xShopifyAccessToken] = String(decoding: shop.shopifyToken, as: UTF8.self)
        } else {
            request.headers[.xAuthToken] = String(decoding: shop.stoqToken, as: UTF8.self)
        }
        return await respond(request)
    }

    /// Handles one request, and says which shop answered it and how it was logged.
    public func handleLogged(_ request: WireRequest) async -> ShopRequest {
        if let single {
            let (outcome, entry) = await single.handleLogged(request)
            return ShopRequest(shop: nil, outcome: outcome, entry: entry)
        }
        let shopify = Emulator.isShopify(request)
        if let token = request.header(shopify ? .xShopifyAccessToken : .xAuthToken), let shop = shop(token: token, shopify: shopify) {
            let (outcome, entry) = await shop.emulator.handleLogged(request)
            return ShopRequest(shop: shop.name, outcome: outcome, entry: entry)
        }
        var response = Emulator.unauthorized(shopify: shopify)
        if shopify { Emulator.addVersionHeader(&response, request) }
        var entry = LoggedRequest(
            method: request.method.rawValue, target: request.target, status: 401, cost: 0, time: clock.now.secondsSinceEpoch,
            fault: nil, mutated: false)
        entry.shopify = shopify
        entry.body = request.body
        unmatched.append(entry)
        return ShopRequest(shop: nil, outcome: .response(response), entry: entry)
    }

    /// The shop whose token `token` is; every shop's token is compared in full, in time that does
    /// not depend on where they differ.
    private func shop(token: String, shopify: Bool) -> Shop? {
        let given = Array(token.utf8)
        var found: Shop?
        for shop in shops where Self.sameToken(given, shopify ? shop.shopifyToken : shop.stoqToken) { found = shop }
        return found
    }

    static func sameToken(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return false }
        var difference = given.count ^ expected.count
        for i in given.indices { difference |= Int(given[i] ^ expected[i % expected.count]) }
        return difference == 0
    }

    // MARK: Inspection

    /// Requests of a multi-shop file that no shop's token matched (each answered 401).
    public var unmatchedLog: [LoggedRequest] { unmatched }

    /// How many requests changed a shop so far, all shops together.
    public var mutations: Int {
        get async {
            if let single { return await single.mutations }
            var sum = 0
            for shop in shops { sum += await shop.emulator.mutations }
            return sum
        }
    }

    /// The state file as read: a single shop's state exactly as ``Emulator/stateJSON()`` writes
    /// it, or every shop with its tokens, domain and state, in the file's order.
    public func stateJSON() async -> String {
        if let single { return await single.stateJSON() }
        var members: [(String, JSONValue)] = []
        for shop in shops {
            let state = await shop.emulator.stateJSON()
            members.append(
                (
                    shop.name,
                    .object([
                        ("stoq_token", .string(String(decoding: shop.stoqToken, as: UTF8.self))),
                        ("shopify_token", .string(String(decoding: shop.shopifyToken, as: UTF8.self))),
                        ("shopify_domain", .string(shop.domain)),
                        ("state", (try? JSONValue.parse(Array(state.utf8))) ?? .object([])),
                    ])
                ))
        }
        return JSONValue.object([("shops", .object(members))]).render() + "\n"
    }
}
