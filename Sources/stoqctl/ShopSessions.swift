import StoqAPI
import StoqCore

/// The sessions of a run of several shops: one slot per shop, so each shop has its own token,
/// client and rate budget, and all are closed together.
struct ShopSessions: Sendable {
    let slots: [String: SessionSlot]

    /// A slot for each of `shops`.
    init(_ options: RemoteOptions, console: Console, repository: String?, shops: [String]) {
        var slots: [String: SessionSlot] = [:]
        for shop in shops { slots[shop] = SessionSlot(options, console: console, repository: repository) }
        self.slots = slots
    }

    /// The ``Connect`` of each shop.
    var connect: @Sendable (String) -> Connect {
        let slots = slots
        return { shop in
            if let slot = slots[shop] { return slot.connect }
            let missing: Connect = { _, _ throws(RunFailure) in throw RunFailure(.unknownShop, "no session for shop `\(shop)`") }
            return missing
        }
    }

    /// Closes every slot; the worst failure's status, if any.
    func close() async -> ExitStatus? {
        var worst: ExitStatus?
        for slot in slots.values.sorted(by: { ObjectIdentifier($0) < ObjectIdentifier($1) }) {
            if let status = await slot.close() { worst = max(worst ?? status, status) }
        }
        return worst
    }

    /// What ``choose(_:selected:options:console:)`` found.
    enum Chosen {
        /// The shops to run.
        case shops([String])
        /// Stopped, already reported: the status to exit with.
        case stopped(ExitStatus)
    }

    /// The shops a command covers (`--shop`, each once, else every shop; none for a repository of
    /// one shop without `--shop`), or, reported and finished, the status it stops with: a shop
    /// `shops:` does not hold, or a token file for several shops.
    static func choose(_ desired: DesiredState, selected: [String], options: RemoteOptions, console: Console) -> Chosen {
        switch ShopsRun.shops(of: desired, selected: selected) {
        case .failure(let failure):
            console.report([failure.diagnostic])
            console.finish(failure.status)
            return .stopped(failure.status)
        case .success(let shops):
            if let usage = checkSingleTokenFiles(options, shops: shops) {
                console.report(.usage, usage)
                console.finish(.usage)
                return .stopped(.usage)
            }
            return .shops(shops)
        }
    }

    /// Why the options cannot serve `shops`: a token file holds one token, so it serves one shop.
    static func checkSingleTokenFiles(_ options: RemoteOptions, shops: [String]) -> String? {
        guard shops.count > 1 else { return nil }
        for (flag, given) in [("--token-file", options.tokenFile), ("--shopify-token-file", options.shopifyTokenFile)] where given != nil {
            return
                "\(flag) holds one token, and this run covers \(shops.count) shops (\(shops.joined(separator: ", "))); each shop reads its own token variable (`stoq_token_env`, `shopify_token_env`), or name one shop with --shop"
        }
        return nil
    }

    /// The shops' diagnostics as one list: a problem of the configuration once, however many
    /// shops found it; a problem of a run (no location) once per shop, naming the shop.
    static func diagnostics(of runs: [(shop: String, diagnostics: [Diagnostic])]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        var out: [Diagnostic] = []
        for (shop, diagnostics) in runs {
            for diagnostic in diagnostics {
                let shown = named(diagnostic, shop: shop)
                if seen.insert(shown).inserted { out.append(shown) }
            }
        }
        return out
    }

    /// `diagnostic` with its shop named, when it has no location and does not name one.
    static func named(_ diagnostic: Diagnostic, shop: String) -> Diagnostic {
        guard diagnostic.location == nil, !diagnostic.message.hasPrefix("shop `"), !diagnostic.message.hasPrefix("shops `") else {
            return diagnostic
        }
        var named = diagnostic
        named.message = "shop `\(shop)`: " + diagnostic.message
        return named
    }
}
