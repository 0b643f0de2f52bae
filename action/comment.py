#!/usr/bin/env python3
"""Create or update the one stoqctl comment on a pull request.

Which comment is ours: a comment written by the identity this token posts as, whose body starts
with the marker line naming the configuration (`<!-- stoqctl-plan: KEY -->`). No other comment is
ever edited, whatever it quotes. The identity comes from the token itself: `GET /user` names the
user of a personal (or OAuth) token; an installation token (the workflow's GITHUB_TOKEN, which
posts as github-actions[bot], or a GitHub App's, which posts as SLUG[bot]) gets 403 there, and
GraphQL's `viewer` names its bot. When neither answers, no comment is edited: a new one is posted.

No text from a plan can produce a marker: every `<!--` in it is broken by a zero-width space, so
the marker and the hidden lines written here occur only where this script writes them.

Every comment is dated: it names the pull request's head commit (read from the event, since on
`pull_request` events GITHUB_SHA is the test merge commit), the base it was planned against, the
run and the time. A run that made no plan (it failed, or the pull request comes from a fork that
gets no secrets) says so; an earlier plan stays below, marked outdated. A body over GitHub's limit
of 65,536 characters is cut at a line boundary, with a note pointing at the job summary.

Results (--result):
  plan    --body is stoqctl's Markdown plan (stoqctl exited 0, 2 or 3)
  failed  --body, when given and not empty, is stoqctl's Markdown failure; no plan was made
  fork    a pull request from a fork, run without the STOQ token: the shop was not read

Standard library only: it runs on any runner with Python 3.8+.

A plan whose names (sku:, barcode:, product:) resolved carries one more hidden line after the
plan-of line, `<!-- stoqctl-names: RECORD -->`: what they resolved to, as names_record.py encodes
it (--plan-file names the saved plan). The apply at merge reads it back from the comment of each
merged pull request whose head it is the plan of (reviewed_names.py) and passes it to stoqctl as
--reviewed-names. A record over NAMES_LIMIT characters is left out, and the comment says so.

Usage: comment.py --result RESULT --key KEY [--body FILE] [--plan-file FILE] [--exit-code N]
                  [--config PATH] [--optional] [--dry-run]
       comment.py --event   prints the pull request's number and `fork` or `same-repository`
                            (nothing off pull requests), for run.sh
Exit status: 0 written (or already up to date), 1 failed; with --optional, 3 when GitHub refused
the token (a fork's read-only token): nothing was written, and that is not an error.
Environment: GITHUB_TOKEN, GITHUB_REPOSITORY (owner/name), GITHUB_EVENT_PATH (the event, for the
pull request, its head and its base), PR_NUMBER (overrides the event's number), GITHUB_API_URL
(default https://api.github.com), GITHUB_GRAPHQL_URL (default GITHUB_API_URL/graphql),
GITHUB_SERVER_URL, GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT (for the link to this run).
"""

import argparse
import datetime
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import names_record

GITHUB_LIMIT = 65536
# Room kept for the note that says the plan was cut.
RESERVE = 1024
# The hidden line before a plan: the commit it is the plan of. It lets a later run that makes no
# plan keep this one, marked outdated.
PLAN_OF = "<!-- stoqctl-plan-of: %s -->"
PLAN_OF_LINE = re.compile(r"<!-- stoqctl-plan-of: ([0-9a-f]{7,40}|unknown) -->\r?\n")
ZERO_WIDTH_SPACE = "\u200b"
# The hidden line after the plan-of line when the plan resolved variant names: what they resolved
# to (names_record.encode), which the apply at merge compares with (--reviewed-names). Longer
# records are left out, so the plan keeps the room of the comment.
NAMES = "<!-- stoqctl-names: %s -->"
NAMES_LINE = re.compile(r"<!-- stoqctl-names: ([A-Za-z0-9_-]+) -->")
NAMES_LIMIT = 16000


def marker(key):
    """The hidden first line that identifies this configuration's comment."""
    safe = re.sub(r"[^A-Za-z0-9._/-]", "-", key) or "default"
    return "<!-- stoqctl-plan: %s -->" % safe


def inert(text):
    """`text` with every HTML comment opener broken, so it holds no marker and no hidden line."""
    return text.replace("<!--", "<!" + ZERO_WIDTH_SPACE + "--")


