#!/usr/bin/env python3
"""Writes stoqctl(1), a man page, from the binary's own help (`stoqctl --experimental-dump-help`,
argument-parser's description of every command, option and discussion), so the page cannot
disagree with --help. Usage: scripts/manpage.py [STOQCTL] > stoqctl.1
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


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "stoqctl"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    tool = json.loads(subprocess.run([binary, "--experimental-dump-help"], capture_output=True, text=True, check=True).stdout)
    root = tool["command"]
    name = root["commandName"]
    page = [
        '.TH %s 1 "" "%s %s" "User Commands"' % (name.upper(), name, version),
        ".SH NAME",
        "%s \\- %s" % (name, roff(root.get("abstract", ""))),
        ".SH SYNOPSIS",
        "\\fB%s\\fR \\fIcommand\\fR [\\fIoptions\\fR]" % name,
        ".SH DESCRIPTION",
        roff(root.get("abstract", "")),
        discussion(root.get("discussion", "")),
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
    page += [
        ".SH FILES",
        ".TP\n\\fIstoqctl.yaml\\fR\nSettings, at the root of the configuration directory.",
        ".SH SEE ALSO",
        "The README and Docs/ of the stoqctl repository: the configuration reference, the plan format, the emulator.",
    ]
    sys.stdout.write("\n".join(p for p in page if p) + "\n")


if __name__ == "__main__":
    main()
