import Foundation

/// What stoqctl does before it ends on SIGINT or SIGTERM, in one place.
///
/// The steps run in the order they were added (apply writes its partial report, then gives its lock up), then stoqctl exits
/// 128 + the signal; a second signal exits at once. Until a step is added, a signal acts as it
/// always does.
final class SignalExit: @unchecked Sendable {
    /// The process's one coordinator.
    static let shared = SignalExit()

    private let lock = NSLock()
    private var steps: [@Sendable () async -> Void] = []
    private var sources: [any DispatchSourceSignal] = []
    private var interrupted = false

    /// Adds `step` to run before stoqctl ends on a signal (it must not end the process itself).
    func add(_ step: @escaping @Sendable () async -> Void) {
        let install = lock.withLock {
            steps.append(step)
            return sources.isEmpty
        }
        if install { listen() }
    }

    private func listen() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                let (first, steps) = lock.withLock {
                    defer { interrupted = true }
                    return (!interrupted, self.steps)
                }
                guard first else { exit(128 + number) }
                Task {
                    for step in steps { await step() }
                    exit(128 + number)
                }
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
