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

/// Reads a plan written by `stoqctl plan --out` back into the ``Plan`` it was rendered from.
///
/// A file is accepted only when its `format_version` is known, its `plan_hash` matches its
/// content, and the plan decoded from it renders back to exactly that content: `apply` executes
/// what the reviewer saw, or nothing.
public enum PlanFile {
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
        guard let version = json["format_version"] else {
            throw PlanFileError("not a plan: no `format_version` (write one with `stoqctl plan --out FILE`)")
        }
        guard version.int64Value == Int64(Plan.formatVersion) else {
            throw PlanFileError(
                "unknown format_version \(version.renderCompact()): this stoqctl reads format_version \(Plan.formatVersion); plan again with this version"
            )
        }
        guard let stated = json["plan_hash"]?.stringValue else {
            throw PlanFileError("no `plan_hash`: the file was not written by stoqctl plan")
        }
        let body = members.filter { $0.0 != "plan_hash" }
        let actual = JSONPlanRenderer.hash(body: body)
        guard stated == actual else {
            throw PlanFileError(
                "plan_hash does not match the content (file says \(stated.prefix(19))…, content hashes to \(actual.prefix(19))…): the file was edited or damaged after `stoqctl plan` wrote it; plan again"
            )
        }
        let plan = try Reader().plan(json)
        let again = JSONPlanRenderer.body(plan)
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

    /// Walks the document, naming the JSON path of anything it cannot read.
    struct Reader {
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

