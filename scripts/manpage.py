#!/usr/bin/env python3
"""Writes stoqctl(1), a man page, from the binary's own help (`stoqctl --experimental-dump-help`,
argument-parser's description of every command, option and discussion), so the page cannot
disagree with --help. The tables in the root command's help (EXIT CODES, ENVIRONMENT: the code's
ExitStatus and EnvironmentVariable) become the EXIT STATUS and ENVIRONMENT sections.
Usage: scripts/manpage.py [STOQCTL] > stoqctl.1
"""

import json
import subprocess
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote on a line."""
    lines = []
    for line in text.replace("\\", "\\e").split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def flags(argument):
    names = []
    for name in argument.get("names", []):
        names.append(("--" if name["kind"] == "long" else "-") + name["name"])
    return ", ".join("\\fB%s\\fR" % roff(n) for n in names)


def describe_arguments(arguments):
    out = []
    for argument in arguments:
        if not argument.get("shouldDisplay", True):
            continue
        if argument["kind"] == "positional":
            head = "\\fI%s\\fR" % roff(argument.get("valueName", "arg")) + ("..." if argument.get("isRepeating") else "")
        else:
            head = flags(argument)
            if argument["kind"] == "option":
                head += " \\fI%s\\fR" % roff(argument.get("valueName", "value"))
        out.append(".TP\n" + head)
        text = argument.get("abstract", "")
        if argument.get("discussion"):
            discussion = argument["discussion"]
            text += "\n" + (discussion if isinstance(discussion, str) else "")
        if argument.get("allValues"):
            text += " (one of: %s)" % ", ".join(argument["allValues"])
        if argument.get("defaultValue"):
            text += " Default: %s." % argument["defaultValue"]
        out.append(roff(text.strip()))
    return "\n".join(out)


def discussion(text):
    """A discussion block: paragraphs, with indented lines (examples, tables) kept as they are."""
    out = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if all(l.startswith("  ") or not l.strip() for l in lines) or block.isupper():
            out.append(".PP\n.nf\n%s\n.fi" % roff(block))
        elif lines[0].isupper() and len(lines) > 1:
            out.append(".SS %s\n.nf\n%s\n.fi" % (roff(lines[0]), roff("\n".join(lines[1:]))))
        else:
            out.append(".PP\n" + roff(" ".join(l.strip() for l in lines)))
    return "\n".join(out)


# The root help's tables, and the man page section each becomes, in the page's order.
TABLES = [("EXIT CODES", "EXIT STATUS"), ("ENVIRONMENT", "ENVIRONMENT")]


def split_tables(text):
    """The root discussion without its tables, and the tables: {title: [(key, meaning)]}. A table
    is a block whose first line is its upper-case title; an entry starts on a line indented by two
    spaces (its first word is the key), and lines indented further continue it."""
    prose, tables = [], {}
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if lines[0] not in dict(TABLES):
            prose.append(block)
            continue
        entries = []
        for line in lines[1:]:
            if line.startswith("  ") and not line.startswith("   "):
                key, _, meaning = line.strip().partition(" ")
                entries.append([key, meaning.strip()])
            elif entries:
                entries[-1][1] += " " + line.strip()
        tables[lines[0]] = entries
    return "\n\n".join(prose), tables


def table_section(title, entries):
    out = [".SH " + title]
    for key, meaning in entries:
        out.append(".TP\n\\fB%s\\fR\n%s" % (roff(key), roff(meaning)))
    return "\n".join(out)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "stoqctl"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    tool = json.loads(subprocess.run([binary, "--experimental-dump-help"], capture_output=True, text=True, check=True).stdout)
    root = tool["command"]
    name = root["commandName"]
    prose, tables = split_tables(root.get("discussion", ""))
    page = [
        '.TH %s 1 "" "%s %s" "User Commands"' % (name.upper(), name, version),
        ".SH NAME",
        "%s \\- %s" % (name, roff(root.get("abstract", ""))),
        ".SH SYNOPSIS",
        "\\fB%s\\fR \\fIcommand\\fR [\\fIoptions\\fR]" % name,
        ".SH DESCRIPTION",
        roff(root.get("abstract", "")),
        discussion(prose) if prose else "",
        ".SH COMMANDS",
    ]
    for sub in root.get("subcommands", []):
        if sub["commandName"] == "help" or not sub.get("shouldDisplay", True):
            continue
        page.append(".SS %s %s" % (name, sub["commandName"]))
        page.append(roff(sub.get("abstract", "")))
        if sub.get("discussion"):
            page.append(discussion(sub["discussion"]))
        arguments = describe_arguments(sub.get("arguments", []))
        if arguments:
            page.append(".PP\nOptions:\n.RS\n" + arguments + "\n.RE")
    page += [table_section(section, tables[title]) for title, section in TABLES if title in tables]
    page += [
        ".SH FILES",
        ".TP\n\\fIstoqctl.yaml\\fR\nSettings, at the root of the configuration directory.",
        ".SH SEE ALSO",
        "The README and Docs/ of the stoqctl repository: the configuration reference, the plan format, the emulator.",
    ]
    sys.stdout.write("\n".join(p for p in page if p) + "\n")


if __name__ == "__main__":
    main()
