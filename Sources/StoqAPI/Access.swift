import Foundation
import StoqCore
import StoqWire

/// Who chose a setting.
///
/// The runner (whoever starts stoqctl: a person, a workflow, the action's
/// inputs) is trusted with hosts and files; the repository (`stoqctl.yaml` and the configuration,
/// written by a pull request's author) and a saved plan are not.
public enum Chooser: Sendable, Hashable, CustomStringConvertible {
    /// A flag or an environment variable, named (`--endpoint`, `STOQ_API_URL`).
    case runner(String)
    /// `stoqctl.yaml`, at the setting's location.
    case repository(SourceLocation?)
    /// A saved plan, by its file name.
    case savedPlan(String)

    /// `--endpoint`, `stoqctl.yaml (shop/stoqctl.yaml:3:11)`, `the saved plan plan.json`.
    public var description: String {
        switch self {
        case .runner(let name): name
        case .repository(let location): "stoqctl.yaml" + (location.map { " (\($0.description))" } ?? "")
        case .savedPlan(let name): "the saved plan \(name)"
        }
    }
}

/// Where STOQ requests go: the in-process emulator over a state file, or a server over HTTP.
public enum Endpoint: Sendable, Hashable {
    /// The in-process emulator over a state file; `create` allows the file to be missing.
    case emulator(path: String, create: Bool)
    /// STOQ (or a server standing in for it) over HTTP.
    case http(String)

    /// Parses `emulator:FILE` / `emulator:new:FILE` / a URL.
    public init(_ text: String) {
        if text.hasPrefix("emulator:") {
            let rest = String(text.dropFirst("emulator:".count))
            self =
                rest.hasPrefix("new:")
                ? .emulator(path: String(rest.dropFirst("new:".count)), create: true) : .emulator(path: rest, create: false)
        } else {
            self = .http(text)
        }
    }

    /// The endpoint as a plan records it: `emulator:FILE` (whether or not it may be new), or the
    /// URL without user info, query or fragment.
    public var recorded: String {
        switch self {
        case .emulator(let path, _): "emulator:\(path)"
        case .http(let url): Redact.url(url)
        }
    }
}

/// The endpoint a run uses, and who chose it.
public struct ChosenEndpoint: Sendable, Hashable {
    /// Where requests go.
    public var endpoint: Endpoint
    /// Who chose it.
    public var chooser: Chooser
}

/// Who may choose a host or read a file: the one place that decides, for every input, what it
/// may choose (Docs/Decisions/0018-who-may-choose-a-host-or-read-a-file.md has the table).
///
/// - A token goes only to STOQ's own host (`app.stoqapp.com`, STOQ's token) or Shopify's
///   (`*.myshopify.com`, the Shopify token), or to a host the runner chose or allowed.
/// - Token sources are the runner's: `--token-file` and the environment. The repository names no
///   file.
/// - `emulator:` paths and baseline directories come from the runner, or lie inside the
///   repository.
/// - Configuration and baselines are read inside the repository: a symbolic link is followed only
///   when what it points to is inside too.
/// - A saved plan's endpoint never picks where requests go: the runner's endpoint must be the
///   plan's, and without one only a plan made against STOQ's own API applies.
public struct AccessPolicy: Sendable {
    /// STOQ's API, the default endpoint.
    public static let production = "https://app.stoqapp.com/api/v1/external"
    /// STOQ's own host.
    public static let stoqHost = "app.stoqapp.com"

    /// Hosts the runner allowed a token to go to (`--allow-host`, `STOQCTL_ALLOW_HOSTS`), lower
    /// case.
    public var allowedHosts: Set<String>
    /// The repository, resolved: the git work tree, or outside git the configuration root.
    ///
    /// Nil when a run has no configuration (a saved plan, export).
    public var repository: String?

