/// The one place where text from outside (shop data, file names, server answers, configuration)
/// is made safe to show, and the last pass over everything stoqctl prints.
///
/// Output lands in terminals, CI logs, job summaries and pull-request comments, where some
/// characters and sequences are instructions rather than text:
///
/// - a line whose first non-blank characters are `::` is a GitHub workflow command
///   (`::add-mask::`, `::stop-commands::`, `::warning::`), and `##[` starts one anywhere in a line;
/// - C0 and C1 controls move the cursor, erase lines, set window titles or make links on a
///   terminal (`ESC]0;…BEL`, `ESC[2K`, `CR`);
/// - format characters (Unicode category Cf: bidi controls, zero-width characters, the BOM) and
///   the line and paragraph separators make different text look the same, or reorder it.
///
/// Text and Markdown show such a character as `\u{202e}`; JSON keeps it exactly, as `\u202e`, so
/// values still compare and hash the same.
public enum Sanitiser {
    /// How an output is read: decides how a hidden character is written and which lines may be
    /// workflow commands.
    public enum Style: Sendable {
        /// Plain text for a terminal or a log.
        case text
        /// Markdown for a comment or a job summary.
        case markdown
        /// Text whose `::error`, `::warning` and `::notice` lines are stoqctl's own annotations.
        case workflowCommands
        /// One JSON document.
        case json
    }

    /// True for a character that never reaches output raw: C0 and C1 controls (with DEL), format
    /// characters (Cf) and the line and paragraph separators (U+2028, U+2029).
    public static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    /// True for the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which
    /// reorder the text around them.
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// A character as text shows it: `\u{202e}`.
    public static func visible(_ scalar: Unicode.Scalar) -> String { "\\u{\(String(scalar.value, radix: 16))}" }

    /// A character as JSON writes it: `\u202e`, or a surrogate pair beyond the first plane.
    public static func jsonEscape(_ scalar: Unicode.Scalar) -> String {
        func unit(_ v: UInt32) -> String {
            let hex = String(v, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        guard scalar.value > 0xFFFF else { return unit(scalar.value) }
        let v = scalar.value - 0x10000
        return unit(0xD800 + (v >> 10)) + unit(0xDC00 + (v & 0x3FF))
    }

    /// One field of outside text (a name, an id, a path, a message) for text, Markdown or
    /// annotations: on one line, every hidden character (line breaks and tabs too) shown as
    /// `\u{…}`, a backslash that would read as such an escape doubled, and `##[` broken.
    public static func shown(_ text: String) -> String {
        var out = ""
        let scalars = Array(text.unicodeScalars)
        for (i, scalar) in scalars.enumerated() {
            if isHidden(scalar) {
                out += visible(scalar)
            } else if scalar == "\\", i + 2 < scalars.count, scalars[i + 1] == "u", scalars[i + 2] == "{" {
                out += "\\\\"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return breakingCommandMarkers(out, style: .text)
    }

    /// A whole rendered output, on its way out: no hidden character raw (text keeps line feeds,
    /// tabs and its own colour codes), `##[` nowhere, and no line that starts a workflow command
    /// or (in text) a Markdown fence unless it is stoqctl's own annotation.
    public static func output(_ text: String, style: Style) -> String {
        if style == .json { return breakingCommandMarkers(jsonHiddenEscaped(text), style: .json) }
        let escaped = breakingCommandMarkers(textHiddenEscaped(text), style: style)
        guard escaped.contains("::") || escaped.contains("```") || escaped.contains("~~~") else { return escaped }
        return escaped.split(separator: "\n", omittingEmptySubsequences: false).map { guardedLine($0, style: style) }.joined(
            separator: "\n")
    }

    /// `##[` (the older workflow-command syntax, obeyed anywhere in a line) with its second `#`
    /// escaped.
    static func breakingCommandMarkers(_ text: String, style: Style) -> String {
        guard text.contains("##[") else { return text }
        let hash: Unicode.Scalar = "#"
        let escapedHash = style == .json ? jsonEscape(hash) : visible(hash)
        var out = ""
        var rest = Substring(text)
        while let range = rest.range(of: "##[") {
            out += rest[..<range.lowerBound] + "#" + escapedHash
            rest = rest[rest.index(after: range.lowerBound)...].dropFirst()
        }
        return out + rest
    }

    /// JSON with every hidden character written as `\uXXXX` (JSON has them only inside strings,
    /// where the escape means the same character; line feeds between tokens stay).
    static func jsonHiddenEscaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isHidden($0) && $0 != "\n" }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isHidden(scalar), scalar != "\n" { out += jsonEscape(scalar) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// Text with every hidden character shown, except line feeds, tabs and colour codes
    /// (`ESC[…m`, which only colour).
    static func textHiddenEscaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isHidden($0) && $0 != "\n" && $0 != "\t" }) else { return text }
        var out = ""
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            if scalar == "\u{1B}", let end = colourCodeEnd(scalars, from: i) {
                out.unicodeScalars.append(contentsOf: scalars[i...end])
                i = end + 1
                continue
            }
            if isHidden(scalar), scalar != "\n", scalar != "\t" { out += visible(scalar) } else { out.unicodeScalars.append(scalar) }
            i += 1
        }
        return out
    }

    /// The index of the `m` that ends a colour code (`ESC[1;31m`) starting at `start`, if one does.
    static func colourCodeEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        guard start + 2 < scalars.count, scalars[start + 1] == "[" else { return nil }
        var i = start + 2
        while i < scalars.count, scalars[i] == ";" || ("0"..."9").contains(scalars[i]) { i += 1 }
        return i < scalars.count && scalars[i] == "m" ? i : nil
    }

    /// Annotation commands stoqctl writes itself (``Style/workflowCommands`` only).
    static let ownCommands = ["::error ", "::warning ", "::notice "]

    /// One line, with a leading `::` (after blanks) broken unless it is stoqctl's own annotation,
    /// and in text a leading Markdown fence broken (text is shown inside one in job summaries).
    static func guardedLine(_ line: Substring, style: Style) -> String {
        let body = line.drop { $0 == " " || $0 == "\t" }
        let indent = line[..<body.startIndex]
        if body.hasPrefix("::") {
            if style == .workflowCommands, indent.isEmpty, ownCommands.contains(where: { body.hasPrefix($0) }) { return String(line) }
            return indent + visible(":") + body.dropFirst()
        }
        if style != .markdown, let first = body.unicodeScalars.first, body.hasPrefix("```") || body.hasPrefix("~~~") {
            return indent + visible(first) + String(body.unicodeScalars.dropFirst())
        }
        return String(line)
    }
}
