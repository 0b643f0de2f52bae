import Foundation
import StoqCore
import StoqTestSupport
import Testing

@Suite("Help lists every gate and format from the code's tables")
struct HelpListsTests {
    /// The help of `command`, with ArgumentParser's wrapping undone so a list reads as one line.
    func help(_ command: String) async throws -> String {
        let output = try await Stoqctl.run([command, "--help"]).stdout
        return output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    @Test("every safety gate is in the --allow-gate help of plan, show and apply, and in apply's discussion")
    func gates() async throws {
        let names = SafetyGate.allCases.map(\.rawValue)
        let list = names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
        for command in ["plan", "show", "apply"] {
            let text = try await help(command)
            #expect(text.contains("GATE is \(list); HASH is"), "\(command) --help lists the gates")
        }
        let apply = try await help("apply")
        let all = names.dropLast().joined(separator: ", ") + " and " + (names.last ?? "")
        #expect(apply.contains("the safety gates of stoqctl.yaml: \(all)."), "apply --help lists the gates")
    }

    @Test("plan and show list every output format; validate and fetch the ones they print")
    func formats() async throws {
        let plan = try await help("plan")
        let show = try await help("show")
        let all = OutputFormat.allCases.map(\.rawValue)
        #expect(plan.contains("Formats: \(all.dropLast().joined(separator: ", ")) and \(all.last ?? "")."))
        #expect(show.contains("exactly as `plan` printed it: \(all.dropLast().joined(separator: ", ")) or \(all.last ?? "")."))
        #expect(try await help("validate").contains("Formats: text, json and github."))
        #expect(try await help("fetch").contains("Formats: text and json."))
    }
}
