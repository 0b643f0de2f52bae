import Foundation
import StoqAPI
import StoqCore
import StoqWire
import Testing

/// A bare git repository as the remote `origin` of a work tree, both in a fresh temporary
/// directory: the real compare-and-set the apply lock relies on.
struct GitRemote {
    let root: URL
    let bare: URL
    let work: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-lock-\(UUID().uuidString)")
        bare = root.appendingPathComponent("remote.git")
        work = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        _ = try GitProcess.run(["init", "--quiet", "--bare", bare.path])
        _ = try GitProcess.run(["init", "--quiet", work.path])
        _ = try GitProcess.run(["remote", "add", "origin", bare.path], in: work.path)
    }

    /// A lock on `origin` for `key`, as one apply process would hold it.
    func lock(_ key: String = "shopify-acme.myshopify.com") throws -> GitRefLock {
        try GitRefLock(remote: "origin", key: key, directory: work.path)
    }

    /// The commit the remote's lock ref points at, or nil.
    func remoteRef(_ key: String = "shopify-acme.myshopify.com") throws -> String? {
        let out = try GitProcess.capture(["for-each-ref", "--format=%(objectname)", GitRefLock.namespace + key], in: bare.path)
        return out.text.isEmpty ? nil : out.text
    }

    /// The holder the remote's lock commit names.
    func remoteHolder(_ key: String = "shopify-acme.myshopify.com") throws -> LockHolder? {
        guard let sha = try remoteRef(key) else { return nil }
        let body = try GitProcess.capture(["log", "-1", "--format=%B", sha], in: bare.path).text
        return LockHolder(text: body + "\n")
    }

    /// Makes the remote refuse every push.
    func refusePushes() throws {
        let hook = bare.appendingPathComponent("hooks/pre-receive")
        try "#!/bin/sh\necho 'pushes are closed' >&2\nexit 1\n".write(to: hook, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook.path)
    }
}

func holder(lease: TimeInterval, now: Date = Date()) -> LockHolder {
    LockHolder.current(lease: lease, now: now, environment: [:])
}

let acme = ShopIdentity(.shopifyDomain, "acme.myshopify.com")