def starts_with_line(body, line):
    """True when `body`'s first line is exactly `line`."""
    return body == line or body.startswith(line + "\n") or body.startswith(line + "\r\n")


def code(text):
    """A Markdown code span that holds any text (its fence is longer than any backtick run)."""
    text = text.replace("\r", "").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


class PullRequest:
    """What the event says about the pull request: its number, head and base."""

    def __init__(self, env):
        event = {}
        path = env.get("GITHUB_EVENT_PATH")
        if path and os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    event = json.load(handle) or {}
            except (OSError, ValueError):
                event = {}
        pr = event.get("pull_request") if isinstance(event, dict) else None
        pr = pr if isinstance(pr, dict) else {}
        head = pr.get("head") if isinstance(pr.get("head"), dict) else {}
        base = pr.get("base") if isinstance(pr.get("base"), dict) else {}
        self.number = str(env.get("PR_NUMBER") or pr.get("number") or "")
        self.head_sha = sha(head.get("sha"))
        self.base_sha = sha(base.get("sha"))
        self.base_ref = base.get("ref") if isinstance(base.get("ref"), str) else ""
        self.repository = env.get("GITHUB_REPOSITORY", "")
        base_repo = (base.get("repo") or {}).get("full_name") if isinstance(base.get("repo"), dict) else None
        # A head repository of null is a fork that was deleted.
        head_repo = (head.get("repo") or {}).get("full_name") if isinstance(head.get("repo"), dict) else None
        self.fork = bool(pr) and head_repo != (base_repo or self.repository)


def sha(value):
    return value.lower() if isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{40}", value) else ""


class Links:
    """Markdown links into the repository and to this run."""

    def __init__(self, env, pr):
        self.server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        self.repository = pr.repository
        self.run_id = env.get("GITHUB_RUN_ID", "")
        self.attempt = env.get("GITHUB_RUN_ATTEMPT", "")
        self.pr = pr

    def commit(self, full):
        if not full:
            return "an unknown commit"
        if not self.repository:
            return code(full[:7])
        return "[`%s`](%s/%s/commit/%s)" % (full[:7], self.server, self.repository, full)

    @property
    def run_url(self):
        if not (self.repository and re.fullmatch(r"\d+", self.run_id)):
            return None
        url = "%s/%s/actions/runs/%s" % (self.server, self.repository, self.run_id)
        if re.fullmatch(r"\d+", self.attempt) and self.attempt != "1":
            url += "/attempts/%s" % self.attempt
        return url

    def run(self):
        """A link to this run, or None outside GitHub Actions."""
        url = self.run_url
        if not url:
            return None
        attempt = " (attempt %s)" % self.attempt if url.endswith("/attempts/" + self.attempt) else ""
        return "[run %s%s](%s)" % (self.run_id, attempt, url)

    def base(self):
        """The base branch and its commit, as the event names them (None when it names neither)."""
        ref = code(self.pr.base_ref) if self.pr.base_ref else None
        if not self.pr.base_sha:
            return ref
        return "%s at %s" % (ref or "the base", self.commit(self.pr.base_sha))


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def dateline(what, links):
    """`what` the head commit, against the base, in this run, at this time: one line."""
    head = links.pr.head_sha
    text = what + " " + ("%s, the head of this pull request" % links.commit(head) if head else "this pull request")
    base = links.base()
    if base:
        text += ", against " + base
    run = links.run()
    return text + ("; %s, %s." % (run, now()) if run else "; %s." % now())


def split_heading(body):
    """(the `### ` heading line, the rest) of stoqctl's Markdown; no heading: ("", body)."""
    if body.startswith("### "):
        heading, _, rest = body.partition("\n")
        return heading, rest.lstrip("\n")
    return "", body


def fork_text(config, number):
    checkout = "gh pr checkout %s" % number if number else "gh pr checkout NUMBER"
    return (
        "This pull request comes from a fork. GitHub gives the workflows of a fork's pull request "
        "no secrets, so stoqctl could not read the shop and made no plan. This says nothing against "
        "the configuration: it was validated offline, and any problem is annotated on its line.\n\n"
        "To plan it, a maintainer can check it out and plan it with the shop's token "
        "(%s, then %s), or push its branch to this repository and open the pull request from "
        "there, where the workflow has its secrets.\n" % (code(checkout), code("stoqctl plan " + config))
    )


