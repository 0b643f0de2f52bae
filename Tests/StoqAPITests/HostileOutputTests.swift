import Foundation
import HTTPTypes
import StoqAPI
import StoqTestSupport
import StoqWire
import Testing

@testable import StoqCore

/// Outside text that tries to become an instruction: workflow commands at a line start and
/// anywhere (`##[`), terminal controls (title, link, carriage return, erase line), bidi,
/// zero-width and line-separator characters, a BOM, Markdown that closes a fence or a details
/// block, an HTML comment and a mention.
let hostileTexts = [
    "summer\n::warning::INJECTED\n::add-mask::Plan\n```\n## Apply succeeded: nothing changed",
    "a ##[add-mask]x ##[stop-commands]TOKEN",
    "\u{1B}]0;title\u{07}\u{1B}]8;;https://evil.example\u{1B}\\link\u{1B}]8;;\u{1B}\\\r\u{1B}[2Kover",
    "pay\u{202E}fdp.exe\u{2066}x\u{2069}\u{200B}\u{200D}\u{FEFF}\u{2028}\u{2029}\u{85}\u{9B}31m\u{E0041}",
    "<!-- stoqctl --> @everyone ~~~ ``` </details> <summary>x</summary>",
    "  \t::error::indented\r\n  ::notice ::also",
]

/// What no output may hold, whatever its format; the problems found, empty when none.
func forbiddenSequences(in output: String, style: Sanitiser.Style, colour: Bool = false) -> [String] {
    var found: [String] = []
    if output.contains("##[") { found.append("`##[`") }
    let scalars = Array(output.unicodeScalars)
    for (i, scalar) in scalars.enumerated() where Sanitiser.isHidden(scalar) && scalar != "\n" && scalar != "\t" {
        if colour, scalar == "\u{1B}", i + 1 < scalars.count, scalars[i + 1] == "[" {
            let code = scalars[(i + 2)...].prefix { $0 == ";" || ("0"..."9").contains($0) }
            if i + 2 + code.count < scalars.count, scalars[i + 2 + code.count] == "m" { continue }
        }
        found.append("raw U+\(String(scalar.value, radix: 16)) at \(i)")
    }
    for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
        let body = line.drop { $0 == " " || $0 == "\t" }
        let own =
            style == .workflowCommands && body.startIndex == line.startIndex
            && ["::error ", "::warning ", "::notice "].contains { body.hasPrefix($0) }
        if body.hasPrefix("::"), !own { found.append("a workflow command line: \(line.prefix(60))") }
        if style != .markdown, body.hasPrefix("```") || body.hasPrefix("~~~") { found.append("a fence line: \(line.prefix(60))") }
        if style == .markdown, body.hasPrefix("#"), !body.hasPrefix("### stoqctl plan: "), !body.hasPrefix("#### ") {
            found.append("a heading from data: \(line.prefix(60))")
        }
    }
    if style == .markdown {
        // What GitHub reads as Markdown and HTML: outside code blocks and code spans.
        let markup = markdownOutsideCode(output)
        if markup.contains("<!--") { found.append("an HTML comment") }
        if markup.components(separatedBy: "<details>").count != markup.components(separatedBy: "</details>").count {
            found.append("an unbalanced </details>")
        }
        if markup.contains("<summary>x") { found.append("a <summary> from data") }
        if markup.contains("@everyone") { found.append("a mention") }
    }
    if style == .json, output.contains("INJECTED\n") { found.append("a raw line break in a JSON string") }
    return found
}

/// `markdown` without its fenced code blocks (a fence closes only on a line of at least as many
/// of its characters) and code spans (a run of backticks closes only on a run of the same length).
func markdownOutsideCode(_ markdown: String) -> String {
    var out: [String] = []
    var fence: (Character, Int)?
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
        let body = line.drop(while: { $0 == " " || $0 == ">" })
        let run = body.prefix { $0 == "`" || $0 == "~" }
        if let open = fence {
            if run.count >= open.1, run.allSatisfy({ $0 == open.0 }), body.dropFirst(run.count).allSatisfy({ $0 == " " }) { fence = nil }
            continue
        }
        if run.count >= 3, let first = run.first, run.allSatisfy({ $0 == first }) {
            fence = (first, run.count)
            continue
        }
        out.append(withoutCodeSpans(String(line)))
    }
    return out.joined(separator: "\n")
}

