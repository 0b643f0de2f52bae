internal import CYAML

/// Limits that keep hostile input from costing unbounded time or memory.
public struct LoadLimits: Sendable, Hashable {
    /// Largest file accepted, in bytes.
    public var maxFileBytes: Int
    /// Deepest nesting of mappings and sequences.
    public var maxDepth: Int
    /// Most YAML nodes one file may hold as written.
    public var maxNodes: Int
    /// Most nodes one file may expand to once aliases are followed (the alias-bomb budget).
    public var maxExpandedNodes: Int

    /// Creates limits.
    public init(maxFileBytes: Int, maxDepth: Int, maxNodes: Int, maxExpandedNodes: Int) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxExpandedNodes = maxExpandedNodes
    }

    /// Defaults: 16 MiB per file, 64 levels, 2,000,000 nodes, 4,000,000 after alias expansion.
    public static let standard = LoadLimits(
        maxFileBytes: 16 << 20, maxDepth: 64, maxNodes: 2_000_000, maxExpandedNodes: 4_000_000)
}

/// Turns one file into a ``YAMLDocument`` by walking libyaml's event stream.
///
/// Never throws and never crashes on bad input: every refusal is a located ``Diagnostic``.
public enum YAMLParser {
    /// The result of parsing one file: a document, or nil with at least one error diagnostic.
    public struct Result: Sendable {
        /// The parsed document, if the file was acceptable.
        public var document: YAMLDocument?
        /// Problems found (errors when `document` is nil).
        public var diagnostics: [Diagnostic]
    }

    /// Parses `file` under `limits`.
    public static func parse(_ file: SourceFile, limits: LoadLimits = .standard) -> Result {
        let here = { (line: Int, column: Int) in SourceLocation(file: file.path, line: line, column: column) }
        if file.truncated || file.bytes.count > limits.maxFileBytes {
            return Result(
                document: nil,
                diagnostics: [
                    Diagnostic(
                        .fileTooLarge,
                        "file is larger than the limit of \(limits.maxFileBytes) bytes; split it into several files",
                        at: here(1, 1))
                ])
        }
        if let bad = firstInvalidUTF8(file.bytes) {
            return Result(
                document: nil,
                diagnostics: [
                    Diagnostic(
                        .invalidUTF8, "file is not valid UTF-8 (byte 0x\(hex(file.bytes[bad.offset])) at offset \(bad.offset))",
                        at: here(bad.line, bad.column))
                ])
        }
        // A UTF-8 byte-order mark (Windows editors write one) is not part of the text.
        let bytes = file.bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(file.bytes.dropFirst(3)) : file.bytes
        if let cr = firstLoneCR(bytes) {
            return Result(
                document: nil,
                diagnostics: [
                    Diagnostic(
                        .yamlSyntax,
                        "a carriage return not followed by a line feed: YAML reads it as a line break, GitHub and editors do not, so positions would disagree; save the file with LF or CRLF line endings",
                        at: here(cr.line, cr.column))
                ])
        }
        var builder = TreeBuilder(path: file.path, limits: limits)
        builder.end = TreeBuilder.endOfText(bytes)
        bytes.withUnsafeBufferPointer { buffer in
            builder.run(buffer)
        }
        if builder.diagnostics.hasErrors { return Result(document: nil, diagnostics: builder.diagnostics) }
        guard let root = builder.root else {
            return Result(
                document: nil,
                diagnostics: [
                    Diagnostic(.emptyFile, "file holds no YAML document; it needs at least `version: 1`", at: here(1, 1))
                ])
        }
        return Result(document: YAMLDocument(path: file.path, root: root), diagnostics: builder.diagnostics)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    /// Line and column (in scalars, lines ended by LF) of the first CR that no LF follows.
    static func firstLoneCR(_ bytes: [UInt8]) -> (line: Int, column: Int)? {
        guard var at = bytes.firstIndex(of: 0x0D) else { return nil }
        while at + 1 < bytes.count, bytes[at + 1] == 0x0A {
            guard let next = bytes[(at + 1)...].firstIndex(of: 0x0D) else { return nil }
            at = next
        }
        let lineStart = bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = 1 + bytes[..<lineStart].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let column = 1 + bytes[lineStart..<at].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return (line, column)
    }

    /// Offset, line and column (in scalars) of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (offset: Int, line: Int, column: Int)? {
        var line = 1
        var column = 1
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            var len = 0
            var ok = true
            if b < 0x80 {
                len = 1
            } else if b >= 0xC2 && b <= 0xDF {
                len = 2
            } else if b >= 0xE0 && b <= 0xEF {
                len = 3
            } else if b >= 0xF0 && b <= 0xF4 {
                len = 4
            } else {
                ok = false
            }
            if ok && i + len > n { ok = false }
            if ok && len > 1 {
                for k in 1..<len where bytes[i + k] & 0xC0 != 0x80 { ok = false }
                if ok && len == 3 {
                    let b1 = bytes[i + 1]
                    if (b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) { ok = false }
                }
                if ok && len == 4 {
                    let b1 = bytes[i + 1]
                    if (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F) { ok = false }
                }
            }
            if !ok { return (i, line, column) }
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += len
        }
        return nil
    }
}

