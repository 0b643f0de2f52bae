import StoqCore
import StoqWire

/// Reads the remote state with the fewest calls: list pages at the largest page size, then one
/// `GET /preorders/{id}` per plan the config manages, concurrently under the governor.
public struct Fetcher: Sendable {
    /// The client to read with.
    public let client: StoqClient
    /// Plan bodies kept from earlier reads (``ReadCache``), or nil to read every plan live.
    public let cache: ReadCache?
    /// Where the read shows its progress (`reading the shop: 120/300 plans`).
    public let progress: ProgressMeter

    /// Creates a fetcher.
    public init(client: StoqClient, cache: ReadCache? = nil, progress: ProgressMeter = .silent) {
        self.client = client
        self.cache = cache
        self.progress = progress
    }

    /// What a fetch read, and what it cost.
    public struct Result: Sendable {
        /// The remote state.
        public var state: RemoteState
        /// Fields whose values could not be decoded, per plan id.
        public var problems: [String: [String]]
        /// List pages read.
        public var listRequests: Int
        /// Plans read in full.
        public var planRequests: Int
        /// Plans taken from the read cache instead.
        public var cacheHits = 0
    }

    /// Fetches every listed plan, reading in full those whose id is in `ids` or whose
    /// `internal_name` is in `internalNames`.
    public func fetch(internalNames: Set<String>, ids: Set<String>) async throws(StoqError) -> Result {
        try await fetch { ids.contains($0.id) || internalNames.contains($0.internalName) }
    }

    /// Fetches every plan in full (for `export`).
    public func fetchAll() async throws(StoqError) -> Result { try await fetch { _ in true } }

    /// Lists every plan, then reads in full those `selected` picks.
    func fetch(selecting selected: @escaping @Sendable (RemotePlanSummary) -> Bool) async throws(StoqError) -> Result {
        let phase = progress.start("reading the shop", unit: "plans")
        defer { phase.end() }
        let (items, pages) = try await client.listAll()
        var seen = Set<String>()
        let summaries = items.compactMap(RemoteDecoding.summary).filter { seen.insert($0.id).inserted }
        let managed = summaries.filter(selected)
        let client = self.client
        let cache = self.cache
        var kept: [(Int, JSONValue)] = []
        var toRead: [(Int, RemotePlanSummary)] = []
        for (index, summary) in managed.enumerated() {
            if let body = cache?.body(for: summary) { kept.append((index, body)) } else { toRead.append((index, summary)) }
        }
        phase.total(managed.count)
        phase.advance(by: kept.count)
        let reads: [(Int, JSONValue)]
        do {
            reads = try await withThrowingTaskGroup(of: (Int, JSONValue).self) { group in
                for (index, summary) in toRead {
                    group.addTask {
                        let body = try await client.get(id: summary.id)
                        cache?.keep(body, id: summary.id)
                        phase.advance()
                        return (index, body)
                    }
                }
                var out: [(Int, JSONValue)] = []
                for try await r in group { out.append(r) }
                return out
            }
        } catch let error as StoqError {
            throw error
        } catch {
            throw StoqError(kind: .transport(.connection("\(error)")), endpoint: StoqEndpoint.read.label, message: "")
        }
        var plans: [RemotePlan] = []
        var problems: [String: [String]] = [:]
        for (_, json) in (reads + kept).sorted(by: { $0.0 < $1.0 }) {
            guard let decoded = RemoteDecoding.plan(json) else {
                throw StoqError(kind: .decoding, endpoint: StoqEndpoint.read.label, message: "a plan object has no id")
            }
            plans.append(decoded.plan)
            if !decoded.problems.isEmpty { problems[decoded.plan.id] = decoded.problems }
        }
        let state = RemoteState(managed: plans, listed: summaries, unmanagedCount: summaries.count - managed.count)
        return Result(state: state, problems: problems, listRequests: pages, planRequests: toRead.count, cacheHits: kept.count)
    }
}
