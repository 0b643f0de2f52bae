import Foundation
import StoqTestSupport
import Testing

/// The completion scripts `stoqctl --generate-completion-script` writes complete paths: YAML
/// configuration and directories, saved plans (`*.json`), and files or directories for options.
@Suite("shell completions complete paths")
struct CompletionTests {
    /// The script for `shell`.
    func script(_ shell: String) async throws -> String {
        let r = try await Stoqctl.run(["--generate-completion-script", shell])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    /// The body of the shell function `name` (bash and zsh): from its opening line to its `}`.
    func function(_ name: String, in script: String) -> String {
        guard let start = script.range(of: "\n\(name)() {\n") else { return "" }
        let rest = script[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n}\n")?.lowerBound ?? rest.endIndex)])
    }

    @Test("bash: configuration files and directories, saved plans, and files or directories for options")
    func bash() async throws {
        let text = try await script("bash")
        let configuration = "__stoqctl_add_completions -o plusdirs -fX '!*.@(yaml|yml)'"
        for command in ["validate", "plan", "fetch"] {
            #expect(
                function("_stoqctl_\(command)", in: text).contains(
                    "# Offer positional completions\n    case \"${positional_number}\" in\n    *)\n        \(configuration)"), "\(command)")
        }
        let show = function("_stoqctl_show", in: text)
        #expect(show.contains("__stoqctl_add_completions -o plusdirs -fX '!*.@(json)'"))
        let apply = function("_stoqctl_apply", in: text)
        #expect(apply.contains("__stoqctl_add_completions -o plusdirs -fX '!*.@(json|yaml|yml)'"))
        for option in ["--report", "--token-file", "--shopify-token-file"] {
            #expect(apply.contains("'\(option)')\n        __stoqctl_add_completions -f\n"), "apply \(option)")
        }
        #expect(apply.contains("'--cache')\n        __stoqctl_add_completions -d\n"))
        #expect(function("_stoqctl_plan", in: text).contains("'--out')\n        __stoqctl_add_completions -f\n"))
        #expect(function("_stoqctl_export", in: text).contains("'--out')\n        __stoqctl_add_completions -d\n"))
    }

    @Test("zsh: configuration files and directories, saved plans, and files or directories for options")
    func zsh() async throws {
        let text = try await script("zsh")
        for command in ["validate", "plan", "fetch"] {
            #expect(function("_stoqctl_\(command)", in: text).contains("'*:paths:_files -g '\\''*.yaml *.yml'\\'''"), "\(command)")
        }
        #expect(function("_stoqctl_show", in: text).contains("':plan:_files -g '\\''*.json'\\'''"))
        let apply = function("_stoqctl_apply", in: text)
        #expect(apply.contains("'*:paths:_files -g '\\''*.json *.yaml *.yml'\\'''"))
        #expect(apply.contains(":report:_files'"))
        #expect(apply.contains(":token-file:_files'"))
        #expect(apply.contains(":shopify-token-file:_files'"))
        #expect(apply.contains(":cache:_files -/'"))
        #expect(function("_stoqctl_plan", in: text).contains(":out:_files'"))
        #expect(function("_stoqctl_export", in: text).contains(":out:_files -/'"))
    }

    @Test("fish: configuration files and directories, saved plans, and files or directories for options")
    func fish() async throws {
        let lines = try await script("fish").split(separator: "\n").map(String.init)
        /// The completion lines for `command`'s positional arguments or for its option `option`.
        func completions(_ command: String, option: String? = nil) -> [String] {
            lines.filter { line in
                guard let option else { return line.contains("__stoqctl_should_offer_completions_for_positional \"stoqctl \(command)\"") }
                return line.contains("\"stoqctl \(command)\"") && line.contains(" -l '\(option)' ")
            }
        }
        let directories = "__fish_complete_directories (commandline -t)"
        for command in ["validate", "plan", "fetch"] {
            let found = completions(command)
            #expect(
                found.count == 1 && found[0].contains("set -l exts \\'yaml\\' \\'yml\\'") && found[0].contains(directories),
                "\(command): \(found)")
        }
        #expect(completions("show").first?.contains("*.\\'json\\'") == true)
        #expect(completions("apply").first?.contains("set -l exts \\'json\\' \\'yaml\\' \\'yml\\'") == true)
        for option in ["report", "token-file", "shopify-token-file"] {
            #expect(completions("apply", option: option).first?.hasSuffix(" -rF") == true, "apply --\(option)")
        }
        #expect(completions("plan", option: "out").first?.hasSuffix(" -rF") == true)
        #expect(completions("export", option: "out").first?.hasSuffix("-rfa '(__stoqctl_complete_directories)'") == true)
        #expect(completions("apply", option: "cache").first?.hasSuffix("-rfa '(__stoqctl_complete_directories)'") == true)
    }
}
