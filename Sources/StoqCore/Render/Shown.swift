import StoqWire

/// Outside text as the text, Markdown and annotation renderers receive it: every name, id, path
/// and message passed through ``Sanitiser/shown(_:)``, so it stays on its line and shows its
/// hidden characters. Values are not touched: ``PlanText/value(_:)`` writes them JSON-escaped.
extension Plan {
    /// The plan with its outside text made safe to show.
    public var shown: Plan {
        var plan = self
        plan.operations = operations.map(\.shown)
        plan.blockedDeletes = blockedDeletes.map(\.shown)
        plan.unmanaged = unmanaged.map(\.shown)
        plan.unverifiable = unverifiable.map { u in
            var u = u
            u.plan = u.plan.shown
            u.fields = u.fields.map(Sanitiser.shown)
            u.location = u.location?.shown
            return u
        }
        plan.targets = targets.map(Sanitiser.shown)
        plan.endpoint = endpoint.map(Sanitiser.shown)
        plan.policySource = policySource.map(Sanitiser.shown)
        plan.unknownVariants = unknownVariants.map { u in
            var u = u
            u.plan = u.plan.shown
            u.location = u.location?.shown
            return u
        }
        plan.variantInfo = variantInfo.mapValues(\.shown)
        plan.resolutions = resolutions.map { r in
            var r = r
            r.plan = Sanitiser.shown(r.plan)
            r.list = Sanitiser.shown(r.list)
            r.selector = r.selector.shown
            r.location = r.location?.shown
            return r
        }
        plan.moves = moves.map { m in
            var m = m
            m.plan = Sanitiser.shown(m.plan)
            m.selector = m.selector.shown
            return m
        }
        plan.baseline = baseline.map { b in
            var b = b
            b.ref = Sanitiser.shown(b.ref)
            b.commit = b.commit.map(Sanitiser.shown)
            return b
        }
        return plan
    }
}

extension PlanOperation {
    var shown: PlanOperation {
        var op = self
        op.plan = plan.shown
        op.location = location?.shown
        op.changes = changes.map { c in
            var c = c
            c.location = c.location?.shown
            return c
        }
        return op
    }
}

extension PlanRef {
    var shown: PlanRef {
        var ref = self
        ref.internalName = Sanitiser.shown(internalName)
        ref.id = id.map(Sanitiser.shown)
        return ref
    }
}

extension UnmanagedPlan {
    var shown: UnmanagedPlan {
        var u = self
        u.plan = plan.shown
        u.name = Sanitiser.shown(name)
        return u
    }
}

extension SourceLocation {
    /// The location with its file path made safe to show.
    public var shown: SourceLocation {
        var l = self
        l.file = Sanitiser.shown(file)
        return l
    }
}

extension Diagnostic {
    /// The diagnostic with its message, notes and file paths made safe to show.
    public var shown: Diagnostic {
        var d = self
        d.message = Sanitiser.shown(message)
        d.location = location?.shown
        d.notes = notes.map { n in
            var n = n
            n.message = Sanitiser.shown(n.message)
            n.location = n.location?.shown
            return n
        }
        return d
    }
}

extension DiagnosticFormat {
    /// How ``Sanitiser`` reads output in this format.
    public var sanitiserStyle: Sanitiser.Style {
        switch self {
        case .text: .text
        case .github: .workflowCommands
        case .json: .json
        }
    }
}