/// Builds the node tree from libyaml events with an explicit stack (no recursion).
private struct TreeBuilder {
    let path: String
    let limits: LoadLimits
    var diagnostics: [Diagnostic] = []
    var root: YAMLNode?
    var anchors: [String: YAMLNode] = [:]
    var nodeCount = 0
    var expandedCount = 0
    var documents = 0
    /// The last position in the text: its line and the column just past its last character.
    var end = (line: 1, column: 1)

    struct Frame {
        var isMapping: Bool
        var line: Int
        var column: Int
        var tag: String?
        var anchor: String?
        var children: [YAMLNode] = []
        var size = 1
    }
    var stack: [Frame] = []

    init(path: String, limits: LoadLimits) {
        self.path = path
        self.limits = limits
    }

    /// The 1-based position of a libyaml mark.
    ///
    /// At the end of a text without a final line break, libyaml counts a line break it made up;
    /// such a mark is placed just past the last character instead of on a line the file does not
    /// have.
    func location(_ mark: yaml_mark_t) -> SourceLocation {
        let line = Int(mark.line) + 1
        if line > end.line { return SourceLocation(file: path, line: end.line, column: end.column) }
        return SourceLocation(file: path, line: line, column: Int(mark.column) + 1)
    }

    /// The line of the last character (a final line break starts a new, empty line) and the
    /// column after it, in Unicode scalars.
    static func endOfText(_ bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for b in bytes {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    mutating func fail(_ code: DiagnosticCode, _ message: String, _ mark: yaml_mark_t, notes: [DiagnosticNote] = []) {
        diagnostics.append(Diagnostic(code, message, at: location(mark), notes: notes))
    }

    static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        let count = length ?? strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Runs the parser over `buffer`; stops at the first error.
    mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            diagnostics.append(Diagnostic(.yamlSyntax, "could not start the YAML parser (out of memory)", at: nil))
            return
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)

        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                reportParserError(parser)
                return
            }
            let keepGoing = handle(event)
            let done = event.type == YAML_STREAM_END_EVENT
            yaml_event_delete(&event)
            if !keepGoing || done { return }
        }
    }

    mutating func reportParserError(_ parser: yaml_parser_t) {
        let problem =
            Self.string(
                UnsafeMutablePointer(
                    mutating: parser.problem.map {
                        UnsafeRawPointer($0).assumingMemoryBound(to: yaml_char_t.self)
                    })) ?? "invalid YAML"
        var notes: [DiagnosticNote] = []
        if let context = Self.string(
            UnsafeMutablePointer(
                mutating: parser.context.map {
                    UnsafeRawPointer($0).assumingMemoryBound(to: yaml_char_t.self)
                }))
        {
            notes.append(DiagnosticNote(context, at: location(parser.context_mark)))
        }
        var message = problem
        if parser.error == YAML_READER_ERROR {
            message = "\(problem) (byte offset \(parser.problem_offset))"
        }
        // Reader errors carry no mark; point at the start of the line libyaml had reached.
        let mark = parser.error == YAML_READER_ERROR ? parser.mark : parser.problem_mark
        fail(.yamlSyntax, message, mark, notes: notes)
    }

    /// Handles one event; returns false to stop.
    ///
    /// One piece of about 90 lines: one case per libyaml event kind, each a few lines that push or
    /// pop the node stack; split up, the stack discipline would be spread over several functions.
    mutating func handle(_ event: yaml_event_t) -> Bool {
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                fail(.multipleDocuments, "file holds more than one YAML document; put one document in each file", event.start_mark)
                return false
            }
            return true
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = Self.string(s.value, Int(s.length)) ?? ""
            let style: YAMLScalar.Style
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let tag = Self.string(s.tag)
            if let tag, !ScalarResolver.coreScalarTags.contains(tag), tag != "!" {
                fail(
                    .unsupportedTag,
                    "tag `\(Self.shortTag(tag))` is not supported; only the core schema tags (!!str, !!int, !!float, !!bool, !!null) are",
                    event.start_mark)
                return false
            }
            let node = YAMLNode(
                content: .scalar(YAMLScalar(text: text, style: style)),
                line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1,
                tag: tag, expandedSize: 1)
            return add(node, anchor: Self.string(s.anchor), mark: event.start_mark, isNew: true)
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard var target = anchors[name] else {
                fail(.yamlSyntax, "alias *\(name) refers to no anchor defined before it", event.start_mark)
                return false
            }
            expandedCount += target.expandedSize
            if expandedCount > limits.maxExpandedNodes {
                fail(
                    .aliasBudgetExceeded, "aliases expand to more than \(limits.maxExpandedNodes) nodes; this looks like an alias bomb",
                    event.start_mark)
                return false
            }
            // The alias's own position is kept for the value; its content keeps the anchor's positions.
            target.line = Int(event.start_mark.line) + 1
            target.column = Int(event.start_mark.column) + 1
            return add(target, anchor: nil, mark: event.start_mark, isNew: false)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let tag = isMapping ? Self.string(event.data.mapping_start.tag) : Self.string(event.data.sequence_start.tag)
            let anchor = isMapping ? Self.string(event.data.mapping_start.anchor) : Self.string(event.data.sequence_start.anchor)
            let allowed = isMapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq"
            if let tag, tag != allowed, tag != "!" {
                fail(
                    .unsupportedTag, "tag `\(Self.shortTag(tag))` is not supported on \(isMapping ? "a mapping" : "a list")",
                    event.start_mark)
                return false
            }
            if stack.count >= limits.maxDepth {
                fail(.nestingTooDeep, "mappings and lists are nested more than \(limits.maxDepth) levels deep", event.start_mark)
                return false
            }
            if !countNode(event.start_mark) { return false }
            stack.append(
                Frame(
                    isMapping: isMapping, line: Int(event.start_mark.line) + 1,
                    column: Int(event.start_mark.column) + 1, tag: tag, anchor: anchor))
            return true
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return true }
            let content: YAMLNode.Content
            if frame.isMapping {
                var pairs: [YAMLPair] = []
                pairs.reserveCapacity(frame.children.count / 2)
                var i = 0
                while i + 1 < frame.children.count {
                    pairs.append(YAMLPair(key: frame.children[i], value: frame.children[i + 1]))
                    i += 2
                }
                content = .mapping(pairs)
            } else {
                content = .sequence(frame.children)
            }
            let node = YAMLNode(content: content, line: frame.line, column: frame.column, tag: frame.tag, expandedSize: frame.size)
            return add(node, anchor: frame.anchor, mark: event.start_mark, isNew: false)
        default:
            return true
        }
    }

    /// `tag:yaml.org,2002:x` → `!!x`, as it was most likely written.
    static func shortTag(_ tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }

    mutating func countNode(_ mark: yaml_mark_t) -> Bool {
        nodeCount += 1
        if nodeCount > limits.maxNodes {
            fail(.tooManyNodes, "file holds more than \(limits.maxNodes) YAML nodes", mark)
            return false
        }
        return true
    }

    /// Attaches a finished node to its parent (or makes it the root).
    mutating func add(_ node: YAMLNode, anchor: String?, mark: yaml_mark_t, isNew: Bool) -> Bool {
        if isNew, !countNode(mark) { return false }
        if let anchor { anchors[anchor] = node }
        guard !stack.isEmpty else {
            root = node
            return true
        }
        let top = stack.count - 1
        if stack[top].isMapping, stack[top].children.count % 2 == 0, node.scalar == nil {
            diagnostics.append(
                Diagnostic(
                    .complexKey, "mapping keys must be plain text, not \(node.kindName)",
                    at: SourceLocation(file: path, line: node.line, column: node.column)))
            return false
        }
        stack[top].children.append(node)
        stack[top].size += node.expandedSize
        return true
    }
}
