import Foundation
import StoqAPI
import StoqCore

/// Reads the configuration at a baseline: a directory, or a git ref read with git (no checkout),
/// for the same paths as the configuration, with display paths that name the ref
/// (`origin/main:shop/preorders/fall.yaml`).
enum BaselineReader {
    /// The reader for the configuration paths `paths` (relative to the working directory);
    /// `runnerRef` is the baseline the runner gave (`--baseline`, `STOQCTL_BASELINE`), if any:
    /// another one comes from `stoqctl.yaml`, and may name a directory only inside the repository.
    static func reader(for paths: [String], runnerRef: String?) -> ReadBaseline {
        let paths = paths.isEmpty ? ["."] : paths
        let policy = AccessPolicy(repository: repositoryRoot(paths))
        return { ref throws(RunFailure) in
            try read(ref, paths: paths, policy: policy, chooser: ref == runnerRef ? .runner("--baseline") : .repository(nil))
        }
    }

    static func read(_ ref: String, paths: [String], policy: AccessPolicy, chooser: Chooser) throws(RunFailure) -> BaselineFiles {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: ref, isDirectory: &isDirectory), isDirectory.boolValue {
            try policy.checkBaselineDirectory(ref, chooser: chooser)
            let found = ConfigFiles(paths: [ref], limits: .standard)
            return BaselineFiles(
                config: ConfigInput(files: found.files, diagnostics: found.diagnostics), info: BaselineInfo(ref: ref, commit: nil))
        }
        guard let top = try? git(["rev-parse", "--show-toplevel"]).trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw RunFailure(
                .baselineUnreadable,
                "baseline \(ref): not a directory, and the working directory is not in a git repository; nothing was sent")
        }
        guard
            let commit = try? git(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines),
            !commit.isEmpty
        else {
            throw RunFailure(
                .baselineUnreadable,
                "baseline \(ref): no such directory, and no such commit, branch or tag in the git repository at \(top)"
                    + (ref.contains("/")
                        ? " (a remote branch must be fetched first; a CI checkout is often shallow: fetch-depth: 0)" : "")
                    + "; nothing was sent")
        }
        let cwd = FileManager.default.currentDirectoryPath
        let standardizedTop = (top as NSString).standardizingPath
        var files: [(SourceFile, SourceRole)] = []
        var diagnostics: [Diagnostic] = []
        var roles = ConfigFiles.SettingsRoles()
        for path in paths {
            // The path as git names it inside the repository.
            let absolute = ConfigFiles.absolute(path, cwd: cwd)
            guard absolute == standardizedTop || absolute.hasPrefix(standardizedTop + "/") else {
                diagnostics.append(
                    Diagnostic(.baselineUnreadable, "baseline \(ref): \(path) is outside the git repository at \(top)", at: nil))
                continue
            }
            let inRepo = String(absolute.dropFirst(standardizedTop.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let entries: [TreeEntry]
            let blobs: [Blob]
            do {
                entries = try listTree(commit: commit, path: inRepo.isEmpty ? "." : inRepo).filter { entry in
                    (entry.name.hasSuffix(".yaml") || entry.name.hasSuffix(".yml"))
                        && !entry.name.split(separator: "/").contains { $0.hasPrefix(".") }
                }.sorted { $0.name < $1.name }
                blobs = try read(entries, commit: commit, limit: LoadLimits.standard.maxFileBytes)
            } catch {
                throw RunFailure(.baselineUnreadable, "baseline \(ref): cannot read its files: \(error); nothing was sent")
            }
            if entries.isEmpty {
                diagnostics.append(
                    Diagnostic(.noConfigFiles, "\(ref):\(path): no *.yaml or *.yml files here at the baseline", at: nil))
            }
            let names = entries.map(\.name)
            for (name, blob) in zip(names, blobs) {
                let bytes: [UInt8]
                var tooLarge = false
                switch blob {
                case .notRead(let why):
                    diagnostics.append(Diagnostic(.baselineUnreadable, "baseline \(ref): \(name) \(why); not read", at: nil))
                    continue
                case .tooLarge: (bytes, tooLarge) = ([], true)
                case .file(let data): bytes = Array(data)
                }
                // Shown and placed as the configuration's files are: relative to the working directory.
                let file = (standardizedTop as NSString).appendingPathComponent(name)
                let role = roles.role(of: file, root: names == [inRepo] ? nil : absolute)
                let relative = ConfigFiles.display(file, cwd: cwd)
                files.append((SourceFile(path: "\(ref):\(relative)", bytes: bytes, truncated: tooLarge), role))
            }
        }
        return BaselineFiles(config: ConfigInput(files: files, diagnostics: diagnostics), info: BaselineInfo(ref: ref, commit: commit))
    }

    struct GitFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func git(_ args: [String]) throws -> String { String(decoding: try gitData(args), as: UTF8.self) }

    /// A file at a baseline: its bytes, or why it is not read.
    enum Blob {
        case file(Data)
        /// Over the size limit: not read.
        case tooLarge
        case notRead(String)
    }

    /// One file of a commit's tree, as `git ls-tree -l` lists it.
    struct TreeEntry {
        var mode: String
        var object: String
        /// Bytes (a symbolic link's: its target's length).
        var size: Int
        var name: String
        var isSymbolicLink: Bool { mode == "120000" }
    }

    /// The blobs under `path` in `commit`, with their object ids and sizes; names are taken whole
    /// (`-z`), so any byte a file name may hold is kept.
    static func listTree(commit: String, path: String) throws -> [TreeEntry] {
        let listed = try gitData(["ls-tree", "--full-tree", "-r", "-z", "-l", commit, "--", path])
        return try listed.split(separator: 0).compactMap { record -> TreeEntry? in
            // "<mode> SP <type> SP <object> SP+ <size> TAB <name>"
            guard let tab = record.firstIndex(of: UInt8(ascii: "\t")) else {
                throw GitFailure(description: "git ls-tree: unexpected line \(String(decoding: record.prefix(80), as: UTF8.self))")
            }
            let fields = String(decoding: record[..<tab], as: UTF8.self).split(separator: " ")
            guard fields.count == 4, fields[1] == "blob" else { return nil }
            return TreeEntry(
                mode: String(fields[0]), object: String(fields[2]), size: Int(fields[3]) ?? Int.max,
                name: String(decoding: record[(tab + 1)...], as: UTF8.self))
        }
    }

    /// The contents of `entries`, read by object id after their sizes are checked: a blob over
    /// `limit` bytes is not read at all.
    ///
    /// A symbolic link is followed inside the commit's tree (`git cat-file --follow-symlinks`, by
    /// `commit:name`) to the blob it leads to; one that leads out of the repository, dangles or
    /// loops is not read, nor is one whose name holds a line break (git reads names by line there).
    static func read(_ entries: [TreeEntry], commit: String, limit: Int) throws -> [Blob] {
        var targets: [(object: String, size: Int)?] = entries.map { $0.isSymbolicLink ? nil : ($0.object, $0.size) }
        var blobs = [Blob?](repeating: nil, count: entries.count)
        let links = entries.indices.filter { entries[$0].isSymbolicLink }
        let followable = links.filter { !entries[$0].name.contains("\n") && !entries[$0].name.contains("\r") }
        for i in links where !followable.contains(i) { blobs[i] = .notRead("is a symbolic link whose name holds a line break") }
        let followed = try batch(followable.map { "\(commit):\(entries[$0].name)" }, contents: false)
        for (i, answer) in zip(followable, followed) {
            switch answer {
            case .blob(let object, let size, _): targets[i] = (object, size)
            case .notRead(let why): blobs[i] = .notRead(why)
            }
        }
        var wanted: [(index: Int, object: String)] = []
        for i in entries.indices where blobs[i] == nil {
            if let target = targets[i], target.size <= limit { wanted.append((i, target.object)) } else { blobs[i] = .tooLarge }
        }
        let contents = try batch(wanted.map(\.object), contents: true)
        for ((i, _), answer) in zip(wanted, contents) {
            switch answer {
            case .blob(_, _, let data): blobs[i] = .file(data)
            case .notRead(let why): blobs[i] = .notRead(why)
            }
        }
        return blobs.map { $0 ?? .notRead("was not read") }
    }

    /// One answer of `git cat-file --batch` or `--batch-check`.
    enum BatchAnswer {
        case blob(object: String, size: Int, Data)
        case notRead(String)
    }

    /// Asks one `git cat-file` for `objects` (one a line; none holds a line break), following
    /// symbolic links; with `contents`, the blobs' bytes too.
    static func batch(_ objects: [String], contents: Bool) throws -> [BatchAnswer] {
        guard !objects.isEmpty else { return [] }
        let out = try gitData(
            ["cat-file", contents ? "--batch" : "--batch-check", "--follow-symlinks"],
            input: Data(objects.map { $0 + "\n" }.joined().utf8))
        // Each answer: "<id> blob <size>\n" (then "<bytes>\n" with --batch); "symlink|dangling|loop|notdir
        // <size>\n<text>\n" for a link that cannot be followed inside the tree; or "<object> missing\n".
        let unfollowed = [
            "symlink": "is a symbolic link to a place outside the repository", "dangling": "is a dangling symbolic link",
            "loop": "is a symbolic link in a loop", "notdir": "is a symbolic link through a file",
        ]
        var answers: [BatchAnswer] = []
        var at = out.startIndex
        for object in objects {
            guard let newline = out[at...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw GitFailure(description: "git cat-file ended early at \(object)")
            }
            let header = String(decoding: out[at..<newline], as: UTF8.self).split(separator: " ")
            if header.count == 2, let why = unfollowed[String(header[0])], let size = Int(header[1]), newline + 1 + size < out.endIndex {
                answers.append(.notRead(why))
                at = newline + 1 + size + 1
                continue
            }
            guard header.count == 3, header[1] == "blob", let size = Int(header[2]) else {
                throw GitFailure(description: "\(object): \(header.joined(separator: " "))")
            }
            guard contents else {
                answers.append(.blob(object: String(header[0]), size: size, Data()))
                at = newline + 1
                continue
            }
            guard newline + 1 + size < out.endIndex else { throw GitFailure(description: "git cat-file ended early at \(object)") }
            answers.append(.blob(object: String(header[0]), size: size, out[(newline + 1)..<(newline + 1 + size)]))
            at = newline + 1 + size + 1
        }
        return answers
    }

    /// Runs git in the working directory with `input` on its standard input; its standard
    /// output, or a failure with its message.
    static func gitData(_ args: [String], input: Data? = nil) throws -> Data {
        do {
            return try GitProcess.run(args, input: input)
        } catch {
            throw GitFailure(description: error.description)
        }
    }
}
