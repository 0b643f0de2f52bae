import Foundation

/// Progress of the phases of a run that may take a while (reading the shop, reading Shopify's
/// policies), shown on standard error in a ``ProgressStyle``.
///
/// A phase shows nothing for its first `delay` (2 s): short runs stay quiet. After that, in
/// place, one line such as `reading the shop: 120/300 plans` is rewritten as the count moves and
/// cleared when the last phase ends; as lines, one line is written each interval. Phases may run
/// at the same time; the line names each. Log lines written meanwhile go through
/// ``interrupting(_:)`` so that they do not land on the line being rewritten.
public final class ProgressMeter: @unchecked Sendable {
    /// One phase being measured.
    struct Phase {
        var name: String
        var unit: String
        var done = 0
        var total: Int?
        var started: ContinuousClock.Instant

        var text: String {
            guard let total else { return done == 0 ? name : "\(name): \(done) \(unit)" }
            return "\(name): \(done)/\(total) \(unit)"
        }
    }

    /// A phase's handle: advance it as work completes, end it when done.
    public struct Handle: Sendable {
        let meter: ProgressMeter
        let id: Int

        /// Counts `count` more units done.
        public func advance(by count: Int = 1) { meter.update(id) { $0.done += count } }

        /// Sets how many units the phase has in all, once known, and what they are.
        public func total(_ total: Int, unit: String? = nil) {
            meter.update(id) {
                $0.total = total
                $0.unit = unit ?? $0.unit
            }
        }

        /// Ends the phase.
        public func end() { meter.end(id) }
    }

    /// A meter that never shows anything.
    public static let silent = ProgressMeter(style: .none, write: { _ in })

    /// The longest in-place line: narrower than an 80-column terminal.
    static let inPlaceWidth = 79

    let style: ProgressStyle
    let delay: Duration
    let tick: Duration
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var phases: [Int: Phase] = [:]
    private var nextID = 0
    /// The text on the terminal's current line (in place), if any.
    private var shown: String?
    /// When the last line was written (as lines).
    private var lastLine: ContinuousClock.Instant?
    private var timer: (any DispatchSourceTimer)?

    /// A meter in `style` that writes with `write`, quiet for each phase's first `delay`, looking
    /// every `tick` (in place) or every interval (as lines) whether to write.
    public init(
        style: ProgressStyle, delay: Duration = .seconds(2), tick: Duration = .milliseconds(250),
        write: @escaping @Sendable (String) -> Void
    ) {
        self.style = style
        self.delay = delay
        self.tick = tick
        self.write = write
    }

    /// Starts a phase called `name`, counted in `unit`, with `total` units when known.
    public func start(_ name: String, unit: String, total: Int? = nil) -> Handle {
        let id = lock.withLock {
            nextID += 1
            phases[nextID] = Phase(name: name, unit: unit, total: total, started: .now)
            return nextID
        }
        if style != .none { startTimer() }
        return Handle(meter: self, id: id)
    }

    /// Runs `body` (which writes a line to standard error) with the in-place line cleared first;
    /// the next tick draws it again.
    public func interrupting(_ body: () -> Void) {
        lock.withLock {
            if shown != nil {
                write("\r\u{1B}[2K")
                shown = nil
            }
            body()
        }
    }

    /// Writes what the phases running at `now` call for (the timer calls it every tick).
    func show(at now: ContinuousClock.Instant) {
        lock.withLock {
            // In the order the phases started (ids count up).
            let due = phases.sorted { $0.key < $1.key }.map(\.value).filter { now - $0.started >= delay }
            guard !due.isEmpty else { return }
            let text = due.map(\.text).joined(separator: "; ")
            switch style {
            case .none: return
            case .inPlace:
                // A line longer than the terminal would wrap, and clearing would leave its start.
                let text = text.count > Self.inPlaceWidth ? String(text.prefix(Self.inPlaceWidth - 1)) + "…" : text
                guard text != shown else { return }
                write("\r\u{1B}[2K" + text)
                shown = text
            case .lines(let interval):
                let since = lastLine ?? due.map(\.started).min() ?? now
                guard now - since >= interval else { return }
                write(text + "\n")
                lastLine = now
            }
        }
    }

    private func update(_ id: Int, _ change: (inout Phase) -> Void) {
        lock.withLock {
            guard var phase = phases[id] else { return }
            change(&phase)
            phases[id] = phase
        }
    }

    private func end(_ id: Int) {
        lock.withLock {
            phases[id] = nil
            guard phases.isEmpty else { return }
            if shown != nil { write("\r\u{1B}[2K") }
            shown = nil
            lastLine = nil
            // Cancelling does not wait for a running handler, so it is safe under the lock.
            timer?.cancel()
            timer = nil
        }
    }

    private func startTimer() {
        lock.withLock {
            guard timer == nil else { return }
            let every: Duration
            switch style {
            case .lines(let interval): every = min(interval, .seconds(1))
            default: every = tick
            }
            let source = DispatchSource.makeTimerSource(queue: .global())
            let nanoseconds = Int(every.components.seconds) * 1_000_000_000 + Int(every.components.attoseconds / 1_000_000_000)
            source.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds))
            source.setEventHandler { [weak self] in self?.show(at: .now) }
            source.resume()
            timer = source
        }
    }
}
