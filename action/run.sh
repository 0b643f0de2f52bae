#!/usr/bin/env bash
# The stoqctl GitHub Action's main step: plans or applies, then writes the pull-request comment,
# the job summary, the annotations and the step outputs. Inputs arrive as INPUT_* variables
# (set by action.yml); everything it writes goes under STOQCTL_OUT (default $RUNNER_TEMP/stoqctl).
#
# plan:  stoqctl plan once, saving the plan (--out); the Markdown comment and the annotations are
#        rendered from that file with `stoqctl show`, so STOQ and Shopify are read once.
# apply: stoqctl apply of the saved plan (plan-file) or of the configuration, with a report.
#
# Exit status: stoqctl's, except that `plan` with changes (2) succeeds.
set -uo pipefail

stoqctl="${STOQCTL:-stoqctl}"
command="${INPUT_COMMAND:-plan}"
config="${INPUT_CONFIG:-.}"
out="${STOQCTL_OUT:-${RUNNER_TEMP:-/tmp}/stoqctl}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"

# Secrets never reach the log, even when passed as plain inputs rather than secrets.
for secret in "${STOQ_API_TOKEN:-}" "${SHOPIFY_ADMIN_TOKEN:-}" "${GITHUB_TOKEN:-}"; do
  [ -n "$secret" ] && echo "::add-mask::$secret"
done

output() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1=$2" >>"$GITHUB_OUTPUT"; return 0; }
summary() { [ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat >>"$GITHUB_STEP_SUMMARY"; return 0; }

# Overrides judge the plan (plan, show and apply alike); the endpoint is only for reading the shop.
judge=()
for gate in ${INPUT_ALLOW_GATES:-}; do judge+=(--allow-gate "$gate"); done
[ "${INPUT_ALLOW_DELETES:-false}" = "true" ] && judge+=(--allow-deletes)
args=("${judge[@]}")
[ -n "${INPUT_ENDPOINT:-}" ] && args+=(--endpoint "$INPUT_ENDPOINT")
# Further arguments, split on white space (no shell evaluation).
read -r -a extra <<<"${INPUT_ARGS:-}"

pull_request_number() {
  [ -n "${PR_NUMBER:-}" ] && { echo "$PR_NUMBER"; return; }
  [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ] || return
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); n=(e.get("pull_request") or {}).get("number"); print(n or "")' \
    "$GITHUB_EVENT_PATH"
}

case "$command" in
plan)
  plan_json="$out/plan.json"
  rm -f "$plan_json"
  baseline=()
  [ -n "${INPUT_BASELINE:-}" ] && baseline=(--baseline "$INPUT_BASELINE")
  # One plan: the Markdown goes to plan.md (on failure, the failure), the plan to plan.json.
  "$stoqctl" plan "$config" "${baseline[@]}" "${args[@]}" "${extra[@]}" --detailed-exitcode \
    --format markdown --out "$plan_json" >"$out/plan.md"
  rc=$?
  if [ -f "$plan_json" ]; then
    # Annotations on the YAML lines, from the saved plan (no second read of the shop).
    "$stoqctl" show "$plan_json" --format github "${judge[@]}" || true
  else
    # The run failed before a plan existed: annotate the configuration's problems.
    "$stoqctl" validate "$config" --format github || true
  fi
  summary <"$out/plan.md"
  output plan-file "$plan_json"
  output markdown-file "$out/plan.md"
  output exit-code "$rc"
  output has-changes "$([ "$rc" = 2 ] && echo true || echo false)"
  number="$(pull_request_number)"
  if [ "${INPUT_COMMENT:-true}" = "true" ] && [ -n "$number" ]; then
    PR_NUMBER="$number" python3 "$here/comment.py" --body "$out/plan.md" --key "${INPUT_COMMENT_KEY:-$config}" || rc=1
  fi
  # Changes are what a plan is for; a drift check asks for them to fail the step.
  [ "$rc" = 2 ] && [ "${INPUT_FAIL_ON_CHANGES:-false}" != "true" ] && rc=0
  exit "$rc"
  ;;
apply)
  target="$config"
  if [ -n "${INPUT_PLAN_FILE:-}" ]; then
    [ -f "$INPUT_PLAN_FILE" ] || { echo "::error::plan-file $INPUT_PLAN_FILE does not exist; download the reviewed plan first"; exit 1; }
    target="$INPUT_PLAN_FILE"
  fi
  report="$out/apply-report.json"
  "$stoqctl" apply "$target" "${args[@]}" "${extra[@]}" --report "$report" --color never 2>&1 | tee "$out/apply.txt"
  rc=${PIPESTATUS[0]}
  {
    echo "### stoqctl apply: exit $rc"
    echo
    echo '```'
    tail -n 200 "$out/apply.txt"
    echo '```'
  } | summary
  output report-file "$report"
  output exit-code "$rc"
  exit "$rc"
  ;;
*)
  echo "::error::command must be plan or apply, not '$command'"
  exit 64
  ;;
esac
