import Foundation
import StoqCore
import StoqTestSupport
import Testing

@Suite("The docs state what the code does")
struct DocsTests {
    @Test("Docs/ConfigReference.md lists every diagnostic code with its severity and meaning")
    func everyCode() throws {
        let text = try String(
            contentsOf: Golden.repositoryRoot.appendingPathComponent("Docs/ConfigReference.md"), encoding: .utf8)
        for code in DiagnosticCode.allCases {
            let planning = code == .ambiguousRemotePlan || code == .unknownTarget ? "(plan) " : ""
            let row = "| `\(code.rawValue)` | \(code.defaultSeverity.rawValue) | \(planning)\(code.summary) |"
            #expect(text.contains(row), "missing row: \(row)")
        }
    }

    @Test("README, Docs/ConfigReference.md and Docs/PlanFormat.md list every safety gate with its setting, and no other")
    func everyGate() throws {
        let readme = try text("README.md")
        let reference = try text("Docs/ConfigReference.md")
        let planFormat = try text("Docs/PlanFormat.md")
        for gate in SafetyGate.allCases {
            #expect(planFormat.contains("{ \"gate\": \"\(gate.rawValue)\", \"count\""), "PlanFormat's example lacks \(gate.rawValue)")
            #expect(planFormat.contains("\"\(gate.setting)\": "), "PlanFormat's thresholds lack \(gate.setting)")
            #expect(readme.contains("| `\(gate.rawValue)` | `\(gate.setting)` ("), "README's gate table lacks \(gate.rawValue)")
            #expect(reference.contains("| `safety.\(gate.setting)` |"), "ConfigReference lacks safety.\(gate.setting)")
            #expect(
                reference.contains("| gate `\(gate.rawValue)`: "), "ConfigReference does not say \(gate.setting) sets gate \(gate.rawValue)"
            )
        }
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("` | `max_") }
        #expect(rows.count == SafetyGate.allCases.count, "README's gate table has one row per gate: \(rows)")
    }

    @Test("README, Docs and source comments state facts themselves: no reference to files outside the repository")
    func standsAlone() throws {
        let root = Golden.repositoryRoot
        var checked = 0
        let walker = FileManager.default.enumerator(atPath: root.path)
        while let path = walker?.nextObject() as? String {
            guard path.hasPrefix("Sources/") || path.hasPrefix("Docs/") || path == "README.md" || path == "CHANGELOG.md" else { continue }
            guard path.hasSuffix(".swift") || path.hasSuffix(".md") else { continue }
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            checked += 1
            for outside in ["product.md", "stoq-api.md", "anchors.md", "style-anchors.md", "architecture.md", "shared/reference"] {
                #expect(!text.contains(outside), "\(path) cites \(outside)")
            }
        }
        #expect(checked > 50)
    }
}

/// A file of the repository, as text.
func text(_ path: String) throws -> String {
    try String(contentsOf: Golden.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
}

@Suite("The README shows what ships")
struct ReadmeShipsTests {

    @Test("every example workflow appears in the README exactly as in examples/github")
    func workflows() throws {
        let readme = try text("README.md")
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(
            atPath: Golden.repositoryRoot.appendingPathComponent("examples/github").path) where name.hasSuffix(".yml")
        {
            let workflow = try text("examples/github/\(name)")
            #expect(readme.contains("# .github/workflows/\(name)\n" + workflow), "README shows \(name) as it is")
            #expect(workflow.contains("uses: \(Release.repository)@\(Release.actionTag)\n"), "\(name) uses the action's major tag")
            checked += 1
        }
        #expect(checked == 4)
    }

    @Test("third-party actions are pinned by commit with their version beside it; this action by its major tag")
    func pinnedActions() throws {
        let root = Golden.repositoryRoot
        var files = ["action.yml", "README.md"]
        for folder in ["examples/github", ".github/workflows"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            files += names.filter { $0.hasSuffix(".yml") }.map { "\(folder)/\($0)" }
        }
        var thirdParty = 0
        var ours = 0
        for file in files {
            for line in try text(file).split(separator: "\n") {
                guard let range = line.range(of: "uses: ") else { continue }
                let reference = line[range.upperBound...].prefix { $0.isLetter || $0.isNumber || "-_./@".contains($0) }
                let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
                if reference.hasPrefix("./") {
                    continue
                } else if parts[0] == Release.repository {
                    #expect(parts.count == 2 && parts[1] == Release.actionTag, "\(file): \(line)")
                    ours += 1
                } else {
                    let sha = parts.count == 2 ? parts[1] : ""
                    let pinned = sha.count == 40 && sha.allSatisfy(\.isHexDigit)
                    #expect(pinned && line.contains("@\(sha) # v"), "\(file): \(line) is not pinned by commit with its version")
                    thirdParty += 1
                }
            }
        }
        #expect(thirdParty >= 10 && ours >= 6)
    }

    @Test("the README installs and links this version")
    func version() throws {
        let readme = try text("README.md")
        #expect(readme.contains("v=\(Release.version); f=stoqctl-$v-linux-$(uname -m).tar.gz"))
        #expect(readme.contains("https://github.com/\(Release.repository)/releases/download/v$v/$f"))
        #expect(readme.contains(Exporter.schemaLine))
        #expect(try text("action.yml").contains("bash \"$GITHUB_ACTION_PATH/action/run.sh\""))
    }
}

@Suite("The README shows the tour's real output")
struct ReadmeTourTests {

    @Test("the plan hash and the refusal the README quotes are those of the tour's goldens")
    func quotes() throws {
        let readme = try text("README.md")
        let plan = try text("Tests/Fixtures/tour/01-plan.txt")
        let hash = try #require(plan.split(separator: "\n").first { $0.hasPrefix("Plan hash: ") })
        #expect(readme.contains(hash))
        let refused = try text("Tests/Fixtures/tour/05-apply-the-drift.txt")
        for line in refused.split(separator: "\n") where line.hasPrefix("error: ") {
            #expect(readme.contains(line), "README quotes: \(line)")
        }
        let summary = try #require(plan.split(separator: "\n").first { $0.hasPrefix("Plan: ") })
        #expect(readme.contains(summary))
    }
}
