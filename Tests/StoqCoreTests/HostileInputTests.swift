import Foundation
import StoqCore
import StoqTestSupport
import Testing

/// Hostile input must be refused with a diagnostic at the standard limits: never a crash, never
/// a hang.
///
/// Each case runs on its own thread with a generous bound that only a hang would exceed
/// (a guard against hangs, not a speed target: speed is measured by the benchmark).
struct HostileCase: CustomTestStringConvertible, Sendable {
    var name: String
    var expected: DiagnosticCode
    var bytes: @Sendable () -> [UInt8]
    var testDescription: String { name }
}

let hostileCases: [HostileCase] = [
    HostileCase(name: "billion laughs", expected: .aliasBudgetExceeded) {
        var text = "version: 1\nx-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...12 { text += "x-\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        return Array(text.utf8)
    },
    HostileCase(name: "quadratic alias fan-out", expected: .aliasBudgetExceeded) {
        let big = "[" + Array(repeating: "x", count: 5_000).joined(separator: ",") + "]"
        return Array(("version: 1\nx-a: &a \(big)\nx-b: [" + Array(repeating: "*a", count: 5_000).joined(separator: ",") + "]\n").utf8)
    },
    HostileCase(name: "100,000 nested flow lists", expected: .nestingTooDeep) {
        Array(("version: 1\nx: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n").utf8)
    },
    HostileCase(name: "2,000 nested block mappings", expected: .nestingTooDeep) {
        var text = "version: 1\n"
        for depth in 0..<2_000 { text += String(repeating: " ", count: depth) + "k:\n" }
        return Array(text.utf8)
    },
    HostileCase(name: "file over the size limit", expected: .fileTooLarge) {
        Array(repeating: UInt8(ascii: "#"), count: LoadLimits.standard.maxFileBytes + 1)
    },
    HostileCase(name: "Latin-1 bytes", expected: .invalidUTF8) { Array("version: 1\nname: ".utf8) + [0xE9, 0x0A] },
    HostileCase(name: "overlong UTF-8 encoding", expected: .invalidUTF8) { Array("version: 1\n".utf8) + [0xC0, 0xAF] },
    HostileCase(name: "UTF-16 with a byte-order mark", expected: .invalidUTF8) { [0xFF, 0xFE] + Array("v\0:\0".utf8) },
    HostileCase(name: "NUL byte", expected: .yamlSyntax) { Array("version: 1\nx: a\0b\n".utf8) },
    HostileCase(name: "empty file", expected: .emptyFile) { [] },
    HostileCase(name: "only whitespace and comments", expected: .emptyFile) { Array("  \n# c\n\n".utf8) },
    HostileCase(name: "top-level list", expected: .topLevelNotMapping) { Array("- a\n- b\n".utf8) },
    HostileCase(name: "top-level scalar", expected: .topLevelNotMapping) { Array("just text\n".utf8) },
    HostileCase(name: "undefined alias", expected: .yamlSyntax) { Array("version: 1\nx: *nowhere\n".utf8) },
    HostileCase(name: "self-referencing anchor", expected: .yamlSyntax) { Array("version: 1\nx: &a [*a]\n".utf8) },
    HostileCase(name: "language-specific tag", expected: .unsupportedTag) {
        Array("version: 1\nx: !!python/object/apply:os.system [ls]\n".utf8)
    },
    HostileCase(name: "huge exponent", expected: .outOfRange) {
        Array("version: 1\nselling_plans:\n  - internal_name: a\n    pricing_type: fixed_amount\n    pricing_amount: 1e999999999\n".utf8)
    },
    HostileCase(name: "id beyond 64 bits", expected: .invalidVariantID) {
        Array("version: 1\nselling_plans:\n  - internal_name: a\n    inventory_policy: {DENY: [99999999999999999999999]}\n".utf8)
    },
    HostileCase(name: "many documents", expected: .multipleDocuments) {
        Array(String(repeating: "---\nversion: 1\n", count: 10_000).utf8)
    },
]

@Suite("Hostile input is refused, never a crash or a hang")
struct HostileInputTests {
    @Test(arguments: hostileCases)
    func refused(_ c: HostileCase) async throws {
        let bytes = c.bytes()
        let diagnostics = try await withTimeLimit(seconds: 60) {
            ConfigPipeline.run([(SourceFile(path: "hostile.yaml", bytes: bytes), .config)]).1
        }
        #expect(
            diagnostics.contains { $0.code == c.expected && $0.severity == .error },
            "got \(diagnostics.map { "\($0.code.rawValue): \($0.message)" })")
        #expect(diagnostics.allSatisfy { $0.location != nil })
    }
}

struct TimedOut: Error {}

/// Runs `work` on its own thread; throws if it has not finished within `seconds`.
func withTimeLimit<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () -> T) async throws -> T {
    let box = ResultBox<T>()
    let thread = Thread {
        box.set(work())
    }
    thread.stackSize = 8 << 20
    thread.start()
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let value = box.get() { return value }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    throw TimedOut()
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?
    func set(_ v: T) { lock.withLock { value = v } }
    func get() -> T? { lock.withLock { value } }
}

@Suite("Every diagnostic of a truncated file points at a place the file has")
struct TruncatedFileTests {
    /// The lines of `text`, for checking positions.
    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    @Test("the example files cut at every position: each diagnostic lies within the text, also without a final line break")
    func cuts() throws {
        var checked = 0
        var syntaxErrorsAtTheEnd = 0
        for name in ["fall-drop.yaml", "holiday.yaml", "catalog.yaml"] {
            let url = Golden.repositoryRoot.appendingPathComponent("examples/shop/preorders/\(name)")
            let full = try String(contentsOf: url, encoding: .utf8)
            let scalars = Array(full.unicodeScalars)
            for cut in stride(from: 1, to: scalars.count, by: 3) {
                let text = String(String.UnicodeScalarView(scalars[..<cut]))
                let (_, diagnostics) = ConfigPipeline.run([(SourceFile(path: "cut.yaml", text: text), .config)])
                let fileLines = lines(text)
                for d in diagnostics {
                    for location in [d.location] + d.notes.map(\.location) {
                        guard let l = location else { continue }
                        checked += 1
                        #expect(
                            l.line >= 1 && l.line <= fileLines.count, "\(d.code.rawValue) at \(l.description) in \(fileLines.count) lines")
                        if l.line <= fileLines.count {
                            #expect(
                                l.column >= 1 && l.column <= fileLines[l.line - 1].unicodeScalars.count + 1,
                                "\(d.code.rawValue) at \(l.description)")
                        }
                    }
                    if d.code == .yamlSyntax, d.location?.line == fileLines.count { syntaxErrorsAtTheEnd += 1 }
                }
            }
        }
        #expect(checked > 100)
        #expect(syntaxErrorsAtTheEnd > 0, "some cuts end inside a quoted scalar or a flow collection")
    }
}