def names_of(plan_path):
    """(the hidden names line, a visible note) for the saved plan at `plan_path`: the line when its
    `resolutions` are not empty and fit NAMES_LIMIT; the note when they cannot be carried. (None,
    None) without a plan or names."""
    try:
        with open(plan_path, encoding="utf-8") as handle:
            plan = json.load(handle)
    except (OSError, ValueError):
        return None, None
    names = plan.get("resolutions") if isinstance(plan, dict) else None
    if not names:
        return None, None
    encoded = names_record.encode(names)
    if encoded is None or len(encoded) > NAMES_LIMIT:
        return None, (
            "> [!NOTE]\n> This plan's record of the variant names is too long for this comment, so the "
            "apply at merge cannot compare the names with this review.\n"
        )
    return NAMES % encoded, None


def reviewed(body, mark):
    """(the commit a comment of ours is the plan of, the encoded record of its names, or None when
    it holds none) for a comment whose body starts with `mark`. Read strictly: the plan-of line is
    the second line and the names line the third, as ``compose`` writes them (no other text can
    hold either, see ``inert``); names_record.decode reads the record. Raises ValueError when the
    comment holds no plan."""
    lines = body.split("\n", 3)
    if len(lines) < 3 or lines[0].rstrip("\r") != mark:
        raise ValueError("not a plan comment")
    planned = re.fullmatch(r"<!-- stoqctl-plan-of: ([0-9a-f]{7,40}|unknown) -->", lines[1].rstrip("\r"))
    if not planned:
        raise ValueError("holds no plan of its latest commit")
    found = NAMES_LINE.fullmatch(lines[2].rstrip("\r"))
    if not found:
        return planned.group(1), None
    return planned.group(1), found.group(1)


def compose(result, body, mark, links, previous, exit_code, config, names=(None, None)):
    """The whole comment for `result`, given the body of our earlier comment (or None). Only the
    marker, the plan-of line and a plan's names line (`names`: from ``names_of``) are written as
    HTML comments; every other line is made inert."""
    head = links.pr.head_sha
    if result == "plan":
        heading, rest = split_heading(body)
        top = heading + "\n\n" if heading else ""
        line, note = names
        hidden = PLAN_OF % (head or "unknown") + ("\n" + line if line else "")
        note = "\n" + note if note else ""
        return "%s\n%s\n%s" % (mark, hidden, inert("%s%s\n%s\n%s" % (top, dateline("Plan of", links), note, rest)))

    kept = None
    if previous is not None:
        found = PLAN_OF_LINE.search(previous)
        if found and previous[: found.start()].endswith("\n"):
            kept = (found.group(1), previous[found.end():])
    if result == "fork":
        reason = "was not planned: its pull request comes from a fork, which gets no secrets"
        detail = fork_text(config, links.pr.number)
    else:
        reason = "failed to plan (exit %s)" % exit_code if exit_code else "failed to plan"
        _, detail = split_heading(body)
        if not detail.strip():
            detail = "The run stopped before stoqctl made a plan or reported why; its log says what failed.\n"
    if kept is None:
        headline = "### stoqctl plan: not planned (pull request from a fork)" if result == "fork" else "### stoqctl plan: failed"
        what = "Not planned:" if result == "fork" else "Failed to plan"
        return "%s\n%s" % (mark, inert("%s\n\n%s\n\n%s" % (headline, dateline(what, links), detail)))

    planned, old = kept
    headline = "### stoqctl plan: outdated, the latest commit %s" % ("was not planned" if result == "fork" else "failed to plan")
    old_commit = links.commit(planned) if planned != "unknown" else "an earlier commit"
    caution = (
        "> [!CAUTION]\n> This is the plan of %s. The latest commit, %s, %s: see %s, %s. "
        "Until a run plans it, this is not the plan of the pull request as it is now.\n"
        % (old_commit, links.commit(head), reason, links.run() or "its log", now())
    )
    why = "Why the latest commit was not planned" if result == "fork" else "Why the latest commit failed to plan"
    warning = "%s\n\n%s\n<details><summary>%s</summary>\n\n%s\n</details>\n\n---\n\n" % (headline, caution, why, detail.rstrip("\n"))
    return "%s\n%s%s\n%s" % (mark, inert(warning), PLAN_OF % planned, inert(old))


