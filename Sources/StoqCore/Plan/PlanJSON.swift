import StoqWire

/// Why a saved plan file cannot be applied.
public struct PlanFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the place in the file (a JSON path or a line and column).
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// The plan as JSON: the contract saved plans and other tools use (`Docs/PlanFormat.md`).
///
/// Writer and reader live together here, each part of the document next to its decoder, with the
/// key names written once in ``Key``. The document carries everything `apply` needs to rebuild the
/// operations (each change with the value it was planned from, every variant id, each request) and
/// a `plan_hash`: SHA-256 over the compact rendering of the document without that member.
///
/// A file is read back only when its `format_version` is known, its `plan_hash` matches its
/// content, and the plan decoded from it renders back to exactly that content: `apply` executes
/// what the reviewer saw, or nothing.
public enum PlanJSON {
    /// Every key of the document.
    enum Key {
        static let formatVersion = "format_version"
        static let planHash = "plan_hash"
        static let endpoint = "endpoint"
        static let shop = "shop"
        static let shopPlans = "shop_plans"
        static let shops = "shops"
        static let inventoryPolicySource = "inventory_policy_source"
        static let unknownVariants = "unknown_variants"
        static let variantID = "variant_id"
        static let inProgress = "in_progress"
        static let inProgressPolicyVariants = "in_progress_policy_variants"
        static let policiesChecked = "policies_checked"
        static let baseline = "baseline"
        static let ref = "ref"
        static let commit = "commit"
        static let attribution = "attribution"
        static let remoteVariantIDs = "remote_variant_ids"
        static let changesFromConfig = "changes_from_config"
        static let changesFromRemote = "changes_from_remote"
        static let summary = "summary"
        static let safety = "safety"
        static let operations = "operations"
        static let unverifiableFields = "unverifiable_fields"
        static let deletesNeedingAllowDeletes = "deletes_needing_allow_deletes"
        static let unmanagedPlans = "unmanaged_plans"
        static let targets = "targets"
        // summary
        static let hasChanges = "has_changes"
        static let create = "create"
        static let update = "update"
        static let delete = "delete"
        static let variantsAdded = "variants_added"
        static let variantsRemoved = "variants_removed"
        static let inventoryPolicy = "inventory_policy"
        static let unverifiedPolicyVariants = "unverified_policy_variants"
        static let requests = "requests"
        static let costPoints = "cost_points"
        static let estimatedSeconds = "estimated_seconds"
        static let budget = "budget"
        static let points = "points"
        static let windowSeconds = "window_seconds"
        // safety
        static let managedPlans = "managed_plans"
        static let thresholds = "thresholds"
        static let gates = "gates"
        static let approvals = "approvals"
        static let permissionChanges = "permission_changes"
        static let setting = "setting"
        static let loosens = "loosens"
        static let change = "change"
        static let note = "note"
        static let gate = "gate"
        static let count = "count"
        static let allowed = "allowed"
        static let applies = "applies"
        static let tripped = "tripped"
        static let unverified = "unverified"
        // operations
        static let kind = "kind"
        static let plan = "plan"
        static let source = "source"
        static let changes = "changes"
        static let field = "field"
        static let before = "before"
        static let after = "after"
        static let verified = "verified"
        static let variantIDs = "variant_ids"
        static let method = "method"
        static let path = "path"
        static let cost = "cost"
        static let variantCount = "variant_count"
        static let body = "body"
        static let query = "query"
        // references and locations
        static let internalName = "internal_name"
        static let id = "id"
        static let name = "name"
        static let fields = "fields"
        static let file = "file"
        static let line = "line"
        static let column = "column"
        // variants by name
        static let variants = "variants"
        static let sku = "sku"
        static let barcode = "barcode"
        static let title = "title"
        static let productTitle = "product_title"
        static let productID = "product_id"
        static let productHandle = "product_handle"
        static let productStatus = "product_status"
        static let resolutions = "resolutions"
        static let list = "list"
        static let selector = "selector"
        static let location = "location"
        static let ids = "ids"
        static let moves = "moves"
        static let reads = "reads"
        static let stoqRequests = "stoq_requests"
        static let shopifyPoints = "shopify_points"
        static let shopifyBucket = "shopify_bucket"
        static let shopifyRestoreRate = "shopify_restore_rate"
        static let applyEstimate = "apply_estimate"
        static let readPoints = "read_points"
        static let writePoints = "write_points"
        static let confirmations = "confirmations"
        static let from = "from"
        static let to = "to"
    }

    // MARK: Writing

