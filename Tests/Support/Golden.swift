import Foundation

/// Golden-file comparison: whole output compared exactly, with a line diff on failure.
///
/// Recording happens only with `RECORD_GOLDENS=1`, and a recording run reports a failure so a
/// recorded golden is never mistaken for a passing test.
public enum Golden {
    /// The repository root, found from this file's own path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// True when goldens are being recorded.
    public static var isRecording: Bool { ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" }

    /// How a golden treats plan hashes (`sha256:` and 16 to 64 hex digits, and the prefix an
    /// `--allow-gate` names).
    public enum Hashes: Sendable {
        /// Compared exactly: for the goldens whose subject includes the hash.
        case exact
        /// Replaced by ``maskedHash`` before recording and comparing, so a change that re-keys every
        /// plan (a new safety threshold, say) changes only the goldens that show what it changes.
        case masked
    }

    /// What a masked plan hash reads as in a golden.
    public static let maskedHash = "sha256:(plan hash)"

    /// `text` with every plan hash replaced by ``maskedHash``: the hash itself, and the prefix of
    /// it that `--allow-gate GATE=PREFIX` names.
    public static func maskingHashes(_ text: String) -> String {
        text.replacing(/sha256:[0-9a-f]{16,64}/, with: maskedHash)
            .replacing(/(--allow-gate [a-z_]+)=[0-9a-f]{12,64}/) { "\($0.output.1)=(plan hash)" }
    }

    /// Compares `actual` with the golden at `relativePath` (from the repository root); with
    /// `hashes: .masked`, plan hashes are masked on both sides.
    /// - Returns: nil when equal; otherwise a failure message (also when recording).
    public static func check(_ actual: String, against relativePath: String, hashes: Hashes = .exact) -> String? {
        let actual = hashes == .masked ? maskingHashes(actual) : actual
        let url = repositoryRoot.appendingPathComponent(relativePath)
        if isRecording {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try actual.write(to: url, atomically: true, encoding: .utf8)
            } catch {
                return "could not record \(relativePath): \(error)"
            }
            return "recorded \(relativePath); run again without RECORD_GOLDENS=1 to check it"
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return "missing golden \(relativePath); record it with RECORD_GOLDENS=1"
        }
        let expected = String(decoding: data, as: UTF8.self)
        if (hashes == .masked ? maskingHashes(expected) : expected) == actual { return nil }
        return "\(relativePath) differs from the output:\n" + lineDiff(expected: expected, actual: actual)
    }

    /// A minimal line diff (`-` golden, `+` actual) around the first differences.
    public static func lineDiff(expected: String, actual: String) -> String {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        // Longest common subsequence table on lines; goldens are small enough for O(n·m).
        let n = e.count, m = a.count
        guard n * m <= 4_000_000 else { return "(outputs too large to diff; \(n) vs \(m) lines)" }
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = e[i] == a[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, e[i] == a[j] {
                i += 1; j += 1
            } else if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
                out.append("+\(j + 1): \(a[j])"); j += 1
            } else {
                out.append("-\(i + 1): \(e[i])"); i += 1
            }
            if out.count > 60 { out.append("…"); break }
        }
        return out.joined(separator: "\n")
    }
}
