import Foundation

/// Runs git with arguments stoqctl builds itself: option strings never come from the user or
/// from the repository's content, and names the user gives (refs, remotes) are validated before
/// they get here and passed after `--` where git accepts it.
public enum GitProcess {
    /// A git command that could not be run or exited with an error: its standard error, or what
    /// failed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// git's message (its standard error, trimmed), or why git could not be run.
        public var description: String
        /// The exit status (-1 when git could not be started).
        public var status: Int32
    }

    /// What a git command printed, and how it exited.
    public struct Output: Sendable {
        /// Standard output.
        public var stdout: Data
        /// Standard error, trimmed.
        public var stderr: String
        /// The exit status.
        public var status: Int32

        /// Standard output as text, trimmed.
        public var text: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Runs `git args…` in `directory` (default: the working directory), whatever its exit status.
    ///
    /// Throws only when git cannot be run. Blocks the calling thread.
    ///
    /// `environment` is added to the inherited environment; prompts for credentials are always
    /// off (`GIT_TERMINAL_PROMPT=0`), so a remote that needs a password fails instead of waiting.
    public static func capture(
        _ args: [String], in directory: String? = nil, input: Data? = nil, environment: [String: String] = [:]
    ) throws(Failure) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + args
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env["GIT_TERMINAL_PROMPT"] = "0"
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        do {
            try process.run()
        } catch {
            throw Failure(description: "git cannot be run (\(error.localizedDescription))", status: -1)
        }
        if let input {
            // Written on another thread, so git's output cannot fill while its input waits.
            Thread {
                try? inPipe.fileHandleForWriting.write(contentsOf: input)
                try? inPipe.fileHandleForWriting.close()
            }.start()
        }
        // Standard error is read on another thread, so a chatty git cannot block on a full pipe.
        let box = ReadBox()
        let done = DispatchSemaphore(value: 0)
        Thread {
            box.set(err.fileHandleForReading.readDataToEndOfFile())
            done.signal()
        }.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        let message = String(decoding: box.get(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Output(stdout: data, stderr: message, status: process.terminationStatus)
    }

    /// Runs `git args…` and returns its standard output.
    ///
    /// A non-zero exit is a ``Failure`` with git's message. Blocks the calling thread.
    public static func run(
        _ args: [String], in directory: String? = nil, input: Data? = nil, environment: [String: String] = [:]
    ) throws(Failure) -> Data {
        let output = try capture(args, in: directory, input: input, environment: environment)
        guard output.status == 0 else {
            throw Failure(
                description: output.stderr.isEmpty ? "git \(args.first ?? "") failed (exit \(output.status))" : output.stderr,
                status: output.status)
        }
        return output.stdout
    }

    /// ``capture(_:in:input:environment:)`` on a thread of its own, so a slow git (a push over
    /// the network) does not hold one of the threads that async work shares.
    public static func captureDetached(
        _ args: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) async throws(Failure) -> Output {
        let result: Result<Output, Failure> = await withCheckedContinuation { continuation in
            Thread {
                do throws(Failure) {
                    continuation.resume(returning: .success(try capture(args, in: directory, environment: environment)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }.start()
        }
        return try result.get()
    }
}

/// Bytes handed from a reader thread.
final class ReadBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data { lock.withLock { data } }
}
