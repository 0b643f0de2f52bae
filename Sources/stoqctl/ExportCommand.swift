import ArgumentParser
import Foundation
import StoqAPI
import StoqCore
import StoqWire

/// `stoqctl export`: the shop's selling plans as config that plans to "No changes".
struct ExportCommand: StoqctlCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the shop's selling plans as configuration files that plan to \"No changes\".",
        discussion: """
            Lists every plan, reads each in full, and writes one file per plan under
            DIR/preorders/ (or one document to standard output without --out). Only what
            STOQ returns and the configuration can hold is written: writable fields with
            a value, those that apply to the plan's *_type choices, membership for a
            custom source and, when policies are read from Shopify, each member's
            inventory policy. Write-only fields are not written. Anything left out is
            named in a warning on standard error and, for fields, in a comment in the
            file.

            Variants: when Shopify can be read (the settings that let export read
            policies: SHOPIFY_SHOP or --shopify-endpoint with SHOPIFY_ADMIN_TOKEN or
            --shopify-token-file; always with an emulator), each member in variants:
            and the inventory_policy: lists is written as sku:SKU when that SKU is
            carried by that variant alone, as plan resolves names. Every other member
            is written by id with a comment saying why: no SKU, a SKU shared by
            several variants, a SKU no name can hold (a leading or trailing space, a
            control character), or one Shopify's search does not find yet. Without
            Shopify, or with --variant-ids, members are written by id. The summary
            counts the Shopify queries and points the reads took.

            Output is stable: plans by internal_name, fields in API order, members by
            id, no timestamps. `stoqctl plan DIR` right after an export says "No
            changes."

            Several shops: when DIR holds a stoqctl.yaml with `shops:`, every shop it
            lists (or each --shop) is read at once, each on its own connection with its
            own token variables, and each offer is written once, in one file per
            internal_name: a key every shop with the offer writes alike is shared, a
            shop's other value goes under `overrides.<shop>`, and ids (an `id:` pin,
            members or policies by id, product_variants_source_id) are always under
            the shop's override when the offer is for several shops. `shops: [...]`
            is written when the offer is not in every shop of stoqctl.yaml. Planning
            every shop right after says "No changes." Nothing is written unless every
            shop was read.

            EXAMPLES
              stoqctl export --out shop/ \\
                  --endpoint emulator:examples/shop/remote-state.json
              STOQ_API_TOKEN=… stoqctl export --out shop/ && stoqctl plan shop/
              SHOPIFY_SHOP=acme SHOPIFY_ADMIN_TOKEN=… STOQ_API_TOKEN=… \\
                  stoqctl export --out shop/             # members by SKU
              stoqctl export > all-plans.yaml
              # shop/stoqctl.yaml lists shops: each shop's tokens from its variables
              STOQ_API_TOKEN_US=… STOQ_API_TOKEN_EU=… stoqctl export --out shop/ \\
                  && stoqctl plan shop/
              stoqctl export --out shop/ --shop eu   # eu alone: shops: [eu]

            """ + ExitStatus.helpSection([.success, .failure, .usage]))

    @Option(help: "Directory to write into (one file per plan under preorders/); standard output when absent.", completion: .directory)
    var out: String?

    @Flag(help: "Replace files of the same name in --out.")
    var overwrite = false

    @Flag(
        name: .customLong("variant-ids"),
        help:
            "Write variants by id even when Shopify can be read (policies are still read); by default a variant whose SKU is its alone is written sku:SKU."
    )
    var variantIDs = false

    @Option(
        name: .customLong("shop"),
        help: ArgumentHelp(
            "In a repository of several shops (`shops:` in the stoqctl.yaml of --out), only this shop (repeatable).",
            discussion: "Without it, every shop that stoqctl.yaml lists: each on its own connection and token, all at once."))
    var shops: [String] = []

    @OptionGroup var remote: RemoteOptions

    func execute() async -> ExitStatus {
        let console = Console()
        switch repositoryShops(console: console) {
        case .stop(let status):
            console.finish(status)
            return status
        case .shops(let loaded):
            return await executeShops(loaded, console: console)
        case .oneShop: break
        }
        let slot = SessionSlot(remote, console: console)
        let outcome = await ExportRun.run(asFiles: out != nil, names: !variantIDs, connect: slot.connect)
        var status = outcome.status
        if let closing = await slot.close() { status = max(status, closing) }
        guard status == .success else {
            console.report(outcome.diagnostics)
            console.finish(status)
            return status
        }
        if let document = outcome.document {
            console.report(outcome.diagnostics)
            console.result(document)
        } else if let out, let result = outcome.files {
            do {
                let others = try Self.write(result, into: out, overwrite: overwrite)
                console.report(outcome.diagnostics)
                if !others.isEmpty {
                    console.report(
                        .exportOtherFiles,
                        "\(out) also holds \(others.count) other configuration file\(others.count == 1 ? "" : "s") (\(others.prefix(3).joined(separator: ", "))\(others.count > 3 ? ", …" : "")); plan reads them too"
                    )
                }
                let left = outcome.listed - result.exported
                console.result(
                    "Exported \(result.exported) plan\(result.exported == 1 ? "" : "s") to \(out) (\(result.files.count) file\(result.files.count == 1 ? "" : "s"))\(left > 0 ? "; \(left) left out (see the warnings)" : "") from \(outcome.shop ?? "STOQ") in \(outcome.requests) requests\(Self.shopifySummary(outcome)).\n"
                )
            } catch {
                console.report([error.diagnostic])
                status = error.status
            }
        }
        console.finish(status)
        return status
    }

    /// What export writes into: a repository of one shop, or of several (its settings), or
    /// nothing (the exit status, once the reason is reported).
    enum Repository {
        case oneShop
        case shops(ConfigResult)
        case stop(ExitStatus)
    }

    /// The repository being written: of several shops when `--out` holds a `stoqctl.yaml` with
    /// `shops:`.
    ///
    /// That file is read alone, through the configuration pipeline. Without it, a repository of
    /// one shop, exported as before; `--shop` without it is a usage error.
    func repositoryShops(console: Console) -> Repository {
        let named = shops.map { "--shop \($0)" }.joined(separator: " ")
        guard let out else {
            guard shops.isEmpty else {
                console.report(
                    .usage,
                    "\(named): export reads the shops from stoqctl.yaml (with `shops:`) in the repository it writes, and there is no --out DIR; pass --out with the repository's directory"
                )
                return .stop(.usage)
            }
            return .oneShop
        }
        let path = (out as NSString).appendingPathComponent("stoqctl.yaml")
        guard FileManager.default.fileExists(atPath: path) else {
            guard shops.isEmpty else {
                console.report(
                    .usage,
                    "\(named): \(path) does not exist; export reads the shops from stoqctl.yaml (with `shops:`) in --out, so write it first, or export one shop without --shop"
                )
                return .stop(.usage)
            }
            return .oneShop
        }
        let loaded = ConfigPipeline.run(readConfiguration([path]))
        let describesShops = loaded.desired.hasShops || loaded.desired.settings.shopsLocation != nil
        guard describesShops || !shops.isEmpty else { return .oneShop }
        guard !loaded.hasErrors else {
            console.show(sources: loaded.sources)
            console.reportRun(loaded.diagnostics, config: loaded)
            return .stop(.failure)
        }
        guard describesShops else {
            console.report(
                .usage,
                "\(named): \(path) has no `shops:`; this repository describes one shop, exported without --shop")
            return .stop(.usage)
        }
        return .shops(loaded)
    }

    /// A repository of several shops: every shop (or those `--shop` names) read at once, each on
    /// its own connection with its own tokens, and written as one set of files.
    func executeShops(_ loaded: ConfigResult, console: Console) async -> ExitStatus {
        guard let out else { return .usage }
        let chosen: [String]
        switch ShopSessions.choose(loaded.desired, selected: shops, options: remote, console: console) {
        case .stopped(let status): return status
        case .shops(let names): chosen = names
        }
        console.show(sources: loaded.sources)
        console.reportRun(loaded.diagnostics, config: loaded)
        let sessions = ShopSessions(remote, console: console, repository: repositoryRoot([out]), shops: chosen)
        let outcome = await ExportRun.run(shops: chosen, of: loaded.desired, names: !variantIDs, connect: sessions.connect)
        var status = outcome.status
        if let closing = await sessions.close() { status = max(status, closing) }
        let diagnostics = ShopSessions.diagnostics(of: outcome.shops.map { ($0.shop, $0.outcome.diagnostics) })
        guard status == .success, let result = outcome.files else {
            console.report(diagnostics)
            console.finish(status)
            return status
        }
        do {
            let others = try Self.write(result, into: out, overwrite: overwrite, settings: false)
            console.report(diagnostics + outcome.diagnostics)
            if !others.isEmpty {
                console.report(
                    .exportOtherFiles,
                    "\(out) also holds \(others.count) other configuration file\(others.count == 1 ? "" : "s") (\(others.prefix(3).joined(separator: ", "))\(others.count > 3 ? ", …" : "")); plan reads them too"
                )
            }
            var text =
                "Exported \(result.exported) plan\(result.exported == 1 ? "" : "s") to \(out) (\(result.files.count) file\(result.files.count == 1 ? "" : "s")) from \(chosen.count) shop\(chosen.count == 1 ? "" : "s"):\n"
            for (shop, one) in outcome.shops {
                text +=
                    "  \(shop): \(one.listed) plan\(one.listed == 1 ? "" : "s") listed by \(one.shop ?? "STOQ") in \(one.requests) requests\(Self.shopifySummary(one)).\n"
            }
            console.result(text)
        } catch {
            console.report(diagnostics + [error.diagnostic])
            status = error.status
        }
        console.finish(status)
        return status
    }

    /// What the summary says about Shopify: the reads' cost and how the members were written
    /// (empty when Shopify was not asked anything).
    static func shopifySummary(_ outcome: ExportRun.Outcome) -> String {
        guard let source = outcome.policySource, outcome.shopifyQueries > 0 else { return "" }
        let q = outcome.shopifyQueries
        var text =
            ", and Shopify (\(Sanitiser.shown(source))) in \(q) quer\(q == 1 ? "y" : "ies") (\(outcome.shopifyPoints) point\(outcome.shopifyPoints == 1 ? "" : "s"))"
        if let naming = outcome.naming, naming.count > 0 {
            let byID = naming.reasons.count
            text += "; \(naming.skus.count) of \(naming.count) variant\(naming.count == 1 ? "" : "s") written by SKU"
            if byID > 0 { text += ", \(byID) by id (a comment beside each says why)" }
        }
        return text
    }

    /// Writes the files under `out`; returns the other configuration files found there.
    static func write(_ result: ExportResult, into out: String, overwrite: Bool, settings: Bool = true) throws(RunFailure) -> [String] {
        let root = URL(fileURLWithPath: out)
        let existing = result.files.map { root.appendingPathComponent($0.path) }.filter { FileManager.default.fileExists(atPath: $0.path) }
        if !existing.isEmpty, !overwrite {
            let names = existing.prefix(5).map { "\(out)/\($0.path.dropFirst(root.path.count + 1))" }.joined(separator: ", ")
            throw RunFailure(
                .exportWouldOverwrite,
                "\(existing.count) file\(existing.count == 1 ? "" : "s") already exist\(existing.count == 1 ? "s" : "") (\(names)\(existing.count > 5 ? ", …" : "")); pass --overwrite to replace, or export into an empty directory; nothing was written"
            )
        }
        let written = Set(result.files.map { root.appendingPathComponent($0.path).standardizedFileURL.path })
        let others = ConfigFiles(paths: [out], limits: .standard).files.filter { settings || $0.1 != .settings }.map(\.0.path).filter {
            !written.contains(URL(fileURLWithPath: $0).standardizedFileURL.path)
        }
        do {
            for file in result.files {
                let url = root.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Secrets.write(file.text, to: url)
            }
        } catch {
            throw RunFailure(.outputUnwritable, "--out \(out): \(error.localizedDescription)")
        }
        return others
    }
}
