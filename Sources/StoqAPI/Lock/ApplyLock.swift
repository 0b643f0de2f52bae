import Foundation
import StoqCore

/// Who holds an apply lock and until when: the text of a lock commit or lock file.
public struct LockHolder: Sendable, Equatable, CustomStringConvertible {
    /// The host name of the machine that runs the apply.
    public var host: String
    /// The apply's process id.
    public var pid: Int32
    /// The CI run, when `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_RUN_ID` are set.
    public var run: String?
    /// When the apply took the lock.
    public var started: Date
    /// When the lease ends unless it is renewed.
    public var expires: Date
    /// Random text that makes every lock commit distinct.
    public var nonce: String

    /// This process, holding a lease of `lease` seconds from `now`.
    public static func current(lease: TimeInterval, now: Date = Date(), environment: [String: String]) -> LockHolder {
        var run: String?
        if let server = environment["GITHUB_SERVER_URL"], let repository = environment["GITHUB_REPOSITORY"],
            let id = environment["GITHUB_RUN_ID"], !server.isEmpty, !repository.isEmpty, !id.isEmpty
        {
            run = "\(server)/\(repository)/actions/runs/\(id)"
        }
        var name = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown host"
        return LockHolder(
            host: host, pid: ProcessInfo.processInfo.processIdentifier, run: run, started: now, expires: now + lease,
            nonce: UUID().uuidString.lowercased())
    }

    /// The same holder with its lease renewed for `lease` seconds from `now`.
    public func renewed(lease: TimeInterval, now: Date = Date()) -> LockHolder {
        var copy = self
        copy.expires = now + lease
        copy.nonce = UUID().uuidString.lowercased()
        return copy
    }

    static let firstLine = "stoqctl apply lock"

    /// The holder as text: a first line, a blank line, and `key: value` lines.
    public var text: String {
        var lines = ["\(Self.firstLine)", "", "host: \(host)", "pid: \(pid)"]
        if let run { lines.append("run: \(run)") }
        lines += ["started: \(Self.format(started))", "expires: \(Self.format(expires))", "nonce: \(nonce)"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads ``text``; nil for anything else.
    public init?(text: String) {
        var values: [String: String] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == Substring(Self.firstLine) else { return nil }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            values[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let host = values["host"], let pid = values["pid"].flatMap({ Int32($0) }),
            let started = values["started"].flatMap(Self.parse),
            let expires = values["expires"].flatMap(Self.parse)
        else { return nil }
        self.init(host: host, pid: pid, run: values["run"], started: started, expires: expires, nonce: values["nonce"] ?? "")
    }

    init(host: String, pid: Int32, run: String?, started: Date, expires: Date, nonce: String) {
        self.host = host
        self.pid = pid
        self.run = run
        self.started = started
        self.expires = expires
        self.nonce = nonce
    }

    /// `pid 4242 on runner-7 (https://github.com/acme/shop/actions/runs/1), since …, lease until …`.
    public var description: String {
        "pid \(pid) on \(host)\(run.map { " (\($0))" } ?? ""), since \(Self.format(started)), lease until \(Self.format(expires))"
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// Why a lock could not be taken, renewed or released (git's message, or the file's error).
public struct LockFailure: Error, Sendable, CustomStringConvertible {
    /// What failed, as a sentence fragment.
    public var description: String

    /// Creates one.
    public init(_ description: String) { self.description = description }
}

/// One try at taking a lock.
public enum LockAttempt: Sendable, Equatable {
    /// This process holds it now.
    case acquired
    /// Another apply holds it (as ``LockHolder/description`` names it).
    case held(by: String)
    /// Another apply changed it at the same moment; look again.
    case raced
}

/// A lock with a compare-and-set primitive, one per shop.
public protocol ApplyLock: Sendable {
    /// How messages name the lock (`refs/stoqctl/locks/KEY on the git remote origin`).
    var description: String { get }
    /// True when a holder's lock ends with its lease (a git ref); false when it ends with the
    /// holder's process (a file lock, released by the kernel).
    var leased: Bool { get }
    /// Takes the lock for `holder` if it is free or its holder's lease ended before `now`.
    func attempt(_ holder: LockHolder, now: Date) async throws(LockFailure) -> LockAttempt
    /// Replaces this process's holder with `holder` (a later expiry); false when another apply
    /// took the lock over.
    func renew(_ holder: LockHolder) async throws(LockFailure) -> Bool
    /// Gives the lock up, if this process still holds it.
    func release() async throws(LockFailure)
}

/// What apply asks before every write: nil while the lock is held, else why writing stops.
public protocol WriteLease: Sendable {
    /// Nil while the lock is held; otherwise a sentence saying why writing must stop.
    func lost() async -> String?
}
