/// Every exit code stoqctl uses, with its meaning: the one table that `--help`, the README and
/// the code share (a test holds the README to it).
public enum ExitStatus: Int32, Sendable, Hashable, CaseIterable, Comparable {
    /// Nothing went wrong.
    case success = 0
    /// An error: nothing or only part was done.
    case failure = 1
    /// `plan --detailed-exitcode` found changes that apply would make.
    case changesPresent = 2
    /// A safety gate, or the deletes permission, refuses the plan.
    case refused = 3
    /// A saved plan conflicts with changes made in STOQ since it was made.
    case conflict = 4
    /// Apply finished, but some operations failed or were skipped.
    case partialFailure = 5
    /// Another apply of the same shop holds the apply lock, or took it over mid-run.
    case locked = 6
    /// The command line itself is wrong.
    case usage = 64

    /// One line, as the README and `--help` show it.
    public var meaning: String {
        switch self {
        case .success:
            "success: no errors; no changes, or everything applied (warnings allowed unless --strict)"
        case .failure:
            "error: invalid configuration or saved plan, network or API failure; nothing was sent unless the message says otherwise"
        case .changesPresent:
            "changes present (plan --detailed-exitcode); a plan apply would refuse exits 3 instead"
        case .refused:
            "a safety gate refuses the plan, or it deletes without --allow-deletes (plan and apply); nothing was sent"
        case .conflict:
            "saved plan: some operations conflict with changes made in STOQ since the plan (the others were applied); plan again"
        case .partialFailure:
            "apply finished with some operations failed or skipped; running it again converges"
        case .locked:
            "another apply of the same shop holds the apply lock (apply waited --lock-wait; nothing was sent), or took it over mid-run (writing stopped; the report lists what was sent); run apply again"
        case .usage:
            "usage error: unknown option, missing or malformed argument, or a format the command does not print"
        }
    }

    /// The order in which outcomes win when several apply: a usage error, then an error, a
    /// held or lost apply lock, a refusal, a conflict, a partial failure, changes, success.
    var precedence: Int {
        switch self {
        case .usage: 7
        case .failure: 6
        case .locked: 5
        case .refused: 4
        case .conflict: 3
        case .partialFailure: 2
        case .changesPresent: 1
        case .success: 0
        }
    }

    /// Orders by precedence: the greater status is the one a run exits with.
    public static func < (lhs: ExitStatus, rhs: ExitStatus) -> Bool { lhs.precedence < rhs.precedence }

    /// `EXIT CODES` and one line per status, wrapped for an 80-column terminal, for `--help`.
    public static func helpSection(_ statuses: [ExitStatus] = allCases) -> String {
        var out = "EXIT CODES\n"
        for status in statuses {
            let number = String(status.rawValue)
            let pad = String(repeating: " ", count: max(1, 4 - number.count))
            out += HelpText.wrapped(status.meaning, after: "  \(number)\(pad)") + "\n"
        }
        return out
    }
}

/// Help text laid out for an 80-column terminal.
enum HelpText {
    /// `text` after `lead` on the first line, wrapped at 78 columns, each further line indented
    /// as far as `text` starts.
    static func wrapped(_ text: String, after lead: String) -> String {
        var line = lead
        let indent = String(repeating: " ", count: lead.count)
        var width = line.count
        for word in text.split(separator: " ") {
            if width + word.count + 1 > 78, width > indent.count {
                line += "\n" + indent
                width = indent.count
            } else if width > indent.count {
                line += " "
                width += 1
            }
            line += word
            width += word.count
        }
        return line
    }
}
