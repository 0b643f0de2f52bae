import Foundation

/// Text a server sent, made fit for one error line: an HTML page's tags, styles and scripts
/// dropped, every run of whitespace (line breaks included) one space, and the result shortened.
public enum ServerText {
    /// Longest text kept, in characters (an ellipsis marks a cut).
    public static let limit = 200

    /// `text` on one line, at most `limit` characters.
    public static func oneLine(_ text: String, limit: Int = ServerText.limit) -> String {
        let plain = looksLikeHTML(text) ? htmlText(text) : text
        var out = ""
        var space = false
        for character in plain {
            if character.isWhitespace || character.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .control }) {
                space = !out.isEmpty
                continue
            }
            if space { out.append(" ") }
            space = false
            out.append(character)
            if out.count > limit { return String(out.prefix(limit)) + "…" }
        }
        return out
    }

    static func looksLikeHTML(_ text: String) -> Bool {
        let start = text.drop { $0.isWhitespace }.prefix(200).lowercased()
        return start.hasPrefix("<!doctype html") || start.hasPrefix("<html") || start.contains("<body") || start.contains("<head")
    }

    /// The text of an HTML page: tags removed, with `<style>` and `<script>` contents; entities
    /// for the usual five characters decoded.
    static func htmlText(_ html: String) -> String {
        var out = ""
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            out += rest[..<open]
            out += " "
            let tail = rest[open...]
            let lower = tail.prefix(8).lowercased()
            let skipTo = lower.hasPrefix("<style") ? "</style>" : lower.hasPrefix("<script") ? "</script>" : nil
            if let skipTo, let end = tail.range(of: skipTo, options: .caseInsensitive) {
                rest = tail[end.upperBound...]
            } else if let close = tail.firstIndex(of: ">") {
                rest = tail[tail.index(after: close)...]
            } else {
                rest = ""
            }
        }
        out += rest
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&nbsp;", " "), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: character)
        }
        return out
    }
}