/// `line` without its code spans.
func withoutCodeSpans(_ line: String) -> String {
    let chars = Array(line)
    var out = ""
    var i = 0
    while i < chars.count {
        guard chars[i] == "`", i == 0 || chars[i - 1] != "\\" else {
            out.append(chars[i])
            i += 1
            continue
        }
        var n = 0
        while i + n < chars.count, chars[i + n] == "`" { n += 1 }
        var j = i + n
        var close: Int?
        while j < chars.count {
            var m = 0
            while j + m < chars.count, chars[j + m] == "`" { m += 1 }
            if m == n { close = j; break }
            j += max(m, 1)
        }
        guard let close else {
            out += String(chars[i..<(i + n)])
            i += n
            continue
        }
        i = close + n
    }
    return out
}

/// Every free-text string of a saved plan (names, ids, paths, refs, targets, the endpoint, the
/// policy source, string values) with `text` in front.
func poisoned(_ planJSON: String, with text: String) throws -> Plan {
    let outside: Set<String> = [
        "internal_name", "id", "name", "file", "ref", "commit", "endpoint", "inventory_policy_source", "before", "after", "targets",
    ]
    func poison(_ value: JSONValue, key: String?) -> JSONValue {
        switch value {
        case .string(let s) where key.map(outside.contains) == true: return .string(text + s)
        case .array(let items): return .array(items.map { poison($0, key: key) })
        case .object(let members):
            // A change's values are text only for text fields (a datetime stays a datetime).
            let field = members.first { $0.0 == "field" }?.1.stringValue
            let textual = field.map { $0 == "internal_name" || PlanField(rawValue: $0)?.type == .string } ?? true
            return .object(members.map { ($0.0, !textual && ($0.0 == "before" || $0.0 == "after") ? $0.1 : poison($0.1, key: $0.0)) })
        default: return value
        }
    }
    // Read without the render-back check: parts derived from the poisoned names (the gates'
    // change digests) are computed again when the plan is rendered.
    return try PlanJSON.Reader().plan(poison(try JSONValue.parse(planJSON), key: nil))
}

/// The golden saved plans: every kind of operation, baselines, unknown variants, deletes.
let hostilePlanFiles: [String] = {
    let dir = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.sorted().map { "Tests/Fixtures/plan/\($0)/plan.json" }.filter {
        FileManager.default.fileExists(atPath: Golden.repositoryRoot.appendingPathComponent($0).path)
    }
}()

@Suite("Hostile outside text: nothing escapes into CI, a terminal, a summary or a comment")
struct HostileOutputTests {
    @Test("every plan renderer × every free-text field of every golden plan", arguments: hostilePlanFiles)
    func plans(path: String) throws {
        let text = String(decoding: try Data(contentsOf: Golden.repositoryRoot.appendingPathComponent(path)), as: UTF8.self)
        for hostile in hostileTexts {
            let plan = try poisoned(text, with: hostile)
            let renders: [(String, Sanitiser.Style, Bool)] = [
                (TextPlanRenderer(color: false).render(plan), .text, false),
                (TextPlanRenderer(color: true).render(plan), .text, true),
                (MarkdownPlanRenderer().render(plan), .markdown, false),
                (MarkdownPlanRenderer(budget: 2_000).render(plan), .markdown, false),
                (GitHubPlanRenderer().render(plan), .workflowCommands, false),
                (JSONPlanRenderer().render(plan), .json, false),
            ]
            for (output, style, colour) in renders {
                let found = forbiddenSequences(in: output, style: style, colour: colour)
                #expect(found.isEmpty, "\(path) as \(style) with \(hostile.debugDescription): \(found)")
            }
            // JSON keeps the text exactly: the plan reads back the same, with the same hash.
            let decoded = try PlanJSON.decode(JSONPlanRenderer().render(plan))
            #expect(decoded.plan == plan)
            #expect(decoded.hash == PlanJSON.hash(plan))
        }
    }

