import ArgumentParser
import Foundation
import StoqAPI
import StoqCore
import StoqWire

/// `stoqctl fetch`: read the remote state the way `plan` does, and show what was read.
struct Fetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the shop's selling plans the way plan does, and report what was read and what it cost.",
        discussion: """
            Validates the configuration, lists every plan (at the largest page size),
            then reads in full only the plans the configuration manages. Prints a
            summary, or the remote state as JSON with --format json.

            EXAMPLES
              stoqctl fetch examples/shop \\
                  --endpoint emulator:examples/shop/remote-state.json
              STOQ_API_TOKEN=… stoqctl fetch shop/ --format json
            """)

    @Argument(help: "Configuration files or directories (default: the current directory).")
    var paths: [String] = []

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        let (desired, _) = try loadConfiguration(paths)
        let session = try await Session(remote, settings: desired.settings)
        let started = Date()
        let result: Fetcher.Result
        do {
            result = try await Fetcher(client: session.client).fetch(
                internalNames: Set(desired.plans.map(\.internalName.value)), ids: Set(desired.plans.compactMap(\.id?.value)))
        } catch {
            await session.close()
            throw CommandFailure("\(error)")
        }
        let elapsed = Date().timeIntervalSince(started)
        await session.close()
        switch format {
        case .json:
            emit(RemoteStateJSON.render(result.state) + "\n")
        default:
            let s = result.state
            let requests = result.listRequests + result.planRequests
            emit(
                "Fetched \(s.listed.count) plans from \(session.endpointDescription): \(s.managed.count) managed, \(s.unmanagedCount) unmanaged.\n"
            )
            emit(
                String(
                    format: "%d requests (%d list pages, %d plan reads) in %.2f s.\n", requests, result.listRequests, result.planRequests,
                    elapsed))
            for (id, problems) in result.problems.sorted(by: { $0.key < $1.key }) {
                emit("warning: plan \(id): \(problems.joined(separator: "; "))\n")
            }
        }
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
