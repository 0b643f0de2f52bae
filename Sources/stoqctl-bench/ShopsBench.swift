import Foundation

// `stoqctl-bench shops`: a repository of several shops, planned and applied by the `stoqctl`
// binary built beside this one (a release build with `make bench-shops`) against `stoqctl
// emulator` (the same binary) over HTTP on 127.0.0.1. Every store has its own tokens, shop_id,
// domain and 360 points per rolling 60 s; tokens reach stoqctl through each shop's variables.
//
//   stoqctl-bench shops [--shops 5] [--plans 300] [--updates 30] [--latency 0.05]
//                       [--runs 3] [--apply-runs 1] [--big-shops 50] [--big-plans 1000]
//                       [--only plan|apply|big] [--keep DIR] [--stoqctl PATH]
//
// 1. plan of every shop (`stoqctl plan DIR`) against plan of s01 alone (`--shop s01`), then
//    the same for apply: each run against a fresh emulator over a fresh copy of the state (a
//    full budget), the two in turn, A B A B; wall time of the whole stoqctl process.
// 2. plan of `--big-shops` shops of `--big-plans` plans each at no latency, as a pull-request
//    comment (`--format markdown`): the process's peak RSS (GNU time's %M), and the comment's
//    size against GitHub's 65,536 characters and its lead (one line per shop).
//
// The emulator runs with --log; each line it writes is stamped as it arrives, so each row also
// says when each shop's first and last answers came, the requests and points each shop spent,
// and any 429.

struct ShopsBenchOptions {
    var shops = 5
    var plans = 300
    var updates = 30
    var latency = 0.05
    var runs = 3
    var applyRuns = 1
    var bigShops = 50
    var bigPlans = 1_000
    var only: String?
    var keep: String?
    var stoqctl: String?

    init(_ args: [String]) {
        forEachOption(args[...]) { name, value in
            switch name {
            case "--shops": shops = Int(value) ?? shops
            case "--plans": plans = Int(value) ?? plans
            case "--updates": updates = Int(value) ?? updates
            case "--latency": latency = Double(value) ?? latency
            case "--runs": runs = Int(value) ?? runs
            case "--apply-runs": applyRuns = Int(value) ?? applyRuns
            case "--big-shops": bigShops = Int(value) ?? bigShops
            case "--big-plans": bigPlans = Int(value) ?? bigPlans
            case "--only": only = value
            case "--keep": keep = value
            case "--stoqctl": stoqctl = value
            default: return false
            }
            return true
        }
    }

    func wants(_ part: String) -> Bool { only == nil || only == part }
}