        func decimal(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> DecimalNumber {
            guard let text = try member(json, key, path).numberText, let d = DecimalNumber(text) else {
                throw fail("\(path).\(key)", "expected a number")
            }
            return d
        }

        func ids(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> [Int64] {
            var out: [Int64] = []
            for (i, item) in try array(json, key, path).enumerated() {
                guard let id = item.int64Value else { throw fail("\(path).\(key)[\(i)]", "expected a variant id") }
                out.append(id)
            }
            return out
        }

        func location(_ json: JSONValue, _ key: String, _ path: String) throws(PlanFileError) -> SourceLocation? {
            let v = try member(json, key, path)
            if v.isNull { return nil }
            let p = "\(path).\(key)"
            return SourceLocation(
                file: try string(v, "file", p), line: Int(clamping: try integer(v, "line", p)),
                column: Int(clamping: try integer(v, "column", p)))
        }

        func ref(_ json: JSONValue, _ path: String) throws(PlanFileError) -> PlanRef {
            PlanRef(internalName: try string(json, "internal_name", path), id: try optionalString(json, "id", path))
        }

        func remotePlan(_ json: JSONValue, _ path: String) throws(PlanFileError) -> UnmanagedPlan {
            UnmanagedPlan(plan: try ref(json, path), name: try string(json, "name", path))
        }

        func change(_ json: JSONValue, _ path: String) throws(PlanFileError) -> FieldChange {
            let name = try string(json, "field", path)
            let decode = { (value: JSONValue, key: String) throws(PlanFileError) -> FieldValue in
                if name == "internal_name" {
                    guard let s = value.stringValue else { throw fail("\(path).\(key)", "expected a string") }
                    return .string(s)
                }
                guard let field = PlanField(rawValue: name) else { throw fail("\(path).field", "unknown field `\(name)`") }
                guard let v = FieldValue(json: value, as: field) else { throw fail("\(path).\(key)", "not a valid `\(name)` value") }
                return v
            }
            let beforeJSON = try member(json, "before", path)
            return FieldChange(
                field: name, before: beforeJSON.isNull ? nil : try decode(beforeJSON, "before"),
                after: try decode(try member(json, "after", path), "after"), location: try location(json, "source", path))
        }

        func operation(_ json: JSONValue, _ path: String) throws(PlanFileError) -> PlanOperation {
            let kindText = try string(json, "kind", path)
            guard let kind = OperationKind(rawValue: kindText) else { throw fail("\(path).kind", "unknown operation kind `\(kindText)`") }
            var op = PlanOperation(kind: kind, plan: try ref(try member(json, "plan", path), "\(path).plan"), location: nil, requests: [])
            op.location = try location(json, "source", path)
            if kind == .create || kind == .update {
                op.changes = []
                for (i, c) in try array(json, "changes", path).enumerated() { op.changes.append(try change(c, "\(path).changes[\(i)]")) }
            }
            if kind == .setInventoryPolicy {
                let text = try string(json, "inventory_policy", path)
                guard let policy = InventoryPolicy(rawValue: text) else { throw fail("\(path).inventory_policy", "not CONTINUE or DENY") }
                op.policy = policy
                guard let verified = try member(json, "verified", path).boolValue else {
                    throw fail("\(path).verified", "expected true or false")
                }
                op.unverified = !verified
            }
            if [.addVariants, .removeVariants, .setInventoryPolicy].contains(kind) {
                op.variantIDs = try ids(json, "variant_ids", path)
            }
            var next = 0
            for (i, r) in try array(json, "requests", path).enumerated() {
                let p = "\(path).requests[\(i)]"
                let count = Int(clamping: try integer(r, "variant_count", p))
                guard count >= 0, next + count <= op.variantIDs.count else {
                    throw fail("\(p).variant_count", "more ids than the operation's variant_ids")
                }
                op.requests.append(
                    PlannedRequest(
                        method: try string(r, "method", p), path: try string(r, "path", p), cost: Int(clamping: try integer(r, "cost", p)),
                        variantIDs: Array(op.variantIDs[next..<next + count])))
                next += count
            }
            guard next == op.variantIDs.count else { throw fail("\(path).requests", "the requests do not carry every variant id") }
            guard !op.requests.isEmpty else { throw fail("\(path).requests", "an operation needs at least one request") }
            return op
        }

        func plan(_ json: JSONValue) throws(PlanFileError) -> Plan {
            var operations: [PlanOperation] = []
            for (i, op) in try array(json, "operations", "").enumerated() { operations.append(try operation(op, ".operations[\(i)]")) }
            let summary = try member(json, "summary", "")
            let budget = try member(summary, "budget", ".summary")
            let safetyJSON = try member(json, "safety", "")
            let thresholds = try member(safetyJSON, "thresholds", ".safety")
            var safety = SafetySettings()
            safety.maxUpdatePercent = try decimal(thresholds, "max_update_percent", ".safety.thresholds")
            safety.maxDeletePercent = try decimal(thresholds, "max_delete_percent", ".safety.thresholds")
            safety.maxPolicyFlips = try integer(thresholds, "max_policy_flips", ".safety.thresholds")
            safety.minManagedPlans = try integer(thresholds, "min_managed_plans", ".safety.thresholds")
            var unverifiable: [UnverifiableFields] = []
            for (i, u) in try array(json, "unverifiable_fields", "").enumerated() {
                let p = ".unverifiable_fields[\(i)]"
                var fields: [String] = []
                for (j, f) in try array(u, "fields", p).enumerated() {
                    guard let s = f.stringValue else { throw fail("\(p).fields[\(j)]", "expected a field name") }
                    fields.append(s)
                }
                unverifiable.append(
                    UnverifiableFields(
                        plan: try ref(try member(u, "plan", p), "\(p).plan"), fields: fields, location: try location(u, "source", p)))
            }
            var blocked: [UnmanagedPlan] = []
            for (i, d) in try array(json, "deletes_needing_allow_deletes", "").enumerated() {
                blocked.append(try remotePlan(d, ".deletes_needing_allow_deletes[\(i)]"))
            }
            var unmanaged: [UnmanagedPlan] = []
            for (i, d) in try array(json, "unmanaged_plans", "").enumerated() {
                unmanaged.append(try remotePlan(d, ".unmanaged_plans[\(i)]"))
            }
            var targets: [String] = []
            for (i, t) in try array(json, "targets", "").enumerated() {
                guard let s = t.stringValue else { throw fail(".targets[\(i)]", "expected a name") }
                targets.append(s)
            }
            guard let window = try member(budget, "window_seconds", ".summary.budget").numberText.flatMap(Double.init), window > 0 else {
                throw fail(".summary.budget.window_seconds", "expected a positive number")
            }
            return Plan(
                operations: operations, blockedDeletes: blocked, unmanaged: unmanaged, unverifiable: unverifiable, targets: targets,
                budgetPoints: Int(clamping: try integer(budget, "points", ".summary.budget")), budgetWindow: window,
                managedPlans: Int(clamping: try integer(safetyJSON, "managed_plans", ".safety")), safety: safety,
                endpoint: try optionalString(json, "endpoint", ""))
        }
    }
}
