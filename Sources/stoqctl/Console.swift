import Foundation
import Logging
import StoqCore
import StoqWire

/// The one funnel for every problem stoqctl reports and every line it logs.
///
/// Diagnostics come out in the command's format: text (with the source line and a caret) on
/// standard error; GitHub workflow annotations on standard output; for JSON, text on standard
/// error and, when the command fails before printing its own JSON, one diagnostics document on
/// standard output, so that standard output always holds exactly one JSON document. Log lines
/// (retries, waits, `--debug`) are text on standard error in every format. Any URL in a message
/// is redacted on the way out, and everything printed passes ``Sanitiser`` last.
final class Console: @unchecked Sendable {
    let format: OutputFormat
    let style: DiagnosticFormat
    let color: Bool
    /// Progress of long reads, on standard error as the terminal allows (``ProgressStyle``).
    let meter: ProgressMeter
    private let lock = NSLock()
    private var sources: [SourceFile] = []
    private var reported: [Diagnostic] = []
    private var printedResult = false
    /// Plans the configuration declares, once a run reported on it (for the JSON summary).
    private var plans = 0

    /// A console for `format` (markdown reports problems as text).
    init(format: OutputFormat = .text, color: ColorChoice = .auto) {
        self.format = format
        style = format.diagnosticFormat
        self.color = color.enabledOnStandardError
        meter = ProgressMeter(style: .choose(for: .current), write: { Output.error($0) })
    }

    /// Files whose lines diagnostics may show.
    func show(sources: [SourceFile]) {
        lock.withLock { self.sources += sources }
    }

    /// Reports `diagnostics` in the console's style.
    func report(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        let cleaned = diagnostics.map(Self.redacted)
        let renderer = lock.withLock {
            reported += cleaned
            return DiagnosticRenderer(sources: sources, color: color)
        }
        switch style {
        case .text, .json: meter.interrupting { Output.error(renderer.render(cleaned, format: .text)) }
        case .github: Output.out(renderer.render(cleaned, format: .github))
        }
    }

    /// Reports one problem.
    func report(_ code: DiagnosticCode, _ message: String) { report([Diagnostic(code, message, at: nil)]) }

    /// A log line on standard error (progress, retries, waits): one line, whatever it quotes.
    func log(_ line: String) {
        meter.interrupting { Output.error(Sanitiser.output(Sanitiser.shown(Redact.urls(in: line)), style: .text) + "\n") }
    }

    /// The command's own output on standard output.
    func result(_ text: String) {
        lock.withLock { printedResult = true }
        Output.out(Sanitiser.output(text, style: format.sanitiserStyle))
    }

    /// One line of the command's progress on standard output (apply's operations as they
    /// finish); a progress meter's line on the terminal is cleared first and drawn again after.
    func progress(_ line: String) {
        lock.withLock { printedResult = true }
        let shown = Sanitiser.output(Sanitiser.shown(line), style: .text)
        meter.interrupting { Output.out(shown + "\n") }
    }

    /// Called once at the end: a command that failed before printing its result prints the
    /// problems it reported in its format instead, so standard output is never empty: one JSON
    /// document for JSON, a Markdown report for Markdown (a pull-request comment shows why).
    func finish(_ status: ExitStatus) {
        let (done, diagnostics, files, plans) = lock.withLock { (printedResult, reported, sources, self.plans) }
        guard !done, status != .success,
            let text = format.failureOutput(status, diagnostics: diagnostics, sources: files, plans: plans)
        else { return }
        Output.out(text)
    }

    static func redacted(_ d: Diagnostic) -> Diagnostic {
        var d = d
        d.message = Redact.urls(in: d.message)
        return d
    }

    /// A swift-log handler that writes through this console: `notice` and above always (retries,
    /// rate-limit waits), `debug` only with `--debug`.
    func logHandler(label: String, debug: Bool) -> ConsoleLogHandler {
        ConsoleLogHandler(console: self, logLevel: debug ? .debug : .notice)
    }
}

/// Writes log records through a ``Console``.
struct ConsoleLogHandler: LogHandler {
    let console: Console
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        console.log("stoqctl: \(event.message)")
    }
}

/// The process's output streams.
enum Output {
    /// Writes to standard output, without any secret the process holds.
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(Secrets.scrub(text).utf8))
    }

    /// Writes to standard error, without any secret the process holds.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data(Secrets.scrub(text).utf8))
    }
}

extension Console {
    /// Reports a run's diagnostics; when the configuration has errors, with the summary line and
    /// the conclusion that nothing was sent.
    func reportRun(_ diagnostics: [Diagnostic], config: ConfigResult?) {
        if let config { lock.withLock { plans = config.desired.plans.count } }
        report(diagnostics)
        guard let config, config.hasErrors else { return }
        let summary = DiagnosticRenderer.Summary(config.diagnostics, files: config.fileCount, plans: config.desired.plans.count)
        if style != .github { Output.error(DiagnosticRenderer(sources: [], color: false).summaryLine(summary) + "\n") }
        report(.invalidConfiguration, "the configuration is invalid; nothing was sent")
    }
}
