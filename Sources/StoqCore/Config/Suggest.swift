/// "Did you mean" suggestions for misspelled keys and values.
public enum Suggest {
    /// The candidate closest to `word` by edit distance (case-insensitive), if close enough to be
    /// a plausible typo: at most 1 edit for short words, a third of the length for longer ones.
    static func closest(to word: String, in candidates: [String]) -> String? {
        // A word longer than every candidate by more than the edits allowed is no typo of one,
        // nor a truncation: nothing to measure (a huge value costs no more than a short one).
        let longest = candidates.map(\.unicodeScalars.count).max() ?? 0
        guard word.unicodeScalars.count <= longest + max(1, longest / 3) else { return nil }
        let w = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for candidate in candidates {
            let c = Array(candidate.lowercased().unicodeScalars)
            let d = distance(w, c)
            if let current = best, current.1 <= d { continue }
            best = (candidate, d)
        }
        guard let (candidate, d) = best else { return nil }
        let allowed = max(1, min(w.count, candidate.count) / 3)
        if d <= allowed { return candidate }
        // A truncated name (`fall-drop` for `fall-drop-2026`): the shortest candidate it begins.
        let lowered = word.lowercased()
        guard lowered.count >= 3 else { return nil }
        return candidates.filter { $0.lowercased().hasPrefix(lowered) }.min { $0.count < $1.count }
    }

    /// Damerau–Levenshtein distance (optimal string alignment).
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prevPrev = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prevPrev[j - 2] + 1)
                }
            }
            (prevPrev, prev, cur) = (prev, cur, prevPrev)
        }
        return prev[b.count]
    }

    /// ` (did you mean `x`?)` or nothing.
    public static func hint(for word: String, in candidates: [String]) -> String {
        guard let s = closest(to: word, in: candidates), s != word else { return "" }
        return "; did you mean `\(s)`?"
    }
}
