import ArgumentParser
import Foundation
import StoqAPI
import StoqCore
import StoqWire

/// `stoqctl fetch`: read the remote state the way `plan` does, and show what was read.
struct Fetch: StoqctlCommand {
    /// The formats it prints: checked on the command line, and listed in its help.
    static let formats: [OutputFormat] = [.text, .json]

    static let configuration = CommandConfiguration(
        abstract: "Read the shop's selling plans the way plan does, and report what was read and what it cost.",
        discussion: """
            Validates the configuration, lists every plan (at the largest page size),
            then reads in full only the plans the configuration manages. Prints a
            summary, or the remote state as JSON with --format json. Formats:
            \(HelpLists.formats(formats, or: "and")).

            EXAMPLES
              stoqctl fetch examples/shop \\
                  --endpoint emulator:examples/shop/remote-state.json
              STOQ_API_TOKEN=… stoqctl fetch shop/ --format json

            """ + ExitStatus.helpSection([.success, .failure, .usage]))

    @Argument(help: "Configuration files or directories (default: the current directory).", completion: .configuration)
    var paths: [String] = []

    @OptionGroup var output: FormatOption
    @OptionGroup var remote: RemoteOptions

    @Option(help: "In a repository of several shops (`shops:` in stoqctl.yaml), the shop to read.")
    var shop: String?

    func validate() throws {
        try output.check(Self.formats, command: "fetch")
    }

    func execute() async -> ExitStatus {
        let console = Console(format: output.format, color: output.color)
        let slot = SessionSlot(remote, console: console, repository: repositoryRoot(paths))
        let started = Date()
        let outcome = await FetchRun.run(readConfiguration(paths), shop: shop, connect: slot.connect)
        let elapsed = Date().timeIntervalSince(started)
        console.show(sources: outcome.config.sources)
        console.reportRun(outcome.diagnostics, config: outcome.config)
        var status = outcome.status
        if let result = outcome.fetched {
            let s = result.state
            switch output.format {
            case .json:
                console.result(RemoteStateJSON.render(s) + "\n")
            default:
                let requests = result.listRequests + result.planRequests
                console.result(
                    "Fetched \(s.listed.count) plans from \(outcome.shop ?? "STOQ"): \(s.managed.count) managed, \(s.unmanagedCount) unmanaged.\n"
                        + String(
                            format: "%d requests (%d list pages, %d plan reads) in %.2f s.\n", requests, result.listRequests,
                            result.planRequests, elapsed))
            }
        }
        if let closing = await slot.close() { status = max(status, closing) }
        console.finish(status)
        return status
    }
}

/// The remote state as JSON (stable order), for `fetch --format json`.
enum RemoteStateJSON {
    static func render(_ state: RemoteState) -> String {
        let plans: [JSONValue] = state.managed.map { p in
            var fields: [(String, JSONValue)] = []
            for field in PlanField.allCases {
                if let v = p.fields[field] { fields.append((field.rawValue, v.json)) }
            }
            return .object([
                ("id", .string(p.id)), ("internal_name", .string(p.internalName)), ("fields", .object(fields)),
                ("shopify_variant_ids", .array(p.variantIDs.map { .integer($0) })), ("ongoing_job", .bool(p.ongoingJob)),
            ])
        }
        return JSONValue.object([
            ("format_version", .integer(1)),
            ("listed", .integer(Int64(state.listed.count))),
            ("unmanaged", .integer(Int64(state.unmanagedCount))),
            ("managed", .array(plans)),
        ]).render()
    }
}
