import StoqCore
import StoqWire

/// Runs of a repository that describes several shops (`shops:` in stoqctl.yaml): each shop
/// planned or applied on its own connection (its own token, client and rate budget), all at
/// once, so several shops take about as long as the slowest one.
public enum ShopsRun {
    /// The shops a run covers: `selected` (`--shop`, in the order given, each once), else every
    /// shop in file order; empty for a repository of one shop without `--shop`.
    public static func shops(of desired: DesiredState, selected: [String]) -> Result<[String], RunFailure> {
        var chosen: [String] = []
        for name in selected where !chosen.contains(name) {
            // Only the name is checked here (against the settings, without the offers): each
            // shop's run narrows the configuration itself.
            if case .failure(let failure) = ShopChecks.narrow(DesiredState(settings: desired.settings), to: name) {
                return .failure(failure)
            }
            chosen.append(name)
        }
        return .success(chosen.isEmpty ? desired.shopNames : chosen)
    }

    /// The shops of `shops` that a run with `--target` covers, each with the targets it gets.
    ///
    /// Those that get at least one of the targets. A target no shop gets is left to every shop, so
    /// each reports it unknown (once, as one diagnostic).
    public static func targeted(_ shops: [String], in desired: DesiredState, targets: [String]) -> [(shop: String, targets: [String])] {
        guard !targets.isEmpty else { return shops.map { ($0, []) } }
        let perShop = shops.map { shop in
            (shop, Set(desired.forShop(shop)?.plans.map(\.internalName.value) ?? []))
        }
        let everywhere = perShop.reduce(into: Set<String>()) { $0.formUnion($1.1) }
        if targets.contains(where: { !everywhere.contains($0) }) { return shops.map { ($0, targets) } }
        return perShop.compactMap { shop, names in
            let mine = targets.filter(names.contains)
            return mine.isEmpty ? nil : (shop, mine)
        }
    }

    /// Plans every shop of `shops` at once, `connect(shop)` opening each shop's own connection;
    /// outcomes in the order of `shops`.
    ///
    /// After every shop is planned, two shops whose lists show the same STOQ `shop_id` are both
    /// refused: one of their tokens is the other store's.
    public static func plan(
        _ input: PlanRun.Input, shops: [String], loaded: ConfigResult, connect: @escaping @Sendable (String) -> Connect
    ) async -> [(shop: String, outcome: PlanRun.Outcome)] {
        var outcomes: [(shop: String, outcome: PlanRun.Outcome)] = await withTaskGroup(of: (Int, PlanRun.Outcome).self) { group in
            let targets = Dictionary(targeted(shops, in: loaded.desired, targets: input.targets).map { ($0.shop, $0.targets) }) { a, _ in a
            }
            for (index, shop) in shops.enumerated() {
                guard let mine = targets[shop] else { continue }
                var one = input
                one.shop = shop
                one.targets = mine
                one.loaded = loaded
                group.addTask { (index, await PlanRun.run(one, connect: connect(shop))) }
            }
            var done: [(Int, PlanRun.Outcome)] = []
            for await outcome in group { done.append(outcome) }
            return done.sorted { $0.0 < $1.0 }.map { (shop: shops[$0.0], outcome: $0.1) }
        }
        let crossed = ShopChecks.crossed(outcomes.map { ($0.shop, $0.outcome.stoqShopIDs) })
        for index in outcomes.indices {
            guard let failure = crossed[outcomes[index].shop] else { continue }
            outcomes[index].outcome = outcomes[index].outcome.failing(failure)
            outcomes[index].outcome.plan = nil
            outcomes[index].outcome.verdict = nil
        }
        return outcomes
    }
}

/// Where the applies of several shops run at once meet before writing: each shop waits until
/// every other one has planned (or stopped), then any two shops whose STOQ `shop_id`s overlap are
/// refused, so a token that reaches another shop's store writes nothing.
public actor ShopBarrier {
    private let order: [String]
    private var waiting: Set<String>
    private var seen: [(shop: String, ids: Set<String>)] = []
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A barrier for `shops`.
    public init(shops: [String]) {
        order = shops
        waiting = Set(shops)
    }

    /// `shop` planned and showed `ids`: waits for the others, then says whether it may write.
    public func arrive(_ shop: String, ids: Set<String>) async -> RunFailure? {
        seen.append((shop, ids))
        leave(shop)
        if !waiting.isEmpty { await withCheckedContinuation { waiters.append($0) } }
        // In the shops' own order, whichever arrived first: the same refusal every run.
        let ordered = seen.sorted { (order.firstIndex(of: $0.shop) ?? 0) < (order.firstIndex(of: $1.shop) ?? 0) }
        return ShopChecks.crossed(ordered)[shop]
    }

    /// `shop` stopped (or wrote nothing to wait for): the others no longer wait for it.
    public func leave(_ shop: String) {
        waiting.remove(shop)
        guard waiting.isEmpty else { return }
        let released = waiters
        waiters = []
        for waiter in released { waiter.resume() }
    }
}
