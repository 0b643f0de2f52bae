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
