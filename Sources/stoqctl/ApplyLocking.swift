import ArgumentParser
import Foundation
import StoqAPI
import StoqCore

/// `--lock`: which apply lock `apply` takes.
enum LockChoice: ExpressibleByArgument, Equatable {
    /// A git ref on `origin` in a git work tree that has it; the state file's lock for
    /// `emulator:`; else a lock file on this machine.
    case auto
    /// A ref under `refs/stoqctl/locks/` on this remote of the working directory's repository.
    case git(remote: String)
    /// A lock file at this path.
    case file(path: String)
    /// No lock.
    case none

    init?(argument: String) {
        switch argument {
        case "auto": self = .auto
        case "none": self = .none
        case "git": self = .git(remote: "origin")
        default:
            if argument.hasPrefix("git:") {
                self = .git(remote: String(argument.dropFirst("git:".count)))
            } else if argument.hasPrefix("file:"), argument.count > "file:".count {
                self = .file(path: String(argument.dropFirst("file:".count)))
            } else {
                return nil
            }
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .auto: "auto"
        case .git(let remote): "git:\(remote)"
        case .file(let path): "file:\(path)"
        case .none: "none"
        }
    }
}

/// `--lock` and `--lock-wait`.
struct LockOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The apply lock: auto, git[:REMOTE], file:PATH or none (default: $STOQCTL_LOCK, else auto).",
            discussion:
                "One apply per shop at a time. git: a ref refs/stoqctl/locks/SHOP on REMOTE (default origin) of the working directory's git repository, taken and renewed with git push --force-with-lease; a killed apply's lock ends with its lease (180 s). file:PATH: a lock on that file, for applies on this machine only. auto: the state file's lock (FILE.lock) for emulator:FILE, else git on origin when the working directory is in a git work tree with that remote, else a lock file on this machine. none: no lock."
        ))
    var lock: LockChoice?

    @Option(help: "Seconds to wait while another apply of the same shop holds the lock, then exit 6 (0: refuse at once).")
    var lockWait: Double = 300

    /// `--lock`, else `$STOQCTL_LOCK`, else `auto`.
    var choice: LockChoice { lock ?? environmentValue("STOQCTL_LOCK").flatMap(LockChoice.init(argument:)) ?? .auto }

    func validate() throws {
        guard lockWait >= 0, lockWait.isFinite else { throw ValidationError("--lock-wait must be a number of seconds, 0 or more") }
        if lock == nil, let given = environmentValue("STOQCTL_LOCK"), LockChoice(argument: given) == nil {
            throw ValidationError("STOQCTL_LOCK=\(given): must be auto, git[:REMOTE], file:PATH or none")
        }
        if case .git(let remote) = choice, !GitRefLock.isValidRemoteName(remote) {
            throw ValidationError("--lock git:\(remote): `\(remote)` is not a git remote name (letters, digits, `.`, `_`, `-`)")
        }
    }
}

/// Takes the apply lock as apply connects, and gives it up when the command ends.
///
/// The lock is taken once the shop's identity is known and before the shop is read for planning,
/// so what is planned and written is read under the lock. An `emulator:` endpoint keeps the whole
/// shop in its state file, read when the session opens: its lock is taken before that.
final class ApplyLocking: @unchecked Sendable {
    let options: LockOptions
    let console: Console
    let environment: [String: String]
    var timing = ApplyLease.Timing()
    private let mutex = NSLock()
    private var held: ApplyLease?
    /// The lock file a held lease shares with other applies of this process (``SharedLeases``).
    private var sharedKey: String?
    private var identity: ShopIdentity?

    init(_ options: LockOptions, console: Console, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.options = options
        self.console = console
        self.environment = environment
        timing.wait = options.lockWait
    }

    /// The shop, once connected.
    var shop: ShopIdentity? { mutex.withLock { identity } }

    /// `slot`'s connect, with the lock taken.
    func connect(through slot: SessionSlot) -> Connect {
        { settings, planned throws(RunFailure) in
            let endpoint = try Session.chosenEndpoint(slot.request(settings: settings, planned: planned)).endpoint
            if case .emulator(let path, _) = endpoint {
                try await self.lockEmulator(path: path, recorded: endpoint.recorded)
            }
            var connection = try await slot.connect(settings, planned)
            let domain = settings?.shopifyShop?.value ?? self.environment["SHOPIFY_SHOP"].flatMap { $0.isEmpty ? nil : $0 }
            let shop = try await ShopIdentity.resolve(domain: domain, connection: connection)
            self.mutex.withLock { self.identity = shop }
            if case .http = endpoint, let lock = try self.lock(for: shop) {
                // With --lock file:PATH both names are that one file: there is nothing to pass through.
                let oneFile = if case .file = self.options.choice { true } else { false }
                if oneFile, let file = lock as? FileLock {
                    // One file for every shop: the shops of one run take it once and share it, as
                    // they share an emulator's state file (each taking it would wait for the other).
                    try await self.share(file, shop: shop)
                } else if shop.source == .stoqShopID, !oneFile,
                    let before = try self.lock(for: ShopIdentity(.endpoint, connection.endpoint))
                {
                    // A shop without a configured domain is named by its endpoint until it has a
                    // plan. The first apply of an empty shop holds that lock while it creates
                    // plans; passing through it here makes a later apply wait for it.
                    let passing = try await self.acquire(before, shop: shop)
                    do throws(RunFailure) {
                        try await self.take(lock, shop: shop)
                    } catch {
                        _ = await passing.release()
                        throw error
                    }
                    _ = await passing.release()
                } else {
                    try await self.take(lock, shop: shop)
                }
            }
            connection.shop = shop
            connection.lease = self.mutex.withLock { self.held }
            return connection
        }
    }

