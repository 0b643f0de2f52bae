/// One configuration file as raw bytes, exactly as read from disk.
///
/// The core never touches the file system: the caller reads files and hands them over as values.
/// `path` is the display path (already made relative to the working directory by the caller).
public struct SourceFile: Sendable, Hashable {
    /// Path shown in diagnostics.
    public var path: String
    /// The file's bytes.
    ///
    /// Decoding (and refusing non-UTF-8) is the loader's job.
    public var bytes: [UInt8]
    /// True when the caller stopped reading because the file exceeded the size limit;
    /// `bytes` then holds only the first part.
    public var truncated: Bool

    /// Creates a source file from raw bytes.
    public init(path: String, bytes: [UInt8], truncated: Bool = false) {
        self.path = path
        self.bytes = bytes
        self.truncated = truncated
    }

    /// Creates a source file from text (tests and in-memory callers).
    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The 1-based line `line` of the file without its line break, if it exists.
    ///
    /// With `lossy`,
    /// bytes that are not UTF-8 show as U+FFFD (one per byte, so columns still line up);
    /// otherwise such a line is nil.
    public func line(_ line: Int, lossy: Bool = false) -> String? {
        guard line >= 1 else { return nil }
        var current = 1
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                if current == line { break }
                current += 1
                start = index + 1
            }
            index += 1
        }
        guard current == line, start <= bytes.count else { return nil }
        var end = index
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if let valid = String(validating: bytes[start..<end], as: UTF8.self) { return valid }
        guard lossy else { return nil }
        return String(String.UnicodeScalarView(bytes[start..<end].map { $0 < 0x80 ? Unicode.Scalar($0) : "\u{FFFD}" }))
    }
}

/// A position in a source file.
///
/// `line` and `column` are 1-based; `column` counts Unicode scalars.
public struct SourceLocation: Sendable, Hashable, Comparable, Codable {
    /// Display path of the file.
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// 1-based column, in Unicode scalars from the start of the line.
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// Orders by file, then line, then column.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    /// `file:line:col`.
    public var description: String { "\(file):\(line):\(column)" }
}
