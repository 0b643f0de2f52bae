import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// `stoqctl export`: the shop's selling plans as config that plans to "No changes".
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the shop's selling plans as configuration files that plan to \"No changes\".",
        discussion: """
            Lists every plan, reads each in full, and writes one file per plan under
            DIR/preorders/ (or one document to standard output without --out). Only what
            STOQ returns and the configuration can hold is written: writable fields with
            a value, those that apply to the plan's *_type choices, and membership for a
            custom source. Inventory policies (STOQ cannot read them back) and
            write-only fields are not written. Anything left out is named in a warning
            on standard error and, for fields, in a comment in the file.

            Output is stable: plans by internal_name, fields in API order, variant ids
            sorted, no timestamps. `stoqctl plan DIR` right after an export says "No
            changes."

            EXAMPLES
              stoqctl export --out shop/ \\
                  --endpoint emulator:examples/shop/remote-state.json
              STOQ_API_TOKEN=… stoqctl export --out shop/ && stoqctl plan shop/
              stoqctl export > all-plans.yaml

            EXIT CODES
              0  exported (warnings, if any, name what was left out)
              1  STOQ could not be read, or DIR holds files export would overwrite (see
                 --overwrite)
            """)

    @Option(help: "Directory to write into (one file per plan under preorders/); standard output when absent.")
    var out: String?

    @Flag(help: "Replace files of the same name in --out.")
    var overwrite = false

    @OptionGroup var remote: RemoteOptions

    /// Warnings one per line; type choices left out as one note (each is a comment in its file).
    static func report(_ result: ExportResult) {
        for w in result.warnings { emitError("warning: \(w)\n") }
        guard !result.notes.isEmpty else { return }
        emitError(
            "note: \(result.notes.count) type choice\(result.notes.count == 1 ? "" : "s") left out (unmanaged) because STOQ returned the field \(result.notes.count == 1 ? "it requires" : "they require") empty, e.g. \(result.notes[0]); each is a comment in its file\n"
        )
    }

    func run() async throws {
        let session = try await Session(remote, settings: nil)
        let fetched: Fetcher.Result
        do {
            fetched = try await Fetcher(client: session.client).fetchAll()
        } catch {
            await session.close()
            throw CommandFailure("reading the shop failed: \(error)")
        }
        await session.close()
        for (id, problems) in fetched.problems.sorted(by: { $0.key < $1.key }) {
            emitError("warning: plan \(id): STOQ returned values stoqctl could not read, left out: \(problems.joined(separator: "; "))\n")
        }
        guard let out else {
            let (text, result) = Exporter.document(fetched.state.managed)
            Self.report(result)
            emit(text)
            return
        }
        let result = Exporter.export(fetched.state.managed)
        let root = URL(fileURLWithPath: out)
        let existing = result.files.map { root.appendingPathComponent($0.path) }.filter { FileManager.default.fileExists(atPath: $0.path) }
        if !existing.isEmpty, !overwrite {
            let names = existing.prefix(5).map { "\(out)/\($0.path.dropFirst(root.path.count + 1))" }.joined(separator: ", ")
            throw CommandFailure(
                "\(existing.count) file\(existing.count == 1 ? "" : "s") already exist\(existing.count == 1 ? "s" : "") (\(names)\(existing.count > 5 ? ", …" : "")); pass --overwrite to replace, or export into an empty directory; nothing was written"
            )
        }
        let written = Set(result.files.map { root.appendingPathComponent($0.path).standardizedFileURL.path })
        let others = ConfigFiles(paths: [out], limits: .standard).files.map(\.0.path).filter {
            !written.contains(URL(fileURLWithPath: $0).standardizedFileURL.path)
        }
        do {
            for file in result.files {
                let url = root.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.text.utf8).write(to: url, options: .atomic)
            }
        } catch {
            throw CommandFailure("--out \(out): \(error.localizedDescription)")
        }
        Self.report(result)
        if !others.isEmpty {
            emitError(
                "warning: \(out) also holds \(others.count) other configuration file\(others.count == 1 ? "" : "s") (\(others.prefix(3).joined(separator: ", "))\(others.count > 3 ? ", …" : "")); plan reads them too\n"
            )
        }
        let left = fetched.state.listed.count - result.exported
        emit(
            "Exported \(result.exported) plan\(result.exported == 1 ? "" : "s") to \(out) (\(result.files.count) file\(result.files.count == 1 ? "" : "s"))\(left > 0 ? "; \(left) left out (see the warnings)" : "") from \(session.endpointDescription) in \(fetched.listRequests + fetched.planRequests) requests.\n"
        )
    }
}