    /// The state file's lock (or `--lock file:PATH`), taken before the state is read.
    private func lockEmulator(path: String, recorded: String) async throws(RunFailure) {
        let lock: FileLock
        switch options.choice {
        case .none: return
        case .auto: lock = FileLock(path: path + ".lock")
        case .file(let given): lock = FileLock(path: given)
        case .git:
            throw RunFailure(
                .usage,
                "--lock git: \(recorded) is the emulator's state file, read once when apply starts; it is locked by \(path).lock (--lock auto) or --lock file:PATH",
                status: .usage)
        }
        // The shops of one run share the state file, and so its lock: taken once, released by
        // the last of them.
        try await share(lock, shop: ShopIdentity(.endpoint, recorded))
    }

    /// Takes `lock` once for every apply of this process that shares it (``SharedLeases``), and
    /// keeps it until the last of them releases it.
    private func share(_ lock: FileLock, shop: ShopIdentity) async throws(RunFailure) {
        let lease = try await SharedLeases.shared.acquire(lock.path) { () async throws(RunFailure) -> ApplyLease in
            try await self.acquire(lock, shop: shop)
        }
        mutex.withLock {
            held = lease
            sharedKey = lock.path
        }
        releaseOnSignals()
    }

    /// The lock `--lock` chooses for `shop` at an HTTP endpoint; nil for `--lock none`.
    private func lock(for shop: ShopIdentity) throws(RunFailure) -> (any ApplyLock)? {
        do throws(LockFailure) {
            switch options.choice {
            case .none: return nil
            case .file(let path): return FileLock(path: path)
            case .git(let remote):
                guard GitRefLock.hasRemote(remote) else {
                    throw LockFailure("the working directory is not in a git repository with a remote named `\(remote)`")
                }
                return try GitRefLock(remote: remote, key: shop.key)
            case .auto:
                if GitRefLock.hasRemote("origin") { return try GitRefLock(remote: "origin", key: shop.key) }
                return FileLock(path: Self.machineLocalDirectory(environment) + "/" + shop.key + ".lock", createsDirectory: true)
            }
        } catch {
            throw RunFailure(.applyLockFailed, "--lock \(options.choice.defaultValueDescription): \(error.description); nothing was sent")
        }
    }

    /// Where machine-local locks live: `$XDG_CACHE_HOME/stoqctl/locks`, else
    /// `~/.cache/stoqctl/locks`.
    static func machineLocalDirectory(_ environment: [String: String]) -> String {
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (NSHomeDirectory() + "/.cache")
        return cache + "/stoqctl/locks"
    }

    /// Takes `lock` and keeps it until ``release()``.
    private func take(_ lock: any ApplyLock, shop: ShopIdentity) async throws(RunFailure) {
        let lease = try await acquire(lock, shop: shop)
        mutex.withLock { held = lease }
        releaseOnSignals()
    }

    /// On SIGINT or SIGTERM while the lock is held, releases it before stoqctl exits 128 + the
    /// signal (``SignalExit``); a second signal exits at once.
    private func releaseOnSignals() {
        SignalExit.shared.add { [weak self] in
            self?.console.log("stoqctl: interrupted; releasing the apply lock")
            await self?.release()
        }
    }

    private func acquire(_ lock: any ApplyLock, shop: ShopIdentity) async throws(RunFailure) -> ApplyLease {
        let console = console
        return try await ApplyLease.acquire(lock, shop: shop, timing: timing, environment: environment) { line in
            console.log("stoqctl: \(line)")
        }
    }

    /// Gives the lock up; a warning when it could not be.
    func release() async {
        let (taken, key) = mutex.withLock { () -> (ApplyLease?, String?) in
            defer { held = nil }
            return (held, sharedKey)
        }
        guard let lease = taken else { return }
        if let key, await !SharedLeases.shared.lastUser(key) { return }
        if let warning = await lease.release() {
            console.report([Diagnostic(.applyLockFailed, warning, at: nil, severity: .warning)])
        }
    }
}

/// Leases this process shares: the applies of several shops kept in one emulator state file take
/// its lock once (the first one takes it, the others wait for that and share it) and the last one
/// to finish releases it.
actor SharedLeases {
    static let shared = SharedLeases()
    private var leases: [String: (task: Task<ApplyLease, any Error>, users: Int)] = [:]

    /// The lease of `key`, taken with `take` by the first caller.
    func acquire(_ key: String, take: @escaping @Sendable () async throws(RunFailure) -> ApplyLease) async throws(RunFailure)
        -> ApplyLease
    {
        let task: Task<ApplyLease, any Error>
        if let existing = leases[key] {
            task = existing.task
            leases[key]?.users += 1
        } else {
            task = Task { try await take() }
            leases[key] = (task, 1)
        }
        do {
            return try await task.value
        } catch {
            _ = lastUser(key)
            throw (error as? RunFailure) ?? RunFailure(.applyLockFailed, "\(error)")
        }
    }

    /// One user of `key` is done: true when it was the last, who releases the lease.
    func lastUser(_ key: String) -> Bool {
        guard let entry = leases[key] else { return true }
        if entry.users <= 1 {
            leases[key] = nil
            return true
        }
        leases[key]?.users -= 1
        return false
    }
}
