#!/usr/bin/env bash
# The stoqctl GitHub Action's main step: plans or applies, then writes the pull-request comment,
# the job summary, the annotations and the step outputs. Inputs arrive as INPUT_* variables
# (set by action.yml); everything it writes goes under STOQCTL_OUT (default $RUNNER_TEMP/stoqctl).
#
# plan:  stoqctl plan once, saving the plan (--out); the Markdown comment and the annotations are
#        rendered from that file with `stoqctl show`, so STOQ and Shopify are read once. A pull
#        request from a fork, run without the STOQ token (GitHub gives forks no secrets), is
#        validated offline and not planned: a neutral result, not an error.
# apply: stoqctl apply of the configuration (or of a saved plan, plan-file), with a report. With
#        applied-tag, the merge handoff: the checked-out commit's configuration, attributed against
#        the last applied commit (the tag), skipped when a later commit was applied already; the
#        tag then moves with compare-and-set, and each pull request merged since is told. With
#        reviewed-names, the names each merged pull request's plan comment recorded are passed as
#        --reviewed-names, so the report lists every name that resolves otherwise than reviewed.
# run.sh --after-failure: the action failed before this step commented (e.g. stoqctl could not be
#        installed): the plan comment says the latest commit failed to plan.
#
# The step fails on stoqctl's errors (1), refusals (3) and every other failure; changes (2) fail
# it only with fail-on-changes. Outputs: exit-code, has-changes, refused, outcome, plan-file,
# markdown-file, commented (plan); exit-code, report-file (apply).
set -uo pipefail

stoqctl="${STOQCTL:-stoqctl}"
command="${INPUT_COMMAND:-plan}"
config="${INPUT_CONFIG:-.}"
shop="${INPUT_SHOP:-}"
# One shop of several (a matrix job): its own comment, unless a key is given.
key="${INPUT_COMMENT_KEY:-$config${shop:+ shop $shop}}"
out="${STOQCTL_OUT:-${RUNNER_TEMP:-/tmp}/stoqctl}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"

# Secrets never reach the log, even when passed as plain inputs rather than secrets; a mask covers
# one line, so each line of a multi-line secret is masked.
for secret in "${STOQ_API_TOKEN:-}" "${SHOPIFY_ADMIN_TOKEN:-}" "${GITHUB_TOKEN:-}"; do
  while IFS= read -r line; do line="${line%$'\r'}"; [ -n "$line" ] && echo "::add-mask::$line"; done <<<"$secret"
done

output() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1=$2" >>"$GITHUB_OUTPUT"; return 0; }

# shop: one shop of a repository of several. Its tokens are the inputs', given to stoqctl as the
# shop's default variables; the plain variables are then unset, so no other shop could read them.
shop_args=()
if [ -n "$shop" ]; then
  if ! [[ "$shop" =~ ^[a-z0-9][a-z0-9_-]{0,39}$ ]]; then
    echo "::error::shop must be a shop name of stoqctl.yaml (a-z, 0-9, - and _), not '${shop//[^a-zA-Z0-9_-]/?}'"
    exit 64
  fi
  suffix="$(printf '%s' "$shop" | tr 'a-z-' 'A-Z_')"
  [ -n "${STOQ_API_TOKEN:-}" ] && export "STOQ_API_TOKEN_$suffix=$STOQ_API_TOKEN"
  [ -n "${SHOPIFY_ADMIN_TOKEN:-}" ] && export "SHOPIFY_ADMIN_TOKEN_$suffix=$SHOPIFY_ADMIN_TOKEN"
  unset STOQ_API_TOKEN SHOPIFY_ADMIN_TOKEN SHOPIFY_SHOP
  shop_args=(--shop "$shop")
