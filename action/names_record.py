#!/usr/bin/env python3
"""The record of what a configuration's variant names (sku:, barcode:, product:) resolved to at
the last apply, kept as the message of the applied tag (an annotated tag).

  names_record.py write REPORT   prints the record of an apply report (its `names`); exit 1 when
                                 the report has none (a configuration that names no variant)
  names_record.py read           reads `git cat-file tag` output on standard input and prints the
                                 record its message holds; exit 1 when it holds none

stoqctl reads the record with --names-record: a name whose variant changed since is shown as one
move. The record only changes how a plan shows changes, never what is sent.

The same record rides in the plan comment's hidden names line (comment.py), encoded by ``encode``
and read back strictly by ``decode`` for the apply at merge (reviewed_names.py, --reviewed-names).
"""
import base64
import binascii
import json
import re
import sys

HEADER = "stoqctl: what the variant names resolved to at this apply"


KINDS = ("sku:", "barcode:", "product:")


def valid(entry):
    """One name as stoqctl reads it back: strings, a `kind:value` name, positive 64-bit ids."""
    if not isinstance(entry, dict):
        return False
    if not all(isinstance(entry.get(k), str) for k in ("plan", "list", "selector")):
        return False
    selector = entry["selector"]
    if not any(selector.startswith(kind) and len(selector) > len(kind) for kind in KINDS):
        return False
    ids = entry.get("ids")
    return isinstance(ids, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63 for i in ids)


def record(names):
    """The record, or None when it is not one stoqctl would read: a record it cannot read is
    dropped, never passed on (a plan without it shows moves as a removal and an addition)."""
    if not isinstance(names, list) or not names or not all(valid(entry) for entry in names):
        return None
    return json.dumps({"names": names}, ensure_ascii=True, separators=(",", ":"))


def entries(names):
    """Only the members stoqctl reads of each name (`plan`, `list`, `selector`, `ids`), or None
    when `names` is not a list of objects."""
    if not isinstance(names, list) or not all(isinstance(entry, dict) for entry in names):
        return None
    return [{key: entry.get(key) for key in ("plan", "list", "selector", "ids")} for entry in names]


def encode(names):
    """The record of `names` as unpadded base64url of its compact JSON, or None when it is not a
    record stoqctl would read: what the plan comment's hidden names line holds."""
    text = record(entries(names))
    if text is None:
        return None
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode(text, limit):
    """The names an encoded record (``encode``) holds, read strictly: base64url without padding,
    at most `limit` characters and in its one canonical form, holding exactly `{"names": [...]}`
    with names stoqctl would read. Raises ValueError saying which part is wrong."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,%d}" % limit, text):
        raise ValueError("not base64url text of at most %d characters" % limit)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url")
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != text:
        raise ValueError("not base64url in its canonical form")
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("not JSON")
    if not isinstance(value, dict) or set(value) != {"names"}:
        raise ValueError("not a record of names")
    # JSON may spell a lone surrogate (`\ud800`); Python reads it, stoqctl refuses it (and with it
    # the apply it is passed to), so it is not a record.
    if re.search(r"[\ud800-\udfff]", json.dumps(value, ensure_ascii=False)):
        raise ValueError("a lone surrogate")
    if record(value["names"]) is None or entries(value["names"]) != value["names"]:
        raise ValueError("a name stoqctl would not read")
    return value["names"]


def main(argv):
    if len(argv) == 3 and argv[1] == "write":
        try:
            with open(argv[2], encoding="utf-8") as handle:
                report = json.load(handle)
        except (OSError, ValueError):
            return 1
        text = record(report.get("names") if isinstance(report, dict) else None)
        if text is None:
            return 1
        print(HEADER)
        print()
        print(text)
        return 0
    if len(argv) == 2 and argv[1] == "read":
        tag = sys.stdin.read()
        _, _, message = tag.partition("\n\n")
        if not message.startswith(HEADER + "\n"):
            return 1
        try:
            names = json.loads(message[len(HEADER):].strip()).get("names")
        except (ValueError, AttributeError):
            return 1
        text = record(names)
        if text is None:
            return 1
        print(text)
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
