#!/usr/bin/env python3
"""What the variant names resolved to in the plans reviewed on the pull requests merged since the
last apply, for the apply at merge (stoqctl apply --reviewed-names).

Each merged pull request's plan comment (the one comment.py wrote, by this token's identity,
starting with the configuration's marker) carries the names its plan resolved, in a hidden line.
A comment is used only when it is the plan of the pull request's head commit, the plan reviewed
last; a stale plan, a comment without a plan, and a record that cannot be read are skipped with a
warning. The records are merged in the order the pull requests were merged: a later one's entry
wins for the same plan, list and name.

The record only makes stoqctl report the names that resolve otherwise than in review; it never
changes what is applied. Nothing here stops the apply: every failure prints a warning and exit 1
(no record). Every line printed is this script's own; nothing from a comment is printed.

Standard library only. Usage:
  reviewed_names.py --from OLD --to NEW --key KEY --out FILE
OLD may be empty (no commit applied before). Exit status: 0 FILE holds a record, 1 none.
Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_GRAPHQL_URL.
"""

import argparse
import json
import os
import re
import sys

import apply_report
import comment
import names_record


def warn(text):
    """A warning annotation; `text` is this script's own, escaped to stay one command."""
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text.replace("%", "%25"))
    print("::warning title=stoqctl reviewed names::%s" % text)


def collect(github, shas, mark):
    """The merged record of the reviewed plans of the pull requests that brought `shas` in."""
    me = github.identity()
    if me is None:
        warn("GitHub did not say who this token posts as, so no plan comment is known to be the action's; names are not compared with the review")
        return []
    merged = {}
    for pull in apply_report.merged_pulls(github, shas):
        number = pull["number"]
        head = pull.get("head")
        head = comment.sha(head.get("sha")) if isinstance(head, dict) else ""
        found = comment.ours(github.comments(number), me, mark)
        if found is None:
            print("stoqctl reviewed names: #%d has no plan comment of this configuration; its review is not compared" % number)
            continue
        try:
            planned, encoded = comment.reviewed(found.get("body") or "", mark)
        except ValueError:
            warn("the plan comment on #%d holds no plan of the pull request's head (its latest run failed to plan): the review plan was stale; its names are not compared" % number)
            continue
        if not head or planned != head:
            warn("the plan comment on #%d is not the plan of the pull request's head commit %s: the review plan was stale; its names are not compared"
                 % (number, head[:12] or "(unknown)"))
            continue
        if encoded is None:
            continue
        try:
            names = names_record.decode(encoded, comment.NAMES_LIMIT)
        except ValueError:
            warn("the names record in the plan comment on #%d cannot be read; its names are not compared" % number)
            continue
        for entry in names:
            key = (entry["plan"], entry["list"], entry["selector"])
            merged.pop(key, None)
            merged[key] = entry
    return list(merged.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="old", default="")
    parser.add_argument("--to", dest="new", required=True)
    parser.add_argument("--key", default="default", help="names the configuration (its plan comment's marker)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    env = os.environ
    for value in (args.old, args.new):
        if value and not re.fullmatch(r"[0-9a-f]{40}", value):
            warn("a commit id is not 40 hex digits; names are not compared with the review")
            return 1
    if not (env.get("GITHUB_TOKEN") and env.get("GITHUB_REPOSITORY")):
        print("stoqctl reviewed names: GITHUB_TOKEN or GITHUB_REPOSITORY not set; names are not compared with the review")
        return 1
    api = env.get("GITHUB_API_URL") or "https://api.github.com"
    github = comment.GitHub(api, env.get("GITHUB_GRAPHQL_URL") or api.rstrip("/") + "/graphql", env["GITHUB_REPOSITORY"], env["GITHUB_TOKEN"])
    try:
        names = collect(github, apply_report.commits(args.old, args.new), comment.marker(args.key))
    except (SystemExit, Exception):  # noqa: BLE001 - a failed lookup never stops the apply
        warn("the plan comments of the merged pull requests could not be read; names are not compared with the review")
        return 1
    if not names:
        return 1
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"names": names}, handle, ensure_ascii=True, separators=(",", ":"))
    print("stoqctl reviewed names: %d name%s as reviewed" % (len(names), "" if len(names) == 1 else "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