    /// The document without `plan_hash`: what the hash covers.
    ///
    /// `requestContent` false leaves out each request's `body` and `query`, as files written before
    /// they were shown have them: only to read such a file back.
    static func body(_ plan: Plan, requestContent: Bool = true) -> [(String, JSONValue)] {
        [(Key.formatVersion, .integer(Int64(Plan.formatVersion)))]
            + (plan.shop.map { [(Key.shop, JSONValue.string($0))] } ?? []) + [
                (Key.endpoint, plan.endpoint.map(JSONValue.string) ?? .null),
                (Key.inventoryPolicySource, plan.policySource.map(JSONValue.string) ?? .null),
                (Key.baseline, baseline(plan.baseline)),
                (Key.summary, summary(plan)),
                (Key.safety, safety(plan)),
                (Key.operations, .array(plan.operations.map { operation($0, requestContent: requestContent) })),
                (Key.unverifiableFields, .array(plan.unverifiable.map(unverifiable))),
                (Key.unknownVariants, .array(plan.unknownVariants.map(unknownVariant))),
                (Key.deletesNeedingAllowDeletes, .array(plan.blockedDeletes.map(remotePlan))),
                (Key.unmanagedPlans, .array(plan.unmanaged.map(remotePlan))),
                (Key.targets, .array(plan.targets.map(JSONValue.string))),
            ] + permissionChanges(plan) + variantNames(plan) + reads(plan)
    }

