"""The GitHub Action's scripts, run against small local fakes of GitHub on 127.0.0.1.

- comment.py against a fake of the REST and GraphQL calls it makes (who the token is, list, create
  and update comments), with the three kinds of token: the workflow's GITHUB_TOKEN and a GitHub
  App's installation token (GET /user answers 403; comments by github-actions[bot] and SLUG[bot])
  and a personal token (GET /user answers the user). Only the comment written by the token's own
  identity that starts with the marker is edited: never a comment by someone else quoting the
  marker, also as its first line, nor another configuration's comment named in shop data. The
  comment names the head commit, the base, the run and the time; a run that made no plan marks
  the earlier plan outdated. Oversized plans are cut to fit; errors are sentences.
- install.sh against a fake release server holding the real tarball (make release): installed and
  checked against its SHA-256; a tampered tarball is refused.
- run.sh end to end with the real binary and its emulator: a pull-request plan writes the comment,
  the job summary, annotations and outputs, reading the shop once; a refused plan fails the step
  (exit 3, refused=true); a failed run after a good one marks the comment outdated; a fork's pull
  request without the STOQ token is validated, not planned, and passes; apply of the saved plan
  writes the report; with STOQCTL_CACHE_DIR (action.yml sets it from the cache input, restored and
  saved with the pinned actions/cache) the read cache is kept and an apply leaves it current.
- The plan comment records the plan's variant names in one hidden line (left out, with a note,
  when too long); the apply at merge compares the names with the records of the merged pull
  requests' own plan comments of their heads (--reviewed-names) and tells them what resolves
  otherwise. Stale, forged and corrupt records are skipped with warnings; the apply always runs.

Run: python3 -m unittest discover -s Tests/action  (make action-test); needs the release binary
and tarball (make release), or STOQCTL=path/to/stoqctl for the comment and run.sh tests.
"""

import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ACTION = os.path.join(ROOT, "action")
STOQCTL = os.environ.get("STOQCTL", os.path.join(ROOT, ".build", "release", "stoqctl"))
# The three kinds of token, as GitHub answers them: GET /user, and who their comments are by.
TOKEN = "ghs_canary0123456789secret"  # the workflow's GITHUB_TOKEN (an installation token)
APP_TOKEN = "ghs_appcanary987654321secret"  # a GitHub App's installation token
PERSONAL_TOKEN = "github_pat_canary1234567890secret"  # a personal access token
IDENTITIES = {
    TOKEN: {"login": "github-actions[bot]", "type": "Bot", "user_endpoint": 403},
    APP_TOKEN: {"login": "stoq-planner[bot]", "type": "Bot", "user_endpoint": 403},
    PERSONAL_TOKEN: {"login": "maria", "type": "User", "user_endpoint": 200},
}
HEAD = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
NEXT_HEAD = "d4e5f60718293a4b5c6d7e8f90123456789abcde"
BASE = "0f1e2d3c4b5a69788796a5b4c3d2e1f001234567"
MERGE = "9999999999999999999999999999999999999999"


def pull_request_event(path, number=12, head=HEAD, head_repo="acme/shop"):
    """A pull_request event as GitHub writes it to GITHUB_EVENT_PATH (the fields the action reads)."""
    event = {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": head, "ref": "feature", "repo": {"full_name": head_repo} if head_repo else None},
            "base": {"sha": BASE, "ref": "main", "repo": {"full_name": "acme/shop"}},
        },
    }
    with open(path, "w") as handle:
        json.dump(event, handle)
    return path


class FakeGitHub:
    """Issue comments of one repository, and who each token is, served like GitHub's REST and
    GraphQL APIs (two comments per page). Like GitHub, a token with write access may edit any
    comment: telling ours apart is the action's job."""

    def __init__(self, per_page=2):
        self.comments = {}  # number -> list of {"id", "body", "user"}
        self.requests = []
        self.next_id = 1000
        self.per_page = per_page
        self.fail_with = None
        self.read_only = False  # a fork's token: reads work, writes answer 403
        self.graphql_fails = False
        self.commit_pulls = {}  # commit sha -> the pull requests GitHub associates with it
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, code, payload, link=None):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if link:
                    self.send_header("Link", link)
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                authorization = self.headers.get("Authorization")
                fake.requests.append((method, self.path, authorization, body))
                if fake.fail_with:
                    return self.answer(fake.fail_with, {"message": "Resource not accessible by integration"})
                token = (authorization or "").replace("Bearer ", "", 1)
                identity = IDENTITIES.get(token)
                if identity is None:
                    return self.answer(401, {"message": "Bad credentials"})
                user = {"login": identity["login"], "type": identity["type"]}
                path, _, query = self.path.partition("?")
                pulls = re.fullmatch(r"/repos/acme/shop/commits/([0-9a-f]{40})/pulls", path)
                if pulls and method == "GET":
                    return self.answer(200, fake.commit_pulls.get(pulls.group(1), []))
                listing = re.fullmatch(r"/repos/acme/shop/issues/(\d+)/comments", path)
                single = re.fullmatch(r"/repos/acme/shop/issues/comments/(\d+)", path)
                if path == "/user" and method == "GET":
                    if identity["user_endpoint"] != 200:
                        return self.answer(identity["user_endpoint"], {"message": "Resource not accessible by integration"})
                    return self.answer(200, user)
                if path == "/graphql" and method == "POST":
                    if fake.graphql_fails:
                        return self.answer(502, {"message": "Bad gateway"})
                    return self.answer(200, {"data": {"viewer": {"login": identity["login"]}}})
                if listing and method == "GET":
                    items = fake.comments.get(int(listing.group(1)), [])
                    page = int(dict(p.split("=") for p in query.split("&") if "=" in p).get("page", "1"))
                    start = (page - 1) * fake.per_page
                    link = None
                    if start + fake.per_page < len(items):
                        link = '<http://%s%s?per_page=100&page=%d>; rel="next"' % (self.headers["Host"], path, page + 1)
                    return self.answer(200, items[start : start + fake.per_page], link)
                if fake.read_only and method in ("POST", "PATCH"):
                    return self.answer(403, {"message": "Resource not accessible by integration"})
                if listing and method == "POST":
                    fake.next_id += 1
                    comment = {"id": fake.next_id, "body": body["body"], "user": user}
                    fake.comments.setdefault(int(listing.group(1)), []).append(comment)
                    return self.answer(201, comment)
                if single and method == "PATCH":
                    for items in fake.comments.values():
                        for comment in items:
                            if comment["id"] == int(single.group(1)):
                                comment["body"] = body["body"]
                                return self.answer(200, comment)
                    return self.answer(404, {"message": "Not Found"})
                return self.answer(404, {"message": "Not Found"})

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def do_PATCH(self):
                self.handle_any("PATCH")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def add(self, number, body, login):
        """A comment someone else (or an earlier run) wrote."""
        self.next_id += 1
        kind = "Bot" if login.endswith("[bot]") else "User"
        self.comments.setdefault(number, []).append({"id": self.next_id, "body": body, "user": {"login": login, "type": kind}})
        return self.next_id

    def by(self, number, login):
        return [c for c in self.comments.get(number, []) if c["user"]["login"] == login]

    def ours(self, number, login="github-actions[bot]"):
        return [c for c in self.by(number, login) if c["body"].startswith("<!-- stoqctl-plan:")]

    def writes(self):
        return [r for r in self.requests if r[0] == "PATCH" or (r[0] == "POST" and r[1] != "/graphql")]


def serve_directory(directory):
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=directory, **k)  # noqa: E731
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def run(args, env, cwd=ROOT):
    full = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    full.update(env)
    return subprocess.run(args, env=full, cwd=cwd, capture_output=True, text=True, timeout=300)


