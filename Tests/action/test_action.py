"""The GitHub Action's scripts, run against small local fakes of GitHub on 127.0.0.1.

- comment.py against a fake of the three REST endpoints it calls (list comments, create, update):
  one sticky comment, found again on a later page, edited instead of duplicated, an oversized plan
  cut to fit, errors as sentences.
- install.sh against a fake release server holding the real tarball (make release): installed and
  checked against its SHA-256; a tampered tarball is refused.
- run.sh end to end with the real binary and its emulator: a pull-request plan writes the comment,
  the job summary, annotations and outputs, reading the shop once; a second run edits the comment;
  apply of the saved plan writes the report; a plan that fails still posts the failure.

Run: python3 -m unittest discover -s Tests/action  (make action-test); needs the release binary
and tarball (make release).
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
TOKEN = "ghs_canary0123456789secret"


class FakeGitHub:
    """Issue comments of one repository, served like GitHub's REST API (two per page)."""

    def __init__(self, per_page=2):
        self.comments = {}  # number -> list of {"id", "body", "user"}
        self.requests = []
        self.next_id = 1000
        self.per_page = per_page
        self.fail_with = None
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
                fake.requests.append((method, self.path, self.headers.get("Authorization"), body))
                if fake.fail_with:
                    return self.answer(fake.fail_with, {"message": "Resource not accessible by integration"})
                path, _, query = self.path.partition("?")
                listing = re.fullmatch(r"/repos/acme/shop/issues/(\d+)/comments", path)
                single = re.fullmatch(r"/repos/acme/shop/issues/comments/(\d+)", path)
                if listing and method == "GET":
                    items = fake.comments.get(int(listing.group(1)), [])
                    page = int(dict(p.split("=") for p in query.split("&") if "=" in p).get("page", "1"))
                    start = (page - 1) * fake.per_page
                    link = None
                    if start + fake.per_page < len(items):
                        link = '<http://%s%s?per_page=100&page=%d>; rel="next"' % (self.headers["Host"], path, page + 1)
                    return self.answer(200, items[start : start + fake.per_page], link)
                if listing and method == "POST":
                    fake.next_id += 1
                    comment = {"id": fake.next_id, "body": body["body"], "user": {"login": "github-actions[bot]"}}
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

    def ours(self, number):
        return [c for c in self.comments.get(number, []) if "<!-- stoqctl-plan:" in c["body"]]


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
        self.env = {"GITHUB_API_URL": self.github.url, "GITHUB_REPOSITORY": "acme/shop", "GITHUB_TOKEN": TOKEN, "PR_NUMBER": "7"}

    def tearDown(self):
        self.github.close()
        shutil.rmtree(self.dir)

    def post(self, body, key="shop"):
        path = os.path.join(self.dir, "plan.md")
        with open(path, "w") as handle:
            handle.write(body)
        return run([sys.executable, os.path.join(ACTION, "comment.py"), "--body", path, "--key", key], self.env)

    def test_second_run_edits_the_comment_found_on_a_later_page(self):
        # Five comments by people first: with two per page, ours lands on page 3.
        self.github.comments[7] = [{"id": i, "body": "LGTM %d" % i, "user": {"login": "dev"}} for i in range(1, 6)]
        first = self.post("## Plan one\n")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("created comment", first.stdout)
        second = self.post("## Plan two\n")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("updated comment", second.stdout)
        ours = self.github.ours(7)
        self.assertEqual(len(ours), 1)
        self.assertTrue(ours[0]["body"].startswith("<!-- stoqctl-plan: shop -->\n## Plan two"))
        self.assertEqual([c["body"] for c in self.github.comments[7][:5]], ["LGTM %d" % i for i in range(1, 6)])
        methods = [r[0] for r in self.github.requests]
        self.assertEqual(methods.count("POST"), 1)
        self.assertEqual(methods.count("PATCH"), 1)
        self.assertTrue(all(r[2] == "Bearer " + TOKEN for r in self.github.requests))
        self.assertNotIn(TOKEN, first.stdout + first.stderr + second.stdout + second.stderr)

    def test_an_unchanged_plan_is_not_written_again(self):
        self.post("## Same\n")
        again = self.post("## Same\n")
        self.assertIn("already up to date", again.stdout)
        self.assertEqual([r[0] for r in self.github.requests].count("PATCH"), 0)

    def test_each_configuration_key_has_its_own_comment(self):
        self.post("## Shop A\n", key="shops/a")
        self.post("## Shop B\n", key="shops/b")
        self.post("## Shop A again\n", key="shops/a")
        bodies = sorted(c["body"] for c in self.github.ours(7))
        self.assertEqual(len(bodies), 2)
        self.assertIn("Shop A again", bodies[0])

    def test_an_oversized_plan_is_cut_to_fit_and_says_where_the_rest_is(self):
        rows = ["<details><summary>plan %d</summary>\n\n```\n%s\n```\n</details>\n" % (i, "x" * 300) for i in range(400)]
        body = "## Plan\n\n" + "".join(rows)
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
        result = self.post("## Plan\n")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("answered 403", result.stderr)
        self.assertIn("pull-requests: write", result.stderr)
        self.assertNotIn(TOKEN, result.stderr)

    def test_without_a_pull_request_nothing_is_posted(self):
        del self.env["PR_NUMBER"]
        result = self.post("## Plan\n")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("PR_NUMBER not set", result.stderr)
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
        self.event = os.path.join(self.dir, "event.json")
        with open(self.event, "w") as handle:
            json.dump({"pull_request": {"number": 12}}, handle)
        self.summary = os.path.join(self.dir, "summary.md")
        self.outputs = os.path.join(self.dir, "outputs")

    def tearDown(self):
        self.github.close()
        shutil.rmtree(self.dir)

    def action(self, command, **inputs):
        env = {"STOQCTL": STOQCTL, "STOQCTL_OUT": os.path.join(self.dir, "out"), "INPUT_COMMAND": command,
               "INPUT_CONFIG": "examples/shop", "INPUT_ENDPOINT": "emulator:" + self.state, "GITHUB_EVENT_PATH": self.event,
               "GITHUB_STEP_SUMMARY": self.summary, "GITHUB_OUTPUT": self.outputs, "GITHUB_API_URL": self.github.url,
               "GITHUB_REPOSITORY": "acme/shop", "GITHUB_TOKEN": TOKEN, "STOQ_API_TOKEN": "stoq_canary_token_42"}
        env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
        return run(["bash", os.path.join(ACTION, "run.sh")], env)

    def outputs_dict(self):
        return dict(line.split("=", 1) for line in read(self.outputs).splitlines())

    def test_a_pull_request_plan_comments_summarises_annotates_and_saves_the_plan(self):
        result = self.action("plan")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        outputs = self.outputs_dict()
        self.assertEqual(outputs["exit-code"], "2")
        self.assertEqual(outputs["has-changes"], "true")
        plan = json.loads(read(outputs["plan-file"]))
        self.assertEqual(plan["format_version"], 1)
        comment = self.github.ours(12)
        self.assertEqual(len(comment), 1)
        self.assertIn("<!-- stoqctl-plan: examples/shop -->", comment[0]["body"])
        short = plan["plan_hash"][: len("sha256:") + 16]
        self.assertIn(short, comment[0]["body"])
        self.assertIn(short, read(self.summary))
        self.assertRegex(result.stdout, r"(?m)^::notice file=examples/shop/preorders/[^,]+,line=\d+")
        self.assertIn("::add-mask::stoq_canary_token_42", result.stdout)
        # The second run edits the one comment.
        again = self.action("plan")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertEqual(len(self.github.ours(12)), 1)
        self.assertEqual([r[0] for r in self.github.requests].count("PATCH") + [r[0] for r in self.github.requests].count("POST"), 1)

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

    def test_a_plan_that_fails_still_posts_the_failure_and_fails_the_step(self):
        broken = os.path.join(self.dir, "broken")
        os.makedirs(broken)
        shutil.copy(os.path.join(ROOT, "examples", "invalid", "types.yaml"), broken)
        result = self.action("plan", config=broken)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.outputs_dict()["exit-code"], "1")
        comment = self.github.ours(12)
        self.assertEqual(len(comment), 1)
        self.assertIn("failed", comment[0]["body"].lower())
        self.assertRegex(result.stdout, r"(?m)^::error file=")

    def test_a_missing_plan_file_for_apply_is_a_clear_error(self):
        result = self.action("apply", plan_file=os.path.join(self.dir, "nope.json"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("does not exist; download the reviewed plan first", result.stdout)


if __name__ == "__main__":
    unittest.main()