fi
# An input as a workflow command's message: %, CR and LF escaped, so it stays one command.
escaped() { local v="${1//%/%25}"; v="${v//$'\r'/%0D}"; printf '%s' "${v//$'\n'/%0A}"; }
summary() { [ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat >>"$GITHUB_STEP_SUMMARY"; return 0; }

# Shop text reaches the log through stoqctl's messages; between these two lines GitHub reads no
# workflow command, so none of it can become one. The annotations are printed outside.
stop_token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
commands_off() { echo "::stop-commands::$stop_token"; }
commands_on() { echo "::$stop_token::"; }

# The pull request's number and whether it comes from a fork (nothing off pull requests).
number=""
origin=""
read -r number origin < <(python3 "$here/comment.py" --event || true)

# Creates or updates the plan comment: comment RESULT EXIT-CODE [comment.py arguments...].
# Prints commented=true|false|skipped to GITHUB_OUTPUT; fails when the comment could not be written
# (with --optional, a token GitHub refuses is not a failure).
comment() {
  local result="$1" code="$2" status
  shift 2
  if [ "${INPUT_COMMENT:-true}" != "true" ] || [ -z "$number" ]; then
    output commented skipped
    return 0
  fi
  PR_NUMBER="$number" python3 "$here/comment.py" --result "$result" --key "$key" --config "$config" \
    --exit-code "$code" "$@"
  status=$?
  output commented "$([ "$status" = 0 ] && echo true || echo false)"
  [ "$status" = 0 ] || [ "$status" = 3 ]
}

if [ "${1:-}" = "--after-failure" ]; then
  # Only a plan comments; run.sh's own plan step already commented when it got that far.
  [ "$command" = "plan" ] || exit 0
  comment failed "" --optional
  exit 0
fi

# The record of what the variant names resolved to at the last apply, kept as the applied tag's
# message: names_record TAG FILE writes it to FILE (false when the tag holds none). With it, a
# name whose variant changed since shows as one move.
names_record() {
  [ "$(git cat-file -t "refs/tags/$1" 2>/dev/null)" = "tag" ] || return 1
  git cat-file tag "refs/tags/$1" | python3 "$here/names_record.py" read >"$2"
}

# Overrides judge the plan (plan, show and apply alike); the endpoint is only for reading the shop.
judge=()
for gate in ${INPUT_ALLOW_GATES:-}; do judge+=(--allow-gate "$gate"); done
[ "${INPUT_ALLOW_DELETES:-false}" = "true" ] && judge+=(--allow-deletes)
args=("${judge[@]}" "${shop_args[@]}")
[ -n "${INPUT_ENDPOINT:-}" ] && args+=(--endpoint "$INPUT_ENDPOINT")
# Further arguments, split on white space (no shell evaluation).
read -r -a extra <<<"${INPUT_ARGS:-}"

case "$command" in
plan)
  plan_json="$out/plan.json"
  rm -f "$plan_json" "$out/plan.md"
  output plan-file "$plan_json"
  output markdown-file "$out/plan.md"

  if [ "$origin" = "fork" ] && [ -z "${STOQ_API_TOKEN:-}" ]; then
    # No secrets: the shop cannot be read. Validate offline; only the configuration's own
    # problems fail the step.
    "$stoqctl" validate "$config" --format github
    rc=$?
    if [ "$rc" = 0 ]; then
      echo "::notice title=stoqctl: not planned::This pull request comes from a fork and its run has no STOQ token (GitHub gives forks no secrets), so the shop was not read. The configuration is valid. A maintainer can plan it locally or from a branch of this repository."
      {
        echo "### stoqctl plan: not planned (pull request from a fork)"
        echo
        echo "The configuration is valid; the shop was not read, since a fork's pull request gets no secrets."
      } | summary
      output exit-code 0
      output has-changes ""
      output refused ""
      output outcome fork-not-planned
      comment fork "" --optional
      exit 0
    fi
    # The failure, in Markdown: planning stops at the invalid configuration, before any request.
    commands_off
    "$stoqctl" plan "$config" --format markdown >"$out/plan.md"
    commands_on
    summary <"$out/plan.md"
    output exit-code "$rc"
    output has-changes ""
    output refused ""
    output outcome failed
    comment failed "$rc" --body "$out/plan.md" --optional
    exit "$rc"
  fi

  baseline=()
  [ -n "${INPUT_BASELINE:-}" ] && baseline=(--baseline "$INPUT_BASELINE")
  record_tag="${INPUT_NAMES_RECORD_TAG:-}"
  if [ -n "$record_tag" ] && git check-ref-format "refs/tags/$record_tag"; then
    git fetch --quiet --force origin "refs/tags/$record_tag:refs/tags/$record_tag" 2>/dev/null || true
    names_record "$record_tag" "$out/names-record.json" && baseline+=(--names-record "$out/names-record.json")
  fi
  # One plan: the Markdown goes to plan.md (on failure, the failure), the plan to plan.json.
  # 0 no changes, 2 changes, 3 refused (whatever the flags), 1 error.
  commands_off
  "$stoqctl" plan "$config" "${baseline[@]}" "${args[@]}" "${extra[@]}" --detailed-exitcode \
    --format markdown --out "$plan_json" >"$out/plan.md"
  rc=$?
  commands_on
  if [ -f "$plan_json" ]; then
    # Annotations on the YAML lines, from the saved plan (no second read of the shop).
    "$stoqctl" show "$plan_json" --format github "${judge[@]}" || true
  else
    # The run failed before a plan existed: annotate the configuration's problems.
    "$stoqctl" validate "$config" --format github || true
  fi
  summary <"$out/plan.md"
  output exit-code "$rc"
  case "$rc" in
  0) output has-changes false; output refused false; output outcome no-changes ;;
  2) output has-changes true; output refused false; output outcome changes ;;
  # Gates refuse changes only, so a refused plan has changes.
  3) output has-changes true; output refused true; output outcome refused ;;
  *) output has-changes ""; output refused ""; output outcome failed ;;
  esac
  if [ "$rc" = 0 ] || [ "$rc" = 2 ] || [ "$rc" = 3 ]; then
    comment plan "$rc" --body "$out/plan.md" --plan-file "$plan_json"
  else
    comment failed "$rc" --body "$out/plan.md"
  fi
  commented=$?
  # Changes are what a plan is for; a drift check asks for them to fail the step.
  [ "$rc" = 2 ] && [ "${INPUT_FAIL_ON_CHANGES:-false}" != "true" ] && rc=0
  # A comment that could not be written fails a step that would otherwise pass.
  [ "$commented" != 0 ] && [ "$rc" = 0 ] && rc=1
  exit "$rc"
  ;;
