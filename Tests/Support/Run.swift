import Foundation

/// Runs the built `stoqctl` binary, for end-to-end tests.
public enum Stoqctl {
    /// What a run produced.
    public struct Outcome: Sendable {
        public var stdout: String
        public var stderr: String
        public var status: Int32
    }

    /// The `stoqctl` executable beside the test bundle in the build folder.
    public static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner may be inside an `.xctest` bundle folder on some platforms.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("stoqctl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Golden.repositoryRoot.appendingPathComponent(".build/debug/stoqctl")
    }

    /// Runs `stoqctl args…` in `directory` (default: the repository root) with `environment`
    /// added to a minimal environment (no colour, no inherited tokens, no apply lock); with `shell`, runs
    /// `/bin/sh args…` instead (a pipeline into stoqctl, which the args name).
    ///
    /// The child is waited for on a thread of its own, so tests that run the binary do not hold
    /// the threads that async tests need.
    public static func run(
        _ args: [String], in directory: URL? = nil, environment: [String: String] = [:], input: String? = nil, shell: Bool = false
    ) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(
                        returning: try runBlocking(args, in: directory, environment: environment, input: input, shell: shell))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// Runs the child and waits for it, blocking the calling thread.
    static func runBlocking(
        _ args: [String], in directory: URL?, environment: [String: String], input: String? = nil, shell: Bool = false
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = shell ? URL(fileURLWithPath: "/bin/sh") : executable
        process.arguments = args
        process.currentDirectoryURL = directory ?? Golden.repositoryRoot
        // No apply lock unless a test asks for one: a checkout with `origin` (CI's) is never pushed to.
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NO_COLOR": "1", "STOQCTL_LOCK": "none"]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            try inPipe.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        // Read both pipes at once (standard error on another thread) before waiting, so a large
        // output on either cannot block the child.
        let errBox = DataBox()
        let done = DispatchSemaphore(value: 0)
        let errReader = Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        let errData = errBox.data
        process.waitUntilExit()
        return Outcome(
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
            status: process.terminationStatus)
    }
}

/// Data handed from a reader thread.
final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Data?
    var data: Data {
        get { lock.withLock { value ?? Data() } }
        set { lock.withLock { value = newValue } }
    }
}