    @Test("the text renderers show what they escaped: a bidi override is visible, not dropped")
    func visible() throws {
        let text = String(
            decoding: try Data(
                contentsOf: Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/plan/a-new-plan-is-created/plan.json")),
            as: UTF8.self)
        let plan = try poisoned(text, with: "pay\u{202E}fdp\n::x")
        for output in [TextPlanRenderer(color: false).render(plan), MarkdownPlanRenderer().render(plan), GitHubPlanRenderer().render(plan)]
        {
            #expect(output.contains("pay\\u{202e}fdp\\u{a}"), "\(output.prefix(400))")
        }
    }

    /// Diagnostics carrying `hostile` in every field: message, note, path, source line, and the
    /// description of a server's 422 whose error names it.
    func hostileDiagnostics(_ hostile: String) async throws -> (diagnostics: [Diagnostic], sources: [SourceFile]) {
        let body = JSONValue.object([("errors", .object([("name\n::warning::K " + hostile, .array([.string("v")]))]))]).renderCompact()
        let transport = InProcessTransport { _ throws(TransportError) in
            WireResponse(status: 422, headers: [.contentType: "application/json"], body: Array(body.utf8))
        }
        let client = StoqClient(transport: transport, token: try #require(APIToken("t")), governor: RateGovernor())
        var server: Diagnostic?
        do {
            _ = try await client.create(internalName: "x", fields: [])
        } catch {
            server = error.diagnostic("creating plan `\(hostile)` failed")
        }
        let path = "shop/\(hostile).yaml"
        let source = SourceFile(path: path, bytes: Array("\u{FEFF}version: 1\nname: \(hostile)\n".utf8))
        let located = Diagnostic(
            .typeMismatch, "`\(hostile)` is wrong", at: SourceLocation(file: path, line: 2, column: 7),
            notes: [DiagnosticNote("in plan `\(hostile)`", at: SourceLocation(file: path, line: 1, column: 2))])
        let many = (0..<12).map { Diagnostic(.unknownKey, "key `\(hostile)` \($0)", at: SourceLocation(file: path, line: 2, column: 1)) }
        return ([try #require(server), located] + many, [source])
    }

    @Test("every diagnostic printer × message, note, path, source line and a server's error body")
    func diagnostics() async throws {
        for hostile in hostileTexts {
            let (diagnostics, sources) = try await hostileDiagnostics(hostile)
            let plain = DiagnosticRenderer(sources: sources, color: false)
            let summary = DiagnosticRenderer.Summary(diagnostics, files: 1, plans: 1)
            let renders: [(String, Sanitiser.Style, Bool)] = [
                (plain.render(diagnostics, format: .text, summary: summary), .text, false),
                (DiagnosticRenderer(sources: sources, color: true).render(diagnostics, format: .text), .text, true),
                (plain.render(diagnostics, format: .github, summary: summary), .workflowCommands, false),
                (plain.render(diagnostics, format: .json, summary: summary), .json, false),
                (
                    MarkdownPlanRenderer.failure(
                        status: .failure, diagnostics: diagnostics, details: plain.render(diagnostics, format: .text)), .markdown, false
                ),
            ]
            for (output, style, colour) in renders {
                let found = forbiddenSequences(in: output, style: style, colour: colour)
                #expect(found.isEmpty, "\(style) with \(hostile.debugDescription): \(found)")
            }
            guard case .array(let items)? = try JSONValue.parse(plain.json(diagnostics, summary: summary))["diagnostics"] else {
                Issue.record("no diagnostics in the JSON")
                continue
            }
            #expect(items.first?["message"]?.stringValue == diagnostics[0].message, "JSON keeps the message exactly")
        }
    }

    @Test("the server's 422 body is named in the message, its line break shown, not obeyed")
    func serverError() async throws {
        let (diagnostics, _) = try await hostileDiagnostics("k")
        let text = DiagnosticRenderer(sources: [], color: false).render([diagnostics[0]], format: .text)
        #expect(text.contains("name\\u{a}:\\u{3a}warning::K k") || text.contains("name\\u{a}::warning::K k"), "\(text)")
        #expect(!text.contains("\n::warning::K"))
    }

    @Test("a file's byte-order mark is not shown as a character of its first line")
    func byteOrderMark() {
        let source = SourceFile(path: "a.yaml", bytes: Array("\u{FEFF}version: x\n".utf8))
        // Positions never count the mark: `x` is at column 10, as the parser reports it.
        let d = Diagnostic(.typeMismatch, "m", at: SourceLocation(file: "a.yaml", line: 1, column: 10))
        let text = DiagnosticRenderer(sources: [source], color: false).render([d], format: .text)
        #expect(text.contains(" 1 | version: x\n   |          ^\n"), "\(text)")
    }
}