func runShopsBench(_ args: [String]) throws {
    let options = ShopsBenchOptions(args)
    let dir =
        options.keep.map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("stoqctl-bench-shops-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { if options.keep == nil { try? FileManager.default.removeItem(at: dir) } }
    let stoqctl =
        options.stoqctl
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stoqctl").path
    guard FileManager.default.isExecutableFile(atPath: stoqctl) else {
        FileHandle.standardError.write(Data("stoqctl-bench shops: no stoqctl at \(stoqctl) (build it, or give --stoqctl PATH)\n".utf8))
        exit(2)
    }
    let bench = ShopsBench(stoqctl: stoqctl, dir: dir)
    let started = Date()
    print("stoqctl-bench shops: \(stoqctl), emulator over HTTP on 127.0.0.1, 360 points / rolling 60 s per store")
    print(
        bench.gnuTime == nil
            ? "GNU time (/usr/bin/time) is missing, so no peak RSS (apt-get install time)"
            : "peak RSS: GNU time's %M of the stoqctl process")
    print("")

    var rows: [String] = []
    var notes: [String] = []
    if options.wants("plan") || options.wants("apply") {
        let workload = ShopsWorkload(shops: options.shops, plans: options.plans, updates: options.updates)
        let repo = dir.appendingPathComponent("repo-\(options.shops)")
        try workload.writeRepository(to: repo)
        let state = dir.appendingPathComponent("state-\(options.shops).json")
        try workload.state.write(to: state, atomically: true, encoding: .utf8)
        let ms = Int((options.latency * 1000).rounded())
        let size = "\(options.shops) shops × \(options.plans) plans, \(options.updates) updates each, \(ms) ms"
        for command in ["plan", "apply"] where options.wants(command) {
            let runs = command == "plan" ? options.runs : options.applyRuns
            var all: [Measured] = []
            var one: [Measured] = []
            for run in 0..<runs {
                for alone in [false, true] {
                    let measured = try bench.measure(
                        command: command, workload: workload, repo: repo, state: state, latency: options.latency,
                        extra: alone ? ["--shop", workload.name(0)] : [], tag: "\(command)-\(alone ? "one" : "all")-\(run)")
                    let problems = bench.check(measured, workload: workload, shops: alone ? 1 : workload.shops, command: command)
                    notes += problems.map { "\(command)\(alone ? " --shop s01" : ""), run \(run + 1): \($0)" }
                    if alone { one.append(measured) } else { all.append(measured) }
                }
            }
            rows.append(ShopsBench.row("\(command), \(size)", all))
            rows.append(ShopsBench.row("\(command), s01 alone (--shop s01)", one))
            let pairs = zip(all, one).map { $0.wall / $1.wall }
            rows.append(
                "  ratio all / one: medians \(String(format: "%.3f", median(all.map(\.wall)) / median(one.map(\.wall)))), pair by pair \(pairs.map { String(format: "%.3f", $0) }.joined(separator: ", "))"
            )
            for (label, runs) in [("all", all), ("one", one)] {
                if let last = runs.last { rows.append("  \(label), last run: \(last.timeline)") }
            }
        }
    }
    if options.wants("big") {
        let workload = ShopsWorkload(shops: options.bigShops, plans: options.bigPlans, updates: options.updates)
        let repo = dir.appendingPathComponent("repo-\(options.bigShops)")
        try workload.writeRepository(to: repo)
        let state = dir.appendingPathComponent("state-\(options.bigShops).json")
        try workload.state.write(to: state, atomically: true, encoding: .utf8)
        let measured = try bench.measure(
            command: "plan", workload: workload, repo: repo, state: state, latency: 0, extra: ["--format", "markdown"], tag: "big")
        notes += bench.check(measured, workload: workload, shops: workload.shops, command: "markdown").map { "big plan: \($0)" }
        rows.append(ShopsBench.row("plan, \(options.bigShops) shops × \(options.bigPlans) plans, 0 ms, --format markdown", [measured]))
        rows.append("  \(measured.timeline)")
        let comment = measured.stdout
        let lead = ShopsBench.markdownLead(comment, workload: workload)
        rows.append(
            "  comment: \(comment.count) characters (\(comment.unicodeScalars.count) scalars, \(comment.utf8.count) bytes) of GitHub's 65,536; \(lead)"
        )
        if let hwm = measured.emulatorPeakKiB { rows.append(String(format: "  the emulator's own peak RSS: %.0f MiB", Double(hwm) / 1024)) }
    }
    print(
        "run".padding(toLength: 58, withPad: " ", startingAt: 0)
            + "  runs  wall min / median / max (s)   peak RSS (MiB)  CPU (s)   emu CPU  exit"
    )
    for row in rows { print(row) }
    if !notes.isEmpty {
        print("")
        print("PROBLEMS:")
        for note in notes { print("  \(note)") }
    }
    print("")
    print(
        String(
            format: "bench wall: %.1f s; files in %@%@", Date().timeIntervalSince(started), dir.path,
            options.keep == nil ? " (removed)" : ""))
    if !notes.isEmpty { exit(1) }
}

/// One stoqctl run: its wall time, peak RSS, exit status and output, and what the emulator logged.
struct Measured {
    var wall: Double
    var peakKiB: Int?
    /// User plus system seconds of the stoqctl process.
    var cpu: Double?
    var status: Int32
    var stdout: String
    var stderr: String
    /// The emulator's log lines, each with the seconds since stoqctl started when it arrived.
    var log: [(time: Double, line: String)]
    var emulatorPeakKiB: Int?
    /// The emulator's user plus system seconds while stoqctl ran.
    var emulatorCPU: Double?
    /// The state the emulator wrote when stopped after an apply.
    var stateAfter: String?

    /// Per shop: requests, points, 429s and the times of its first and last answers.
    struct ShopTraffic {
        var requests = 0
        var points = 0
        var tooMany = 0
        var writes = 0
        var shopify = 0
        var first = Double.infinity
        var last = 0.0
    }

    var traffic: [String: ShopTraffic] {
        var out: [String: ShopTraffic] = [:]
        for (time, line) in log {
            // `[s01] GET /api/v1/external/preorders?page=1 → 200`
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { continue }
            let shop = String(line[line.index(after: line.startIndex)..<close])
            let rest = line[line.index(close, offsetBy: 2)...]
            var t = out[shop] ?? ShopTraffic()
            t.requests += 1
            t.first = min(t.first, time)
            t.last = max(t.last, time)
            if rest.contains("/admin/api/") {
                t.shopify += 1
            } else if rest.hasSuffix("→ 429") {
                t.tooMany += 1
            } else {
                let read = rest.hasPrefix("GET ")
                t.points += read ? 1 : 2
                if !read { t.writes += 1 }
            }
            out[shop] = t
        }
        return out
    }

    /// `s01 305 req, 305 pts, 0×429, answers 0.31–1.52 s; …; exit at 1.60 s` (the first and last
    /// shops by their last answer, when there are many).
    var timeline: String {
        let shops = traffic.sorted { $0.key < $1.key }
        guard !shops.isEmpty else { return "no requests logged" }
        func describe(_ shop: (key: String, value: ShopTraffic)) -> String {
            let t = shop.value
            return String(
                format: "%@ %d req (%d Shopify), %d pts, %d writes, %d×429, answers %.2f–%.2f s", shop.key, t.requests, t.shopify, t.points,
                t.writes, t.tooMany, t.first, t.last)
        }
        let byLast = shops.sorted { $0.value.last < $1.value.last }
        let shown =
            shops.count <= 5
            ? shops.map(describe)
            : [
                "\(shops.count) shops; earliest done: " + describe(byLast[0]), "latest done: " + describe(byLast[byLast.count - 1]),
                String(
                    format: "requests %d to %d per shop", shops.map(\.value.requests).min() ?? 0, shops.map(\.value.requests).max() ?? 0),
            ]
        return shown.joined(separator: "; ") + String(format: "; process exit at %.2f s", wall)
    }
}

/// Runs stoqctl against a fresh emulator and measures it.
struct ShopsBench {
    let stoqctl: String
    let dir: URL
    /// GNU time, for the peak RSS of the measured process.
    let gnuTime: String?

    init(stoqctl: String, dir: URL) {
        self.stoqctl = stoqctl
        self.dir = dir
        gnuTime = FileManager.default.isExecutableFile(atPath: "/usr/bin/time") ? "/usr/bin/time" : nil
    }

    /// `stoqctl COMMAND repo …` against a fresh emulator over a fresh copy of `state` (so every
    /// store starts with its whole budget), timed from spawn to exit.
    func measure(
        command: String, workload: ShopsWorkload, repo: URL, state: URL, latency: Double, extra: [String], tag: String
    ) throws -> Measured {
        let copy = dir.appendingPathComponent("state-\(tag).json")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: state, to: copy)
        let emulator = try EmulatorProcess(stoqctl: stoqctl, state: copy, latency: latency)
        let endpoint = "http://127.0.0.1:\(emulator.port)"
        var args = [command, repo.path, "--endpoint", "\(endpoint)/api/v1/external", "--shopify-endpoint", endpoint, "--color", "never"]
        if command == "apply" { args += ["--lock", "none"] }
        args += extra
        let rss = dir.appendingPathComponent("rss-\(tag).txt")
        let out = dir.appendingPathComponent("stdout-\(tag).txt")
        let err = dir.appendingPathComponent("stderr-\(tag).txt")
        let process = Process()
        if let gnuTime {
            process.executableURL = URL(fileURLWithPath: gnuTime)
            process.arguments = ["-f", "%M %U %S", "-o", rss.path, stoqctl] + args
        } else {
            process.executableURL = URL(fileURLWithPath: stoqctl)
            process.arguments = args
        }
        process.currentDirectoryURL = dir
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NO_COLOR": "1", "HOME": dir.path]
        env.merge(workload.environment) { _, new in new }
        process.environment = env
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        emulator.log.mark()
        let emulatorCPUBefore = emulator.cpuSeconds()
        let start = DispatchTime.now()
        try process.run()
        process.waitUntilExit()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let emulatorPeak = emulator.peakKiB()
        let emulatorCPU = emulator.cpuSeconds().flatMap { after in emulatorCPUBefore.map { after - $0 } }
        emulator.stop()
        if !FileManager.default.isReadableFile(atPath: copy.path) { throw BenchFailure("the emulator's state \(copy.path) is gone") }
        // GNU time's last line: `%M %U %S` (peak RSS in KiB, user and system seconds).
        let figures = (try? String(contentsOf: rss, encoding: .utf8))?.split(separator: "\n").last?.split(separator: " ") ?? []
        let peak = figures.first.flatMap { Int($0) }
        let cpu = figures.count == 3 ? (Double(figures[1]) ?? 0) + (Double(figures[2]) ?? 0) : nil
        return Measured(
            wall: wall, peakKiB: peak, cpu: cpu, status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "", stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
            log: emulator.log.since(start), emulatorPeakKiB: emulatorPeak, emulatorCPU: emulatorCPU,
            stateAfter: command == "apply" ? try? String(contentsOf: copy, encoding: .utf8) : nil)
    }

    /// What is wrong with a run: a non-zero exit, a lead without one line per shop, a shop
    /// without exactly its updates, an apply that did not write them, a 429.
    func check(_ measured: Measured, workload: ShopsWorkload, shops: Int, command: String) -> [String] {
        var problems: [String] = []
        if measured.status != 0 {
            problems.append(
                "exit \(measured.status): \(measured.stderr.split(separator: "\n").suffix(3).joined(separator: " / "))")
        }
        let expected = "0 to create, \(min(workload.updates, workload.plans)) to update, 0 to delete"
        switch command {
        case "markdown":
            if !Self.markdownLead(measured.stdout, workload: workload).hasPrefix("leads with") {
                problems.append(Self.markdownLead(measured.stdout, workload: workload))
            }
        case "apply":
            // `[s01] Apply finished in 58.8 s (estimated ~55 s): 30 applied, 0 failed, …` (no prefix for one shop).
            let finished = measured.stdout.split(separator: "\n").filter { $0.contains("Apply finished in") }
            for shop in 0..<shops {
                let prefix = shops == 1 ? "" : "[\(workload.name(shop))] "
                if !finished.contains(where: {
                    $0.hasPrefix(prefix + "Apply finished") && $0.contains(": \(workload.updates) applied, 0 failed")
                }) {
                    problems.append("no `\(prefix)Apply finished …: \(workload.updates) applied, 0 failed` line")
                }
                // What the store holds afterwards, as the emulator wrote it when stopped.
                let written = (measured.stateAfter ?? "").components(separatedBy: "Ships later from \(workload.name(shop))\"").count - 1
                if written != workload.updates {
                    problems.append(
                        "the emulator's state holds \(written) plans with \(workload.name(shop))'s text, not \(workload.updates)")
                }
            }
        default:
            let lines = measured.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let lead = lines.dropFirst().prefix(shops)
            guard lines.first == "Plan of \(shops) shop\(shops == 1 ? "" : "s"):" else {
                problems.append("the output does not lead with `Plan of \(shops) shops:` but `\(lines.first ?? "")`")
                break
            }
            for (index, line) in lead.enumerated() where !(line.hasPrefix("  \(workload.name(index)): ") && line.contains(expected)) {
                problems.append("lead line \(index + 1) is `\(line)`, not \(workload.name(index))'s \(expected)")
            }
        }
        let traffic = measured.traffic
        for shop in 0..<shops {
            let t = traffic[workload.name(shop)] ?? Measured.ShopTraffic()
            if t.tooMany > 0 { problems.append("\(workload.name(shop)) got \(t.tooMany) 429s") }
            if command == "apply", t.writes != workload.updates {
                problems.append("\(workload.name(shop)): \(t.writes) writes, not \(workload.updates)")
            }
        }
        if traffic.count != shops { problems.append("\(traffic.count) shops were sent requests, not \(shops)") }
        return problems
    }

    /// Whether the comment leads with its heading and one table row per shop, in order.
    static func markdownLead(_ comment: String, workload: ShopsWorkload) -> String {
        let lines = comment.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 4 + workload.shops, lines[0].hasPrefix("### stoqctl plan: \(workload.shops) shops"),
            lines[2] == "| shop | outcome | changes |"
        else { return "does NOT lead with the heading and the shops' table: `\(lines.prefix(3).joined(separator: " / "))`" }
        for shop in 0..<workload.shops where !lines[4 + shop].hasPrefix("| \(workload.name(shop)) (\(workload.domain(shop))) |") {
            return "row \(shop + 1) of the table is `\(lines[4 + shop].prefix(80))`, not \(workload.name(shop))"
        }
        let sections = comment.components(separatedBy: "<details><summary>").count - 1
        let left = lines.last { $0.hasPrefix("The plans of ") }.map { " \($0.prefix(60))…" } ?? ""
        return "leads with the heading and \(workload.shops) rows, one per shop; \(sections) shops' sections follow\(left)"
    }

    /// A table row: runs, wall min / median / max, median peak RSS, exit statuses.
    static func row(_ label: String, _ runs: [Measured]) -> String {
        let walls = runs.map(\.wall)
        let peaks = runs.compactMap(\.peakKiB).map { Double($0) / 1024 }
        let cpus = runs.compactMap(\.cpu)
        let emulatorCPUs = runs.compactMap(\.emulatorCPU)
        /// The median in `format`, right-aligned in `width`.
        func shown(_ xs: [Double], _ format: String, _ width: Int) -> String {
            let text = xs.isEmpty ? "-" : String(format: format, median(xs))
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }
        return label.padding(toLength: 58, withPad: " ", startingAt: 0)
            + String(
                format: "  %4d  %7.2f / %7.2f / %7.2f   %@  %@  %@  %@", runs.count, walls.min() ?? 0, walls.isEmpty ? 0 : median(walls),
                walls.max() ?? 0, shown(peaks, "%.0f", 14), shown(cpus, "%.2f", 7), shown(emulatorCPUs, "%.2f", 8),
                Set(runs.map(\.status)).sorted().map(String.init).joined(separator: ","))
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `stoqctl emulator --state FILE --port 0 --log` running, its port read from its ready line,
/// each line of its log stamped as it arrives.
final class EmulatorProcess {
    let process = Process()
    let port: Int
    let log = StampedLines()
    private let stdoutFile: URL

    init(stoqctl: String, state: URL, latency: Double) throws {
        stdoutFile = state.deletingPathExtension().appendingPathExtension("emulator.txt")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: stoqctl)
        process.arguments =
            ["emulator", "--state", state.path, "--port", "0", "--log"]
            + (latency > 0 ? ["--latency", "\(Int((latency * 1000).rounded()))ms"] : [])
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NO_COLOR": "1"]
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        let pipe = Pipe()
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        log.read(pipe.fileHandleForReading)
        let deadline = Date().addingTimeInterval(120)
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            let text = (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                found = Int(text[range.upperBound...].prefix { $0.isNumber })
            } else {
                usleep(20_000)
            }
        }
        guard let found else {
            process.terminate()
            throw BenchFailure("the emulator did not start: \(log.since(.now()).map(\.line).suffix(3))")
        }
        port = found
    }

    /// The emulator's peak RSS so far (VmHWM), in KiB.
    func peakKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }

    /// The emulator's user plus system seconds so far (from /proc).
    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM (it finishes what is in flight and writes its state), then waits.
    func stop() {
        process.terminate()
        process.waitUntilExit()
        log.finish()
    }
}

/// Lines read from a pipe on a thread of their own, each stamped with when it arrived.
final class StampedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(time: UInt64, line: String)] = []
    private let done = DispatchSemaphore(value: 0)

    func read(_ handle: FileHandle) {
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                let now = DispatchTime.now().uptimeNanoseconds
                pending.append(contentsOf: chunk)
                var batch: [(UInt64, String)] = []
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    batch.append((now, String(decoding: pending[..<newline], as: UTF8.self)))
                    pending.removeSubrange(...newline)
                }
                lock.withLock { lines.append(contentsOf: batch) }
            }
            done.signal()
        }
        thread.start()
    }

    /// Forgets the lines so far (the emulator's start).
    func mark() { lock.withLock { lines.removeAll() } }

    /// The lines that arrived after `start`, with the seconds since it.
    func since(_ start: DispatchTime) -> [(time: Double, line: String)] {
        lock.withLock {
            lines.filter { $0.time >= start.uptimeNanoseconds }.map { (Double($0.time - start.uptimeNanoseconds) / 1e9, $0.line) }
        }
    }

    /// Waits until the pipe closed.
    func finish() { _ = done.wait(timeout: .now() + 10) }
}