def fit(text, run_url):
    """`text` cut at a line boundary to fit GitHub's limit, with a note saying where the rest is."""
    if len(text) <= GITHUB_LIMIT:
        return text
    budget = GITHUB_LIMIT - RESERVE
    cut = text.rfind("\n", 0, budget)
    kept = text[: cut if cut > 0 else budget]
    # A cut inside an open <details> or code fence would swallow the note; close them.
    if kept.count("```") % 2 == 1:
        kept += "\n```"
    opened = kept.count("<details>") - kept.count("</details>")
    kept += "\n</details>" * max(opened, 0)
    where = "the job summary and the `stoqctl-plan` artifact"
    if run_url:
        where = "[the job summary](%s) and the `stoqctl-plan` artifact" % run_url
    note = (
        "\n\n> [!NOTE]\n> This comment is longer than a pull-request comment can hold "
        "(%d characters); it was cut here. The whole plan is in %s.\n" % (len(text), where)
    )
    return kept + note


class Forbidden(Exception):
    """GitHub answered 401 or 403."""


class GitHub:
    """The REST and GraphQL calls the comment needs."""

    def __init__(self, api, graphql, repository, token):
        self.api = api.rstrip("/")
        self.graphql = graphql
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
        # The token goes only to the API's own origin: a `Link` or a redirect elsewhere is refused.
        if not same_origin(url, self.api):
            raise SystemExit("stoqctl comment: refusing to send the token to another host than %s" % self.api)
        try:
            with NO_REDIRECTS.open(req, timeout=30) as response:
                text = response.read().decode("utf-8")
                return json.loads(text) if text else None, response.headers.get("Link", "")
        except urllib.error.HTTPError as error:
            detail = one_line(error.read().decode("utf-8", "replace")[:300])
            message = "stoqctl comment: %s %s answered %d: %s%s" % (method, url.split("?")[0], error.code, detail, hint(error.code))
            if error.code in (401, 403):
                raise Forbidden(message)
            raise SystemExit(message)
        except urllib.error.URLError as error:
            raise SystemExit("stoqctl comment: cannot reach %s: %s" % (self.api, error.reason))

    def identity(self):
        """The login this token's comments are written by, or None when GitHub does not say.

        A personal or OAuth token: `GET /user`. An installation token (GITHUB_TOKEN or a GitHub
        App's) is refused there, and `GET /app` needs the app's own key, but GraphQL's `viewer`
        names the bot the installation posts as (SLUG[bot])."""
        try:
            user, _ = self.request("GET", self.api + "/user")
            if isinstance(user, dict) and isinstance(user.get("login"), str):
                return user["login"]
        except Forbidden:
            pass
        try:
            answer, _ = self.request("POST", self.graphql, {"query": "query { viewer { login } }"})
        except (Forbidden, SystemExit) as error:
            print(str(error), file=sys.stderr)
            return None
        login = (((answer or {}).get("data") or {}).get("viewer") or {}).get("login")
        if not isinstance(login, str) or not login:
            return None
        # GET /user refused the token, so it is an installation's: comments show its bot as SLUG[bot].
        return login if login.endswith("[bot]") else login + "[bot]"

    def comments(self, number):
        """Every comment of the pull request, following the pagination links."""
        url = "%s/repos/%s/issues/%s/comments?per_page=100" % (self.api, self.repository, number)
        while url:
            page, link = self.request("GET", url)
            for comment in page or []:
                yield comment
            url = next_link(link)

    def create(self, number, body):
        url = "%s/repos/%s/issues/%s/comments" % (self.api, self.repository, number)
        return self.request("POST", url, {"body": body})[0]

    def update(self, comment_id, body):
        url = "%s/repos/%s/issues/comments/%d" % (self.api, self.repository, comment_id)
        return self.request("PATCH", url, {"body": body})[0]


def one_line(text):
    """`text` on one line, without control characters (a GitHub answer is printed to the log)."""
    return " ".join("".join(c if c.isprintable() or c.isspace() else " " for c in text).split())


def hint(code):
    if code in (401, 403):
        return " (the workflow needs `permissions: pull-requests: write`, and a fork's pull request gets a read-only token)"
    return ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would carry the Authorization header to wherever they
    lead. A 3xx from GitHub's API is then an error like any other."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


