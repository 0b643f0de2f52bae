#!/usr/bin/env python3
"""Create or update the one stoqctl comment on a pull request.

The comment is found by a hidden marker (an HTML comment naming the configuration), so every run
of the action edits the same comment instead of adding one. A body over GitHub's limit of 65,536
characters is cut at a line boundary, with a note pointing at the job summary and the saved plan.

Standard library only: it runs on any runner with Python 3.8+.

Usage: comment.py --body FILE --key KEY [--dry-run]
Environment: GITHUB_TOKEN, GITHUB_REPOSITORY (owner/name), PR_NUMBER, GITHUB_API_URL (default
https://api.github.com), GITHUB_SERVER_URL and GITHUB_RUN_ID (for the link to this run).
"""

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request

GITHUB_LIMIT = 65536
# Room kept for the marker and the note that says the plan was cut.
RESERVE = 1024


def marker(key):
    """The hidden line that identifies this configuration's comment."""
    safe = re.sub(r"[^A-Za-z0-9._/-]", "-", key) or "default"
    return "<!-- stoqctl-plan: %s -->" % safe


def fit(body, mark, run_url):
    """The comment: marker first, then the body, cut at a line boundary to fit GitHub's limit."""
    head = mark + "\n"
    if len(head) + len(body) <= GITHUB_LIMIT:
        return head + body
    budget = GITHUB_LIMIT - RESERVE - len(head)
    cut = body.rfind("\n", 0, budget)
    kept = body[: cut if cut > 0 else budget]
    # A cut inside an open <details> or code fence would swallow the note; close them.
    if kept.count("```") % 2 == 1:
        kept += "\n```"
    opened = kept.count("<details>") - kept.count("</details>")
    kept += "\n</details>" * max(opened, 0)
    where = "the job summary and the `stoqctl-plan` artifact"
    if run_url:
        where = "[the job summary](%s) and the `stoqctl-plan` artifact" % run_url
    note = (
        "\n\n> [!NOTE]\n> This plan is longer than a pull-request comment can hold "
        "(%d characters); it was cut here. The whole plan is in %s.\n" % (len(body), where)
    )
    return head + kept + note


class GitHub:
    """The three REST calls the comment needs."""

    def __init__(self, api, repository, token):
        self.api = api.rstrip("/")
        self.repository = repository
        self.token = token

    def request(self, method, url, payload=None):
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "stoqctl-action")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                text = response.read().decode("utf-8")
                return json.loads(text) if text else None, response.headers.get("Link", "")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:300]
            raise SystemExit(
                "stoqctl comment: %s %s answered %d: %s%s"
                % (method, url.split("?")[0], error.code, detail, hint(error.code))
            )
        except urllib.error.URLError as error:
            raise SystemExit("stoqctl comment: cannot reach %s: %s" % (self.api, error.reason))

    def comments(self, number):
        """Every comment of the pull request, following the pagination links."""
        url = "%s/repos/%s/issues/%d/comments?per_page=100" % (self.api, self.repository, number)
        while url:
            page, link = self.request("GET", url)
            for comment in page or []:
                yield comment
            url = next_link(link)

    def create(self, number, body):
        url = "%s/repos/%s/issues/%d/comments" % (self.api, self.repository, number)
        return self.request("POST", url, {"body": body})[0]

    def update(self, comment_id, body):
        url = "%s/repos/%s/issues/comments/%d" % (self.api, self.repository, comment_id)
        return self.request("PATCH", url, {"body": body})[0]


def hint(code):
    if code in (401, 403):
        return " (the workflow needs `permissions: pull-requests: write`, and a fork's pull request gets a read-only token)"
    return ""


def next_link(header):
    for part in header.split(","):
        match = re.match(r'\s*<([^>]+)>;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--body", required=True, help="file holding the Markdown plan")
    parser.add_argument("--key", default="default", help="names the configuration (one comment per key)")
    parser.add_argument("--dry-run", action="store_true", help="print the comment instead of posting it")
    args = parser.parse_args(argv)

    with open(args.body, encoding="utf-8") as handle:
        body = handle.read()
    env = os.environ
    run_url = None
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
        run_url = "%s/%s/actions/runs/%s" % (env["GITHUB_SERVER_URL"], env["GITHUB_REPOSITORY"], env["GITHUB_RUN_ID"])
    mark = marker(args.key)
    text = fit(body, mark, run_url)
    if args.dry_run:
        sys.stdout.write(text)
        return 0

    missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "PR_NUMBER") if not env.get(name)]
    if missing:
        raise SystemExit("stoqctl comment: %s not set; the comment is posted only on a pull request" % ", ".join(missing))
    try:
        number = int(env["PR_NUMBER"])
    except ValueError:
        raise SystemExit("stoqctl comment: PR_NUMBER is %r, not a number" % env["PR_NUMBER"])
    github = GitHub(env.get("GITHUB_API_URL") or "https://api.github.com", env["GITHUB_REPOSITORY"], env["GITHUB_TOKEN"])

    existing = next((c for c in github.comments(number) if mark in (c.get("body") or "")), None)
    if existing is None:
        created = github.create(number, text)
        print("stoqctl comment: created comment %s on #%d (%d characters)" % (created.get("id"), number, len(text)))
    elif existing.get("body") == text:
        print("stoqctl comment: comment %s on #%d is already up to date" % (existing["id"], number))
    else:
        github.update(existing["id"], text)
        print("stoqctl comment: updated comment %s on #%d (%d characters)" % (existing["id"], number, len(text)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
