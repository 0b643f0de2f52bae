/// Every environment variable stoqctl reads, with what it does: the one table that `--help`, the
/// man page and the README share (tests hold the README and the man page to it).
public enum EnvironmentVariable: String, Sendable, CaseIterable {
    case stoqAPIToken = "STOQ_API_TOKEN"
    case stoqAPIURL = "STOQ_API_URL"
    case shopifyAdminToken = "SHOPIFY_ADMIN_TOKEN"
    case shopifyShop = "SHOPIFY_SHOP"
    case shopifyAdminURL = "SHOPIFY_ADMIN_URL"
    case allowHosts = "STOQCTL_ALLOW_HOSTS"
    case baseline = "STOQCTL_BASELINE"
    case cacheDirectory = "STOQCTL_CACHE_DIR"
    case lock = "STOQCTL_LOCK"
    case noColor = "NO_COLOR"
    case term = "TERM"
    case continuousIntegration = "CI"
    case xdgCacheHome = "XDG_CACHE_HOME"
    case home = "HOME"
    case githubServerURL = "GITHUB_SERVER_URL"
    case githubRepository = "GITHUB_REPOSITORY"
    case githubRunID = "GITHUB_RUN_ID"

    /// One line, as the README, the man page and `--help` show it.
    public var meaning: String {
        switch self {
        case .stoqAPIToken: "the STOQ API token, unless --token-file is given"
        case .stoqAPIURL: "the STOQ API base URL when --endpoint is not given (before `endpoint` in stoqctl.yaml)"
        case .shopifyAdminToken: "the Shopify Admin API token that reads inventory policies, unless --shopify-token-file is given"
        case .shopifyShop: "the shop's myshopify.com domain or name, when stoqctl.yaml has no `shopify_shop`"
        case .shopifyAdminURL: "the Shopify Admin GraphQL URL when --shopify-endpoint is not given"
        case .allowHosts: "hosts (comma-separated), besides those of --allow-host, that `endpoint` in stoqctl.yaml may send the token to"
        case .baseline: "the baseline (a git ref or a directory) when --baseline is not given"
        case .cacheDirectory: "the read cache's directory when --cache is not given"
        case .lock: "the apply lock when --lock is not given: auto, git[:REMOTE], file:PATH or none"
        case .noColor: "any value but empty: no colour under --color auto"
        case .term: "dumb: no colour under --color auto, and progress as a plain line every 30 s instead of in place"
        case .continuousIntegration: "any value but empty: progress on standard error as a plain line every 30 s when it is not a terminal"
        case .xdgCacheHome: "an absolute path: machine-local apply locks are kept under it in stoqctl/locks"
        case .home: "machine-local apply locks are kept in ~/.cache/stoqctl/locks when XDG_CACHE_HOME is not an absolute path"
        case .githubServerURL, .githubRepository, .githubRunID:
            "in GitHub Actions (all three set), the apply lock names the run that holds it"
        }
    }

    /// `ENVIRONMENT` and each variable with its meaning, wrapped for an 80-column terminal, for
    /// `--help`.
    public static func helpSection() -> String {
        let width = allCases.map(\.rawValue.count).max() ?? 0
        var out = "ENVIRONMENT\n"
        for variable in allCases {
            let pad = String(repeating: " ", count: width + 2 - variable.rawValue.count)
            out += HelpText.wrapped(variable.meaning, after: "  \(variable.rawValue)\(pad)") + "\n"
        }
        return out
    }
}
