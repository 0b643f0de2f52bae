import Foundation
import StoqAPI
import StoqCore

/// Finds and reads config files for the commands: the only code that walks the file system for
/// configuration.
///
/// Paths are shown relative to the working directory.
struct ConfigFiles {
    /// Files read, with their roles.
    var files: [(SourceFile, SourceRole)] = []
    /// Problems with the paths themselves (missing path, empty directory, unreadable file).
    var diagnostics: [Diagnostic] = []

    /// Reads every `*.yaml`/`*.yml` under `paths` (directories recursively; hidden folders and
    /// `.build` skipped).
    ///
    /// A symbolic link found there is followed only when what it points to is
    /// inside the repository (``AccessPolicy``); one that leads out is reported and not read.
    ///
    /// A `stoqctl.yaml` at the root of the first directory is the settings file.
    init(paths: [String], limits: LoadLimits, workingDirectory: String = FileManager.default.currentDirectoryPath) {
        let fm = FileManager.default
        var roles = SettingsRoles()
        for path in paths {
            let absolute = Self.absolute(path, cwd: workingDirectory)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                diagnostics.append(Diagnostic(.unreadableFile, "\(path): no such file or directory", at: nil))
                continue
            }
            if isDirectory.boolValue {
                let policy = AccessPolicy(repository: Self.repository(for: absolute))
                var outside: [String] = []
                let found = Self.yamlFiles(under: absolute, policy: policy, outside: &outside)
                for link in outside {
                    diagnostics.append(
                        Diagnostic(
                            .unreadableFile,
                            "\(Self.display(link, cwd: workingDirectory)): a symbolic link to a place outside the repository (\(policy.repository ?? "")); not read",
                            at: nil))
                }
                if found.isEmpty {
                    diagnostics.append(
                        Diagnostic(
                            .noConfigFiles, "\(Self.display(absolute, cwd: workingDirectory)): no *.yaml or *.yml files here", at: nil))
                }
                for file in found {
                    read(file, role: roles.role(of: file, root: absolute), limits: limits, cwd: workingDirectory)
                }
            } else {
                read(absolute, role: roles.role(of: absolute, root: nil), limits: limits, cwd: workingDirectory)
            }
        }
    }

    private mutating func read(_ absolute: String, role: SourceRole, limits: LoadLimits, cwd: String) {
        let display = Self.display(absolute, cwd: cwd)
        guard let handle = FileHandle(forReadingAtPath: absolute) else {
            diagnostics.append(Diagnostic(.unreadableFile, "\(display): cannot be read", at: nil))
            return
        }
        defer { try? handle.close() }
        // Read at most one byte past the limit: enough to know the file is too large.
        let data = (try? handle.read(upToCount: limits.maxFileBytes + 1)) ?? Data()
        let truncated = data.count > limits.maxFileBytes
        files.append(
            (SourceFile(path: display, bytes: Array(truncated ? data.prefix(limits.maxFileBytes) : data), truncated: truncated), role))
    }

    /// Which `stoqctl.yaml` is the settings file: the first one given as a file or found at the
    /// root of a directory given; any other is misplaced.
    struct SettingsRoles {
        private var taken = false

        /// The role of `file`, found under the directory `root` (nil: `file` was given itself).
        mutating func role(of file: String, root: String?) -> SourceRole {
            guard (file as NSString).lastPathComponent == "stoqctl.yaml" else { return .config }
            let atRoot = root.map { (file as NSString).deletingLastPathComponent == ($0 as NSString).standardizingPath } ?? true
            guard atRoot, !taken else { return .misplacedSettings }
            taken = true
            return .settings
        }
    }

    static func absolute(_ path: String, cwd: String) -> String {
        let joined = path.hasPrefix("/") ? path : (cwd as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }

    /// `path` relative to `cwd` when it lies below it, else absolute.
    static func display(_ absolute: String, cwd: String) -> String {
        let base = (cwd as NSString).standardizingPath
        if absolute == base { return "." }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    /// The repository a configuration directory belongs to: the git work tree around it, or
    /// outside git the directory itself.
    static func repository(for directory: String) -> String {
        guard let top = try? BaselineReader.git(["-C", directory, "rev-parse", "--show-toplevel"]) else { return directory }
        let trimmed = top.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? directory : trimmed
    }

    /// The config files under `root`; symbolic links that lead outside `policy`'s repository are
    /// left out and listed in `outside`.
    ///
    /// A linked directory inside is walked once.
    static func yamlFiles(under root: String, policy: AccessPolicy, outside: inout [String]) -> [String] {
        let fm = FileManager.default
        var result: [String] = []
        var stack = [(root as NSString).standardizingPath]
        var walked = Set<String>()
        while let dir = stack.popLast() {
            guard walked.insert(AccessPolicy.resolved(dir)).inserted, let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            for name in names.sorted() where !name.hasPrefix(".") {
                let full = (dir as NSString).appendingPathComponent(name)
                var isDir: ObjCBool = false
                let isYAML = name.hasSuffix(".yaml") || name.hasSuffix(".yml")
                if Self.isSymbolicLink(full), !policy.contains(full) {
                    if isYAML || fm.fileExists(atPath: full, isDirectory: &isDir) && isDir.boolValue { outside.append(full) }
                    continue
                }
                guard fm.fileExists(atPath: full, isDirectory: &isDir) else {
                    // A dangling link named like a config file: read() reports it as unreadable.
                    if isYAML { result.append(full) }
                    continue
                }
                if isDir.boolValue {
                    stack.append(full)
                } else if isYAML {
                    result.append(full)
                }
            }
        }
        return result.sorted()
    }

    /// True when `path` itself is a symbolic link.
    static func isSymbolicLink(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }
}
