import StoqCore
import Testing

@Suite("Line endings and a byte-order mark: positions as GitHub counts lines")
struct LineEndingTests {
    func parse(_ bytes: [UInt8]) -> YAMLParser.Result {
        YAMLParser.parse(SourceFile(path: "shop/plans.yaml", bytes: bytes))
    }

    @Test("a UTF-8 byte-order mark is accepted")
    func byteOrderMark() {
        let r = parse([0xEF, 0xBB, 0xBF] + Array("version: 1\nselling_plans:\n  - internal_name: a\n    name: A\n".utf8))
        #expect(r.document != nil, "\(r.diagnostics)")
        #expect(!r.diagnostics.hasErrors)
    }

    @Test("a byte-order mark does not move later positions")
    func byteOrderMarkPositions() {
        let text = Array("version: 1\nselling_plans: [\n  - a: 1\n  b\n".utf8)
        let marked = parse([0xEF, 0xBB, 0xBF] + text).diagnostics.first { $0.severity == .error }?.location
        let plain = parse(text).diagnostics.first { $0.severity == .error }?.location
        #expect(plain != nil && marked?.line == plain?.line && marked?.column == plain?.column, "\(String(describing: marked))")
    }

    @Test("a lone carriage return is refused at its position, counted in lines GitHub shows")
    func loneCR() {
        let r = parse(Array("version: 1\nselling_plans:\r  - internal_name: a\n".utf8))
        #expect(r.document == nil)
        let error = r.diagnostics.first { $0.severity == .error }
        #expect(error?.code == .yamlSyntax)
        #expect(error?.location?.line == 2 && error?.location?.column == 15, "\(r.diagnostics)")
        #expect(error?.message.contains("carriage return") == true, "\(r.diagnostics)")
    }

    @Test("CRLF files are positioned as LF files")
    func crlf() {
        let lf = parse(Array("version: 1\nselling_plans:\n  - [\n".utf8)).diagnostics.first?.location
        let crlf = parse(Array("version: 1\r\nselling_plans:\r\n  - [\r\n".utf8)).diagnostics.first?.location
        #expect(lf != nil && lf?.line == crlf?.line && lf?.column == crlf?.column, "\(String(describing: lf)) \(String(describing: crlf))")
    }
}