NO_REDIRECTS = urllib.request.build_opener(_NoRedirects)


def same_origin(url, base):
    """True when `url` has the scheme, host and port of `base`."""
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def next_link(header):
    for part in header.split(","):
        match = re.match(r'\s*<([^>]+)>;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


def author(comment):
    user = comment.get("user")
    return user.get("login") if isinstance(user, dict) else None


def ours(comments, me, mark):
    """The first comment written by `me` whose body starts with the marker line."""
    for comment in comments:
        if me is not None and author(comment) == me and starts_with_line(comment.get("body") or "", mark):
            return comment
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--event", action="store_true", help="print the pull request's number and whether it comes from a fork")
    parser.add_argument("--result", choices=["plan", "failed", "fork"], default="plan", help="what the run made")
    parser.add_argument("--body", help="file holding stoqctl's Markdown (the plan or the failure)")
    parser.add_argument("--plan-file", help="the saved plan (--out), whose variant names the comment records")
    parser.add_argument("--key", default="default", help="names the configuration (one comment per key)")
    parser.add_argument("--exit-code", default="", help="stoqctl's exit code, for a failure")
    parser.add_argument("--config", default=".", help="the configuration path, for how to plan a fork's pull request")
    parser.add_argument("--optional", action="store_true", help="a token GitHub refuses (a fork's) is a notice, not an error")
    parser.add_argument("--dry-run", action="store_true", help="print the comment instead of posting it")
    args = parser.parse_args(argv)
    env = os.environ
    pr = PullRequest(env)
    if args.event:
        if pr.number:
            print("%s %s" % (pr.number, "fork" if pr.fork else "same-repository"))
        return 0

    body = ""
    if args.body and os.path.isfile(args.body):
        with open(args.body, encoding="utf-8") as handle:
            body = handle.read()
    if args.result == "plan" and not body.strip():
        raise SystemExit("stoqctl comment: --result plan needs the plan in --body")
    links = Links(env, pr)
    mark = marker(args.key)
    if args.dry_run:
        sys.stdout.write(fit(compose(args.result, body, mark, links, None, args.exit_code, args.config, names(args)), links.run_url))
        return 0

    missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
    if not pr.number:
        missing.append("PR_NUMBER (or a pull_request event)")
    if missing:
        raise SystemExit("stoqctl comment: %s not set; the comment is posted only on a pull request" % ", ".join(missing))
    if not re.fullmatch(r"\d+", pr.number):
        raise SystemExit("stoqctl comment: PR_NUMBER is %r, not a number" % pr.number)
    api = env.get("GITHUB_API_URL") or "https://api.github.com"
    github = GitHub(api, env.get("GITHUB_GRAPHQL_URL") or api.rstrip("/") + "/graphql", env["GITHUB_REPOSITORY"], env["GITHUB_TOKEN"])
    try:
        return post(github, pr.number, args, body, mark, links)
    except Forbidden as error:
        if args.optional:
            print("stoqctl comment: no comment: %s" % str(error).split(": ", 1)[1])
            return 3
        raise SystemExit(str(error))


def names(args):
    """The names line and note of a plan's comment (``names_of``); none for other results."""
    if args.result != "plan" or not args.plan_file:
        return None, None
    return names_of(args.plan_file)


def post(github, number, args, body, mark, links):
    me = github.identity()
    if me is None:
        print("stoqctl comment: GitHub did not say who this token posts as, so no earlier comment is edited", file=sys.stderr)
    existing = ours(github.comments(number), me, mark)
    previous = existing.get("body") if existing else None
    text = fit(compose(args.result, body, mark, links, previous, args.exit_code, args.config, names(args)), links.run_url)
    if existing is None:
        created = github.create(number, text)
        posted_by = author(created or {})
        print("stoqctl comment: created comment %s on #%s as %s (%d characters)" % ((created or {}).get("id"), number, posted_by, len(text)))
        if me is not None and posted_by and posted_by != me:
            print("stoqctl comment: it was posted as %s, not %s; a later run will not find it" % (posted_by, me), file=sys.stderr)
    elif previous == text:
        print("stoqctl comment: comment %s on #%s is already up to date" % (existing["id"], number))
    else:
        github.update(existing["id"], text)
        print("stoqctl comment: updated comment %s on #%s, written by %s (%d characters)" % (existing["id"], number, me, len(text)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
