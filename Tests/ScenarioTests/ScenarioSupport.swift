import Foundation
import StoqAPI
import StoqCore
import StoqEmulator
import StoqTestSupport
import StoqWire
import Testing

/// A shop for a scenario: an in-process emulator on a virtual clock and a client.
struct ScenarioShop {
    let emulator: Emulator
    let client: StoqClient
    let clock: VirtualClock
    /// Reads policies from the emulator's Shopify side, on the same virtual clock.
    let policies: PolicyReader

    init(remoteJSON: String, configure: (inout EmulatorConfiguration) -> Void = { _ in }) throws {
        var configuration = EmulatorConfiguration()
        configure(&configuration)
        let clock = VirtualClock()
        let emulator = try Emulator(stateBytes: Array(remoteJSON.utf8), configuration: configuration, clock: clock)
        let transport = InProcessTransport(responder: { await emulator.respond($0) })
        self.emulator = emulator
        self.clock = clock
        self.client = StoqClient(
            transport: transport, token: APIToken.emulator, governor: RateGovernor(clock: clock), clock: clock)
        self.policies = PolicyReader(
            client: ShopifyClient.emulated(transport: transport, clock: clock), source: "emulator")
    }

    /// Fetch and plan.
    ///
    /// With `readPolicies`, policies are read from the emulator's Shopify side (verified),
    /// otherwise they are unverified; with `titles` too, the variants the plan shows are read with
    /// their products, as `plan` does. `expected` lists the diagnostic codes the plan must produce.
    func plan(
        _ desired: DesiredState, options: PlanOptions = PlanOptions(), readPolicies: Bool = false, titles: Bool = false,
        baseline: Baseline? = nil, expected: [DiagnosticCode]? = []
    ) async throws -> Plan {
        var fetched = try await Fetcher(client: client).fetch(
            internalNames: Set(desired.plans.map(\.internalName.value)), ids: desired.pinnedIDs)
        if readPolicies {
            let ids = desired.plans.flatMap { $0.inventoryPolicy.values.flatMap { $0.map(\.value) } }
            fetched.state.policies = try await policies.read(ids).state
        }
        let (plan, diagnostics) = Planner.plan(desired: desired, remote: fetched.state, baseline: baseline, options: options)
        if let expected { #expect(diagnostics.map(\.code) == expected, "\(diagnostics)") }
        var planned = try #require(plan)
        if titles {
            let read = await PlanRun.readTitles(of: &planned, catalogue: nil, reader: policies)
            #expect(read.diagnostics.isEmpty, "\(read.diagnostics)")
        }
        return planned
    }
}

/// Loads every file of the folder `dir/folder`, each shown as `prefix` + `config/NAME`.
///
/// `stoqctl.yaml` is the settings file. The files must load without errors.
func loadScenarioFolder(_ dir: URL, _ folder: String, shownAs prefix: String = "") throws -> DesiredState {
    let folderURL = dir.appendingPathComponent(folder)
    let names = try FileManager.default.contentsOfDirectory(atPath: folderURL.path).sorted()
    let files = try names.map { name -> (SourceFile, SourceRole) in
        let bytes = Array(try Data(contentsOf: folderURL.appendingPathComponent(name)))
        return (SourceFile(path: "\(prefix)config/\(name)", bytes: bytes), name == "stoqctl.yaml" ? .settings : .config)
    }
    let (state, diagnostics) = ConfigPipeline.run(files)
    #expect(!diagnostics.hasErrors, "\(diagnostics)")
    return state
}

/// Loads every file under `dir/config` (display paths `config/…`).
func loadScenarioConfig(_ dir: URL) throws -> DesiredState { try loadScenarioFolder(dir, "config") }

/// Loads every file under `dir/baseline` as the baseline, shown as `origin/main:config/…` at a
/// fixed commit, as `--baseline origin/main` reads it from git.
func loadScenarioBaseline(_ dir: URL) throws -> Baseline {
    Baseline(
        desired: try loadScenarioFolder(dir, "baseline", shownAs: "origin/main:"),
        info: BaselineInfo(ref: "origin/main", commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904"))
}

/// Compares `text` with a golden file and records a test issue on a difference.
func expectGolden(
    _ text: String, _ path: String, hashes: Golden.Hashes = .masked, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    if let failure = Golden.check(text, against: path, hashes: hashes) {
        Issue.record(Comment(rawValue: failure), sourceLocation: sourceLocation)
    }
}
