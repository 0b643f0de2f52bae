#!/usr/bin/env python3
"""Tells each pull request merged since the last apply what the apply on main did with it.

An apply on merge applies the configuration of the commit it runs for, which holds every pull
request merged since the last applied commit, so one run may apply several pull requests' changes
(a run before it failed or was cancelled). Each of them gets one comment: which commit was
applied, by which run, and the outcome.

Standard library only. Usage:
  apply_report.py --from OLD --to NEW --exit-code N --summary FILE
OLD may be empty (no commit applied before: only NEW's own pull request is named).
Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID.
"""

import argparse
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


def merged_pull_requests(github, shas):
    """Numbers of the merged pull requests that brought `shas` in, oldest first."""
    numbers = []
    for sha in shas:
        pulls, _ = github.request("GET", "%s/repos/%s/commits/%s/pulls" % (github.api, github.repository, sha))
        for pull in pulls or []:
            number = pull.get("number")
            if pull.get("merged_at") and isinstance(number, int) and number not in numbers:
                numbers.append(number)
    return sorted(numbers)


def body(new, exit_code, summary, links):
    heading, outcome = OUTCOMES.get(exit_code, ("failed", "ended with exit code %s" % exit_code))
    run = links.run()
    head = "### stoqctl apply: %s\n\n" % heading
    text = head + "This pull request's changes are part of %s on the default branch, which stoqctl %s" % (
        links.commit(new),
        outcome,
    )
    text += " (%s, %s).\n" % (run, comment.now()) if run else " (%s).\n" % comment.now()
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
    text = body(args.new, args.exit_code, summary, links)
    for number in numbers:
        github.create(number, text)
    print("stoqctl apply report: told %s" % (", ".join("#%d" % n for n in numbers) or "no pull request (none merged)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
