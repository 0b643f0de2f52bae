import ArgumentParser
import Foundation
import StoqCore

/// `stoqctl show`: a saved plan, rendered in any format without reading the shop.
struct ShowCommand: StoqctlCommand {
    /// The formats it prints: checked on the command line, and listed in its help.
    static let formats: [OutputFormat] = OutputFormat.allCases

    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Render a saved plan (from plan --out) in any format, without network.",
        discussion: """
            Reads the plan file, checks its hash and version as apply does, and prints it
            exactly as `plan` printed it: \(HelpLists.formats(formats)).
            A CI job plans once with --out plan.json, then renders the comment and the
            annotations from the file. The safety verdict is judged again with the
            --allow-gate and --allow-deletes given here, so the exit code is plan's.

            EXAMPLES
              stoqctl plan shop/ --out plan.json
              stoqctl show plan.json --format markdown > plan.md
              stoqctl show plan.json --format github

            """ + ExitStatus.helpSection([.success, .failure, .changesPresent, .refused, .usage]))

    @Argument(help: "The saved plan (a JSON file written by plan --out).", completion: .savedPlan)
    var plan: String

    @OptionGroup var output: FormatOption

    @OptionGroup var judging: JudgingOptions

    @Flag(help: "Exit 2 when the plan has changes, 0 when it has none; a plan apply would refuse exits 3 either way.")
    var detailedExitcode = false

    func validate() throws {
        try output.check(Self.formats, command: "show")
    }

    func execute() async -> ExitStatus {
        let console = Console(format: output.format, color: output.color)
        guard let text = readSavedPlan(plan, console: console) else {
            console.finish(.failure)
            return .failure
        }
        do {
            if let entries = try PlanJSON.shopParts(text) { return showShops(entries, console: console) }
        } catch {
            console.report(.savedPlanRefused, "\(plan): \(error.message)")
            console.finish(.failure)
            return .failure
        }
        let decoded: (plan: Plan, hash: String)
        do {
            decoded = try PlanJSON.decode(text)
        } catch {
            console.report(.savedPlanRefused, "\(plan): \(error.message)")
            console.finish(.failure)
            return .failure
        }
        let verdict = Safety.verdict(
            for: decoded.plan, planHash: decoded.hash, overrides: judging.overrides, allowDeletes: judging.allowDeletes)
        console.result(output.format.planRenderer(color: output.color.enabled).render(decoded.plan, verdict: verdict))
        let status = ExitStatus.shown(decoded.plan, verdict: verdict, detailedExitcode: detailedExitcode, counting: .both)
        console.finish(status)
        return status
    }

    /// A plan of several shops: each shop's part checked and judged as a plan of one shop, shown
    /// grouped by shop; a shop without a plan fails the command.
    func showShops(_ entries: [PlanJSON.ShopEntry], console: Console) -> ExitStatus {
        var parts: [ShopPart] = []
        var status = ExitStatus.success
        for entry in entries {
            var part = ShopPart(shop: entry.shop, domain: entry.domain, failure: entry.notPlanned)
            if let text = entry.text {
                do {
                    let decoded = try PlanJSON.decode(text)
                    let verdict = Safety.verdict(
                        for: decoded.plan, planHash: decoded.hash, overrides: judging.overrides, allowDeletes: judging.allowDeletes)
                    part.plan = decoded.plan
                    part.verdict = verdict
                    status = max(
                        status, ExitStatus.shown(decoded.plan, verdict: verdict, detailedExitcode: detailedExitcode, counting: .both))
                } catch {
                    console.report(.savedPlanRefused, "\(plan): shop `\(entry.shop)`: \(error.message)")
                    console.finish(.failure)
                    return .failure
                }
            } else {
                status = max(status, .failure)
            }
            parts.append(part)
        }
        console.result(ShopsPlan.render(parts, format: output.format, color: output.color.enabled))
        console.finish(status)
        return status
    }
}
