#!/usr/bin/env python3
"""Tells each pull request merged since the last apply what the apply on main did with it.

An apply on merge applies the configuration of the commit it runs for, which holds every pull
request merged since the last applied commit, so one run may apply several pull requests' changes
(a run before it failed or was cancelled). Each of them gets one comment: which commit was
applied, by which run, and the outcome; with --report, also the variant names that resolved
otherwise than in the reviewed plans (the report's `names_changed_since_review`).

Standard library only. Usage:
  apply_report.py --from OLD --to NEW --exit-code N --summary FILE [--report FILE]
OLD may be empty (no commit applied before: only NEW's own pull request is named).
Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID.
"""

import argparse
import json
import os
import re
import subprocess
import sys

import comment

# stoqctl's exit code: the comment's heading and what it says happened.
OUTCOMES = {
    "0": ("applied", "applied"),
    "1": ("failed", "failed (an error: nothing or part of it was sent; see the run)"),
    "3": ("not applied", "refused by a safety gate or a delete without permission: nothing was sent"),
    "4": ("partly applied", "stopped on conflicts with changes made in STOQ meanwhile: the rest was applied; plan again"),
    "5": ("partly applied", "finished with some operations failed: running it again converges"),
    "6": ("not applied", "found another apply of the shop running and sent nothing"),
}


def commits(old, new):
    """The commits from `old` (exclusive) to `new`, newest first; only `new` without `old`."""
    if not old:
        return [new]
    listed = subprocess.run(["git", "rev-list", "%s..%s" % (old, new)], capture_output=True, text=True, check=True)
    return listed.stdout.split()


def merged_pulls(github, shas):
    """The merged pull requests that brought `shas` in, as GitHub lists them (each once), in the
    order they were merged (by `merged_at`, then number); those GitHub says were merged into
    another branch than the one being applied (`GITHUB_REF_NAME`) are left out."""
    pulls = {}
    # Only pull requests merged into the branch being applied (not, say, into a stacked branch).
    branch = os.environ.get("GITHUB_REF_NAME", "")
    for sha in shas:
        listed, _ = github.request("GET", "%s/repos/%s/commits/%s/pulls" % (github.api, github.repository, sha))
        for pull in listed or []:
            if not isinstance(pull, dict):
                continue
            number = pull.get("number")
            merged = pull.get("merged_at")
            base = pull.get("base")
            base_ref = base.get("ref") if isinstance(base, dict) else None
            if branch and isinstance(base_ref, str) and base_ref != branch:
                continue
            if isinstance(merged, str) and merged and isinstance(number, int) and not isinstance(number, bool):
                pulls.setdefault(number, pull)
    return sorted(pulls.values(), key=lambda pull: (pull["merged_at"], pull["number"]))


def merged_pull_requests(github, shas):
    """Numbers of the merged pull requests that brought `shas` in, oldest first."""
    return sorted(pull["number"] for pull in merged_pulls(github, shas))


# At most this many names changed since review are listed in a comment; the report has them all.
CHANGED_SHOWN = 50


def plain(text):
    """`text` without control characters (C0, DEL, C1), for one line of a comment."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", str(text))


def changed_since_review(report):
    """Markdown lines for the apply report's `names_changed_since_review` (none when it has none
    or cannot be read): each name with what the review showed and what was applied."""
    try:
        with open(report, encoding="utf-8") as handle:
            changes = json.load(handle).get("names_changed_since_review")
    except (OSError, ValueError, AttributeError):
        return ""
    if not isinstance(changes, list) or not changes:
        return ""

    def ids(value):
        if value is None:
            return "not written"
        if not isinstance(value, list):
            return "?"
        if not value:
            return "none"
        shown = ", ".join(str(i) for i in value[:5] if isinstance(i, int))
        return shown + (" and %d more" % (len(value) - 5) if len(value) > 5 else "")

    lines = []
    for change in changes[:CHANGED_SHOWN]:
        if not isinstance(change, dict):
            continue
        what = " ".join(comment.code(plain(change.get(k, ""))) for k in ("selector", "plan", "list"))
        lines.append("- %s: reviewed %s, applied %s\n" % (what, ids(change.get("reviewed")), ids(change.get("now"))))
    if len(changes) > CHANGED_SHOWN:
        lines.append("- and %d more, in the run's apply report\n" % (len(changes) - CHANGED_SHOWN))
    return comment.inert(
        "\n**Variant names that resolved otherwise than in the reviewed plans** of the pull requests merged "
        "since the last apply (what was applied is what they resolve to now):\n\n" + "".join(lines))


def body(new, exit_code, summary, links, changed=""):
    heading, outcome = OUTCOMES.get(exit_code, ("failed", "ended with exit code %s" % exit_code))
    run = links.run()
    head = "### stoqctl apply: %s\n\n" % heading
    text = head + "This pull request's changes are part of %s on the default branch, which stoqctl %s" % (
        links.commit(new),
        outcome,
    )
    text += " (%s, %s).\n" % (run, comment.now()) if run else " (%s).\n" % comment.now()
    text += changed
    if summary:
        # An indented code block: no line of the output can end it.
        text += "\n" + "".join("    %s\n" % line for line in comment.inert(summary).splitlines())
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="old", default="")
    parser.add_argument("--to", dest="new", required=True)
    parser.add_argument("--exit-code", required=True)
    parser.add_argument("--summary", default="")
    parser.add_argument("--report", default="", help="stoqctl's apply report, for the names changed since review")
    args = parser.parse_args(argv)
    env = os.environ
    for value in (args.old, args.new):
        if value and not re.fullmatch(r"[0-9a-f]{40}", value):
            raise SystemExit("stoqctl apply report: %r is not a commit id" % value)
    missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
    if missing:
        print("stoqctl apply report: %s not set; no pull request is told" % ", ".join(missing))
        return 0
    summary = ""
    if args.summary and os.path.exists(args.summary):
        with open(args.summary, encoding="utf-8", errors="replace") as handle:
            lines = [line.rstrip("\n") for line in handle]
        summary = "\n".join(lines[-20:])
    api = env.get("GITHUB_API_URL") or "https://api.github.com"
    github = comment.GitHub(api, env.get("GITHUB_GRAPHQL_URL") or api + "/graphql", env["GITHUB_REPOSITORY"], env["GITHUB_TOKEN"])
    links = comment.Links(env, comment.PullRequest(env))
    numbers = merged_pull_requests(github, commits(args.old, args.new))
    text = body(args.new, args.exit_code, summary, links, changed_since_review(args.report) if args.report else "")
    for number in numbers:
        github.create(number, text)
    print("stoqctl apply report: told %s" % (", ".join("#%d" % n for n in numbers) or "no pull request (none merged)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
