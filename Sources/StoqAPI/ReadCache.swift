import Foundation
import StoqCore
import StoqWire

/// Full plan bodies kept between runs, so a plan of an unchanged shop costs only its list pages.
///
/// A plan read in full is stored with the `updated_at` it had; the next plan lists the shop (the
/// list shows every plan's `updated_at` and membership), and reads again only the plans whose list
/// entry differs from what is kept. Plans with a running job are never kept. The cache serves
/// planning only: `apply` of a configuration reads live, and `apply` of a saved plan reads each
/// plan again before writing it (compare-and-set), so a stale entry can make a plan show a
/// difference that is not there, or hide one, and then apply reports a conflict; it never makes a
/// wrong write.
///
/// Layout: `DIR/SHOP/plans/ID.json`, where SHOP is the first 16 hex digits of the SHA-256 of the
/// endpoint (without user info or query) and each file is
/// `{"format_version": 1, "updated_at": "…", "plan": {…}}`. Files of another format version, or
/// that do not parse, are ignored and replaced. Deleting the directory is always safe.
public struct ReadCache: Sendable {
    /// The directory of this shop's entries.
    public let directory: URL
    /// True to read every plan live while still writing what was read (`--refresh`).
    public let refresh: Bool

    /// The version of the entry files.
    public static let formatVersion: Int64 = 1

    /// The cache under `root` for the shop at `endpoint`.
    public init(root: String, endpoint: String, refresh: Bool = false) {
        let key = SHA256.hex(Redact.url(endpoint)).prefix(16)
        directory = URL(fileURLWithPath: root).appendingPathComponent(String(key)).appendingPathComponent("plans")
        self.refresh = refresh
    }

    private func file(_ id: String) -> URL {
        directory.appendingPathComponent(WireHeaders.percentEncode(id) + ".json")
    }

    /// The kept body of the plan `summary` lists, when it was kept at the same `updated_at` with the
    /// same membership.
    public func body(for summary: RemotePlanSummary) -> JSONValue? {
        guard !refresh, let updated = summary.updatedAt,
            let data = FileManager.default.contents(atPath: file(summary.id).path),
            let entry = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            entry["format_version"]?.int64Value == Self.formatVersion, entry["updated_at"]?.stringValue == updated,
            let plan = entry["plan"], plan["id"]?.stringValue == summary.id || plan["id"]?.int64Value.map(String.init) == summary.id
        else { return nil }
        if let listed = summary.variantIDs, let kept = plan["shopify_variant_ids"]?.arrayValue?.compactMap(\.int64Value),
            Set(listed) != Set(kept)
        {
            return nil
        }
        return plan
    }

    /// Keeps `body`, a plan read in full.
    ///
    /// Not when its job is running or it has no `updated_at`. A cache that cannot be written is
    /// skipped: it only saves reads.
    public func keep(_ body: JSONValue, id: String) {
        guard body["ongoing_job"]?.boolValue != true, let updated = body["updated_at"]?.stringValue else {
            try? FileManager.default.removeItem(at: file(id))
            return
        }
        let entry = JSONValue.object([
            ("format_version", .integer(Self.formatVersion)), ("updated_at", .string(updated)), ("plan", body),
        ])
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(entry.renderCompact().utf8).write(to: file(id), options: .atomic)
        } catch {
            return
        }
    }
}
