#!/usr/bin/env python3
"""Renders every Markdown plan golden (Tests/Fixtures/**/*.md) with GitHub's own parser, cmark-gfm
(the same extensions GitHub enables), and checks the HTML a reviewer would see for artefacts:

- a backslash escape that shows (`\\_`, `\\*`, `\\|`, `` \\` ``) or a literal backtick outside code;
- double-escaped HTML (`&amp;lt;`), raw tags (`<b>`) or HTML comments (`<!-- stoqctl-plan: … -->`)
  from shop text outside code;
- an `@name` in text that would mention a GitHub user;
- a table whose rows do not have as many cells as its header;
- a `<details>` that is not closed.
Needs cmark-gfm (Debian package `cmark-gfm`). Usage: scripts/check-markdown.py [FILES...]
"""

import glob
import html
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EXTENSIONS = ["table", "strikethrough", "autolink", "tagfilter", "tasklist"]


def render(markdown):
    args = ["cmark-gfm", "--unsafe", "--github-pre-lang"]
    for extension in EXTENSIONS:
        args += ["--extension", extension]
    return subprocess.run(args, input=markdown, capture_output=True, text=True, check=True).stdout


def problems(markdown):
    out = []
    page = render(markdown)
    # What is shown as text: the HTML without code, pre and tags; entities decoded.
    shown = re.sub(r"<pre[\s\S]*?</pre>", " ", page)
    shown = re.sub(r"<code>[\s\S]*?</code>", " ", shown)
    if re.search(r"&amp;(lt|gt|amp|quot|#\d+);", shown):
        out.append("double-escaped HTML entity")
    if re.search(r"<(b|i|script|img)\b", shown):
        out.append("raw HTML tag from the content")
    if "<!--" in shown:
        out.append("an HTML comment from the content (a hidden marker could be forged)")
    text = html.unescape(re.sub(r"<[^>]+>", " ", shown))
    for match in re.finditer(r"\\[\\`*_|\[\]#~!]", text):
        out.append("a backslash escape shows: %r" % text[max(0, match.start() - 20) : match.end() + 20])
    for match in re.finditer(r"`", text):
        out.append("a literal backtick shows: %r" % text[max(0, match.start() - 20) : match.end() + 20])
    for match in re.finditer(r"(?<![\w\u200b])@[A-Za-z0-9]", text):
        out.append("an @mention: %r" % text[max(0, match.start() - 10) : match.end() + 20])
    for table in re.findall(r"<table>[\s\S]*?</table>", page):
        header = len(re.findall(r"<th\b", re.search(r"<thead>[\s\S]*?</thead>", table).group(0)))
        for row in re.findall(r"<tr>[\s\S]*?</tr>", re.sub(r"<thead>[\s\S]*?</thead>", "", table)):
            if len(re.findall(r"<td\b", row)) != header:
                out.append("a table row with a different number of cells than its header")
    if page.count("<details>") != page.count("</details>"):
        out.append("an unclosed <details>")
    return out


def main():
    files = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "Tests", "Fixtures", "**", "*.md"), recursive=True))
    failed = 0
    for path in files:
        with open(path, encoding="utf-8") as handle:
            found = problems(handle.read())
        for problem in found:
            print("%s: %s" % (os.path.relpath(path, ROOT), problem))
        failed += bool(found)
    # The checker itself must see the artefacts it looks for.
    for bad in ["<details><summary>back\\_in\\_stock.yaml</summary>\n\nx\n\n</details>\n", "see `x` and \\`y\\`", "ask @someone", "a <!-- stoqctl-plan: x --> b", "<details><summary>x</summary>\n\ny\n"]:
        if not problems(bad):
            print("check-markdown: the check misses the artefact in %r" % bad)
            failed += 1
    print("check-markdown: %d Markdown files rendered with cmark-gfm, %d with artefacts" % (len(files), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
