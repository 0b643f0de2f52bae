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

            Output is stable: plans by internal_name, fields in API order, variant ids
            sorted, no timestamps. `stoqctl plan DIR` right after an export says "No
            changes."

            EXAMPLES
              stoqctl export --out shop/ \\
                  --endpoint emulator:examples/shop/remote-state.json
              STOQ_API_TOKEN=… stoqctl export --out shop/ && stoqctl plan shop/
              stoqctl export > all-plans.yaml

            """ + ExitStatus.helpSection([.success, .failure, .usage]))

    @Option(help: "Directory to write into (one file per plan under preorders/); standard output when absent.", completion: .directory)
    var out: String?

    @Flag(help: "Replace files of the same name in --out.")
    var overwrite = false

    @OptionGroup var remote: RemoteOptions

    func execute() async -> ExitStatus {
        let console = Console()
        let slot = SessionSlot(remote, console: console)
        let outcome = await ExportRun.run(asFiles: out != nil, connect: slot.connect)
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
                    "Exported \(result.exported) plan\(result.exported == 1 ? "" : "s") to \(out) (\(result.files.count) file\(result.files.count == 1 ? "" : "s"))\(left > 0 ? "; \(left) left out (see the warnings)" : "") from \(outcome.shop ?? "STOQ") in \(outcome.requests) requests.\n"
                )
            } catch {
                console.report([error.diagnostic])
                status = error.status
            }
        }
        console.finish(status)
        return status
    }

    /// Writes the files under `out`; returns the other configuration files found there.
    static func write(_ result: ExportResult, into out: String, overwrite: Bool) throws(RunFailure) -> [String] {
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
        let others = ConfigFiles(paths: [out], limits: .standard).files.map(\.0.path).filter {
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