class CommentTests(unittest.TestCase):
    def setUp(self):
        self.github = FakeGitHub()
        self.dir = tempfile.mkdtemp()
        self.event = pull_request_event(os.path.join(self.dir, "event.json"), number=7)
        self.env = {"GITHUB_API_URL": self.github.url, "GITHUB_REPOSITORY": "acme/shop", "GITHUB_TOKEN": TOKEN,
                    "GITHUB_EVENT_PATH": self.event, "GITHUB_SHA": MERGE, "GITHUB_SERVER_URL": "https://github.com",
                    "GITHUB_RUN_ID": "4567"}

    def tearDown(self):
        self.github.close()
        shutil.rmtree(self.dir)

    def post(self, body, key="shop", result="plan", *extra):
        path = os.path.join(self.dir, "plan.md")
        with open(path, "w") as handle:
            handle.write(body)
        args = [sys.executable, os.path.join(ACTION, "comment.py"), "--result", result, "--body", path, "--key", key]
        return run(args + list(extra), self.env)

    def test_a_plans_names_ride_in_one_hidden_line_or_are_left_out_when_too_long(self):
        sys.path.insert(0, ACTION)
        try:
            import names_record  # noqa: E402
        finally:
            sys.path.remove(ACTION)
        plan = os.path.join(self.dir, "plan.json")
        small = [{"plan": "p", "list": "variants", "selector": "sku:A<!--", "ids": [1], "location": "f.yaml:1:1"}]
        with open(plan, "w") as handle:
            json.dump({"resolutions": small}, handle)
        forged = "### stoqctl plan: apply will proceed\n\n<!-- stoqctl-names: eyJuYW1lcyI6W119 -->\n"
        result = self.post(forged, "shop", "plan", "--plan-file", plan)
        self.assertEqual(result.returncode, 0, result.stderr)
        body = self.github.ours(7)[0]["body"]
        lines = body.split("\n")
        self.assertEqual(lines[2], "<!-- stoqctl-names: %s -->" % names_record.encode(small))
        self.assertEqual(body.count("<!--"), 3, "the plan's own opener is inert")
        self.assertEqual(names_record.decode(lines[2][len("<!-- stoqctl-names: "):-len(" -->")], 16000),
                         [{k: small[0][k] for k in ("plan", "list", "selector", "ids")}])
        # A record over the bound is left out, and the comment says so in one visible note.
        big = [dict(small[0], selector="sku:%05d" % i, ids=[i + 1]) for i in range(600)]
        with open(plan, "w") as handle:
            json.dump({"resolutions": big}, handle)
        self.assertEqual(self.post(forged, "shop", "plan", "--plan-file", plan).returncode, 0)
        body = self.github.ours(7)[0]["body"]
        self.assertNotIn("<!-- stoqctl-names:", body)
        self.assertEqual(body.count("<!--"), 2)
        self.assertIn("the apply at merge cannot compare the names with this review", body)
        self.assertLess(len(body), 65536)

    def test_second_run_edits_the_comment_found_on_a_later_page(self):
        # Five comments by people first: with two per page, ours lands on page 3.
        self.github.comments[7] = [{"id": i, "body": "LGTM %d" % i, "user": {"login": "dev"}} for i in range(1, 6)]
        first = self.post("### Plan one\n")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("created comment", first.stdout)
        second = self.post("### Plan two\n")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("updated comment", second.stdout)
        ours = self.github.ours(7)
        self.assertEqual(len(ours), 1)
        self.assertTrue(ours[0]["body"].startswith("<!-- stoqctl-plan: shop -->\n<!-- stoqctl-plan-of: %s -->\n### Plan two\n" % HEAD))
        self.assertEqual([c["body"] for c in self.github.comments[7][:5]], ["LGTM %d" % i for i in range(1, 6)])
        methods = [r[0] for r in self.github.writes()]
        self.assertEqual(methods, ["POST", "PATCH"])
        self.assertTrue(all(r[2] == "Bearer " + TOKEN for r in self.github.requests))
        self.assertNotIn(TOKEN, first.stdout + first.stderr + second.stdout + second.stderr)

    def test_the_comment_names_the_head_commit_the_base_the_run_and_the_time(self):
        self.env["GITHUB_RUN_ATTEMPT"] = "2"
        result = self.post("### stoqctl plan: apply will proceed\n\n**Plan: 1 to create**\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        body = self.github.ours(7)[0]["body"]
        # The outcome stays the first thing shown; the line under it dates the plan.
        heading, dated = body.split("\n")[2], body.split("\n")[4]
        self.assertEqual(heading, "### stoqctl plan: apply will proceed")
        self.assertRegex(
            dated,
            r"^Plan of \[`a1b2c3d`\]\(https://github\.com/acme/shop/commit/%s\), the head of this pull request, "
            r"against `main` at \[`0f1e2d3`\]\(https://github\.com/acme/shop/commit/%s\); "
            r"\[run 4567 \(attempt 2\)\]\(https://github\.com/acme/shop/actions/runs/4567/attempts/2\), "
            r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\.$" % (HEAD, BASE))
        # GITHUB_SHA is the test merge commit on pull_request events: not a commit of the pull request.
        self.assertNotIn(MERGE[:7], body)
        # The same plan from a later run is written again: its date line names the new run.
        self.env["GITHUB_RUN_ID"] = "4600"
        again = self.post("### stoqctl plan: apply will proceed\n\n**Plan: 1 to create**\n")
        self.assertIn("updated comment", again.stdout)
        self.assertIn("[run 4600 (attempt 2)]", self.github.ours(7)[0]["body"])

    def test_each_configuration_key_has_its_own_comment(self):
        self.post("### Shop A\n", "shops/a")
        self.post("### Shop B\n", "shops/b")
        self.post("### Shop A again\n", "shops/a")
        bodies = sorted(c["body"] for c in self.github.ours(7))
        self.assertEqual(len(bodies), 2)
        self.assertIn("Shop A again", bodies[0])
        self.assertTrue(bodies[1].startswith("<!-- stoqctl-plan: shops/b -->\n"))

    def test_comments_by_others_quoting_the_marker_are_never_touched(self):
        mark = "<!-- stoqctl-plan: shop -->"
        others = {
            self.github.add(7, "Why does the bot write %s into its comment?" % mark, "dev"): "dev",
            self.github.add(7, mark + "\n### stoqctl plan: no changes\n\nI made this look like the plan.", "mallory"): "mallory",
            self.github.add(7, mark + "\nposted by another app", "other-app[bot]"): "other-app[bot]",
            self.github.add(7, "  " + mark + "\nnot at the start", "github-actions[bot]"): "github-actions[bot]",
            self.github.add(7, "> " + mark + "\nquoted", "github-actions[bot]"): "github-actions[bot]",
        }
        before = {c["id"]: c["body"] for c in self.github.comments[7]}
        for plan in ("### Plan one\n", "### Plan two\n"):
            result = self.post(plan)
            self.assertEqual(result.returncode, 0, result.stderr)
        for comment in self.github.comments[7]:
            if comment["id"] in others:
                self.assertEqual(comment["body"], before[comment["id"]], "comment by %s was edited" % others[comment["id"]])
        ours = [c for c in self.github.comments[7] if c["id"] not in others]
        self.assertEqual(len(ours), 1)
        self.assertIn("### Plan two", ours[0]["body"])
        self.assertEqual([r[0] for r in self.github.writes()], ["POST", "PATCH"])
        self.assertEqual(self.github.writes()[1][1], "/repos/acme/shop/issues/comments/%d" % ours[0]["id"])

    def test_each_kind_of_token_edits_only_the_comment_written_by_its_own_identity(self):
        mark = "<!-- stoqctl-plan: shop -->\n"
        kinds = [(TOKEN, 403, "github-actions[bot]"), (APP_TOKEN, 403, "stoq-planner[bot]"), (PERSONAL_TOKEN, 200, "maria")]
        ids = {login: self.github.add(7, mark + "### an earlier plan by %s\n" % login, login) for _, _, login in kinds}
        for token, user_answer, login in kinds:
            with self.subTest(login=login):
                self.github.requests.clear()
                self.env["GITHUB_TOKEN"] = token
                result = self.post("### the plan, posted with %s's token\n" % login)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("updated comment %d on #7, written by %s" % (ids[login], login), result.stdout)
                who = [r for r in self.github.requests if r[1] in ("/user", "/graphql")]
                self.assertEqual(who[0][:2], ("GET", "/user"))
                # An installation token is refused by GET /user; GraphQL's viewer names its bot.
                self.assertEqual([r[1] for r in who], ["/user"] if user_answer == 200 else ["/user", "/graphql"])
                self.assertEqual([r[1] for r in self.github.writes()], ["/repos/acme/shop/issues/comments/%d" % ids[login]])
                self.assertNotIn(token, result.stdout + result.stderr)
        bodies = {c["user"]["login"]: c["body"] for c in self.github.comments[7]}
        for _, _, login in kinds:
            self.assertIn("posted with %s's token" % login, bodies[login])

    def test_a_new_comment_by_an_app_is_found_again_under_its_bot_name(self):
        self.env["GITHUB_TOKEN"] = APP_TOKEN
        self.github.add(7, "<!-- stoqctl-plan: shop -->\n### by the workflow token, earlier\n", "github-actions[bot]")
        first = self.post("### Plan one\n")
        self.assertIn("created comment", first.stdout)
        self.assertIn("as stoq-planner[bot]", first.stdout)
        second = self.post("### Plan two\n")
        self.assertIn("updated comment", second.stdout)
        self.assertEqual(len(self.github.ours(7, "stoq-planner[bot]")), 1)
        self.assertIn("by the workflow token, earlier", self.github.ours(7)[0]["body"])

    def test_when_github_does_not_say_who_the_token_is_no_comment_is_edited(self):
        self.github.graphql_fails = True
        self.github.add(7, "<!-- stoqctl-plan: shop -->\n### earlier\n", "github-actions[bot]")
        result = self.post("### Plan\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("no earlier comment is edited", result.stderr)
        self.assertEqual([r[0] for r in self.github.writes()], ["POST"])
        self.assertEqual(self.github.comments[7][0]["body"], "<!-- stoqctl-plan: shop -->\n### earlier\n")

    def test_marker_text_in_the_plan_cannot_take_over_another_configurations_comment(self):
        other = "<!-- stoqctl-plan: other -->"
        self.post("### the other configuration's plan\n", "other")
        planted = "%s\n### stoqctl plan: no changes\n\nname: `%s` and `<!-- stoqctl-plan-of: %s -->`\n" % (other, other, NEXT_HEAD)
        for _ in range(2):
            result = self.post(planted, "shop")
            self.assertEqual(result.returncode, 0, result.stderr)
        bodies = {c["body"].split("\n")[0]: c["body"] for c in self.github.ours(7)}
        self.assertEqual(sorted(bodies), ["<!-- stoqctl-plan: other -->", "<!-- stoqctl-plan: shop -->"])
        self.assertIn("the other configuration's plan", bodies[other])
        shop = bodies["<!-- stoqctl-plan: shop -->"]
        self.assertEqual(shop.count("<!--"), 2, "only the marker and the plan-of line are HTML comments")
        self.assertIn("<!\u200b-- stoqctl-plan: other -->", shop)
        self.assertIn("<!-- stoqctl-plan-of: %s -->" % HEAD, shop)

    def test_a_failed_run_after_a_good_one_marks_the_plan_outdated(self):
        self.post("### stoqctl plan: apply will proceed\n\n**Plan: 1 to update**\n")
        pull_request_event(self.event, number=7, head=NEXT_HEAD)
        self.env["GITHUB_RUN_ID"] = "4600"
        failure = "### stoqctl plan: failed\n\n**No plan was made (exit 1): 1 error; nothing was sent.**\n\n- `shop/a.yaml:3` bad\n"
        result = self.post(failure, "shop", "failed", "--exit-code", "1")
        self.assertEqual(result.returncode, 0, result.stderr)
        (comment,) = self.github.ours(7)
        body = comment["body"]
        self.assertTrue(body.startswith("<!-- stoqctl-plan: shop -->\n### stoqctl plan: outdated, the latest commit failed to plan\n"))
        self.assertIn("This is the plan of [`a1b2c3d`](https://github.com/acme/shop/commit/%s)." % HEAD, body)
        self.assertIn("The latest commit, [`d4e5f60`](https://github.com/acme/shop/commit/%s), failed to plan (exit 1): "
                      "see [run 4600](https://github.com/acme/shop/actions/runs/4600)" % NEXT_HEAD, body)
        self.assertIn("**No plan was made (exit 1): 1 error; nothing was sent.**", body)
        self.assertIn("**Plan: 1 to update**", body, "the earlier plan is kept below")
        # A second failure keeps naming the plan it shows, with one warning, not two.
        third = "e" * 40
        pull_request_event(self.event, number=7, head=third)
        self.post("", "shop", "failed", "--exit-code", "1")
        body = self.github.ours(7)[0]["body"]
        self.assertEqual(body.count("[!CAUTION]"), 1)
        self.assertIn("This is the plan of [`a1b2c3d`]", body)
        self.assertIn("The latest commit, [`eeeeeee`]", body)
        self.assertIn("The run stopped before stoqctl made a plan", body)
        self.assertIn("**Plan: 1 to update**", body)
        # The next plan replaces it all.
        self.post("### stoqctl plan: no changes\n")
        body = self.github.ours(7)[0]["body"]
        self.assertNotIn("outdated", body)
        self.assertNotIn("Plan: 1 to update", body)
        self.assertIn("Plan of [`eeeeeee`]", body)

    def test_a_failed_run_with_no_earlier_plan_posts_the_failure(self):
        result = self.post("### stoqctl plan: failed\n\n**No plan was made (exit 1)**\n", "shop", "failed", "--exit-code", "1")
        self.assertEqual(result.returncode, 0, result.stderr)
        body = self.github.ours(7)[0]["body"]
        self.assertTrue(body.startswith("<!-- stoqctl-plan: shop -->\n### stoqctl plan: failed\n\nFailed to plan [`a1b2c3d`]"))
        self.assertNotIn("stoqctl-plan-of", body)
        self.assertIn("**No plan was made (exit 1)**", body)

    def test_with_optional_a_token_github_refuses_is_a_notice_and_exit_3(self):
        self.github.read_only = True  # a fork's GITHUB_TOKEN
        result = self.post("", "shop", "fork", "--optional")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertIn("stoqctl comment: no comment: POST", result.stdout)
        self.assertIn("answered 403", result.stdout)
        self.assertEqual(self.github.comments.get(7, []), [])

    def test_an_oversized_plan_is_cut_to_fit_and_says_where_the_rest_is(self):
        rows = ["<details><summary>plan %d</summary>\n\n```\n%s\n```\n</details>\n" % (i, "x" * 300) for i in range(400)]
        body = "### Plan\n\n" + "".join(rows)
        self.assertGreater(len(body), 100_000)
        self.env.update({"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "99"})
        result = self.post(body)
        self.assertEqual(result.returncode, 0, result.stderr)
        text = self.github.ours(7)[0]["body"]
        self.assertLessEqual(len(text), 65536)
        self.assertIn("it was cut here", text)
        self.assertIn("https://github.com/acme/shop/actions/runs/99", text)
        kept = text.split("> [!NOTE]")[0]
        self.assertEqual(kept.count("```") % 2, 0, "a code fence is left open")
        self.assertEqual(kept.count("<details>"), kept.count("</details>"))

    def test_a_forbidden_answer_is_a_sentence_with_the_likely_cause(self):
        self.github.fail_with = 403
        result = self.post("### Plan\n")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("answered 403", result.stderr)
        self.assertIn("pull-requests: write", result.stderr)
        self.assertNotIn(TOKEN, result.stderr)

    def test_without_a_pull_request_nothing_is_posted(self):
        os.remove(self.event)
        result = self.post("### Plan\n")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("not set; the comment is posted only on a pull request", result.stderr)
        self.assertEqual(self.github.requests, [])


class InstallTests(unittest.TestCase):
    def setUp(self):
        tarballs = glob.glob(os.path.join(ROOT, "dist", "stoqctl-*.tar.gz"))
        self.assertTrue(tarballs, "no release tarball in dist/: run make release first")
        self.tarball = sorted(tarballs)[-1]
        self.version = re.search(r"stoqctl-(.+?)-linux-", os.path.basename(self.tarball)).group(1)
        self.releases = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.releases, "v" + self.version))
        for path in (self.tarball, self.tarball + ".sha256"):
            shutil.copy(path, os.path.join(self.releases, "v" + self.version))
        self.server, self.url = serve_directory(self.releases)
        self.bin = tempfile.mkdtemp()
        self.outputs = os.path.join(self.bin, "outputs")
        self.path_file = os.path.join(self.bin, "path")

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.releases)
        shutil.rmtree(self.bin)

    def install(self):
        env = {"INPUT_RELEASE_URL": self.url, "INSTALL_DIR": os.path.join(self.bin, "bin"), "GITHUB_OUTPUT": self.outputs,
               "GITHUB_PATH": self.path_file}
        return run(["bash", os.path.join(ACTION, "install.sh")], env)

    def test_installs_the_release_tarball_after_checking_its_checksum(self):
        result = self.install()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        installed = os.path.join(self.bin, "bin", "stoqctl")
        version = subprocess.run([installed, "--version"], capture_output=True, text=True).stdout.strip()
        self.assertEqual(version, self.version)
        self.assertIn("source=release", read(self.outputs))
        self.assertEqual(read(self.path_file).strip(), os.path.join(self.bin, "bin"))

    def test_the_unpacked_tarball_plans_its_example_shop_with_an_empty_environment(self):
        unpacked = tempfile.mkdtemp()
        try:
            subprocess.run(["tar", "-xzf", self.tarball, "-C", unpacked], check=True)
            (top,) = os.listdir(unpacked)
            root = os.path.join(unpacked, top)
            for path in ["stoqctl", "README.md", "man/stoqctl.1", "completions/stoqctl.bash", "completions/_stoqctl",
                         "completions/stoqctl.fish", "schema/config.schema.json", "schema/settings.schema.json",
                         "examples/shop/stoqctl.yaml", "examples/shop/remote-state.json"]:
                self.assertTrue(os.path.exists(os.path.join(root, path)), path)
            result = subprocess.run(["./stoqctl", "plan", "examples/shop", "--endpoint", "emulator:examples/shop/remote-state.json"],
                                    cwd=root, env={}, capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("\nPlan: 2 to create, 2 to update", result.stdout)
        finally:
            shutil.rmtree(unpacked)

    def test_a_tarball_that_does_not_match_its_checksum_is_refused(self):
        served = os.path.join(self.releases, "v" + self.version, os.path.basename(self.tarball))
        with open(served, "ab") as handle:
            handle.write(b"tampered")
        result = self.install()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("does not match its published SHA-256", result.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.bin, "bin", "stoqctl")))


class RunTests(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.access(STOQCTL, os.X_OK), "no stoqctl at %s: run make release-binary first" % STOQCTL)
        self.github = FakeGitHub(per_page=100)
        self.dir = tempfile.mkdtemp()
        self.state = os.path.join(self.dir, "shop-state.json")
        shutil.copy(os.path.join(ROOT, "examples", "shop", "remote-state.json"), self.state)
        self.event = pull_request_event(os.path.join(self.dir, "event.json"))
        self.summary = os.path.join(self.dir, "summary.md")
        self.outputs = os.path.join(self.dir, "outputs")
        self.env = {"STOQCTL": STOQCTL, "STOQCTL_OUT": os.path.join(self.dir, "out"), "GITHUB_EVENT_PATH": self.event,
                    "GITHUB_STEP_SUMMARY": self.summary, "GITHUB_OUTPUT": self.outputs, "GITHUB_API_URL": self.github.url,
                    "GITHUB_REPOSITORY": "acme/shop", "GITHUB_TOKEN": TOKEN, "STOQ_API_TOKEN": "stoq_canary_token_42",
                    "GITHUB_SHA": MERGE, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4567"}

    def tearDown(self):
        self.github.close()
        shutil.rmtree(self.dir)

    def action(self, command, *args, **inputs):
        if os.path.exists(self.outputs):
            os.remove(self.outputs)
        env = dict(self.env, INPUT_COMMAND=command, INPUT_CONFIG="examples/shop", INPUT_ENDPOINT="emulator:" + self.state)
        env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
        return run(["bash", os.path.join(ACTION, "run.sh")] + list(args), env)

    def outputs_dict(self):
        return dict(line.split("=", 1) for line in read(self.outputs).splitlines())

    def broken_config(self):
        """A configuration with errors (examples/invalid/types.yaml) in a directory of its own."""
        broken = os.path.join(self.dir, "broken")
        os.makedirs(broken)
        shutil.copy(os.path.join(ROOT, "examples", "invalid", "types.yaml"), broken)
        return broken

    def edit_state(self, old, new):
        text = read(self.state)
        self.assertIn(old, text)
        with open(self.state, "w") as handle:
            handle.write(text.replace(old, new))

    def test_a_pull_request_plan_comments_summarises_annotates_and_saves_the_plan(self):
        result = self.action("plan")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        outputs = self.outputs_dict()
        self.assertEqual((outputs["exit-code"], outputs["has-changes"], outputs["refused"]), ("2", "true", "false"))
        self.assertEqual((outputs["outcome"], outputs["commented"]), ("changes", "true"))
        plan = json.loads(read(outputs["plan-file"]))
        self.assertEqual(plan["format_version"], 1)
        comment = self.github.ours(12)
        self.assertEqual(len(comment), 1)
        self.assertTrue(comment[0]["body"].startswith("<!-- stoqctl-plan: examples/shop -->\n"))
        self.assertIn("### stoqctl plan: apply will proceed\n\nPlan of [`a1b2c3d`]", comment[0]["body"])
        short = plan["plan_hash"][: len("sha256:") + 16]
        self.assertIn(short, comment[0]["body"])
        self.assertIn(short, read(self.summary))
        self.assertRegex(result.stdout, r"(?m)^::notice file=examples/shop/preorders/[^,]+,line=\d+")
        self.assertIn("::add-mask::stoq_canary_token_42", result.stdout)
        # stoqctl's own output is read with workflow commands off; the annotations are outside.
        token = re.search(r"(?m)^::stop-commands::(\w+)$", result.stdout).group(1)
        self.assertLess(result.stdout.index("::%s::" % token), result.stdout.index("::notice file="))
        # The next run edits the one comment.
        self.env["GITHUB_RUN_ID"] = "4600"
        again = self.action("plan")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertEqual(len(self.github.ours(12)), 1)
        self.assertEqual([r[0] for r in self.github.writes()], ["POST", "PATCH"])

    def test_a_refused_plan_fails_the_step_with_exit_3_and_says_so(self):
        # STOQ set a variant to DENY when it sold out; the configuration's CONTINUE would undo that,
        # and the continue_flips gate (0) refuses.
        # (variant 43900910010834, Fall Tee Black / XS, in the state file's catalogue)
        before = '"title": "Black / XS",\n          "inventory_policy": "%s"'
        self.edit_state(before % "CONTINUE", before % "DENY")
        for fail_on_changes in ("false", "true"):
            result = self.action("plan", fail_on_changes=fail_on_changes)
            self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
            outputs = self.outputs_dict()
            self.assertEqual((outputs["exit-code"], outputs["refused"], outputs["has-changes"]), ("3", "true", "true"))
            self.assertEqual(outputs["outcome"], "refused")
        body = self.github.ours(12)[0]["body"]
        self.assertIn("### stoqctl plan: apply will be refused", body)
        self.assertIn("continue_flips", body)
        self.assertRegex(result.stdout, r"(?m)^::error ")

    def test_no_changes_pass_and_changes_fail_only_with_fail_on_changes(self):
        failed = self.action("plan", comment="false", fail_on_changes="true")
        self.assertEqual(failed.returncode, 2, failed.stdout + failed.stderr)
        self.assertEqual(self.outputs_dict()["commented"], "skipped")
        applied = self.action("apply")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        clean = self.action("plan", fail_on_changes="true")
        self.assertEqual(clean.returncode, 0, clean.stdout + clean.stderr)
        outputs = self.outputs_dict()
        self.assertEqual((outputs["exit-code"], outputs["has-changes"], outputs["refused"]), ("0", "false", "false"))
        self.assertIn("### stoqctl plan: no changes", self.github.ours(12)[0]["body"])

    def test_marker_text_in_shop_data_cannot_take_over_another_configurations_comment(self):
        other = "<!-- stoqctl-plan: other -->"
        other_id = self.github.add(12, other + "\n<!-- stoqctl-plan-of: %s -->\n### the other shop's plan\n" % HEAD, "github-actions[bot]")
        # Shop staff renamed a plan: its name, shown in the plan, carries the other configuration's marker.
        self.edit_state('"name": "Fall Drop — Preorder"', '"name": "%s"' % other)
        result = self.action("plan")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(other, read(self.outputs_dict()["markdown-file"]), "the plan shows the name as it is")
        again = self.action("plan")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        comments = {c["id"]: c["body"] for c in self.github.ours(12)}
        self.assertEqual(len(comments), 2)
        self.assertEqual(comments.pop(other_id), other + "\n<!-- stoqctl-plan-of: %s -->\n### the other shop's plan\n" % HEAD)
        (ours,) = comments.values()
        self.assertTrue(ours.startswith("<!-- stoqctl-plan: examples/shop -->\n"))
        self.assertNotIn(other, ours)
        self.assertIn("<!\u200b-- stoqctl-plan: other -->", ours)

    def test_a_failed_run_after_a_good_one_marks_the_comment_outdated(self):
        good = self.action("plan")
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        broken = self.broken_config()
        pull_request_event(self.event, head=NEXT_HEAD)
        self.env["GITHUB_RUN_ID"] = "4600"
        result = self.action("plan", config=broken, comment_key="examples/shop")
        self.assertEqual(result.returncode, 1)
        outputs = self.outputs_dict()
        self.assertEqual((outputs["exit-code"], outputs["outcome"], outputs["has-changes"], outputs["refused"]), ("1", "failed", "", ""))
        self.assertRegex(result.stdout, r"(?m)^::error file=")
        (comment,) = self.github.ours(12)
        body = comment["body"]
        self.assertIn("### stoqctl plan: outdated, the latest commit failed to plan", body)
        self.assertIn("This is the plan of [`a1b2c3d`]", body)
        self.assertIn("The latest commit, [`d4e5f60`](https://github.com/acme/shop/commit/%s), failed to plan (exit 1): "
                      "see [run 4600](https://github.com/acme/shop/actions/runs/4600)" % NEXT_HEAD, body)
        self.assertIn("No plan was made (exit 1)", body)
        self.assertIn("### stoqctl plan: apply will proceed", body, "the earlier plan is kept, marked outdated")

    def test_a_run_that_fails_before_stoqctl_runs_marks_the_comment_outdated(self):
        self.action("plan")
        pull_request_event(self.event, head=NEXT_HEAD)
        # The install step failed: action.yml's last step runs this.
        result = self.action("plan", "--after-failure")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        body = self.github.ours(12)[0]["body"]
        self.assertIn("The latest commit, [`d4e5f60`]", body)
        self.assertIn("The run stopped before stoqctl made a plan", body)

    def test_a_plan_that_fails_with_no_earlier_comment_posts_the_failure_and_fails_the_step(self):
        broken = self.broken_config()
        result = self.action("plan", config=broken)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.outputs_dict()["exit-code"], "1")
        comment = self.github.ours(12)
        self.assertEqual(len(comment), 1)
        self.assertIn("### stoqctl plan: failed\n\nFailed to plan [`a1b2c3d`]", comment[0]["body"])
        self.assertRegex(result.stdout, r"(?m)^::error file=")

    def test_a_forks_pull_request_without_secrets_is_validated_not_planned_and_passes(self):
        pull_request_event(self.event, head_repo="mallory/shop")
        del self.env["STOQ_API_TOKEN"]
        commented = {}
        for read_only in (True, False):
            self.github.read_only = read_only  # a fork's GITHUB_TOKEN cannot write; another token may
            result = self.action("plan")
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            outputs = self.outputs_dict()
            self.assertEqual((outputs["exit-code"], outputs["outcome"]), ("0", "fork-not-planned"))
            self.assertEqual((outputs["has-changes"], outputs["refused"]), ("", ""))
            self.assertFalse(os.path.exists(outputs["plan-file"]), "the shop was not read")
            self.assertNotRegex(result.stdout + result.stderr, r"(?m)^::error")
            self.assertIn("::notice title=stoqctl: not planned::This pull request comes from a fork", result.stdout)
            commented[read_only] = (outputs["commented"], result.stdout)
        self.assertEqual(commented[True][0], "false")
        self.assertIn("stoqctl comment: no comment: POST", commented[True][1])
        self.assertEqual(commented[False][0], "true")
        body = self.github.ours(12)[0]["body"]
        self.assertIn("### stoqctl plan: not planned (pull request from a fork)", body)
        self.assertIn("could not read the shop", body)
        self.assertIn("`gh pr checkout 12`", body)
        self.assertIn("`stoqctl plan examples/shop`", body)
        self.assertIn("not planned", read(self.summary))

    def test_a_forks_invalid_configuration_is_still_an_error(self):
        pull_request_event(self.event, head_repo="mallory/shop")
        del self.env["STOQ_API_TOKEN"]
        broken = self.broken_config()
        result = self.action("plan", config=broken)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.outputs_dict()["outcome"], "failed")
        self.assertRegex(result.stdout, r"(?m)^::error file=")
        self.assertIn("### stoqctl plan: failed", self.github.ours(12)[0]["body"])

    def test_every_line_of_a_multi_line_secret_is_masked(self):
        secret = "first-line-SECRET\r\nsecond-line-SECRET\nthird"
        # stoqctl refuses such a token; the masks are written before it runs.
        masked = subprocess.run(["bash", os.path.join(ACTION, "run.sh")], env={
            "STOQCTL": STOQCTL, "STOQCTL_OUT": os.path.join(self.dir, "out"), "INPUT_COMMAND": "plan",
            "INPUT_CONFIG": "examples/shop", "INPUT_ENDPOINT": "emulator:" + self.state, "STOQ_API_TOKEN": secret,
            "SHOPIFY_ADMIN_TOKEN": "shopify-one\nshopify-two", "PATH": os.environ["PATH"]}, cwd=ROOT, capture_output=True, text=True)
        for line in ["first-line-SECRET", "second-line-SECRET", "third", "shopify-one", "shopify-two"]:
            self.assertIn("::add-mask::%s\n" % line, masked.stdout)
        self.assertNotIn("SECRET", masked.stdout.replace("::add-mask::first-line-SECRET", "").replace("::add-mask::second-line-SECRET", ""))
        # The action's own mask step, as action.yml runs it.
        step = re.search(r"name: Mask tokens\n(?:.*\n)*?      run: \|\n((?:        .*\n)+)", read(os.path.join(ROOT, "action.yml")))
        self.assertIsNotNone(step)
        script = "\n".join(line[8:] for line in step.group(1).splitlines())
        steps = subprocess.run(["bash", "-c", script], env={"STOQ_TOKEN": secret, "SHOPIFY_TOKEN": "", "PATH": os.environ["PATH"]},
                               capture_output=True, text=True)
        self.assertEqual(steps.stdout, "::add-mask::first-line-SECRET\n::add-mask::second-line-SECRET\n::add-mask::third\n")

    def test_apply_of_the_saved_plan_writes_the_report_then_the_shop_has_no_changes(self):
        planned = self.action("plan", comment="false")
        self.assertEqual(planned.returncode, 0, planned.stdout + planned.stderr)
        plan_file = self.outputs_dict()["plan-file"]
        kept = os.path.join(self.dir, "reviewed-plan.json")
        shutil.copy(plan_file, kept)
        applied = self.action("apply", plan_file=kept)
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        report = json.loads(read(self.outputs_dict()["report-file"]))
        self.assertTrue(report["complete"])
        self.assertIn("stoqctl apply: exit 0", read(self.summary))
        again = self.action("plan", comment="false")
        self.assertEqual(self.outputs_dict()["has-changes"], "false", again.stdout + again.stderr)
        self.assertEqual(self.github.requests, [])

    def test_the_read_cache_is_kept_between_runs_and_an_apply_leaves_it_current(self):
        cache = os.path.join(self.dir, "read-cache")
        self.env["STOQCTL_CACHE_DIR"] = cache
        planned = self.action("plan", comment="false")
        self.assertEqual(planned.returncode, 0, planned.stdout + planned.stderr)
        self.assertTrue(glob.glob(os.path.join(cache, "*", "plans", "*.json")), "the plan kept the bodies it read")
        applied = self.action("apply")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        again = self.action("plan", comment="false")
        self.assertEqual(self.outputs_dict()["has-changes"], "false", again.stdout + again.stderr)

    def test_action_yml_restores_and_saves_the_read_cache_with_the_pinned_action_and_passes_it_to_stoqctl(self):
        text = read(os.path.join(ROOT, "action.yml"))
        pinned = re.search(r"uses: actions/cache@([0-9a-f]{40}) ", text).group(1)
        steps = {name: body for name, body in re.findall(r"    - name: ([^\n]+)\n((?:      .*\n|\s*\n)+)", text)}
        restore, save = steps["Restore the read cache"], steps["Save the read cache"]
        self.assertIn("uses: actions/cache/restore@%s " % pinned, restore)
        self.assertIn("uses: actions/cache/save@%s " % pinned, save)
        path = "path: ${{ runner.temp }}/stoqctl-read-cache\n"
        self.assertIn(path, restore)
        self.assertIn(path, save)
        key = re.search(r"key: (.+)\n", restore).group(1)
        self.assertEqual(re.search(r"key: (.+)\n", save).group(1), key, "the run saves under the key it restored with")
        self.assertIn("${{ github.run_id }}", key)
        prefix = re.search(r"restore-keys: (.+)\n", restore).group(1)
        self.assertTrue(key.startswith(prefix) and "${{ inputs.config }}" in prefix, "the newest cache of this configuration")
        # A pull_request_target run has the default branch's scope and a pull request's files: it never saves.
        self.assertIn("github.event_name != 'pull_request_target'", save)
        self.assertIn("always()", save)
        self.assertIn("STOQCTL_CACHE_DIR: ${{ inputs.cache == 'true' && format('{0}/stoqctl-read-cache', runner.temp) || '' }}",
                      steps["stoqctl ${{ inputs.command }}"])

    def test_a_missing_plan_file_for_apply_is_a_clear_error(self):
        result = self.action("apply", plan_file=os.path.join(self.dir, "nope.json"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("does not exist; download the reviewed plan first", result.stdout)


class ShopsActionTests(unittest.TestCase):
    """A repository of several shops: one plan comment with a section per shop, or one job per
    shop (the shop input) with its own comment, artifact name and apply summary."""

    def setUp(self):
        self.assertTrue(os.access(STOQCTL, os.X_OK), "no stoqctl at %s: run make release-binary first" % STOQCTL)
        self.github = FakeGitHub(per_page=100)
        self.dir = tempfile.mkdtemp()
        self.state = os.path.join(self.dir, "shops-state.json")
        shutil.copy(os.path.join(ROOT, "examples", "shops", "remote-state.json"), self.state)
        self.summary = os.path.join(self.dir, "summary.md")
        self.outputs = os.path.join(self.dir, "outputs")
        self.env = {"STOQCTL": STOQCTL, "STOQCTL_OUT": os.path.join(self.dir, "out"),
                    "GITHUB_EVENT_PATH": pull_request_event(os.path.join(self.dir, "event.json")),
                    "GITHUB_STEP_SUMMARY": self.summary, "GITHUB_OUTPUT": self.outputs, "GITHUB_API_URL": self.github.url,
                    "GITHUB_REPOSITORY": "acme/shop", "GITHUB_TOKEN": TOKEN, "GITHUB_SHA": MERGE,
                    "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4567"}

    def tearDown(self):
        self.github.close()
        shutil.rmtree(self.dir)

    def action(self, command, **inputs):
        env = dict(self.env, INPUT_COMMAND=command, INPUT_CONFIG="examples/shops", INPUT_ENDPOINT="emulator:" + self.state)
        env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
        return run(["bash", os.path.join(ACTION, "run.sh")], env)

    def test_one_plan_comment_leads_with_a_line_per_shop(self):
        result = self.action("plan")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        comment = self.github.ours(12)
        self.assertEqual(len(comment), 1)
        body = comment[0]["body"]
        self.assertTrue(body.startswith("<!-- stoqctl-plan: examples/shops -->\n"))
        self.assertIn("### stoqctl plan: 3 shops — apply will proceed", body)
        for shop in ("us", "eu", "uk"):
            self.assertIn("| %s (acme-apparel" % shop, body)
        self.assertIn("Ships early November from Rotterdam", body)
        # Annotations name their shop; the saved plan holds each shop's part.
        self.assertIn("title=stoqctl plan eu%3A create fall-tee-2026", result.stdout)
        outputs = dict(line.split("=", 1) for line in read(self.outputs).splitlines())
        saved = json.loads(read(outputs["plan-file"]))
        self.assertEqual([entry["shop"] for entry in saved["shops"]], ["us", "eu", "uk"])

    def test_a_matrix_job_plans_and_applies_its_shop_with_its_own_comment_and_token(self):
        # action.yml gives the stoq-token input to run.sh as STOQ_API_TOKEN.
        self.env["STOQ_API_TOKEN"] = "stoq_eu_canary_77"
        result = self.action("plan", shop="eu")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("::add-mask::stoq_eu_canary_77", result.stdout)
        body = self.github.ours(12)[0]["body"]
        self.assertTrue(body.startswith("<!-- stoqctl-plan: examples/shops-shop-eu -->\n"), body[:80])
        self.assertNotIn("acme-apparel-uk", body)
        self.env["STOQ_API_TOKEN"] = "stoq_uk_canary_78"
        applied = self.action("apply", shop="uk")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        self.assertIn("### stoqctl apply (shop uk): exit 0", read(self.summary))
        report = json.loads(read(os.path.join(self.dir, "out", "apply-report.json")))
        self.assertIn("acme-apparel-uk", json.dumps(report))
        shops = json.loads(read(self.state))["shops"]
        self.assertEqual(len(shops["uk"]["state"]["plans"]), 2)
        self.assertEqual(shops["eu"]["state"]["plans"], [], "only the job's shop was applied")
        logs = result.stdout.replace("::add-mask::stoq_eu_canary_77", "") + applied.stdout.replace("::add-mask::stoq_uk_canary_78", "")
        self.assertNotIn("stoq_eu_canary_77", logs)
        self.assertNotIn("stoq_uk_canary_78", logs)

    def test_an_apply_of_every_shop_in_one_job_outputs_each_shops_report(self):
        applied = self.action("apply")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        outputs = dict(line.split("=", 1) for line in read(self.outputs).splitlines())
        reports = outputs["report-file"].split(" ")
        self.assertEqual(sorted(os.path.basename(r) for r in reports),
                         ["apply-report.eu.json", "apply-report.uk.json", "apply-report.us.json"])
        for report in reports:
            self.assertIn("acme-apparel", json.dumps(json.loads(read(report))))

    def test_a_shop_input_that_is_not_a_shop_name_is_refused(self):
        result = self.action("plan", shop="eu;rm -rf /")
        self.assertEqual(result.returncode, 64)
        self.assertIn("::error::shop must be a shop name", result.stdout)


class GitRepoCase(unittest.TestCase):
    """A test with a bare `origin`, a clone-like `repo` on main, a state file path and the fake
    GitHub API: what the merge-time tests share."""

    GIT_ENV = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
               "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid"}

    def setUp(self):
        self.assertTrue(os.access(STOQCTL, os.X_OK), "no stoqctl at %s" % STOQCTL)
        self.github = FakeGitHub(per_page=100)
        self.dir = tempfile.mkdtemp()
        self.remote = os.path.join(self.dir, "origin.git")
        self.repo = os.path.join(self.dir, "repo")
        self.state = os.path.join(self.dir, "state.json")
        self.git_env = dict(self.GIT_ENV)
        self.git(["init", "--quiet", "--bare", self.remote], cwd=self.dir)
        self.git(["init", "--quiet", "--initial-branch=main", self.repo], cwd=self.dir)
        self.git(["remote", "add", "origin", self.remote])

    def copy_named_shop(self):
        """examples/named-shop as `shop/` of the repository, its state file beside it."""
        shutil.copytree(os.path.join(ROOT, "examples", "named-shop"), os.path.join(self.repo, "shop"))
        shutil.move(os.path.join(self.repo, "shop", "remote-state.json"), self.state)

    def tearDown(self):
        self.github.close()
        shutil.rmtree(self.dir)

    def git(self, args, cwd=None):
        result = run(["git"] + args, self.git_env, cwd=cwd or self.repo)
        self.assertEqual(result.returncode, 0, "git %s: %s" % (" ".join(args), result.stderr))
        return result.stdout.strip()


class MergeHandoffTests(GitRepoCase):
    """The apply on merge with applied-tag, simulated with a real git remote and the emulator.

    Merges 1, 2 and 3 land on main; the run for merge 2 is cancelled (GitHub cancels a waiting run
    when another queues behind it), runs 1 and 3 execute, and run 2 comes late. The shop ends as
    merge 3 declares, the tag marks merge 3, and every merged pull request is told what happened."""

    PLANS = """version: 1
selling_plans:
  - internal_name: plan-a
    name: {a}
  - internal_name: plan-b
    name: Plan B
    shipping_text: {b}
{c}"""

    def setUp(self):
        super().setUp()
        self.commits = [self.commit("Plan A", "Ships in May", "", "the shop as it starts")]

    def commit(self, a, b, c, message, number=None):
        os.makedirs(os.path.join(self.repo, "shop"), exist_ok=True)
        with open(os.path.join(self.repo, "shop", "plans.yaml"), "w") as handle:
            handle.write(self.PLANS.format(a=a, b=b, c=c))
        self.git(["add", "shop"])
        self.git(["commit", "--quiet", "-m", message])
        sha = self.git(["rev-parse", "HEAD"])
        self.git(["push", "--quiet", "origin", "main"])
        if number:
            self.github.commit_pulls[sha] = [{"number": number, "merged_at": "2026-12-01T10:00:00Z"}]
        return sha

    def apply(self, sha):
        """The apply job of the merge of `sha`: a checkout of that commit, then the action."""
        self.git(["checkout", "--quiet", "--detach", sha])
        outputs = os.path.join(self.dir, "outputs-" + sha[:7])
        env = dict(self.git_env, STOQCTL=STOQCTL, STOQCTL_OUT=os.path.join(self.dir, "out-" + sha[:7]),
                   GITHUB_OUTPUT=outputs, GITHUB_API_URL=self.github.url, GITHUB_REPOSITORY="acme/shop",
                   GITHUB_TOKEN=TOKEN, STOQ_API_TOKEN="stoq_canary_token_42", GITHUB_SHA=sha,
                   GITHUB_SERVER_URL="https://github.com", GITHUB_RUN_ID="77" + sha[:3].translate(str.maketrans("abcdef", "123456")),
                   INPUT_COMMAND="apply", INPUT_CONFIG="shop", INPUT_ENDPOINT="emulator:new:" + self.state,
                   INPUT_APPLIED_TAG="stoqctl-applied")
        result = run(["bash", os.path.join(ACTION, "run.sh")], env, cwd=self.repo)
        values = dict(line.split("=", 1) for line in read(outputs).splitlines()) if os.path.exists(outputs) else {}
        return result, values

    def remote_tag(self):
        listed = self.git(["ls-remote", self.remote, "refs/tags/stoqctl-applied"])
        return listed.split()[0] if listed else None

    def told(self, number):
        return [c["body"] for c in self.github.comments.get(number, [])]

    def test_rapid_merges_with_a_cancelled_run_end_with_the_shop_as_main_declares(self):
        first, outputs = self.apply(self.commits[0])
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertEqual(self.remote_tag(), self.commits[0], "the first apply marks its commit")
        self.assertEqual(outputs.get("applied-commit"), self.commits[0])

        one = self.commit("Plan A (renamed)", "Ships in May", "", "merge #101", number=101)
        two = self.commit("Plan A (renamed)", "Ships in June", "", "merge #102", number=102)
        three = self.commit("Plan A (renamed)", "Ships in June", "  - internal_name: plan-c\n    name: Plan C\n",
                            "merge #103", number=103)

        run1, _ = self.apply(one)
        self.assertEqual(run1.returncode, 0, run1.stdout + run1.stderr)
        # Attributed against the last applied commit (the tag), as the pull request's plan was.
        self.assertIn("since the baseline %s (%s)" % (self.commits[0], self.commits[0][:12]),
                      read(os.path.join(self.dir, "out-" + one[:7], "apply.txt")))
        self.assertEqual(self.remote_tag(), one)
        # Run 2 was cancelled. Run 3 applies merge 3's configuration, which holds merge 2's change.
        run3, outputs = self.apply(three)
        self.assertEqual(run3.returncode, 0, run3.stdout + run3.stderr)
        self.assertEqual(self.remote_tag(), three)
        self.assertEqual(outputs.get("applied-commit"), three)

        state = read(self.state)
        self.assertIn('"Plan A (renamed)"', state)
        self.assertIn('"Ships in June"', state)
        self.assertIn('"plan-c"', state)
        plan = run([STOQCTL, "plan", "shop", "--detailed-exitcode", "--endpoint", "emulator:" + self.state], {}, cwd=self.repo)
        self.assertEqual(plan.returncode, 0, plan.stdout + plan.stderr)
        self.assertTrue(plan.stdout.startswith("No changes."), plan.stdout)

        # Every merged pull request is told, once: #101 by run 1, #102 and #103 by run 3.
        self.assertEqual([len(self.told(n)) for n in (101, 102, 103)], [1, 1, 1])
        self.assertIn(one[:7], self.told(101)[0])
        for number in (102, 103):
            self.assertTrue(self.told(number)[0].startswith("### stoqctl apply: applied\n"), self.told(number)[0])
            self.assertIn("[`%s`](https://github.com/acme/shop/commit/%s)" % (three[:7], three), self.told(number)[0])

        # Run 2 comes late: merge 3 is applied already, so it does nothing (it must not revert).
        before = read(self.state)
        late, _ = self.apply(two)
        self.assertEqual(late.returncode, 0, late.stdout + late.stderr)
        self.assertIn("Already applied", late.stdout)
        self.assertEqual(read(self.state), before)
        self.assertEqual(self.remote_tag(), three)
        self.assertEqual(len(self.told(102)), 1, "nobody is told twice")

    def test_a_refused_merge_turns_red_names_the_gate_and_tells_the_pull_request(self):
        # Tight thresholds, applied first: one plan of two updated is over 10 %.
        with open(os.path.join(self.repo, "shop", "stoqctl.yaml"), "w") as handle:
            handle.write("version: 1\nsafety:\n  max_update_percent: 10\n  min_managed_plans: 0\n")
        tight = self.commit_current("tight gates", 104)
        self.assertEqual(self.apply(tight)[0].returncode, 0)
        renamed = self.commit("Plan A (renamed)", "Ships in May", "", "merge #105", number=105)
        result, outputs = self.apply(renamed)
        self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
        self.assertEqual(outputs.get("exit-code"), "3")
        self.assertEqual(self.remote_tag(), tight, "a refused apply does not move the tag")
        told = self.told(105)
        self.assertEqual(len(told), 1)
        self.assertTrue(told[0].startswith("### stoqctl apply: not applied\n"), told[0])
        self.assertIn("refused by a safety gate", told[0])
        self.assertIn("safety gate `updates` refuses this plan", told[0])

    def commit_current(self, message, number):
        self.git(["add", "shop"])
        self.git(["commit", "--quiet", "-m", message])
        sha = self.git(["rev-parse", "HEAD"])
        self.git(["push", "--quiet", "origin", "main"])
        self.github.commit_pulls[sha] = [{"number": number, "merged_at": "2026-12-01T10:00:00Z"}]
        return sha

    def test_a_tag_outside_the_history_stops_the_apply(self):
        self.apply(self.commits[0])
        # Someone points the tag at a commit main does not contain (a rewritten branch).
        self.git(["checkout", "--quiet", "--orphan", "elsewhere"])
        self.git(["commit", "--quiet", "--allow-empty", "-m", "unrelated"])
        stray = self.git(["rev-parse", "HEAD"])
        self.git(["push", "--quiet", "--force", "origin", "%s:refs/tags/stoqctl-applied" % stray])
        self.git(["checkout", "--quiet", "main"])
        one = self.commit("Plan A (renamed)", "Ships in May", "", "merge #106", number=106)
        before = read(self.state)
        result, _ = self.apply(one)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("is not an ancestor of", result.stdout)
        self.assertEqual(read(self.state), before)


class NamesRecordTests(GitRepoCase):
    """The applied tag carries what the variant names resolved to at the last apply, so the next
    plan shows a SKU that moved to another variant as one move."""

    def setUp(self):
        super().setUp()
        self.copy_named_shop()
        self.git(["add", "shop"])
        self.git(["commit", "--quiet", "-m", "named shop"])
        self.git(["push", "--quiet", "origin", "main"])
        self.head = self.git(["rev-parse", "HEAD"])

    def action(self, command, **inputs):
        out = os.path.join(self.dir, "out-" + command)
        env = dict(self.git_env, STOQCTL=STOQCTL, STOQCTL_OUT=out, STOQ_API_TOKEN="stoq_canary_token_42",
                   INPUT_COMMAND=command, INPUT_CONFIG="shop", INPUT_ENDPOINT="emulator:" + self.state,
                   INPUT_COMMENT="false", INPUT_REPORT_PULL_REQUESTS="false")
        env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
        return run(["bash", os.path.join(ACTION, "run.sh")], env, cwd=self.repo), out

    def test_a_record_stoqctl_would_not_read_is_dropped_not_passed_on(self):
        script = os.path.join(ACTION, "names_record.py")
        good = {"plan": "p", "list": "variants", "selector": "sku:\u0301comb", "ids": [1]}
        header = "object 0\ntype commit\ntag t\ntagger x <x> 0 +0000\n\nstoqctl: what the variant names resolved to at this apply\n\n"
        for names, accepted in [([good], True), ([dict(good, plan=1)], False), ([dict(good, selector="foo:x")], False),
                                ([dict(good, selector="1234")], False), ([dict(good, ids=[True])], False),
                                ([dict(good, ids=[2**63])], False), ([], False)]:
            message = header + json.dumps({"names": names})
            result = subprocess.run([sys.executable, script, "read"], input=message, capture_output=True, text=True)
            self.assertEqual(result.returncode == 0, accepted, (names, result.stdout))
        forged = subprocess.run([sys.executable, script, "read"], input="object 0\n\nsomething else\n{}", capture_output=True, text=True)
        self.assertEqual(forged.returncode, 1)

    def test_the_applied_tag_records_names_and_the_next_plan_shows_a_move(self):
        applied, _ = self.action("apply", applied_tag="stoqctl-applied")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        # An annotated tag on the applied commit, its message the record.
        self.git(["fetch", "--quiet", "origin", "refs/tags/stoqctl-applied:refs/tags/stoqctl-applied"])
        self.assertEqual(self.git(["cat-file", "-t", "refs/tags/stoqctl-applied"]), "tag")
        self.assertEqual(self.git(["rev-parse", "refs/tags/stoqctl-applied^{commit}"]), self.head)
        message = self.git(["cat-file", "tag", "refs/tags/stoqctl-applied"])
        self.assertIn('"selector":"sku:MUG-FALL","ids":[43900920010001]', message)

        # In Shopify the SKU moves to a new variant of the mug.
        with open(self.state, encoding="utf-8") as handle:
            state = json.load(handle)
        for product in state["products"]:
            for variant in list(product["variants"]):
                if variant.get("sku") == "MUG-FALL":
                    variant["sku"] = "MUG-FALL-2025"
                    product["variants"].append(dict(variant, id=43900920010002, sku="MUG-FALL"))
        with open(self.state, "w", encoding="utf-8") as handle:
            json.dump(state, handle)

        planned, out = self.action("plan", names_record_tag="stoqctl-applied")
        self.assertIn(planned.returncode, (0, 2), planned.stdout + planned.stderr)
        markdown = read(os.path.join(out, "plan.md"))
        self.assertIn("sku:MUG-FALL", markdown)
        self.assertIn("moved", markdown)
        without, out = self.action("plan")
        self.assertNotIn("moved", read(os.path.join(out, "plan.md")))

        # The next apply moves the annotated tag, compare-and-set against the tag object it found.
        with open(os.path.join(self.repo, "shop", "preorders", "fall-tee.yaml"), "a", encoding="utf-8") as handle:
            handle.write("    shipping_text: Ships late October\n")
        self.git(["commit", "--quiet", "-am", "shipping text"])
        self.git(["push", "--quiet", "origin", "main"])
        again, out = self.action("apply", applied_tag="stoqctl-applied")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("moved", read(os.path.join(out, "apply.txt")))
        with open(os.path.join(out, "apply-report.json"), encoding="utf-8") as handle:
            since = json.load(handle)["names_changed_since_record"]
        self.assertTrue(any(c["selector"] == "sku:MUG-FALL" and c["recorded"] == [43900920010001]
                            and c["now"] == [43900920010002] for c in since), since)
        self.git(["fetch", "--quiet", "--force", "origin", "refs/tags/stoqctl-applied:refs/tags/stoqctl-applied"])
        self.assertEqual(self.git(["rev-parse", "refs/tags/stoqctl-applied^{commit}"]), self.git(["rev-parse", "HEAD"]))
        self.assertIn('"ids":[43900920010002]', self.git(["cat-file", "tag", "refs/tags/stoqctl-applied"]))


class ReviewedNamesTests(GitRepoCase):
    """The plan comment records what the variant names resolved to; the apply at merge compares
    the names with the reviewed plans of the pull requests it applies (stoqctl apply
    --reviewed-names) and tells them what resolves otherwise now. Only the action's own comment
    that is the plan of the pull request's head counts; nothing in a comment can stop the apply,
    change what is applied, or reach the log."""

    MARK = "<!-- stoqctl-plan: shop -->"

    def setUp(self):
        super().setUp()
        self.copy_named_shop()
        self.first = self.commit("named shop")
        sys.path.insert(0, ACTION)
        import names_record  # noqa: E402 - the action's own encoder, for hand-written comments

        self.encode = names_record.encode

    def tearDown(self):
        super().tearDown()
        sys.path.remove(ACTION)

    def commit(self, message):
        self.git(["add", "shop"])
        self.git(["commit", "--quiet", "--allow-empty", "-m", message])
        self.git(["push", "--quiet", "origin", "main"])
        return self.git(["rev-parse", "HEAD"])

    def action(self, command, name, **extra):
        out = os.path.join(self.dir, "out-" + name)
        env = dict(self.git_env, STOQCTL=STOQCTL, STOQCTL_OUT=out, STOQ_API_TOKEN="stoq_canary_token_42",
                   GITHUB_API_URL=self.github.url, GITHUB_REPOSITORY="acme/shop", GITHUB_TOKEN=TOKEN,
                   GITHUB_SERVER_URL="https://github.com", GITHUB_RUN_ID="8800",
                   INPUT_COMMAND=command, INPUT_CONFIG="shop", INPUT_ENDPOINT="emulator:" + self.state)
        if command == "apply":
            env["INPUT_APPLIED_TAG"] = "stoqctl-applied"
        env.update(extra)
        return run(["bash", os.path.join(ACTION, "run.sh")], env, cwd=self.repo), out

    def move_sku(self):
        """In Shopify, MUG-FALL moves to a new variant of the mug."""
        with open(self.state, encoding="utf-8") as handle:
            state = json.load(handle)
        for product in state["products"]:
            for variant in list(product["variants"]):
                if variant.get("sku") == "MUG-FALL":
                    variant["sku"] = "MUG-FALL-2025"
                    product["variants"].append(dict(variant, id=43900920010002, sku="MUG-FALL"))
        with open(self.state, "w", encoding="utf-8") as handle:
            json.dump(state, handle)

    def merged(self, sha, *pulls):
        """GitHub's answer for the merged commit `sha`: pull requests (number, head, merged_at)."""
        self.github.commit_pulls[sha] = [{"number": n, "merged_at": at, "head": {"sha": head}} for n, head, at in pulls]

    def report(self, out):
        with open(os.path.join(out, "apply-report.json"), encoding="utf-8") as handle:
            return json.load(handle)

    def test_the_plan_comment_records_the_names_and_the_merge_apply_reports_a_sku_moved_since_review(self):
        first, _ = self.action("apply", "first")
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        # A pull request changes the shipping text; its plan comment records the names.
        with open(os.path.join(self.repo, "shop", "preorders", "fall-tee.yaml"), "a", encoding="utf-8") as handle:
            handle.write("    shipping_text: Ships late October\n")
        head = self.commit("shipping text")
        event = pull_request_event(os.path.join(self.dir, "event.json"), number=21, head=head)
        planned, out = self.action("plan", "plan", GITHUB_EVENT_PATH=event)
        self.assertEqual(planned.returncode, 0, planned.stdout + planned.stderr)
        body = self.github.ours(21)[0]["body"]
        lines = body.split("\n")
        self.assertEqual(lines[:2], [self.MARK, "<!-- stoqctl-plan-of: %s -->" % head])
        found = re.fullmatch(r"<!-- stoqctl-names: ([A-Za-z0-9_-]+) -->", lines[2])
        self.assertIsNotNone(found, body[:300])
        plan = json.loads(read(os.path.join(out, "plan.json")))
        self.assertTrue(plan["resolutions"])
        self.assertEqual(found.group(1), self.encode(plan["resolutions"]))
        self.assertEqual(body.count("<!--"), 3, "every other opener is inert")

        # Merged; before the apply at merge the SKU moves to another variant.
        self.merged(head, (21, head, "2026-12-01T10:00:00Z"))
        self.move_sku()
        applied, out = self.action("apply", "merge")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        self.assertIn("names as reviewed", applied.stdout)
        self.assertIn("resolution-changed", read(os.path.join(out, "apply.txt")))
        changed = self.report(out)["names_changed_since_review"]
        self.assertTrue(any(c["selector"] == "sku:MUG-FALL" and c["list"] == "variants" and c["reviewed"] == [43900920010001]
                            and c["now"] == [43900920010002] for c in changed), changed)
        told = [c["body"] for c in self.github.comments[21] if c["body"].startswith("### stoqctl apply:")]
        self.assertEqual(len(told), 1)
        self.assertIn("resolved otherwise than in the reviewed plans", told[0])
        self.assertIn("- `sku:MUG-FALL` `fall-tee-2026` `variants`: reviewed 43900920010001, applied 43900920010002", told[0])
        # What was applied is the configuration as planned now: the moved SKU's variant.
        with open(self.state, encoding="utf-8") as handle:
            members = {str(i) for i in json.load(handle)["plans"][0]["shopify_variant_ids"]}
        self.assertIn("43900920010002", members)

    def test_stale_forged_and_corrupt_review_records_are_ignored_with_warnings_and_the_apply_runs(self):
        first, _ = self.action("apply", "first")
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        with open(os.path.join(self.repo, "shop", "preorders", "fall-tee.yaml"), "a", encoding="utf-8") as handle:
            handle.write("    shipping_text: Ships late October\n")
        merge = self.commit("five pull requests")
        heads = {n: ("%d" % n) * 20 for n in (31, 32, 33, 34, 35)}
        # What the configuration's names resolve to (nothing moved): the record a review holds.
        before = self.action("plan", "before", INPUT_COMMENT="false", INPUT_BASELINE=self.first,
                             INPUT_NAMES_RECORD_TAG="stoqctl-applied")[1]
        resolutions = [{k: r[k] for k in ("plan", "list", "selector", "ids")}
                       for r in json.loads(read(os.path.join(before, "plan.json")))["resolutions"]]

        def names(ids):
            return [dict(r, ids=ids) if (r["list"], r["selector"]) == ("variants", "sku:MUG-FALL") else r for r in resolutions]

        def body(head, line):
            return "%s\n<!-- stoqctl-plan-of: %s -->\n%s\n### stoqctl plan: apply will proceed\n" % (self.MARK, head, line)

        hostile = json.dumps({"names": [{"plan": "::error::pwned\r\n::warning::x", "list": "variants", "selector": "nope",
                                         "ids": [1]}]})
        corrupt = __import__("base64").urlsafe_b64encode(hostile.encode()).decode().rstrip("=")
        # #31: our comment, but the plan of an earlier commit than the pull request's head.
        self.github.add(31, body("%040x" % 1, "<!-- stoqctl-names: %s -->" % self.encode(names([1]))), "github-actions[bot]")
        # #32: someone else's comment forging the marker, the plan-of line and a record.
        self.github.add(32, body(heads[32], "<!-- stoqctl-names: %s -->" % self.encode(names([2]))), "mallory")
        # #33: our comment of the head, with a record that is not one stoqctl reads.
        self.github.add(33, body(heads[33], "<!-- stoqctl-names: %s -->" % corrupt), "github-actions[bot]")
        # #35 was merged before #34: #34's entry for the same name wins.
        self.github.add(35, body(heads[35], "<!-- stoqctl-names: %s -->" % self.encode(names([5]))), "github-actions[bot]")
        self.github.add(34, body(heads[34], "<!-- stoqctl-names: %s -->" % self.encode(names([43900920010001]))),
                        "github-actions[bot]")
        self.merged(merge, (31, heads[31], "2026-12-01T10:01:00Z"), (32, heads[32], "2026-12-01T10:02:00Z"),
                    (33, heads[33], "2026-12-01T10:03:00Z"), (35, heads[35], "2026-12-01T10:04:00Z"),
                    (34, heads[34], "2026-12-01T10:05:00Z"))
        applied, out = self.action("apply", "merge")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        log = applied.stdout + applied.stderr
        self.assertRegex(log, r"(?m)^::warning title=stoqctl reviewed names::the plan comment on #31 is not the plan of the "
                              r"pull request's head commit 313131313131: the review plan was stale")
        self.assertRegex(log, r"(?m)^::warning title=stoqctl reviewed names::the names record in the plan comment on #33 "
                              r"cannot be read")
        self.assertIn("#32 has no plan comment of this configuration", log)
        self.assertNotIn("pwned", log)
        token = re.search(r"(?m)^::stop-commands::(\w+)$", applied.stdout).group(1)
        for line in log.splitlines():
            if line.startswith("::"):
                self.assertRegex(line, r"^::(add-mask::|stop-commands::%s$|%s::$|warning title=stoqctl reviewed names::)" % (token, token))
        report = self.report(out)
        # Only #34's record was compared (#35's [5] lost to it, #32's [2] was never read): unchanged.
        self.assertNotIn("names_changed_since_review", report)
        reviewed = json.loads(read(os.path.join(out, "reviewed-names.json")))
        self.assertEqual(reviewed, {"names": resolutions})
        # What was applied is what the plan (with the apply's baseline) finds without any review.
        self.assertEqual(report["plan_hash"], json.loads(read(os.path.join(before, "plan.json")))["plan_hash"])
        for number in (31, 32, 33, 34, 35):
            told = [c["body"] for c in self.github.comments[number] if c["body"].startswith("### stoqctl apply: applied")]
            self.assertEqual(len(told), 1, number)
            self.assertNotIn("resolved otherwise", told[0])

    def test_a_failed_lookup_does_not_stop_the_apply(self):
        self.merged(self.first, (41, "%040x" % 41, "2026-12-01T10:00:00Z"))
        self.github.graphql_fails = True
        applied, out = self.action("apply", "first")
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        self.assertIn("names are not compared with the review", applied.stdout)
        self.assertNotIn("--reviewed-names", read(os.path.join(out, "apply.txt")))
        self.assertFalse(os.path.exists(os.path.join(out, "reviewed-names.json")))


if __name__ == "__main__":
    unittest.main()


class HardeningTests(unittest.TestCase):
    """What a hostile server or comment could do to the action's own Python, checked directly."""

    def setUp(self):
        sys.path.insert(0, ACTION)
        import comment  # noqa: E402
        import names_record  # noqa: E402

        sys.path.remove(ACTION)
        self.comment = comment
        self.names_record = names_record

    def test_the_token_goes_only_to_the_apis_own_origin(self):
        api = "https://api.github.com"
        self.assertTrue(self.comment.same_origin("https://api.github.com/repos/a/b/issues/1/comments?page=2", api))
        for elsewhere in ("http://api.github.com/x", "https://api.github.com.evil.example/x", "https://evil.example/x",
                          "https://api.github.com:8443/x"):
            self.assertFalse(self.comment.same_origin(elsewhere, api), elsewhere)
        github = self.comment.GitHub(api, "https://api.github.com/graphql", "a/b", "SECRET")
        with self.assertRaises(SystemExit) as refused:
            github.request("GET", "https://evil.example/steal")
        self.assertNotIn("SECRET", str(refused.exception))

    def test_a_redirect_is_not_followed_with_the_token(self):
        seen = []

        class Elsewhere(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.headers.get("Authorization"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, *args):
                pass

        elsewhere = http.server.HTTPServer(("127.0.0.1", 0), Elsewhere)
        target = "http://127.0.0.1:%d/steal" % elsewhere.server_address[1]

        class Redirecting(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()

            def log_message(self, *args):
                pass

        api = http.server.HTTPServer(("127.0.0.1", 0), Redirecting)
        for server in (elsewhere, api):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            base = "http://127.0.0.1:%d" % api.server_address[1]
            github = self.comment.GitHub(base, base + "/graphql", "a/b", "SECRET")
            with self.assertRaises(SystemExit):
                github.request("GET", base + "/repos/a/b/issues/1/comments")
            self.assertEqual(seen, [], "the redirect's target got a request")
        finally:
            for server in (elsewhere, api):
                server.shutdown()
                server.server_close()

    def test_a_record_with_a_lone_surrogate_is_not_a_record(self):
        good = [{"plan": "p", "list": "variants", "selector": "sku:A", "ids": [1]}]
        encoded = self.names_record.encode(good)
        self.assertEqual(self.names_record.decode(encoded, 16000), good)
        raw = json.dumps({"names": [{"plan": "a\ud800", "list": "variants", "selector": "sku:A", "ids": [1]}]})
        import base64
        text = base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")
        with self.assertRaises(ValueError):
            self.names_record.decode(text, 16000)

    def test_a_github_error_printed_to_the_log_holds_no_control_character(self):
        self.assertEqual(self.comment.one_line("bad\x1b[2J\n::error::x\r\ty"), "bad [2J ::error::x y")
