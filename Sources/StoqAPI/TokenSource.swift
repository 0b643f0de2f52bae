import Foundation
import StoqCore

/// Where tokens come from: only the runner's sources (a file or standard input named on the
/// command line, or an environment variable); the repository names none.
///
/// Every token is
/// checked (``APIToken/init(validating:)``) before any request, and never shown.
public enum TokenSource {
    /// Bytes read from a token file or standard input at most: a token, and room for the white
    /// space around it.
    ///
    /// A longer input is refused without reading the rest.
    public static let readLimit = APIToken.maxBytes + 256

    /// The token in `file`, or on standard input for `-` (so a secret manager can pipe it in
    /// without a file on disk), read up to ``readLimit`` bytes.
    ///
    /// `option` names the flag in
    /// messages.
    public static func read(_ file: String, option: String, code: DiagnosticCode, standardInput: FileHandle = .standardInput)
        throws(RunFailure) -> APIToken
    {
        let named = file == "-" ? "\(option) -: standard input" : "\(option) \(file)"
        let handle: FileHandle
        if file == "-" {
            handle = standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: file) else { throw RunFailure(code, "\(named): cannot be read") }
            handle = opened
        }
        defer { if file != "-" { try? handle.close() } }
        let data: Data
        do {
            data = try handle.read(upToCount: readLimit + 1) ?? Data()
        } catch {
            throw RunFailure(code, "\(named): cannot be read")
        }
        guard data.count <= readLimit else { throw RunFailure(code, "\(named) \(APIToken.Problem.tooLong); nothing was sent") }
        return try token(String(decoding: data, as: UTF8.self), named: named, code: code)
    }

    /// The token in the environment variable `name`; nil when it is unset or empty.
    public static func environment(_ name: String, in environment: [String: String], code: DiagnosticCode) throws(RunFailure)
        -> APIToken?
    {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return try token(value, named: name, code: code)
    }

    /// `text` as a token, or a failure that names where it came from and what is wrong, never the
    /// token.
    static func token(_ text: String, named: String, code: DiagnosticCode) throws(RunFailure) -> APIToken {
        do {
            return try APIToken(validating: text)
        } catch {
            throw RunFailure(code, "\(named) \(error); nothing was sent")
        }
    }
}
