import Foundation
import StoqWire

/// Keeps the report file current while apply runs, so a run that is killed part-way still leaves
/// a record of what was done: never more than ``interval`` behind the operations that finished.
///
/// An operation that finishes at least ``interval`` after the last write is written at once; one
/// that finishes sooner is written by a timer when the interval has passed, so the file does not
/// wait for the next operation to finish (which may be a policy job's wait or a rate window away).
/// ``flush()`` writes at once (stoqctl calls it before it ends on a signal).
public actor PartialReport {
    public let path: String?
    /// The shop the report is of, once known.
    let shop: @Sendable () -> String?
    /// Longest time between an operation finishing and the file recording it.
    public static let interval = Duration.seconds(1)
    var planHash: String?
    var items: [ApplyReport.Item] = []
    /// Items in the file at the last write.
    var written = 0
    var lastWrite: WireInstant?
    var timerPending = false
    /// Set by ``finish()``: the final report is written by the caller, never overwritten.
    var finished = false
    let clock: any WireClock

    public init(path: String?, shop: @escaping @Sendable () -> String? = { nil }, clock: any WireClock = SystemClock()) {
        self.path = path
        self.shop = shop
        self.clock = clock
    }

    public func start(planHash: String) { self.planHash = planHash }

    public func add(_ item: ApplyReport.Item) {
        items.append(item)
        guard path != nil, !finished else { return }
        let now = clock.now
        let due = lastWrite?.advanced(by: Self.interval) ?? now
        if now >= due {
            flush()
        } else if !timerPending {
            timerPending = true
            Task {
                try? await clock.sleep(until: due)
                self.timerFired()
            }
        }
    }

    private func timerFired() {
        timerPending = false
        flush()
    }

    /// Writes the operations finished so far, if any are not in the file yet.
    public func flush() {
        guard let path, !finished, items.count != written else { return }
        lastWrite = clock.now
        written = items.count
        var report = ApplyReport(items: items, seconds: 0)
        report.planHash = planHash
        report.shop = shop()
        report.complete = false
        // A failed write here is not fatal: the final report is written (and checked) at the end.
        try? Secrets.write(report.json(), to: URL(fileURLWithPath: path))
    }

    /// Writes what is not written yet, and stops writing: the caller writes the final report.
    public func finish() {
        flush()
        finished = true
    }
}
