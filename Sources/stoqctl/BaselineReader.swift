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
            let listed: String
            do {
                listed = try git(["ls-tree", "--full-tree", "-r", "-z", "--name-only", commit, "--", inRepo.isEmpty ? "." : inRepo])
            } catch {
                throw RunFailure(.baselineUnreadable, "baseline \(ref): git ls-tree failed: \(error); nothing was sent")
            }
            let names = listed.split(separator: "\0").map(String.init).filter { name in
                (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
                    && !name.split(separator: "/").contains { $0.hasPrefix(".") }
            }
            if names.isEmpty {
                diagnostics.append(
                    Diagnostic(.noConfigFiles, "\(ref):\(path): no *.yaml or *.yml files here at the baseline", at: nil))
            }
            let sorted = names.sorted()
            let blobs: [Blob]
            do {
                blobs = try catFiles(sorted.map { "\(commit):\($0)" })
            } catch {
                throw RunFailure(.baselineUnreadable, "baseline \(ref): cannot read its files: \(error); nothing was sent")
            }
            for (name, blob) in zip(sorted, blobs) {
                guard case .file(let bytes) = blob else {
                    if case .notRead(let why) = blob {
                        diagnostics.append(Diagnostic(.baselineUnreadable, "baseline \(ref): \(name) \(why); not read", at: nil))
                    }
                    continue
                }
                // Shown and placed as the configuration's files are: relative to the working directory.
                let file = (standardizedTop as NSString).appendingPathComponent(name)
                let role = roles.role(of: file, root: sorted == [inRepo] ? nil : absolute)
                let relative = ConfigFiles.display(file, cwd: cwd)
                let limit = LoadLimits.standard.maxFileBytes
                files.append(
                    (
                        SourceFile(path: "\(ref):\(relative)", bytes: Array(bytes.prefix(limit)), truncated: bytes.count > limit),
                        role
                    ))
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
        case notRead(String)
    }

    /// The contents of `objects` (`commit:path`), read by one `git cat-file --batch`.
    ///
    /// A symbolic link is followed inside the commit's tree (`--follow-symlinks`) and read as the
    /// file it points to; one that leads out of the repository, dangles or loops is not read.
    static func catFiles(_ objects: [String]) throws -> [Blob] {
        guard !objects.isEmpty else { return [] }
        let out = try gitData(["cat-file", "--batch", "--follow-symlinks"], input: Data(objects.map { $0 + "\n" }.joined().utf8))
        // Each answer: "<id> blob <size>\n<bytes>\n"; "symlink|dangling|loop|notdir <size>\n<text>\n"
        // for a link that cannot be followed inside the tree; or "<object> missing\n".
        var blobs: [Blob] = []
        var at = out.startIndex
        for object in objects {
            guard let newline = out[at...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw GitFailure(description: "git cat-file ended early at \(object)")
            }
            let header = String(decoding: out[at..<newline], as: UTF8.self).split(separator: " ")
            let unfollowed = [
                "symlink": "is a symbolic link to a place outside the repository", "dangling": "is a dangling symbolic link",
                "loop": "is a symbolic link in a loop", "notdir": "is a symbolic link through a file",
            ]
            if header.count == 2, let why = unfollowed[String(header[0])], let size = Int(header[1]), newline + 1 + size <= out.endIndex {
                blobs.append(.notRead(why))
                at = newline + 1 + size + 1
                continue
            }
            guard header.count == 3, header[1] == "blob", let size = Int(header[2]), newline + 1 + size <= out.endIndex else {
                throw GitFailure(description: "\(object): \(header.joined(separator: " "))")
            }
            blobs.append(.file(out[(newline + 1)..<(newline + 1 + size)]))
            at = newline + 1 + size + 1
        }
        return blobs
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
