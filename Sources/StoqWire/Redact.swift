/// The one redaction every URL passes before it reaches any output (messages, logs, plans,
/// reports): user info (`user:secret@`), the query and the fragment are removed, since any of
/// them can hold a credential.
public enum Redact {
    /// The URL without credentials: `https://user:TOKEN@host:8443/api?token=X#f` becomes
    /// `https://host:8443/api`.
    ///
    /// Text that is not a URL (`emulator:FILE`, a path) is returned as it is.
    public static func url(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let scheme = text[..<schemeEnd.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            return text
        }
        var rest = text[schemeEnd.upperBound...]
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return String(scheme) + "://" + authority + rest[authorityEnd...]
    }

    /// `text` with every URL in it redacted (for messages that quote one, such as an error from
    /// the HTTP stack).
    public static func urls(in text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var word = ""
        for ch in text {
            if ch == " " || ch == "\n" || ch == "\"" || ch == "'" || ch == "(" || ch == ")" || ch == "<" || ch == ">" || ch == "," {
                out += url(word)
                out.append(ch)
                word = ""
            } else {
                word.append(ch)
            }
        }
        return out + url(word)
    }
}
