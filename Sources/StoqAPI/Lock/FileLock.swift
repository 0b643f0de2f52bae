import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An apply lock held as an exclusive `flock(2)` on a file: it protects only applies that use the
/// same file on the same machine (the emulator's state file, or a machine-local lock).
///
/// The kernel releases the lock when its process ends, however it ends, so a killed apply never
/// leaves it behind and no lease is needed. The file stays in place (removing it would let two
/// processes lock two different files of one name); while the lock is held it names the holder.
public actor FileLock: ApplyLock {
    /// The lock file.
    public nonisolated let path: String
    /// Whether a missing directory of the lock file is created.
    nonisolated let createsDirectory: Bool
    private var descriptor: Int32 = -1

    /// A lock on `path`; its directory is created when missing if `createsDirectory`.
    public init(path: String, createsDirectory: Bool = false) {
        self.path = path
        self.createsDirectory = createsDirectory
    }

    public nonisolated var description: String { "the lock file \(path)" }
    public nonisolated var leased: Bool { false }

    public func attempt(_ holder: LockHolder, now: Date) async throws(LockFailure) -> LockAttempt {
        guard descriptor < 0 else { return .acquired }
        let directory = (path as NSString).deletingLastPathComponent
        if createsDirectory, !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw LockFailure("\(directory) cannot be created: \(error.localizedDescription)")
            }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LockFailure("\(path) cannot be opened: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            descriptor = fd
            write(holder)
            return .acquired
        }
        let reason = errno
        defer { close(fd) }
        guard reason == EWOULDBLOCK else { throw LockFailure("\(path) cannot be locked: \(String(cString: strerror(reason)))") }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return .held(by: LockHolder(text: text)?.description ?? "another process on this machine")
    }

    public func renew(_ holder: LockHolder) async throws(LockFailure) -> Bool {
        guard descriptor >= 0 else { return false }
        write(holder)
        return true
    }

    public func release() async throws(LockFailure) {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// Writes the holder into the locked file, for those who wait to read.
    private func write(_ holder: LockHolder) {
        let bytes = Array(holder.text.utf8)
        _ = ftruncate(descriptor, 0)
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }
}
