/// Fixture text with position markers written inside it, so tests never hand-count lines.
///
/// `⚑` marks where the diagnostic under test must point; `⚐` marks where its first note must
/// point. Both are removed from the text; positions are 1-based lines and Unicode-scalar columns,
/// the way stoqctl reports them.
public struct MarkedText: Sendable {
    /// The text with markers removed.
    public let text: String
    /// Position of `⚑`, if present.
    public let primary: (line: Int, column: Int)?
    /// Position of `⚐`, if present.
    public let note: (line: Int, column: Int)?

    /// The primary marker.
    public static let primaryMarker: Unicode.Scalar = "⚑"
    /// The note marker.
    public static let noteMarker: Unicode.Scalar = "⚐"

    /// Parses `marked`.
    public init(_ marked: String) {
        var out = String.UnicodeScalarView()
        var line = 1
        var column = 1
        var primary: (Int, Int)?
        var note: (Int, Int)?
        for scalar in marked.unicodeScalars {
            if scalar == Self.primaryMarker {
                primary = (line, column)
                continue
            }
            if scalar == Self.noteMarker {
                note = (line, column)
                continue
            }
            out.append(scalar)
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        self.text = String(out)
        self.primary = primary
        self.note = note
    }
}
