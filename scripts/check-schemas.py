#!/usr/bin/env python3
"""Validates the example configuration against schema/ with an independent validator (jsonschema).

Every YAML file under examples/shop and examples/shops must validate (stoqctl.yaml against the settings schema, the
others against the config schema), and so must an export of the example shop; a handful of
documents with known mistakes must not, so a schema that accepts anything fails this check.
Needs: pip install jsonschema pyyaml. Usage: scripts/check-schemas.py [STOQCTL]
"""

import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class Loader(yaml.SafeLoader):
    """YAML as stoqctl reads it for these files: datetimes stay strings (JSON has no datetime)."""


Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def schema(name):
    with open(os.path.join(ROOT, "schema", name)) as handle:
        document = json.load(handle)
    jsonschema.Draft7Validator.check_schema(document)
    return jsonschema.Draft7Validator(document, format_checker=jsonschema.FormatChecker())


def main():
    config, settings = schema("config.schema.json"), schema("settings.schema.json")
    failures = 0
    checked = 0

    def check(path, text, expect_valid=True):
        nonlocal failures, checked
        validator = settings if os.path.basename(path) == "stoqctl.yaml" else config
        errors = sorted(validator.iter_errors(yaml.load(text, Loader=Loader)), key=lambda e: list(e.path))
        checked += 1
        if expect_valid and errors:
            failures += 1
            for error in errors[:5]:
                print("%s: %s: %s" % (path, "/".join(map(str, error.path)) or "(top)", error.message))
        if not expect_valid and not errors:
            failures += 1
            print("%s: the schema accepts a document with a known mistake" % path)

    for example in ("shop", "shops"):
        for path in sorted(glob.glob(os.path.join(ROOT, "examples", example, "**", "*.yaml"), recursive=True)):
            with open(path) as handle:
                check(os.path.relpath(path, ROOT), handle.read())

    stoqctl = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "stoqctl")
    with tempfile.TemporaryDirectory() as out:
        state = os.path.join(out, "state.json")
        with open(os.path.join(ROOT, "examples", "shop", "remote-state.json")) as src, open(state, "w") as dst:
            dst.write(src.read())
        subprocess.run([stoqctl, "export", "--endpoint", "emulator:" + state, "--out", os.path.join(out, "export")],
                       check=True, capture_output=True)
        exported = sorted(glob.glob(os.path.join(out, "export", "**", "*.yaml"), recursive=True))
        if not exported:
            failures += 1
            print("export wrote no files")
        for path in exported:
            with open(path) as handle:
                text = handle.read()
            if not text.startswith("# yaml-language-server: $schema="):
                failures += 1
                print("%s: no yaml-language-server schema line" % path)
            check("export/" + os.path.relpath(path, os.path.join(out, "export")), text)

    plan = "version: 1\nselling_plans:\n  - internal_name: p\n    %s\n"
    for mistake in ["enabled: \"yes\"", "billing_type: exact-time", "variants: [\"123\"]", "pricing_percentage: 120",
                    "shipping_txt: Soon", "inventory_policy: {continue: [1]}", "billing_after_n_intervals: 0"]:
        check("mistake: " + mistake, plan % mistake, expect_valid=False)
    for mistake in ["prune: maybe", "chunks: {add_variant: 5000}", "inventory_policy_source: shopify-ish", "endpoint: ftp://x",
                    "shops: {eu: {stoq_token_env: GITHUB_TOKEN, shopify_shop: a}}", "shops: {eu: {}}", "shops: {EU: {shopify_shop: a}}"]:
        check("stoqctl.yaml", "version: 1\n%s\n" % mistake, expect_valid=False)
    check("mistake: no version", "selling_plans: []\n", expect_valid=False)
    check("mistake: override of internal_name", plan % "overrides: {eu: {internal_name: q}}", expect_valid=False)

    print("check-schemas: %d documents checked, %d failed" % (checked, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