@Suite("The apply lock: a ref per shop on a real git remote, compare-and-set by git push --force-with-lease")
struct GitLockTests {
    @Test("a free lock is taken: the remote's ref points at a commit that names the holder")
    func acquire() async throws {
        let remote = try GitRemote()
        let me = holder(lease: 60)
        #expect(try await remote.lock().attempt(me, now: Date()) == .acquired)
        let written = try #require(try remote.remoteHolder())
        #expect(written.pid == me.pid && written.host == me.host && written.nonce == me.nonce)
        #expect(abs(written.expires.timeIntervalSince(me.expires)) < 0.01)
        let tree = try GitProcess.capture(["log", "-1", "--format=%T %P", try #require(try remote.remoteRef())], in: remote.bare.path)
        #expect(tree.text == "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "the empty tree, no parent")
    }

    @Test("a held lock is not taken: the second apply is told who holds it, and refused after its wait")
    func contend() async throws {
        let remote = try GitRemote()
        let first = holder(lease: 60)
        #expect(try await remote.lock().attempt(first, now: Date()) == .acquired)
        let before = try remote.remoteRef()
        #expect(try await remote.lock().attempt(holder(lease: 60), now: Date()) == .held(by: first.description))
        #expect(try remote.remoteRef() == before, "the holder's commit is untouched")

        var timing = ApplyLease.Timing()
        timing.wait = 15
        timing.poll = 0.2
        let heard = Heard()
        let started = Date()
        let second = try remote.lock()
        do throws(RunFailure) {
            _ = try await ApplyLease.acquire(second, shop: acme, timing: timing, environment: [:]) { heard.add($0) }
            Issue.record("a held lock was taken")
        } catch {
            #expect(error.status == .locked)
            #expect(error.diagnostic.code == .applyLocked)
            #expect(error.diagnostic.message.contains("pid \(first.pid) on \(first.host)"), "\(error.diagnostic.message)")
            #expect(error.diagnostic.message.contains("nothing was sent"))
        }
        #expect(Date().timeIntervalSince(started) >= 14.9, "it waited")
        #expect(heard.lines.count == 1 && heard.lines[0].contains("pid \(first.pid)"), "\(heard.lines)")
    }

    @Test("of applies that push at the same moment, exactly one takes the lock")
    func race() async throws {
        let remote = try GitRemote()
        let results = try await withThrowingTaskGroup(of: LockAttempt.self) { group in
            for _ in 0..<6 {
                let lock = try remote.lock()
                group.addTask { try await lock.attempt(holder(lease: 60), now: Date()) }
            }
            var all: [LockAttempt] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.filter { $0 == .acquired }.count == 1, "\(results)")
    }

    @Test("a lock whose lease ended is taken over, and its old holder can neither renew nor release it")
    func expireAndTakeOver() async throws {
        let remote = try GitRemote()
        let old = try remote.lock()
        let killed = holder(lease: 60)
        #expect(try await old.attempt(killed, now: Date()) == .acquired)
        #expect(try await remote.lock().attempt(holder(lease: 60), now: Date()) == .held(by: killed.description))
        // Two minutes later by the clock: the killed holder's lease has ended.
        let new = try remote.lock()
        let successor = holder(lease: 60, now: Date() + 120)
        #expect(try await new.attempt(successor, now: Date() + 120) == .acquired)
        #expect(try remote.remoteHolder()?.nonce == successor.nonce)
        #expect(try await old.renew(killed.renewed(lease: 60)) == false, "the old holder learns it lost the lock")
        try await old.release()
        #expect(try remote.remoteHolder()?.nonce == successor.nonce, "its release does not delete the new holder's lock")
    }

    @Test("a held lease is renewed in the background, so it outlives its first expiry and others keep waiting")
    func renew() async throws {
        let remote = try GitRemote()
        var timing = ApplyLease.Timing()
        timing.lease = 60
        timing.renewal = 0.5
        let lease = try await ApplyLease.acquire(try remote.lock(), shop: acme, timing: timing, environment: [:])
        let first = try #require(try remote.remoteHolder())
        let later = try #require(
            await eventually { () -> LockHolder? in
                guard let now = try? remote.remoteHolder(), now.expires > first.expires + 0.5 else { return nil }
                return now
            }, "renewed")
        #expect(later.started == first.started && later.pid == first.pid)
        #expect(await lease.lost() == nil)
        if case .held = try await remote.lock().attempt(holder(lease: 60), now: Date()) {} else { Issue.record("taken while renewed") }
        #expect(await lease.release() == nil)
    }

    @Test("a lease taken over mid-run is lost: writing stops with the reason")
    func lostMidRun() async throws {
        let remote = try GitRemote()
        var timing = ApplyLease.Timing()
        timing.lease = 60
        timing.renewal = 0.5
        let lease = try await ApplyLease.acquire(try remote.lock(), shop: acme, timing: timing, environment: [:])
        // Another apply whose clock is far ahead believes the lease ended and takes it over.
        var taken = LockAttempt.raced
        while taken == .raced { taken = try await remote.lock().attempt(holder(lease: 60), now: Date() + 3600) }
        #expect(taken == .acquired)
        let reason = try #require(await eventually { await lease.lost() })
        #expect(reason.contains("another apply took over the apply lock of acme.myshopify.com"), "\(reason)")
        _ = await lease.release()
        #expect(try remote.remoteRef() != nil, "the new holder keeps its lock")
    }

    @Test("a lease that cannot be renewed stops writing before it ends")
    func renewalFails() async throws {
        let remote = try GitRemote()
        var timing = ApplyLease.Timing()
        timing.lease = 30
        timing.renewal = 0.5
        let lease = try await ApplyLease.acquire(try remote.lock(), shop: acme, timing: timing, environment: [:])
        try remote.refusePushes()
        #expect(await lease.lost() == nil)
        let holder = try #require(try remote.remoteHolder())
        // From a margin before the lease ends, every check says stop: writing stops before another
        // apply may take the lock, however late this test gets to look.
        let stopBy = holder.expires.addingTimeInterval(-timing.margin)
        #expect(stopBy < holder.expires)
        try await Task.sleep(for: .seconds(max(0, stopBy.timeIntervalSinceNow) + 0.2))
        let reason = try #require(await lease.lost(), "renewals fail and the lease is within its margin of ending")
        #expect(reason.contains("stopped writing"), "\(reason)")
    }

    @Test("release deletes the ref, so the next apply takes the lock at once")
    func release() async throws {
        let remote = try GitRemote()
        let lease = try await ApplyLease.acquire(try remote.lock(), shop: acme, environment: [:])
        #expect(try remote.remoteRef() != nil)
        #expect(await lease.release() == nil)
        #expect(try remote.remoteRef() == nil)
        var timing = ApplyLease.Timing()
        timing.wait = 0
        let next = try await ApplyLease.acquire(try remote.lock(), shop: acme, timing: timing, environment: [:])
        _ = await next.release()
    }

    @Test("a remote that refuses pushes is a clear failure naming git's error, with the opt-outs")
    func refused() async throws {
        let remote = try GitRemote()
        try remote.refusePushes()
        let lock = try remote.lock()
        do throws(RunFailure) {
            _ = try await ApplyLease.acquire(lock, shop: acme, environment: [:])
            Issue.record("a refused push took the lock")
        } catch {
            #expect(error.status == .failure)
            #expect(error.diagnostic.code == .applyLockFailed)
            let message = error.diagnostic.message
            #expect(message.contains("pushes are closed") && message.contains("pre-receive hook declined"), "\(message)")
            #expect(message.contains("--lock none") && message.contains("nothing was sent"))
        }
        #expect(try remote.remoteRef() == nil)
    }

    @Test("remote names that git could read as an option, a path or a URL are refused")
    func remoteNames() {
        for bad in ["-uorigin", "--upload-pack=x", "../x", "a/b", "https://x", ".hidden", "a b", "x.lock", ""] {
            #expect(!GitRefLock.isValidRemoteName(bad), "\(bad)")
        }
        for good in ["origin", "upstream", "my-remote_2"] { #expect(GitRefLock.isValidRemoteName(good)) }
    }
}

@Suite("The file lock: flock on one machine, released by the kernel when its process ends")
struct FileLockTests {
    @Test("a second holder is told who holds the file, and takes it once released")
    func contend() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-flock-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("state.json.lock").path
        let first = FileLock(path: path, createsDirectory: true)
        let me = holder(lease: 60)
        #expect(try await first.attempt(me, now: Date()) == .acquired)
        let second = FileLock(path: path)
        #expect(try await second.attempt(holder(lease: 60), now: Date()) == .held(by: me.description))
        try await first.release()
        #expect(try await second.attempt(holder(lease: 60), now: Date()) == .acquired)
        try await second.release()
    }
}

@Suite("A shop's identity: the Shopify domain, else STOQ's shop_id, else the endpoint")
struct ShopIdentityTests {
    @Test("precedence, and a key safe for a ref and a file name")
    func resolve() async throws {
        let harness = try Harness(state: #"{"shop_id": 4711, "plans": [{"id": "p1", "name": "A", "internal_name": "a"}]}"#)
        let connection = ShopConnection(client: harness.client, endpoint: "https://app.stoqapp.com/api/v1/external", description: "")
        let byDomain = try await ShopIdentity.resolve(domain: "acme", connection: connection)
        #expect(byDomain == ShopIdentity(.shopifyDomain, "acme.myshopify.com"))
        #expect(byDomain.key == "shopify-acme.myshopify.com")
        let byID = try await ShopIdentity.resolve(domain: nil, connection: connection)
        #expect(byID == ShopIdentity(.stoqShopID, "4711") && byID.description == "STOQ shop 4711" && byID.key == "stoq-shop-4711")

        let empty = try Harness(state: #"{"shop_id": 4711, "plans": []}"#)
        let bare = ShopConnection(client: empty.client, endpoint: "https://u:secret@app.stoqapp.com/api/v1/external?k=v", description: "")
        let byEndpoint = try await ShopIdentity.resolve(domain: nil, connection: bare)
        #expect(byEndpoint.source == .endpoint)
        #expect(!byEndpoint.value.contains("secret") && !byEndpoint.key.contains("secret"))
        #expect(byEndpoint.key == "endpoint-https---app.stoqapp.com-api-v1-external", "\(byEndpoint.key)")
        #expect(ShopIdentity(.stoqShopID, "../../x.lock").key == "stoq-shop-.-.-x")
    }
}

/// The first non-nil value of `probe`, asked every 100 ms for up to 60 seconds (git is slow on a
/// loaded machine).
func eventually<T: Sendable>(_ probe: () async -> T?) async -> T? {
    for _ in 0..<600 {
        if let value = await probe() { return value }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return nil
}

/// Lines heard by a callback.
final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [String] = []
    func add(_ line: String) { lock.withLock { all.append(line) } }
    var lines: [String] { lock.withLock { all } }
}
