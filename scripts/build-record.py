#!/usr/bin/env python3
"""Records what a release build is made from, before it is built.

Writes into OUT_DIR:
  build-record.json        the source commit, the toolchain, the system libraries that are linked
                           in, and every resolved package (identity, URL, version, revision);
  Package.resolved         the resolved graph itself, as SwiftPM wrote it (`make rebuild-check`
                           builds again from exactly this);
  stoqctl_build_record.h   the same facts as text, compiled into the binary (CBuildRecord) and
                           printed by `stoqctl --version --verbose`.

Nothing here depends on where the clone is, on the time or on the user, so two clones of one
commit record the same bytes.

Usage: scripts/build-record.py OUT_DIR   (run from the package root, after `swift package resolve`;
STOQCTL_SOURCE_COMMIT and STOQCTL_SOURCE_MODIFIED=0|1 name the source when the tree is a copy)
"""

import json
import os
import re
import shutil
import subprocess
import sys


def run(*command):
    """A command's standard output, stripped; empty when it is missing or fails."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def debian_version(package):
    return run("dpkg-query", "-W", "-f=${Version}", package) or None


def release_version():
    text = open("Sources/StoqCore/Release.swift", encoding="utf-8").read()
    return re.search(r'static let version = "([^"]+)"', text).group(1)


def source():
    if "STOQCTL_SOURCE_COMMIT" in os.environ:
        # Given by the caller that copied the tree here (scripts/release-build.sh).
        commit = os.environ["STOQCTL_SOURCE_COMMIT"] or None
        return {"commit": commit, "modified": os.environ.get("STOQCTL_SOURCE_MODIFIED") == "1" if commit else None}
    commit = run("git", "rev-parse", "HEAD")
    if not commit:
        return {"commit": None, "modified": None}
    modified = bool(run("git", "status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit, "modified": modified}


def toolchain():
    lines = run("swift", "--version").splitlines()
    version = next((line for line in lines if line.startswith("Swift version")), lines[0] if lines else "")
    target = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Target:")), "")
    return {"swift": version, "target": target}


def system_libraries():
    """The C libraries linked into the binary, and the C library it needs, by Debian package."""
    gcc = run("gcc", "-dumpfullversion")
    return {
        "libyaml": run("pkg-config", "--modversion", "yaml-0.1") or None,
        "libyaml-dev (Debian)": debian_version("libyaml-dev"),
        "zlib1g-dev (Debian)": debian_version("zlib1g-dev"),
        "libstdc++ (gcc)": gcc or None,
        "libc6-dev (Debian)": debian_version("libc6-dev"),
    }


def packages(resolved):
    pins = resolved.get("pins") or resolved.get("object", {}).get("pins") or []
    result = []
    for pin in pins:
        state = pin.get("state", {})
        result.append(
            {
                "identity": pin.get("identity") or pin.get("package", "").lower(),
                "location": pin.get("location") or pin.get("repositoryURL"),
                "version": state.get("version"),
                "revision": state.get("revision"),
            }
        )
    return sorted(result, key=lambda pin: pin["identity"])


def text(record):
    """The record as `stoqctl --version --verbose` prints it."""
    src = record["source"]
    commit = src["commit"] or "unknown (not built from a git clone)"
    if src["modified"]:
        commit += " with uncommitted changes"
    lines = [
        "stoqctl %s" % record["version"],
        "source:    %s" % commit,
        "toolchain: %s, %s" % (record["toolchain"]["swift"], record["toolchain"]["target"]),
        "linked in: "
        + ", ".join("%s %s" % (name, version) for name, version in record["system_libraries"].items() if version),
        "packages, as resolved for this build (Package.resolved in the release tarball):",
    ]
    width = max((len(pin["identity"]) for pin in record["packages"]), default=0)
    for pin in record["packages"]:
        lines.append(
            "  %-*s %-9s %s %s" % (width, pin["identity"], pin["version"] or "-", pin["revision"] or "-", pin["location"])
        )
    return "\n".join(lines) + "\n"


def c_string(value):
    """A C string literal holding value exactly (ASCII; anything else as an octal escape)."""
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char == "\\" or char == '"':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif 0x20 <= byte < 0x7F and char != "?":
            out.append(char)
        else:
            out.append("\\%03o" % byte)
    return '"' + "".join(out) + '"'


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/build-record.py OUT_DIR")
    out = sys.argv[1]
    if not os.path.exists("Package.resolved"):
        sys.exit("build-record.py: Package.resolved is missing; run `swift package resolve` first")
    resolved = json.load(open("Package.resolved", encoding="utf-8"))
    record = {
        "format_version": 1,
        "version": release_version(),
        "source": source(),
        "toolchain": toolchain(),
        "system_libraries": system_libraries(),
        "packages": packages(resolved),
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "build-record.json"), "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
        handle.write("\n")
    shutil.copyfile("Package.resolved", os.path.join(out, "Package.resolved"))
    header = "#define STOQCTL_BUILD_RECORD %s\n" % c_string(text(record))
    path = os.path.join(out, "stoqctl_build_record.h")
    # Rewritten only when it changes, so an unchanged record does not recompile anything.
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != header:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(header)
    print("build record: %s (%d packages)" % (out, len(record["packages"])))


if __name__ == "__main__":
    main()
