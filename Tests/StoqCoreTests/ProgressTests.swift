import Foundation
import Testing

@testable import StoqCore

/// What a meter wrote, for tests.
final class Written: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [String] = []
    func add(_ text: String) { lock.withLock { parts.append(text) } }
    var all: [String] { lock.withLock { parts } }
}

@Suite("colour and progress: what the terminal decides")
struct TerminalDecisionTests {
    /// A terminal with `environment`, standard output and error each a terminal or not.
    func terminal(_ environment: [String: String], stdout: Bool = false, stderr: Bool = false) -> Terminal {
        Terminal(environment: environment) { descriptor in
            descriptor == STDOUT_FILENO ? stdout : descriptor == STDERR_FILENO ? stderr : false
        }
    }

    @Test("colour under auto: a terminal only, and not with NO_COLOR (any non-empty value) or TERM=dumb")
    func colourUnderAuto() {
        #expect(terminal(["TERM": "xterm"], stdout: true).colours(forced: nil, on: STDOUT_FILENO))
        #expect(!terminal(["TERM": "xterm"], stdout: true).colours(forced: nil, on: STDERR_FILENO))
        #expect(!terminal(["TERM": "xterm"]).colours(forced: nil, on: STDOUT_FILENO))
        #expect(!terminal(["TERM": "dumb"], stdout: true).colours(forced: nil, on: STDOUT_FILENO))
        #expect(!terminal(["NO_COLOR": "0"], stdout: true).colours(forced: nil, on: STDOUT_FILENO))
        #expect(terminal(["NO_COLOR": ""], stdout: true).colours(forced: nil, on: STDOUT_FILENO))
    }

    @Test("--color always and never decide alone")
    func forced() {
        #expect(terminal(["TERM": "dumb", "NO_COLOR": "1"]).colours(forced: true, on: STDOUT_FILENO))
        #expect(!terminal(["TERM": "xterm"], stdout: true).colours(forced: false, on: STDOUT_FILENO))
    }

    @Test("progress: in place on a terminal, lines in CI or on a dumb terminal, nothing on a pipe")
    func progressStyle() {
        let every = ProgressStyle.lineInterval
        #expect(every == .seconds(30))
        #expect(ProgressStyle.choose(for: terminal(["TERM": "xterm"], stderr: true)) == .inPlace)
        #expect(ProgressStyle.choose(for: terminal(["TERM": "xterm", "CI": "true"], stderr: true)) == .inPlace)
        #expect(ProgressStyle.choose(for: terminal(["CI": "true"])) == .lines(every: every))
        #expect(ProgressStyle.choose(for: terminal(["TERM": "dumb"], stderr: true)) == .lines(every: every))
        #expect(ProgressStyle.choose(for: terminal(["TERM": "dumb", "CI": "1"], stderr: true)) == .lines(every: every))
        #expect(ProgressStyle.choose(for: terminal([:])) == .none)
        #expect(ProgressStyle.choose(for: terminal(["CI": ""])) == .none)
        // Standard output on a terminal does not matter: progress goes to standard error.
        #expect(ProgressStyle.choose(for: terminal(["TERM": "xterm"], stdout: true)) == .none)
    }
}

@Suite("progress meter")
struct ProgressMeterTests {
    @Test("in place: nothing for the first 2 s, then one line rewritten as the count moves, cleared at the end")
    func inPlace() {
        let written = Written()
        let meter = ProgressMeter(style: .inPlace, tick: .seconds(3600)) { written.add($0) }
        let start = ContinuousClock.now
        let phase = meter.start("reading the shop", unit: "plans")
        meter.show(at: start + .seconds(1))
        #expect(written.all.isEmpty)
        phase.total(300)
        phase.advance(by: 120)
        meter.show(at: start + .seconds(3))
        meter.show(at: start + .seconds(3.25))
        phase.advance()
        meter.show(at: start + .seconds(3.5))
        phase.end()
        #expect(written.all == ["\r\u{1B}[2Kreading the shop: 120/300 plans", "\r\u{1B}[2Kreading the shop: 121/300 plans", "\r\u{1B}[2K"])
    }

    @Test("a log line clears the in-place line first; phases at the same time share the line")
    func interruptAndShare() {
        let written = Written()
        let meter = ProgressMeter(style: .inPlace, tick: .seconds(3600)) { written.add($0) }
        let start = ContinuousClock.now
        let shop = meter.start("reading the shop", unit: "plans", total: 2)
        let policies = meter.start("reading Shopify policies", unit: "variants", total: 10)
        meter.show(at: start + .seconds(5))
        meter.interrupting { written.add("retrying\n") }
        shop.end()
        meter.show(at: start + .seconds(6))
        policies.end()
        #expect(
            written.all == [
                "\r\u{1B}[2Kreading the shop: 0/2 plans; reading Shopify policies: 0/10 variants", "\r\u{1B}[2K",
                "retrying\n", "\r\u{1B}[2Kreading Shopify policies: 0/10 variants", "\r\u{1B}[2K",
            ])
    }

    @Test("in place, a line wider than 79 columns is cut to 79, so clearing it leaves nothing behind")
    func narrow() {
        let written = Written()
        let meter = ProgressMeter(style: .inPlace, tick: .seconds(3600)) { written.add($0) }
        let phase = meter.start(String(repeating: "x", count: 100), unit: "plans", total: 1)
        meter.show(at: .now + .seconds(3))
        phase.end()
        #expect(written.all == ["\r\u{1B}[2K" + String(repeating: "x", count: 78) + "…", "\r\u{1B}[2K"])
    }

    @Test("as lines: a plain line each interval, no cursor movement")
    func lines() {
        let written = Written()
        let meter = ProgressMeter(style: .lines(every: .seconds(30)), tick: .seconds(3600)) { written.add($0) }
        let start = ContinuousClock.now
        let phase = meter.start("reading the shop", unit: "plans", total: 300)
        meter.show(at: start + .seconds(10))
        phase.advance(by: 40)
        meter.show(at: start + .seconds(31))
        meter.show(at: start + .seconds(45))
        phase.advance(by: 40)
        meter.show(at: start + .seconds(62))
        phase.end()
        #expect(written.all == ["reading the shop: 40/300 plans\n", "reading the shop: 80/300 plans\n"])
    }

    @Test("none writes nothing")
    func none() {
        let written = Written()
        let meter = ProgressMeter(style: .none) { written.add($0) }
        let phase = meter.start("reading the shop", unit: "plans", total: 3)
        meter.show(at: .now + .seconds(100))
        phase.end()
        #expect(written.all.isEmpty)
    }

    @Test("the timer writes CI lines by itself, at a short interval")
    func timer() async throws {
        let written = Written()
        let meter = ProgressMeter(style: .lines(every: .milliseconds(100)), delay: .zero) { written.add($0) }
        let phase = meter.start("reading the shop", unit: "plans", total: 3)
        phase.advance()
        try await Task.sleep(for: .milliseconds(550))
        phase.end()
        let lines = written.all
        #expect(lines.count >= 2, "\(lines)")
        #expect(lines.allSatisfy { $0 == "reading the shop: 1/3 plans\n" }, "\(lines)")
        let count = lines.count
        try await Task.sleep(for: .milliseconds(300))
        #expect(written.all.count == count, "lines after the phase ended")
    }
}
