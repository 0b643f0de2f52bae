import Foundation

/// An apply lock held as a ref on a git remote: `refs/stoqctl/locks/KEY` points at a commit (empty
/// tree, no parent) whose message names the holder (``LockHolder``).
///
/// Every change is a compare-and-set on the remote: `git push --force-with-lease=REF:EXPECTED`
/// creates the ref only when it does not exist (EXPECTED empty), and renews, takes over an
/// expired lease or deletes it only when the ref still points at the commit this process saw. The
/// server checks the old value under its ref lock, so of two applies pushing at once exactly one
/// wins. The remote is one of the repository's configured remotes, by name: its URL comes from
/// the local git configuration, never from the configuration files under review.
public actor GitRefLock: ApplyLock {
    /// The remote's name (`origin`).
    public nonisolated let remote: String
    /// The lock's ref.
    public nonisolated let ref: String
    /// The repository's directory (nil: the working directory).
    nonisolated let directory: String?
    /// The commit this process pushed last, while it holds the lock.
    private var mine: String?

    /// The ref every lock lives under.
    public static let namespace = "refs/stoqctl/locks/"

    /// A lock named `key` (``ShopIdentity/key``) on `remote`; a failure for a remote name git
    /// could read as an option or a URL.
    public init(remote: String, key: String, directory: String? = nil) throws(LockFailure) {
        guard Self.isValidRemoteName(remote) else {
            throw LockFailure("`\(remote)` is not a git remote name (letters, digits, `.`, `_`, `-`; not starting with `-` or `.`)")
        }
        guard ShopIdentity.isSafeKey(key) else { throw LockFailure("`\(key)` cannot be part of a git ref") }
        self.remote = remote
        self.ref = Self.namespace + key
        self.directory = directory
    }

    /// A remote's name as `git remote add` accepts it, and nothing that looks like an option or
    /// a URL.
    public static func isValidRemoteName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-", first != ".", name.count <= 100 else { return false }
        return name.unicodeScalars.allSatisfy { ShopIdentity.isSafeScalar($0) } && !name.contains("..") && !name.hasSuffix(".lock")
    }

    /// Whether the git repository at `directory` (nil: the working directory) has a remote named
    /// `remote`.
    public static func hasRemote(_ remote: String, directory: String? = nil) -> Bool {
        guard isValidRemoteName(remote), let output = try? GitProcess.capture(["remote"], in: directory), output.status == 0 else {
            return false
        }
        return output.text.split(separator: "\n").contains { $0 == remote }
    }

    public nonisolated var description: String { "\(ref) on the git remote \(remote)" }
    public nonisolated var leased: Bool { true }

    public func attempt(_ holder: LockHolder, now: Date) async throws(LockFailure) -> LockAttempt {
        let seen = try await observe()
        if let seen {
            guard let current = seen.holder else {
                if seen.unreadable {
                    return .held(
                        by:
                            "a commit stoqctl cannot read (\(seen.sha.prefix(12))); when no apply runs, delete it with `git push \(remote) :\(ref)`"
                    )
                }
                return .raced
            }
            if current.expires > now { return .held(by: current.description) }
        }
        let commit = try await commit(holder)
        guard try await push(expecting: seen?.sha ?? "", source: commit) else { return .raced }
        mine = commit
        return .acquired
    }

    public func renew(_ holder: LockHolder) async throws(LockFailure) -> Bool {
        guard let held = mine else { return false }
        let commit = try await commit(holder)
        guard try await push(expecting: held, source: commit) else {
            mine = nil
            return false
        }
        mine = commit
        return true
    }

    public func release() async throws(LockFailure) {
        guard let held = mine else { return }
        mine = nil
        // Deleted only if it still points at this process's commit; otherwise it is not ours.
        _ = try await push(expecting: held, source: "")
    }

    /// The lock's commit on the remote and its holder; nil when there is none.
    ///
    /// `holder` is nil when the ref moved while it was read (`unreadable` false) or the commit is
    /// not a lock commit (`unreadable` true).
    func observe() async throws(LockFailure) -> (sha: String, holder: LockHolder?, unreadable: Bool)? {
        let listed = try await git(["ls-remote", "--refs", "--", remote, ref], doing: "reading the lock")
        guard let line = listed.split(separator: "\n").first(where: { $0.hasSuffix("\t" + ref) }),
            let sha = line.split(separator: "\t").first.map(String.init)
        else { return nil }
        let fetched = try await run(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", remote, ref])
        if fetched.status != 0 {
            // Released or taken over between the two reads: look again.
            let again = try await git(["ls-remote", "--refs", "--", remote, ref], doing: "reading the lock")
            guard again.hasPrefix(sha + "\t") else { return (sha, nil, false) }
            throw LockFailure("fetching the lock: git fetch \(remote) failed: \(fetched.stderr)")
        }
        let read = try await run(["cat-file", "commit", sha])
        guard read.status == 0 else { return (sha, nil, false) }
        let message = String(decoding: read.stdout, as: UTF8.self).components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
        let holder = LockHolder(text: message)
        return (sha, holder, holder == nil)
    }

    /// A new lock commit for `holder`: the empty tree, no parent.
    func commit(_ holder: LockHolder) async throws(LockFailure) -> String {
        let tree = try await git(["hash-object", "-w", "-t", "tree", "/dev/null"], doing: "writing the lock commit")
        let commit = try await git(["commit-tree", "--no-gpg-sign", "-m", holder.text, tree], doing: "writing the lock commit")
        guard !commit.isEmpty else { throw LockFailure("git commit-tree printed no commit") }
        return commit
    }

    /// Pushes `source` (a commit, or "" to delete) to the lock's ref if the remote's ref is
    /// `expected` ("" for none); false when the remote's ref is something else.
    func push(expecting expected: String, source: String) async throws(LockFailure) -> Bool {
        let output = try await run([
            "push", "--porcelain", "--no-verify", "--force-with-lease=\(ref):\(expected)", "--", remote, "\(source):\(ref)",
        ])
        if output.status == 0 { return true }
        let rejected = output.text.split(separator: "\n").first { $0.hasPrefix("!") }.map(String.init)
        if let rejected, Self.isContention(rejected + "\n" + output.stderr) { return false }
        let reason = [rejected, output.stderr.isEmpty ? nil : output.stderr].compactMap { $0 }.joined(separator: "; ")
        throw LockFailure("git push to \(remote) failed: \(reason.isEmpty ? "exit \(output.status)" : reason)")
    }

    /// A rejection because the ref moved: the lease check, or the server's own compare of the
    /// old value when two pushes meet (git's rejected line and its standard error).
    static func isContention(_ text: String) -> Bool {
        text.contains("(stale info)") || text.contains("but expected") || text.contains("reference already exists")
    }

    /// The fixed author and committer of lock commits, so a machine without a git identity can
    /// write them; messages in English, so they can be read.
    static let environment = [
        "GIT_AUTHOR_NAME": "stoqctl", "GIT_AUTHOR_EMAIL": "stoqctl@localhost", "GIT_COMMITTER_NAME": "stoqctl",
        "GIT_COMMITTER_EMAIL": "stoqctl@localhost", "LC_ALL": "C",
    ]

    func run(_ args: [String]) async throws(LockFailure) -> GitProcess.Output {
        do {
            return try await GitProcess.captureDetached(args, in: directory, environment: Self.environment)
        } catch {
            throw LockFailure(error.description)
        }
    }

    /// Standard output of a git command that must succeed.
    func git(_ args: [String], doing: String) async throws(LockFailure) -> String {
        let output = try await run(args)
        guard output.status == 0 else {
            throw LockFailure(
                "\(doing): git \(args[0]) \(remote) failed: \(output.stderr.isEmpty ? "exit \(output.status)" : output.stderr)")
        }
        return output.text
    }
}
