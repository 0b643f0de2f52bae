import Foundation
import StoqCore
import StoqWire

/// Full plan bodies kept between runs, so a plan or an apply of an unchanged shop costs only its
/// list pages.
///
/// A plan read in full is stored with the `updated_at` it had and a digest of its body; the next
/// run lists the shop (the list shows every plan's id, `internal_name`, `updated_at` and
/// membership) and reads again every plan whose entry does not stand in for it.
///
/// The rule: an entry stands in for a read only when all of these hold; otherwise the plan is read
/// live and the entry replaced.
/// - it parses, is of this format version, and its body still has the digest it was kept with (an
///   entry edited or damaged after it was written is never used);
/// - its body's `id`, `internal_name` and `updated_at` are the list entry's;
/// - its membership is the list entry's: the same count, and the same variant ids when the list
///   shows them; for an apply (``Purpose/apply``) the list must show them: a count alone never
///   stands in, since membership writes are computed from the ids;
/// - `--refresh` was not given.
///
/// An entry is written only from a live answer with no job running: a full read, or the answer to
/// an apply's own last write to the plan when that is an update carrying every member the entry it
/// replaces had. Before its first write to a plan, an apply removes the plan's entry, so an apply
/// that stops part-way, or whose last write to a plan was not an update (membership, a policy
/// toggle and its job, a delete), leaves the plan to be read live next time.
///
/// Why this may stand in for an apply's read: what a kept body decides is which writes are not
/// sent (a value equal to the configuration's is not written). Membership is checked against the
/// list itself; every other field STOQ returns is trusted through `updated_at`, on the assumption
/// that STOQ moves `updated_at` with every change of a field it returns (its dashboard's edits and
/// its API's writes included). What the apply writes anyway does not depend on the entry: values
/// that differ are written whatever else the entry holds, write-only fields STOQ never returns
/// (never compared, with or without a cache) go with a create or an update made for another
/// reason, and unverified policies are sent every time. A job running now is not in the list: a
/// policy operation planned from an entry is sent without the check against Shopify a running job
/// calls for (the toggle is idempotent) and a membership write waits out the job, as without a
/// cache. If the assumption is false (a change that leaves `updated_at` and membership as they
/// were), the entry hides that change: plan shows no difference and apply does not write it, until
/// the plan's `updated_at` moves or a run with `--refresh` (or without the cache) reads it live.
/// An entry rewritten with a matching digest can do the same. `apply` of a saved plan never reads
/// through the cache: it plans again from live reads and sends only reviewed operations,
/// compare-and-set against the values they were planned from.
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
    /// What the entries stand in for reads of.
    public var purpose: Purpose = .plan

    /// What a run reads the shop for; an apply asks more of an entry than a plan.
    public enum Purpose: Sendable, Hashable {
        /// Planning (`plan`, `fetch`, `export`): what is shown, never what is written.
        case plan
        /// Planning what an apply writes: an entry stands in only when the list shows the plan's
        /// variant ids.
        case apply
    }

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
        guard purpose == .plan || summary.variantIDs != nil else { return nil }
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

    /// Removes the entry of the plan `id` (an apply, before its first write to the plan): the
    /// names of the members its body had, or nil when there was no usable entry.
    @discardableResult
    public func forget(_ id: String) -> Set<String>? {
        let url = file(id)
        let members = FileManager.default.contents(atPath: url.path).flatMap { data -> Set<String>? in
            guard let entry = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
                entry["format_version"]?.int64Value == Self.formatVersion, let plan = entry["plan"]?.objectValue
            else { return nil }
            return Set(plan.map(\.0))
        }
        try? FileManager.default.removeItem(at: url)
        return members
    }

    /// Keeps `body`, the answer to an apply's last write to the plan `id` (an update), in place of
    /// the entry ``forget(_:)`` removed: only when it is that plan's and carries every member in
    /// `members`, the removed entry's (an answer that shows less than a read is not kept).
    public func keep(written body: JSONValue, id: String, members: Set<String>) {
        guard let object = body.objectValue, !members.isEmpty,
            members.isSubset(of: Set(object.map(\.0))),
            body["id"]?.stringValue == id || body["id"]?.int64Value.map(String.init) == id
        else { return }
        keep(body, id: id)
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
