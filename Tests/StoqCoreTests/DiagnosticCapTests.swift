import StoqCore
import Testing

@Suite("A file full of mistakes is listed in part and counted in full")
struct DiagnosticCapTests {
    func file(_ items: Int) -> String {
        "version: 1\nselling_plans:\n  - internal_name: p\n    product_variants_source: custom\n    variants: ["
            + Array(repeating: "x", count: items).joined(separator: ", ") + "]\n"
    }

    @Test("50,000 bad ids: 100 listed, one more-problems counts the other 49,900, and the run still fails")
    func perFile() {
        let (_, diagnostics) = ConfigPipeline.run([(SourceFile(path: "plans.yaml", text: file(50_000)), .config)])
        let listed = diagnostics.filter { $0.code == .invalidVariantID }
        #expect(listed.count == 100)
        let more = diagnostics.filter { $0.code == .moreProblems }
        #expect(more.count == 1)
        #expect(more.first?.message.hasPrefix("49,900 more problems in this file (49,900 errors) are not listed") == true)
        #expect(more.first?.severity == .error)
        #expect(diagnostics.hasErrors)
        let summary = DiagnosticRenderer.Summary(diagnostics, files: 1, plans: 1)
        #expect(summary.errors == 50_000, "the summary counts every problem, listed or not")
    }

    @Test("over many files, 1,000 are listed in all and each file's rest is counted")
    func total() {
        let files = (0..<15).map {
            (
                SourceFile(path: "plans-\($0).yaml", text: file(150).replacingOccurrences(of: "name: p", with: "name: p\($0)")),
                SourceRole.config
            )
        }
        let (_, diagnostics) = ConfigPipeline.run(files)
        let listed = diagnostics.filter { $0.code != .moreProblems }.count
        #expect(listed <= 1_000 && listed > 900)
        // Every problem is either listed or counted.
        let counted = diagnostics.filter { $0.code == .moreProblems }.compactMap {
            Int($0.message.prefix { $0 != " " }.replacingOccurrences(of: ",", with: ""))
        }
        #expect(listed + counted.reduce(0, +) == 15 * 150)
        #expect(diagnostics.count <= 1_000 + 15)
    }

    @Test("a long value is shortened in the message")
    func shortened() {
        // An unknown key is quoted whole in its message (YAML keys stop at 1,024 characters).
        let long = String(repeating: "k", count: 1_000)
        let text = "version: 1\nselling_plans:\n  - internal_name: p\n    \(long): 1\n"
        let (_, diagnostics) = ConfigPipeline.run([(SourceFile(path: "plans.yaml", text: text), .config)])
        let unknown = diagnostics.filter { $0.code == .unknownKey }
        #expect(unknown.count == 1)
        #expect(unknown.allSatisfy { $0.message.count == Diagnostics.messageLength && $0.message.hasSuffix("…") })
    }
}
