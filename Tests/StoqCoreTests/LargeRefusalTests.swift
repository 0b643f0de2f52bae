import StoqCore
import Testing

@Suite("Huge values and key floods are refused in full, and their messages stay short")
struct LargeRefusalTests {
    @Test("a 4 MiB enum value is refused with a shortened message and no suggestion")
    func hugeEnumValue() {
        let text =
            "version: 1\nselling_plans:\n  - internal_name: a\n    name: A\n    billing_type: "
            + String(repeating: "x", count: 4 << 20) + "\n"
        let (_, diagnostics) = ConfigPipeline.run([(SourceFile(path: "plans.yaml", text: text), .config)])
        let refusal = diagnostics.first { $0.severity == .error }
        #expect(refusal?.location?.line == 5, "\(diagnostics.map(\.message).map { $0.prefix(100) })")
        #expect((refusal?.message.count ?? .max) < 2_000)
        #expect(refusal?.message.contains("did you mean") == false)
    }

    @Test("a typo still gets its suggestion")
    func typo() {
        let text = "version: 1\nselling_plans:\n  - internal_name: a\n    name: A\n    billing_typ: no_remaining_balance\n"
        let (_, diagnostics) = ConfigPipeline.run([(SourceFile(path: "plans.yaml", text: text), .config)])
        #expect(diagnostics.contains { $0.message.contains("did you mean `billing_type`?") }, "\(diagnostics)")
    }

    @Test("50,000 unknown keys: 100 listed with their hints, the rest counted, each key once")
    func keyFlood() {
        var text = "version: 1\nselling_plans:\n  - internal_name: a\n    name: A\n"
        for i in 0..<50_000 { text += "    nmae\(i): 1\n" }
        let (_, diagnostics) = ConfigPipeline.run([(SourceFile(path: "plans.yaml", text: text), .config)])
        #expect(diagnostics.filter { $0.code == .unknownKey }.count == 100)
        #expect(diagnostics.first { $0.code == .moreProblems }?.message.hasPrefix("49,900 more problems") == true)
        #expect(DiagnosticRenderer.Summary(diagnostics, files: 1, plans: 1).errors == 50_000)
    }
}
