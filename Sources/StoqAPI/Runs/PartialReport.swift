import Foundation

/// Keeps the report file current while apply runs (at most once a second), so a run that is
/// killed part-way still leaves a record of what was done.
public actor PartialReport {
    public let path: String?
    let shop: @Sendable () -> String?
    var planHash: String?
    var items: [ApplyReport.Item] = []
    var lastWrite = Date.distantPast

    public init(path: String?, shop: @escaping @Sendable () -> String?) {
        self.path = path
        self.shop = shop
    }

    public func start(planHash: String) { self.planHash = planHash }

    public func add(_ item: ApplyReport.Item) {
        items.append(item)
        guard let path, Date().timeIntervalSince(lastWrite) >= 1 else { return }
        lastWrite = Date()
        var report = ApplyReport(items: items, seconds: 0)
        report.planHash = planHash
        report.shop = shop()
        report.complete = false
        // A failed write here is not fatal: the final report is written (and checked) at the end.
        try? Data(report.json().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
