/// The release this build is: the one place its version and home are written.
///
/// `stoqctl --version`, the release tarball's name (`make release` asks the built binary) and the
/// schema URLs written by `export` all read these.
public enum Release {
    /// The version, printed by `stoqctl --version`.
    public static let version = "0.1.0"

    /// The GitHub repository stoqctl is published from (its releases, its action, its schemas).
    public static let repository = "stoqctl/stoqctl"

    /// The tag that workflows use the GitHub Action by (`uses: stoqctl/stoqctl@v0`): the major
    /// version, which each release of that major moves to itself.
    public static var actionTag: String { "v" + version.prefix { $0 != "." } }

    /// Where this version's JSON Schema files are served, for editors: `…/schema/config.schema.json`.
    public static var schemaBaseURL: String {
        "https://raw.githubusercontent.com/\(repository)/v\(version)/schema"
    }
}