    /// A policy with the runner's `allowedHosts` and the `repository` root.
    public init(allowedHosts: [String] = [], repository: String? = nil) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() }.filter { !$0.isEmpty })
        self.repository = repository.map(Self.resolved)
    }

    /// `STOQCTL_ALLOW_HOSTS` as hosts: split on commas and white space.
    public static func hosts(in list: String) -> [String] {
        list.split { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" }.map(String.init)
    }

    // MARK: - Endpoints

    /// The STOQ endpoint: the runner's (`--endpoint`, then `STOQ_API_URL`), then `stoqctl.yaml`'s,
    /// then STOQ's own.
    ///
    /// With a saved plan, the runner's endpoint must be the plan's; without one,
    /// only a plan made against STOQ's own API applies (to it).
    public func endpoint(flag: String?, environment: String?, settings: Located<String>?, savedPlan: (name: String, endpoint: String?)?)
        throws(RunFailure) -> ChosenEndpoint
    {
        if let flag { return try runnerEndpoint(flag, chooser: .runner("--endpoint"), savedPlan: savedPlan) }
        if let environment { return try runnerEndpoint(environment, chooser: .runner("STOQ_API_URL"), savedPlan: savedPlan) }
        if let savedPlan {
            guard let planned = savedPlan.endpoint, planned != Self.production else {
                return ChosenEndpoint(endpoint: .http(Self.production), chooser: .savedPlan(savedPlan.name))
            }
            throw RunFailure(
                .savedPlanRefused,
                "\(savedPlan.name) was planned against \(planned); a saved plan never chooses where it is applied: give that endpoint with --endpoint or STOQ_API_URL to apply it there; nothing was sent"
            )
        }
        if let settings {
            let chosen = ChosenEndpoint(endpoint: Endpoint(settings.value), chooser: .repository(settings.location))
            try check(chosen)
            return chosen
        }
        return ChosenEndpoint(endpoint: .http(Self.production), chooser: .runner("the default"))
    }

    func runnerEndpoint(_ text: String, chooser: Chooser, savedPlan: (name: String, endpoint: String?)?) throws(RunFailure)
        -> ChosenEndpoint
    {
        let chosen = ChosenEndpoint(endpoint: Endpoint(text), chooser: chooser)
        if let savedPlan, let planned = savedPlan.endpoint, planned != chosen.endpoint.recorded {
            throw RunFailure(
                .savedPlanRefused,
                "\(savedPlan.name) was planned against \(planned), but this apply writes to \(chosen.endpoint.recorded) (\(chooser)); a saved plan applies only where it was planned, and only where the command line or the environment points; nothing was sent"
            )
        }
        return chosen
    }

    /// Refuses an endpoint its chooser may not pick: an `emulator:` file outside the repository,
    /// or a host other than STOQ's own that the runner did not allow.
    public func check(_ chosen: ChosenEndpoint) throws(RunFailure) {
        if case .runner = chosen.chooser { return }
        switch chosen.endpoint {
        case .emulator(let path, _):
            guard contains(path) else {
                throw RunFailure(
                    .invalidURL,
                    "endpoint emulator:\(path) in \(chosen.chooser) is outside the repository\(repository.map { " (\($0))" } ?? ""); an emulator state file from stoqctl.yaml must be inside it (or give --endpoint); nothing was sent"
                )
            }
        case .http(let url):
            try checkHost(url, service: .stoq, chooser: chosen.chooser)
        }
    }

    /// Which token a host receives.
    public enum Service: Sendable {
        /// STOQ's token: STOQ's own host.
        case stoq
        /// Shopify's token: `*.myshopify.com`.
        case shopify
    }

    /// Refuses `url` unless its host is the service's own or one the runner allowed.
    public func checkHost(_ url: String, service: Service, chooser: Chooser) throws(RunFailure) {
        if case .runner = chooser { return }
        let host = URLComponents(string: url)?.host?.lowercased() ?? ""
        if mayReceiveToken(host: host, scheme: URLComponents(string: url)?.scheme?.lowercased(), service: service) { return }
        let own = service == .stoq ? Self.stoqHost : "*.myshopify.com"
        throw RunFailure(
            .invalidURL,
            "\(chooser) points to \(host.isEmpty ? Redact.url(url) : host), which is not \(own); the token goes there only when the runner allows it (--allow-host \(host.isEmpty ? "HOST" : host), STOQCTL_ALLOW_HOSTS, or --endpoint); nothing was sent"
        )
    }

    /// True when the token of `service` may go to `host` without the runner naming it.
    public func mayReceiveToken(host: String, scheme: String?, service: Service) -> Bool {
        if allowedHosts.contains(host) { return true }
        guard scheme == "https" else { return false }
        switch service {
        case .stoq: return host == Self.stoqHost
        case .shopify: return host.hasSuffix(".myshopify.com") && ShopDomain.normalize(host) == host
        }
    }

    // MARK: - Files

    /// True when `path` (relative to the working directory), with every symbolic link resolved,
    /// is inside the repository.
    public func contains(_ path: String) -> Bool {
        guard let repository else { return false }
        let resolved = Self.resolved(path)
        // A part that does not exist yet cannot climb out with `..`.
        guard !resolved.split(separator: "/").contains("..") else { return false }
        return resolved == repository || resolved.hasPrefix(repository == "/" ? "/" : repository + "/")
    }

    /// Refuses a baseline directory its chooser may not pick: one outside the repository, named
    /// by `stoqctl.yaml`.
    public func checkBaselineDirectory(_ path: String, chooser: Chooser) throws(RunFailure) {
        if case .runner = chooser { return }
        guard contains(path) else {
            throw RunFailure(
                .baselineUnreadable,
                "baseline \(path) in \(chooser) is a directory outside the repository\(repository.map { " (\($0))" } ?? ""); give it with --baseline or STOQCTL_BASELINE to read it; nothing was sent"
            )
        }
    }

    /// `path` absolute, with every symbolic link resolved as far as the path exists; a part that
    /// does not exist yet is kept as written.
    public static func resolved(_ path: String) -> String {
        var head = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        var tail: [String] = []
        while head != "/", !head.isEmpty {
            if let real = realpath(head, nil) {
                defer { free(real) }
                return tail.reduce(String(cString: real)) { ($0 as NSString).appendingPathComponent($1) }
            }
            tail.insert((head as NSString).lastPathComponent, at: 0)
            head = (head as NSString).deletingLastPathComponent
        }
        return tail.reduce("/") { ($0 as NSString).appendingPathComponent($1) }
    }
}
