import Foundation

/// The secrets this process holds (API tokens), so that no output can carry one: whatever a
/// server sends back, a token it echoes in an error message, a plan name or a header never reaches
/// standard output, standard error or a file stoqctl writes.
///
/// A token registers itself when it is read (``register(_:)``); every writer of output passes its
/// text through ``scrub(_:)`` last. Each secret is replaced in the forms output can carry it in:
/// as it is, percent-encoded (a URL's query) and JSON-escaped (a report). Secrets shorter than
/// ``minimumLength`` characters are not scrubbed: replacing a 3-letter word everywhere would wreck
/// the output and hide nothing a token of that length protects.
public enum Secrets {
    /// What a secret is replaced by.
    public static let replacement = "<redacted>"
    /// Shortest secret that is scrubbed.
    public static let minimumLength = 8

    private static let lock = NSLock()
    nonisolated(unsafe) private static var forms: [String] = []

    /// Remembers `secret` and the forms it can be printed in.
    public static func register(_ secret: String) {
        guard secret.count >= minimumLength else { return }
        let escaped = JSONValue.string(secret).renderCompact()
        let found = [secret, WireHeaders.percentEncode(secret), String(escaped.dropFirst().dropLast())]
        lock.withLock {
            for form in found where !forms.contains(form) { forms.append(form) }
            // Longest first, so a form that contains another is replaced whole.
            forms.sort { $0.count > $1.count }
        }
    }

    /// `text` with every registered secret, in each of its forms, replaced by ``replacement``.
    public static func scrub(_ text: String) -> String {
        let known = lock.withLock { forms }
        guard !known.isEmpty else { return text }
        var text = text
        for form in known where text.contains(form) {
            text = text.replacingOccurrences(of: form, with: replacement)
        }
        return text
    }

    /// Writes `text` to `url` atomically, without any registered secret: how every file stoqctl
    /// writes for its user (saved plans, reports, exported configuration) is written.
    public static func write(_ text: String, to url: URL) throws {
        try Data(scrub(text).utf8).write(to: url, options: .atomic)
    }
}