apply)
  target_args=("$config")
  if [ -n "${INPUT_PLAN_FILE:-}" ]; then
    [ -f "$INPUT_PLAN_FILE" ] || { echo "::error::plan-file $(escaped "$INPUT_PLAN_FILE") does not exist; download the reviewed plan first"; exit 1; }
    # A saved plan is applied with the configuration it was planned from (the checkout).
    target_args=("$INPUT_PLAN_FILE" "$config")
  fi
  # The merge handoff (applied-tag): apply the checked-out commit's configuration, attributed
  # against the last applied commit, unless a later commit was applied already; then move the tag.
  tag="${INPUT_APPLIED_TAG:-}"
  head=""
  applied=""
  if [ -n "$tag" ]; then
    if ! git check-ref-format "refs/tags/$tag" || [ -n "${INPUT_PLAN_FILE:-}" ]; then
      echo "::error::applied-tag must be a tag name, and is not used with plan-file"
      exit 64
    fi
    head="$(git rev-parse HEAD)"
    git fetch --quiet --force origin "refs/tags/$tag:refs/tags/$tag" 2>/dev/null || true
    applied="$(git rev-parse --quiet --verify "refs/tags/$tag^{commit}" || true)"
    # What the tag ref holds (a tag object when it carries a names record): the compare-and-set.
    applied_ref="$(git rev-parse --quiet --verify "refs/tags/$tag" || true)"
    if [ -n "$applied" ] && [ "$applied" != "$head" ] && git merge-base --is-ancestor "$head" "$applied"; then
      echo "::notice title=Already applied::$tag is at ${applied:0:12}, which already contains ${head:0:12}; nothing to apply."
      output exit-code 0
      output applied-commit "$applied"
      exit 0
    fi
    if [ -n "$applied" ] && ! git merge-base --is-ancestor "$applied" "$head"; then
      echo "::error title=Applied commit not in history::$tag is at ${applied:0:12}, which is not an ancestor of ${head:0:12}: the branch was rewritten. Nothing was applied; move the tag by hand after checking the shop."
      output exit-code 1
      exit 1
    fi
    # What every merged pull request's plan was attributed against; the first apply has none.
    [ -n "$applied" ] && args+=(--baseline "$applied")
    names_record "$tag" "$out/names-record.json" && args+=(--names-record "$out/names-record.json")
    # What the names resolved to in each merged pull request's reviewed plan (its plan comment):
    # the report lists every name that resolves otherwise now. Only reported, never sent; a
    # failed lookup (or a stoqctl without --reviewed-names) applies without it. Its own lines go
    # to the log; GitHub's answers (standard error) only to a file.
    if [ "${INPUT_REVIEWED_NAMES:-true}" = "true" ]; then
      apply_help="$("$stoqctl" apply --help 2>/dev/null || true)"
      if [[ "$apply_help" == *--reviewed-names* ]] &&
        python3 "$here/reviewed_names.py" --from "$applied" --to "$head" --key "$key" --out "$out/reviewed-names.json" \
          2>"$out/reviewed-names.log"; then
        args+=(--reviewed-names "$out/reviewed-names.json")
      fi
    fi
  fi
  report="$out/apply-report.json"
  commands_off
  "$stoqctl" apply "${target_args[@]}" "${args[@]}" "${extra[@]}" --report "$report" --color never 2>&1 | tee "$out/apply.txt"
  rc=${PIPESTATUS[0]}
  commands_on
  {
    echo "### stoqctl apply${shop:+ (shop $shop)}: exit $rc"
    echo
    # An indented code block: no line of the output, whatever it holds, can end it.
    tail -n 200 "$out/apply.txt" | sed 's/^/    /'
  } | summary
  # An apply of several shops in one job writes one report per shop (apply-report.SHOP.json).
  if [ -f "$report" ]; then
    output report-file "$report"
  else
    reports=()
    for each in "$out"/apply-report.*.json; do [ -f "$each" ] && reports+=("$each"); done
    output report-file "${reports[*]}"
  fi
  if [ -n "$tag" ]; then
    # What stoqctl did, for the pull requests, whatever then happens to the tag.
    applied_rc="$rc"
    if [ "$rc" = 0 ]; then
      # The tag marks the commit; when the configuration names variants it is an annotated tag
      # whose message records what the names resolved to (for the next plans' moves).
      mark="$head"
      if python3 "$here/names_record.py" write "$report" >"$out/names-record-message.txt"; then
        mark="$({
          printf 'object %s\ntype commit\ntag %s\ntagger stoqctl <stoqctl@users.noreply.github.com> %s +0000\n\n' \
            "$head" "$tag" "$(date +%s)"
          cat "$out/names-record-message.txt"
        } | git mktag)" || mark="$head"
      fi
      # Compare-and-set on the tag: it moves only from what this run found.
      if git push --quiet --force-with-lease="refs/tags/$tag:$applied_ref" origin "$mark:refs/tags/$tag"; then
        output applied-commit "$head"
        echo "$tag moved to ${head:0:12}"
      else
        echo "::error title=Applied tag not moved::$tag could not be moved from ${applied:-(none)} to ${head:0:12}: another apply moved it. The shop was changed; the next apply attributes against the tag as it is."
        rc=1
      fi
    fi
    if [ "${INPUT_REPORT_PULL_REQUESTS:-true}" = "true" ]; then
      python3 "$here/apply_report.py" --from "$applied" --to "$head" --exit-code "$applied_rc" --summary "$out/apply.txt" \
        --report "$report" ||
        echo "::warning::the merged pull requests could not be told about this apply"
    fi
  fi
  output exit-code "$rc"
  exit "$rc"
  ;;
*)
  echo "::error::command must be plan or apply, not '$(escaped "$command")'"
  exit 64
  ;;
esac