    /// `variants`, `resolutions` and `moves`, each only when the plan has some (plans that show
    /// variants by id alone, and older plans, do not have the members).
    ///
    /// `variants` holds what Shopify says about each variant the operations, unknown variants and
    /// moves show, keyed by id in ascending order; each member only when known.
    static func variantNames(_ plan: Plan) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        let shown = plan.shownVariantIDs
        let variants = plan.variantInfo.filter { shown.contains($0.key) }.sorted { $0.key < $1.key }
        if !variants.isEmpty {
            out.append((Key.variants, .object(variants.map { (String($0.key), variant($0.value)) })))
        }
        if !plan.resolutions.isEmpty {
            out.append((Key.resolutions, .array(plan.resolutions.map(resolution))))
        }
        if !plan.moves.isEmpty {
            out.append((Key.moves, .array(plan.moves.map(move))))
        }
        return out
    }

    /// `reads`: what planning read (which an apply repeats) and the estimate of everything an apply does.
    ///
    /// Only when the plan was made from reads. Not part of the plan hash.
    static func reads(_ plan: Plan) -> [(String, JSONValue)] {
        let r = plan.reads
        guard r.stoqRequests > 0 || r.shopifyPoints > 0 else { return [] }
        let e = plan.applyEstimate
        return [
            (
                Key.reads,
                .object([
                    (Key.stoqRequests, .integer(Int64(r.stoqRequests))), (Key.shopifyPoints, .integer(Int64(r.shopifyPoints))),
                    (Key.shopifyBucket, .integer(Int64(r.shopifyBucket.rounded()))),
                    (Key.shopifyRestoreRate, .integer(Int64(r.shopifyRestoreRate.rounded()))),
                    (
                        Key.applyEstimate,
                        .object([
                            (Key.points, .integer(Int64(e.points))), (Key.readPoints, .integer(Int64(e.readPoints))),
                            (Key.writePoints, .integer(Int64(e.writePoints))), (Key.confirmations, .integer(Int64(e.confirmations))),
                            (Key.shopifyPoints, .integer(Int64(e.shopifyPoints))), (Key.estimatedSeconds, .integer(Int64(e.seconds))),
                        ])
                    ),
                ])
            )
        ]
    }

    static func variant(_ v: CatalogueVariant) -> JSONValue {
        let strings: [(String, String?)] = [
            (Key.sku, v.sku), (Key.barcode, v.barcode), (Key.title, v.title), (Key.productTitle, v.productTitle),
        ]
        var members = strings.compactMap { key, value in value.map { (key, JSONValue.string($0)) } }
        if let id = v.productID { members.append((Key.productID, .integer(id))) }
        if let handle = v.productHandle { members.append((Key.productHandle, .string(handle))) }
        if let status = v.productStatus { members.append((Key.productStatus, .string(status))) }
        return .object(members)
    }

    static func resolution(_ r: VariantResolution) -> JSONValue {
        .object([
            (Key.plan, .string(r.plan)), (Key.list, .string(r.list)), (Key.selector, .string(r.selector.description)),
            (Key.location, location(r.location)), (Key.ids, .array(r.ids.map { .integer($0) })),
        ])
    }

    static func move(_ m: VariantMove) -> JSONValue {
        .object([
            (Key.plan, .string(m.plan)), (Key.selector, .string(m.selector.description)), (Key.from, .integer(m.from)),
            (Key.to, .integer(m.to)),
        ])
    }

    /// `permission_changes`, only when the configuration changed its own safety settings since the
    /// baseline (older plans and plans without such a change do not have the member).
    static func permissionChanges(_ plan: Plan) -> [(String, JSONValue)] {
        guard !plan.permissionChanges.isEmpty else { return [] }
        let changes: [JSONValue] = plan.permissionChanges.map { c in
            .object([
                (Key.setting, .string(c.setting)), (Key.before, .string(c.before)), (Key.after, .string(c.after)),
                (Key.loosens, .bool(c.loosens)),
            ])
        }
        return [(Key.permissionChanges, .array(changes))]
    }

    /// `sha256:…` over the compact rendering of `body`, without `moves`.
    ///
    /// Moves are how the plan shows some of its removals and additions, worked out from a record
    /// of what names reached before (`--names-record`): a plan made with the record and one made
    /// without it do the same, so they have the same hash, and an override pinned in review holds
    /// whichever way the apply is run.
    static func hash(body: [(String, JSONValue)]) -> String {
        "sha256:" + ContentHash.sha256(JSONValue.object(body.filter { $0.0 != Key.moves && $0.0 != Key.reads }).renderCompact())
    }

    /// The plan's content hash (`sha256:` and 64 hex digits): the same inputs always give the
    /// same hash, and any change to what the plan would do changes it.
    public static func hash(_ plan: Plan) -> String { hash(body: body(plan)) }

    /// The plan document, `plan_hash` second.
    public static func document(_ plan: Plan) -> JSONValue {
        var members = body(plan)
        members.insert((Key.planHash, .string(hash(body: members))), at: 1)
        return .object(members)
    }

    /// The plan as pretty JSON with a trailing newline.
    public static func render(_ plan: Plan) -> String { document(plan).render() + "\n" }

    // MARK: Reading

    /// Decodes `text`; returns the plan and its hash.
    public static func decode(_ text: String) throws(PlanFileError) -> (plan: Plan, hash: String) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            let (line, column) = position(ofByte: error.offset, in: text)
            throw PlanFileError("line \(line), column \(column): not valid JSON: \(error.reason)")
        }
        guard case .object(let members) = json else { throw PlanFileError("not a plan: the file is not a JSON object") }
        guard let version = json[Key.formatVersion] else {
            throw PlanFileError("not a plan: no `format_version` (write one with `stoqctl plan --out FILE`)")
        }
        guard version.int64Value == Int64(Plan.formatVersion) else {
            throw PlanFileError(
                "unknown format_version \(version.renderCompact()): this stoqctl reads format_version \(Plan.formatVersion); plan again with this version"
            )
        }
        guard let stated = json[Key.planHash]?.stringValue else {
            throw PlanFileError("no `plan_hash`: the file was not written by stoqctl plan")
        }
        let body = members.filter { $0.0 != Key.planHash }
        let actual = hash(body: body)
        guard stated == actual else {
            throw PlanFileError(
                "plan_hash does not match the content (file says \(stated.prefix(19))…, content hashes to \(actual.prefix(19))…): the file was edited or damaged after `stoqctl plan` wrote it; plan again"
            )
        }
        // Files written before requests showed what they send have neither `body` nor `query`:
        // their requests send what the operation implies, and they render back without them.
        let requestContent = (json[Key.operations]?.arrayValue ?? []).contains { op in
            (op[Key.requests]?.arrayValue ?? []).contains { $0[Key.body] != nil || $0[Key.query] != nil }
        }
        let r = Reader(requestContent: requestContent)
        let plan = try r.plan(json)
        let again = Self.body(plan, requestContent: requestContent)
        guard JSONValue.object(again) == JSONValue.object(body) else {
            let path = firstDifference(JSONValue.object(body), JSONValue.object(again), path: "") ?? "(document)"
            throw PlanFileError("at \(path): the file does not render back to the same plan; it was not written by this stoqctl version")
        }
        return (plan, actual)
    }

    /// 1-based line and column of a byte offset.
    static func position(ofByte offset: Int, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in text.utf8.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    /// The JSON path of the first place two documents differ.
    static func firstDifference(_ a: JSONValue, _ b: JSONValue, path: String) -> String? {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for (i, (key, value)) in x.enumerated() {
                guard i < y.count, y[i].0 == key else { return path + "." + key }
                if let d = firstDifference(value, y[i].1, path: path + "." + key) { return d }
            }
            return x.count == y.count ? nil : path
        case (.array(let x), .array(let y)):
            for (i, value) in x.enumerated() {
                guard i < y.count else { return "\(path)[\(i)]" }
                if let d = firstDifference(value, y[i], path: "\(path)[\(i)]") { return d }
            }
            return x.count == y.count ? nil : path
        default:
            return a == b ? nil : (path.isEmpty ? "(document)" : path)
        }
    }

    // MARK: Each part, written and read

    static func location(_ l: SourceLocation?) -> JSONValue {
        guard let l else { return .null }
        return .object([(Key.file, .string(l.file)), (Key.line, .integer(Int64(l.line))), (Key.column, .integer(Int64(l.column)))])
    }

    static func ref(_ r: PlanRef) -> JSONValue {
        .object([(Key.internalName, .string(r.internalName)), (Key.id, r.id.map(JSONValue.string) ?? .null)])
    }

    static func remotePlan(_ p: UnmanagedPlan) -> JSONValue {
        .object([
            (Key.internalName, .string(p.plan.internalName)), (Key.id, p.plan.id.map(JSONValue.string) ?? .null),
            (Key.name, .string(p.name)),
        ])
    }

    static func unverifiable(_ u: UnverifiableFields) -> JSONValue {
        .object([(Key.plan, ref(u.plan)), (Key.fields, .array(u.fields.map(JSONValue.string))), (Key.source, location(u.location))])
    }

    static func baseline(_ b: BaselineInfo?) -> JSONValue {
        guard let b else { return .null }
        return .object([(Key.ref, .string(b.ref)), (Key.commit, b.commit.map(JSONValue.string) ?? .null)])
    }

    static func attribution(_ a: Attribution?) -> JSONValue { a.map { .string($0.rawValue) } ?? .null }

    static func unknownVariant(_ u: UnknownVariant) -> JSONValue {
        .object([
            (Key.plan, ref(u.plan)), (Key.variantID, .integer(u.id)), (Key.inventoryPolicy, .string(u.policy.rawValue)),
            (Key.source, location(u.location)),
        ])
    }

    static func change(_ c: FieldChange, of kind: OperationKind) -> JSONValue {
        .object([
            (Key.field, .string(c.field.name)), (Key.before, kind == .create ? .null : c.before?.json ?? .null),
            (Key.after, c.after.json), (Key.source, location(c.location)), (Key.attribution, attribution(c.attribution)),
        ])
    }

    /// A request: endpoint, cost and ids, then exactly what it sends: its JSON `body` or its `query`
    /// string (a delete has neither).
    static func request(_ r: PlannedRequest, content: Bool = true) -> JSONValue {
        var members: [(String, JSONValue)] = [
            (Key.method, .string(r.method)), (Key.path, .string(r.path)), (Key.cost, .integer(Int64(r.cost))),
            (Key.variantCount, .integer(Int64(r.variantIDs.count))),
        ]
        if content, let body = r.body { members.append((Key.body, body)) }
        if content, let query = r.queryString { members.append((Key.query, .string(query))) }
        return .object(members)
    }

    static func operation(_ op: PlanOperation, requestContent: Bool = true) -> JSONValue {
        var members: [(String, JSONValue)] = [
            (Key.kind, .string(op.kind.rawValue)), (Key.plan, ref(op.plan)), (Key.source, location(op.location)),
            (Key.attribution, attribution(op.attribution)),
        ]
        if op.kind.hasChanges {
            members.append((Key.changes, .array(op.changes.map { change($0, of: op.kind) })))
        }
        if op.kind == .removeVariants, let policy = op.policy {
            members.append((Key.inventoryPolicy, .string(policy.rawValue)))
        }
        if op.kind == .setInventoryPolicy {
            members.append((Key.inventoryPolicy, .string(op.policy?.rawValue ?? "")))
            members.append((Key.verified, .bool(!op.unverified)))
            members.append((Key.inProgress, .bool(op.inProgress)))
        }
        if op.kind.hasVariants {
            members.append((Key.variantIDs, .array(op.variantIDs.map { .integer($0) })))
            members.append((Key.remoteVariantIDs, .array(op.remoteVariantIDs.map { .integer($0) })))
        }
        members.append((Key.requests, .array(op.requests.map { request($0, content: requestContent) })))
        return .object(members)
    }

    static func summary(_ plan: Plan) -> JSONValue {
        let s = plan.summary
        let policy: [(String, JSONValue)] = InventoryPolicy.allCases.map { ($0.rawValue, .integer(Int64(s.policyVariants[$0] ?? 0))) }
        return .object([
            (Key.hasChanges, .bool(!plan.isEmpty)),
            (Key.create, .integer(Int64(s.create))), (Key.update, .integer(Int64(s.update))), (Key.delete, .integer(Int64(s.delete))),
            (Key.variantsAdded, .integer(Int64(s.variantsAdded))), (Key.variantsRemoved, .integer(Int64(s.variantsRemoved))),
            (Key.inventoryPolicy, .object(policy)),
            (Key.unverifiedPolicyVariants, .integer(Int64(s.unverifiedPolicyVariants))),
            (Key.inProgressPolicyVariants, .integer(Int64(s.inProgressPolicyVariants))),
            (Key.policiesChecked, .integer(Int64(plan.policiesChecked))),
            // Attribution needs a baseline: without one these are null, not zero.
            (Key.changesFromConfig, plan.baseline == nil ? .null : .integer(Int64(s.fromConfig))),
            (Key.changesFromRemote, plan.baseline == nil ? .null : .integer(Int64(s.fromRemote))),
            (Key.requests, .integer(Int64(s.requests))), (Key.costPoints, .integer(Int64(s.points))),
            (Key.estimatedSeconds, .integer(Int64(plan.estimatedSeconds))),
            (
                Key.budget,
                .object([
                    (Key.points, .integer(Int64(plan.budgetPoints))),
                    (Key.windowSeconds, .number(DecimalNumber("\(plan.budgetWindow)")?.description ?? "60")),
                ])
            ),
        ])
    }

    static func safety(_ plan: Plan) -> JSONValue {
        let s = plan.safety
        let gates: [JSONValue] = Safety.check(plan).map { c in
            var members: [(String, JSONValue)] = [
                (Key.gate, .string(c.gate.rawValue)), (Key.count, .integer(Int64(c.count))), (Key.allowed, .integer(Int64(c.allowed))),
                (Key.applies, .bool(c.applies)), (Key.tripped, .bool(c.tripped)), (Key.unverified, .integer(Int64(c.unverified))),
            ]
            // What an approval of this gate names (only where one is needed).
            if c.tripped { members.append((Key.change, .string(Safety.changeDigest(plan, gate: c.gate)))) }
            return .object(members)
        }
        var members: [(String, JSONValue)] = [
            (Key.managedPlans, .integer(Int64(plan.managedPlans))),
            (Key.thresholds, .object(SafetySettings.thresholds.map { ($0.key, .number($0.value(s).description)) })),
            (Key.gates, .array(gates)),
        ]
        if !s.approvals.isEmpty {
            members.append(
                (
                    Key.approvals,
                    .array(
                        s.approvals.map { a in
                            .object(
                                [(Key.gate, .string(a.gate.rawValue)), (Key.change, .string(a.change))]
                                    + (a.note.map { [(Key.note, JSONValue.string($0))] } ?? []))
                        })
                ))
        }
        return .object(members)
    }

    /// Walks the document, naming the JSON path of anything it cannot read.
    ///
    /// Parts the writer derives from the operations (the summary counts, the gates) are not read:
    /// the render-back comparison in ``decode(_:)`` checks them.
    struct Reader {
        /// True when the file's requests show their `body` and `query` (false: a file written
        /// before they did).
        var requestContent = true

        func fail(_ path: String, _ what: String) -> PlanFileError { PlanFileError("at \(path): \(what)") }

        func member(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> JSONValue {
            guard let v = json[key] else { throw fail(path, "missing `\(key)`") }
            return v
        }

        func string(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> String {
            guard let s = try member(json, key, path).stringValue else { throw fail("\(path).\(key)", "expected a string") }
            return s
        }

        func optionalString(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> String? {
            let v = try member(json, key, path)
            if v.isNull { return nil }
            guard let s = v.stringValue else { throw fail("\(path).\(key)", "expected a string or null") }
            return s
        }

        func integer(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> Int64 {
            guard let i = try member(json, key, path).int64Value else { throw fail("\(path).\(key)", "expected a whole number") }
            return i
        }

        func array(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> [JSONValue] {
            guard let a = try member(json, key, path).arrayValue else { throw fail("\(path).\(key)", "expected an array") }
            return a
        }

        /// The array at `key`, each item read by `read`; the first item it cannot read fails as `what`.
        func list<T>(_ json: JSONValue, _ key: String, _ path: String, of what: String, _ read: (JSONValue) -> T?) throws(PlanFileError)
            -> [T]
        {
            var out: [T] = []
            for (i, item) in try array(json, key, path).enumerated() {
                guard let value = read(item) else { throw fail("\(path).\(key)[\(i)]", "expected \(what)") }
                out.append(value)
            }
            return out
        }

        func strings(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> [String] {
            try list(json, key, path, of: "a string") { $0.stringValue }
        }

        func decimal(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> DecimalNumber {
            guard let text = try member(json, key, path).numberText, let d = DecimalNumber(text) else {
                throw fail("\(path).\(key)", "expected a number")
            }
            return d
        }

        func ids(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> [Int64] {
            try list(json, key, path, of: "a variant id") { $0.int64Value }
        }

        func location(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> SourceLocation? {
            let v = try member(json, key, path)
            if v.isNull { return nil }
            let p = "\(path).\(key)"
            return SourceLocation(
                file: try string(v, Key.file, p), line: Int(clamping: try integer(v, Key.line, p)),
                column: Int(clamping: try integer(v, Key.column, p)))
        }

        func ref(_ json: JSONValue, _ path: String) throws(PlanFileError) -> PlanRef {
            PlanRef(internalName: try string(json, Key.internalName, path), id: try optionalString(json, Key.id, path))
        }

        func remotePlan(_ json: JSONValue, _ path: String) throws(PlanFileError) -> UnmanagedPlan {
            UnmanagedPlan(plan: try ref(json, path), name: try string(json, Key.name, path))
        }

        func unverifiable(_ json: JSONValue, _ path: String) throws(PlanFileError) -> UnverifiableFields {
            UnverifiableFields(
                plan: try ref(try member(json, Key.plan, path), "\(path).\(Key.plan)"), fields: try strings(json, Key.fields, path),
                location: try location(json, Key.source, path))
        }

        func unknownVariant(_ json: JSONValue, _ path: String) throws(PlanFileError) -> UnknownVariant {
            let text = try string(json, Key.inventoryPolicy, path)
            guard let policy = InventoryPolicy(rawValue: text) else { throw fail("\(path).\(Key.inventoryPolicy)", "not CONTINUE or DENY") }
            return UnknownVariant(
                plan: try ref(try member(json, Key.plan, path), "\(path).\(Key.plan)"), id: try integer(json, Key.variantID, path),
                policy: policy, location: try location(json, Key.source, path))
        }

        func attribution(_ json: JSONValue, _ path: String) throws(PlanFileError) -> Attribution? {
            let v = try member(json, Key.attribution, path)
            if v.isNull { return nil }
            guard let text = v.stringValue, let a = Attribution(rawValue: text) else {
                throw fail("\(path).\(Key.attribution)", "expected config, remote, both or null")
            }
            return a
        }

        func baseline(_ json: JSONValue) throws(PlanFileError) -> BaselineInfo? {
            let v = try member(json, Key.baseline, "")
            if v.isNull { return nil }
            return BaselineInfo(
                ref: try string(v, Key.ref, ".\(Key.baseline)"), commit: try optionalString(v, Key.commit, ".\(Key.baseline)"))
        }

        func change(_ json: JSONValue, _ path: String) throws(PlanFileError) -> FieldChange {
            let name = try string(json, Key.field, path)
            guard let key = ChangeKey(name: name) else { throw fail("\(path).\(Key.field)", "unknown field `\(name)`") }
            let decode = { (value: JSONValue, member: String) throws(PlanFileError) -> FieldValue in
                guard let v = key.decode(value) else { throw fail("\(path).\(member)", "not a valid `\(name)` value") }
                return v
            }
            let beforeJSON = try member(json, Key.before, path)
            return FieldChange(
                field: key, before: beforeJSON.isNull ? nil : try decode(beforeJSON, Key.before),
                after: try decode(try member(json, Key.after, path), Key.after), location: try location(json, Key.source, path),
                attribution: try attribution(json, path))
        }

        /// A request of `op`: its payload read from its `body` or `query`, or, in a file without
        /// them, the one the operation implies (its changes, the next ids, its policy).
        func request(_ json: JSONValue, _ path: String, of op: PlanOperation, ids: ArraySlice<Int64>) throws(PlanFileError)
            -> PlannedRequest
        {
            let method = try string(json, Key.method, path)
            let requestPath = try string(json, Key.path, path)
            guard let endpoint = StoqEndpoint(method: method, path: requestPath) else {
                throw fail(path, "`\(method) \(requestPath)` is not a STOQ endpoint stoqctl calls")
            }
            let payload: PlannedRequest.Payload?
            if requestContent {
                var query: [(String, String)] = []
                if let text = json[Key.query] {
                    guard let string = text.stringValue else { throw fail("\(path).\(Key.query)", "expected a string") }
                    query = WireHeaders.parseQuery(Substring(string))
                }
                payload = PlannedRequest.payload(of: endpoint, body: json[Key.body], query: query)
            } else {
                payload = Self.implied(endpoint, by: op, ids: Array(ids))
            }
            guard let payload else { throw fail(path, "not what `\(method) \(requestPath)` sends") }
            return PlannedRequest(planID: StoqEndpoint.planID(inPath: requestPath), payload: payload)
        }

        /// What a request to `endpoint` of `op` sends, in a file that does not show it.
        static func implied(_ endpoint: StoqEndpoint, by op: PlanOperation, ids: [Int64]) -> PlannedRequest.Payload? {
            switch endpoint {
            case .create: .create(fields: op.changes.map(\.sent))
            case .update: .update(fields: op.changes.map(\.sent))
            case .addVariant: .addVariants(ids: ids)
            case .removeVariant: .removeVariants(ids: ids, inventoryPolicy: op.policy)
            case .toggleInventoryPolicy: op.policy.map { .toggleInventoryPolicy(ids: ids, policy: $0) }
            case .delete: .delete
            case .list, .read, .productVariants: nil
            }
        }

        func operation(_ json: JSONValue, _ path: String) throws(PlanFileError) -> PlanOperation {
            let kindText = try string(json, Key.kind, path)
            guard let kind = OperationKind(rawValue: kindText) else {
                throw fail("\(path).\(Key.kind)", "unknown operation kind `\(kindText)`")
            }
            var op = PlanOperation(
                kind: kind, plan: try ref(try member(json, Key.plan, path), "\(path).\(Key.plan)"), location: nil, requests: [])
            op.location = try location(json, Key.source, path)
            op.attribution = try attribution(json, path)
            if kind.hasChanges {
                op.changes = []
                for (i, c) in try array(json, Key.changes, path).enumerated() {
                    op.changes.append(try change(c, "\(path).\(Key.changes)[\(i)]"))
                }
            }
            if kind == .removeVariants, let text = json[Key.inventoryPolicy]?.stringValue {
                guard let policy = InventoryPolicy(rawValue: text) else {
                    throw fail("\(path).\(Key.inventoryPolicy)", "not CONTINUE or DENY")
                }
                op.policy = policy
            }
            if kind == .setInventoryPolicy {
                let text = try string(json, Key.inventoryPolicy, path)
                guard let policy = InventoryPolicy(rawValue: text) else {
                    throw fail("\(path).\(Key.inventoryPolicy)", "not CONTINUE or DENY")
                }
                op.policy = policy
                guard let verified = try member(json, Key.verified, path).boolValue else {
                    throw fail("\(path).\(Key.verified)", "expected true or false")
                }
                op.unverified = !verified
                guard let inProgress = try member(json, Key.inProgress, path).boolValue else {
                    throw fail("\(path).\(Key.inProgress)", "expected true or false")
                }
                op.inProgress = inProgress
            }
            if kind.hasVariants {
                op.variantIDs = try ids(json, Key.variantIDs, path)
                op.remoteVariantIDs = try ids(json, Key.remoteVariantIDs, path)
            }
            var next = 0
            for (i, r) in try array(json, Key.requests, path).enumerated() {
                let p = "\(path).\(Key.requests)[\(i)]"
                let count = Int(clamping: try integer(r, Key.variantCount, p))
                guard count >= 0, next + count <= op.variantIDs.count else {
                    throw fail("\(p).\(Key.variantCount)", "more ids than the operation's variant_ids")
                }
                op.requests.append(try request(r, p, of: op, ids: op.variantIDs[next..<next + count]))
                next += count
            }
            guard next == op.variantIDs.count else { throw fail("\(path).\(Key.requests)", "the requests do not carry every variant id") }
            guard !op.requests.isEmpty else { throw fail("\(path).\(Key.requests)", "an operation needs at least one request") }
            return op
        }

        func safety(_ json: JSONValue) throws(PlanFileError) -> (SafetySettings, managedPlans: Int) {
            let safetyJSON = try member(json, Key.safety, "")
            let p = ".\(Key.safety).\(Key.thresholds)"
            let thresholds = try member(safetyJSON, Key.thresholds, ".\(Key.safety)")
            var safety = SafetySettings()
            for threshold in SafetySettings.thresholds {
                let value =
                    threshold.isPercent
                    ? try decimal(thresholds, threshold.key, p) : DecimalNumber(try integer(thresholds, threshold.key, p))
                threshold.set(&safety, value)
            }
            if safetyJSON[Key.approvals] != nil {
                for (i, a) in try array(safetyJSON, Key.approvals, ".\(Key.safety)").enumerated() {
                    let path = ".\(Key.safety).\(Key.approvals)[\(i)]"
                    guard let gate = SafetyGate(rawValue: try string(a, Key.gate, path)) else {
                        throw fail("\(path).\(Key.gate)", "unknown gate")
                    }
                    let note = a[Key.note] == nil ? nil : try string(a, Key.note, path)
                    safety.approvals.append(SafetyApproval(gate: gate, change: try string(a, Key.change, path), note: note))
                }
            }
            return (safety, Int(clamping: try integer(safetyJSON, Key.managedPlans, ".\(Key.safety)")))
        }

        func plan(_ json: JSONValue) throws(PlanFileError) -> Plan {
            var operations: [PlanOperation] = []
            for (i, op) in try array(json, Key.operations, "").enumerated() {
                operations.append(try operation(op, ".\(Key.operations)[\(i)]"))
            }
            let budgetPath = ".\(Key.summary).\(Key.budget)"
            let budget = try member(try member(json, Key.summary, ""), Key.budget, ".\(Key.summary)")
            let (safety, managedPlans) = try safety(json)
            var unverifiable: [UnverifiableFields] = []
            for (i, u) in try array(json, Key.unverifiableFields, "").enumerated() {
                unverifiable.append(try self.unverifiable(u, ".\(Key.unverifiableFields)[\(i)]"))
            }
            var unknown: [UnknownVariant] = []
            for (i, u) in try array(json, Key.unknownVariants, "").enumerated() {
                unknown.append(try unknownVariant(u, ".\(Key.unknownVariants)[\(i)]"))
            }
            var blocked: [UnmanagedPlan] = []
            for (i, d) in try array(json, Key.deletesNeedingAllowDeletes, "").enumerated() {
                blocked.append(try remotePlan(d, ".\(Key.deletesNeedingAllowDeletes)[\(i)]"))
            }
            var unmanaged: [UnmanagedPlan] = []
            for (i, d) in try array(json, Key.unmanagedPlans, "").enumerated() {
                unmanaged.append(try remotePlan(d, ".\(Key.unmanagedPlans)[\(i)]"))
            }
            guard let window = try member(budget, Key.windowSeconds, budgetPath).numberText.flatMap(Double.init), window > 0,
                window <= 86_400
            else {
                throw fail("\(budgetPath).\(Key.windowSeconds)", "expected a positive number of seconds, at most 86,400")
            }
            var plan = Plan(
                operations: operations, blockedDeletes: blocked, unmanaged: unmanaged, unverifiable: unverifiable,
                targets: try strings(json, Key.targets, ""), budgetPoints: Int(clamping: try integer(budget, Key.points, budgetPath)),
                budgetWindow: window, managedPlans: managedPlans, safety: safety, endpoint: try optionalString(json, Key.endpoint, ""),
                policySource: try optionalString(json, Key.inventoryPolicySource, ""), unknownVariants: unknown,
                policiesChecked: Int(clamping: try integer(try member(json, Key.summary, ""), Key.policiesChecked, ".\(Key.summary)")))
            plan.baseline = try baseline(json)
            if json[Key.shop] != nil { plan.shop = try string(json, Key.shop, "") }
            if json[Key.permissionChanges] != nil {
                for (i, c) in try array(json, Key.permissionChanges, "").enumerated() {
                    let path = ".\(Key.permissionChanges)[\(i)]"
                    guard let loosens = c[Key.loosens]?.boolValue else { throw fail("\(path).\(Key.loosens)", "expected true or false") }
                    plan.permissionChanges.append(
                        PermissionChange(
                            setting: try string(c, Key.setting, path), before: try string(c, Key.before, path),
                            after: try string(c, Key.after, path), loosens: loosens))
                }
            }
            try variantNames(json, into: &plan)
            return plan
        }

        /// `variants`, `resolutions` and `moves`, when the file has them.
        func variantNames(_ json: JSONValue, into plan: inout Plan) throws(PlanFileError) {
            if let v = json[Key.variants] {
                guard let members = v.objectValue else { throw fail(".\(Key.variants)", "expected an object") }
                for (key, item) in members {
                    let path = ".\(Key.variants).\(key)"
                    guard let id = Int64(key), String(id) == key else { throw fail(path, "expected a variant id as the key") }
                    guard item.objectValue != nil else { throw fail(path, "expected an object") }
                    let text = { (member: String) throws(PlanFileError) -> String? in
                        item[member] == nil ? nil : try self.string(item, member, path)
                    }
                    var variant = CatalogueVariant(
                        id: id, sku: try text(Key.sku), barcode: try text(Key.barcode), title: try text(Key.title),
                        productTitle: try text(Key.productTitle), productHandle: try text(Key.productHandle),
                        productStatus: try text(Key.productStatus))
                    if item[Key.productID] != nil { variant.productID = try integer(item, Key.productID, path) }
                    plan.variantInfo[id] = variant
                }
            }
            if json[Key.resolutions] != nil {
                for (i, r) in try array(json, Key.resolutions, "").enumerated() {
                    let path = ".\(Key.resolutions)[\(i)]"
                    plan.resolutions.append(
                        VariantResolution(
                            plan: try string(r, Key.plan, path), list: try string(r, Key.list, path),
                            selector: try selector(r, path), location: try location(r, Key.location, path),
                            ids: try ids(r, Key.ids, path)))
                }
            }
            if let r = json[Key.reads] {
                guard r.objectValue != nil else { throw fail(".\(Key.reads)", "expected an object") }
                let path = ".\(Key.reads)"
                // Figures for the estimate only, bounded so that no file can make it overflow.
                let figure = { (key: String) throws(PlanFileError) -> Int in
                    let value = try self.integer(r, key, path)
                    guard (0...1_000_000_000).contains(value) else { throw fail("\(path).\(key)", "expected 0 to 1,000,000,000") }
                    return Int(value)
                }
                plan.reads.stoqRequests = try figure(Key.stoqRequests)
                plan.reads.shopifyPoints = try figure(Key.shopifyPoints)
                plan.reads.shopifyBucket = Double(try figure(Key.shopifyBucket))
                plan.reads.shopifyRestoreRate = Double(try figure(Key.shopifyRestoreRate))
            }
            if json[Key.moves] != nil {
                for (i, m) in try array(json, Key.moves, "").enumerated() {
                    let path = ".\(Key.moves)[\(i)]"
                    plan.moves.append(
                        VariantMove(
                            plan: try string(m, Key.plan, path), selector: try selector(m, path), from: try integer(m, Key.from, path),
                            to: try integer(m, Key.to, path)))
                }
            }
        }

        /// A selector as written: the id's digits, or `kind:value` (the value is everything after
        /// the first colon).
        func selector(_ json: JSONValue, _ path: String) throws(PlanFileError) -> VariantSelector {
            let text = try string(json, Key.selector, path)
            if let (kindText, value) = VariantSelector.splitAtColon(text) {
                guard let kind = VariantSelector.Kind(rawValue: kindText) else {
                    throw fail("\(path).\(Key.selector)", "expected a variant id, `sku:`, `barcode:` or `product:`")
                }
                return VariantSelector(kind, value)
            }
            guard let id = Int64(text), String(id) == text else {
                throw fail("\(path).\(Key.selector)", "expected a variant id, `sku:`, `barcode:` or `product:`")
            }
            return .id(id)
        }
    }
}

extension PlanJSON {
    /// What names resolved to, as an earlier run recorded it: the `resolutions` of a saved plan,
    /// or the `names` of an apply report (or of a record holding only that member).
    ///
    /// Only the record is read (a saved plan's hash is not checked: nothing here is sent, the
    /// record only tells which variant a name reached before, to show moves and changes).
    public static func namesRecord(_ text: String) throws(PlanFileError) -> [VariantResolution] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            let (line, column) = position(ofByte: error.offset, in: text)
            throw PlanFileError("line \(line), column \(column): not valid JSON: \(error.reason)")
        }
        guard json.objectValue != nil else { throw PlanFileError("not a record of names: the file is not a JSON object") }
        let key = json[Key.resolutions] != nil ? Key.resolutions : "names"
        guard json[key] != nil else {
            throw PlanFileError("not a record of names: it holds neither `resolutions` (a saved plan) nor `names` (an apply report)")
        }
        let reader = Reader()
        var record: [VariantResolution] = []
        for (i, r) in try reader.array(json, key, "").enumerated() {
            let path = ".\(key)[\(i)]"
            let selector = try reader.selector(r, path)
            guard selector.isName else { throw PlanFileError("at \(path).selector: an id, not a name") }
            record.append(
                VariantResolution(
                    plan: try reader.string(r, Key.plan, path), list: try reader.string(r, Key.list, path), selector: selector,
                    location: nil, ids: try reader.ids(r, Key.ids, path)))
        }
        return record
    }
}
