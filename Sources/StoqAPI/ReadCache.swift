import Foundation
import StoqCore
import StoqWire

/// Full plan bodies kept between runs, so a plan of an unchanged shop costs only its list pages.
///
/// A plan read in full is stored with the `updated_at` it had and a digest of its body; the next
/// plan lists the shop (the list shows every plan's id, `internal_name`, `updated_at` and
/// membership) and reads again every plan whose entry does not stand in for it.
///
/// The rule: an entry stands in for a read only when all of these hold; otherwise the plan is read
/// live and the entry replaced.
/// - it parses, is of this format version, and its body still has the digest it was kept with (an
///   entry edited or damaged after it was written is never used);
/// - its body's `id`, `internal_name` and `updated_at` are the list entry's;
/// - its membership is the list entry's: the same count, and the same variant ids when the list
///   shows them;
/// - `--refresh` was not given.
///
/// Plans with a running job are never kept. The cache serves planning only: `apply` of a
/// configuration reads live, and `apply` of a saved plan plans again from live reads and sends
/// only reviewed operations, compare-and-set against the values they were planned from. What an
/// entry the rule cannot catch (a change in STOQ that left `updated_at` and membership as they
/// were, or an entry rewritten with a matching digest) can do: make a plan show a difference that
/// is not there, or hide one. It cannot make a wrong write: at apply the first is a conflict or
/// already in place, the second an operation the review did not see, reported as a conflict and
/// not sent.
///
/// Layout: `DIR/SHOP/plans/ID.json`, where SHOP is the first 16 hex digits of the SHA-256 of the
/// endpoint (without user info or query) and each file is
/// `{"format_version": 2, "updated_at": "…", "sha256": "…", "plan": {…}}`, `sha256` being that of
/// the plan's compact JSON. Files of another format version, or that do not parse, are ignored and
/// replaced. Deleting the directory is always safe.
public struct ReadCache: Sendable {
    /// The directory of this shop's entries.
    public let directory: URL
    /// True to read every plan live while still writing what was read (`--refresh`).
    public let refresh: Bool

    /// The version of the entry files.
    public static let formatVersion: Int64 = 2

    /// The cache under `root` for the shop at `endpoint`.
    public init(root: String, endpoint: String, refresh: Bool = false) {
        let key = ContentHash.sha256(Redact.url(endpoint)).prefix(16)
        directory = URL(fileURLWithPath: root).appendingPathComponent(String(key)).appendingPathComponent("plans")
        self.refresh = refresh
    }

    private func file(_ id: String) -> URL {
        directory.appendingPathComponent(WireHeaders.percentEncode(id) + ".json")
    }

    /// The kept body of the plan `summary` lists, when its entry stands in for a read (the rule
    /// above).
    public func body(for summary: RemotePlanSummary) -> JSONValue? {
        guard !refresh, let updated = summary.updatedAt,
            let data = FileManager.default.contents(atPath: file(summary.id).path),
            let entry = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            entry["format_version"]?.int64Value == Self.formatVersion, entry["updated_at"]?.stringValue == updated,
            let plan = entry["plan"], entry["sha256"]?.stringValue == ContentHash.sha256(plan.renderCompact())
        else { return nil }
        return Self.agrees(plan, with: summary) ? plan : nil
    }

    /// True when `plan`, a kept body, is the plan `summary` lists: the same id, `internal_name`,
    /// `updated_at` and membership.
    static func agrees(_ plan: JSONValue, with summary: RemotePlanSummary) -> Bool {
        guard plan["id"]?.stringValue == summary.id || plan["id"]?.int64Value.map(String.init) == summary.id,
            plan["internal_name"]?.stringValue == summary.internalName,
            plan["updated_at"]?.stringValue == summary.updatedAt
        else { return false }
        let keptIDs = plan["shopify_variant_ids"]?.arrayValue?.compactMap(\.int64Value)
        let keptCount = plan["selling_plan_product_variants_count"]?.int64Value.map(Int.init) ?? keptIDs?.count ?? 0
        guard keptCount == summary.variantCount else { return false }
        if let listed = summary.variantIDs, Set(listed) != Set(keptIDs ?? []) { return false }
        return true
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
            ("format_version", .integer(Self.formatVersion)), ("updated_at", .string(updated)),
            ("sha256", .string(ContentHash.sha256(body.renderCompact()))), ("plan", body),
        ])
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(entry.renderCompact().utf8).write(to: file(id), options: .atomic)
        } catch {
            return
        }
    }
}
