/// A node of a parsed YAML document, with the 1-based position of its first character.
///
/// Aliases are expanded when the tree is built; an expanded alias shares storage with its anchor
/// (arrays are copy-on-write), so the tree stays as small as the text while `expandedSize`
/// counts what a consumer would walk. Positions of an alias's content are those of the anchor.
public struct YAMLNode: Sendable {
    /// The node's content.
    public enum Content: Sendable {
        /// A scalar with its exact source text.
        case scalar(YAMLScalar)
        /// A mapping, pairs in source order (duplicates are kept for the validator to report).
        case mapping([YAMLPair])
        /// A sequence, items in source order.
        case sequence([YAMLNode])
    }

    /// The node's content.
    public var content: Content
    /// 1-based line of the node's first character.
    public var line: Int
    /// 1-based column (Unicode scalars) of the node's first character.
    public var column: Int
    /// The explicit tag, expanded (`tag:yaml.org,2002:str`), if one was written.
    public var tag: String?
    /// Number of nodes a full walk of this node visits, aliases expanded.
    public var expandedSize: Int

    /// The scalar, if this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    /// A short English name of the node's kind, for messages ("a mapping", "a list").
    public var kindName: String {
        switch content {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}

/// A key and its value in a mapping.
public struct YAMLPair: Sendable {
    /// The key node (always a scalar after parsing; complex keys are refused).
    public var key: YAMLNode
    /// The value node.
    public var value: YAMLNode
}

/// A scalar's source text and how it was written.
public struct YAMLScalar: Sendable, Hashable {
    /// How the scalar was written in the source.
    public enum Style: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The scalar's value after YAML unescaping and folding (not yet resolved to a type).
    public var text: String
    /// How it was written; only plain scalars are subject to type resolution.
    public var style: Style

    /// Creates a scalar.
    public init(text: String, style: Style) {
        self.text = text
        self.style = style
    }
}

/// A parsed YAML document and the file it came from.
public struct YAMLDocument: Sendable {
    /// The file's display path.
    public var path: String
    /// The root node.
    public var root: YAMLNode

    /// The location of `node` in this document's file.
    public func location(of node: YAMLNode) -> SourceLocation {
        SourceLocation(file: path, line: node.line, column: node.column)
    }
}
