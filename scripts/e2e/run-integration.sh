#!/usr/bin/env bash
# Integration tests inside a real VS Code, on a machine that cannot download VS Code:
#   1. install the tools once (Node 24, code-server, Debian chromium; see install-tools.sh)
#   2. build the extension (scripts/build.js) and the tests (build-tests.js)
#   3. run out/test/integration/runTest.js, the standard @vscode/test-electron launcher, with
#      E2E_CODE_SHIM pointing it at code-shim.sh (code-server + headless Chromium).
# Prints mocha's report; exit status = test status. Leaves no process behind, also when interrupted.
# Env knobs: see install-tools.sh and code-shim.sh (E2E_TOOLS, E2E_SKIP_APT, E2E_TIMEOUT_SEC, E2E_KEEP, E2E_VERBOSE).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
start=$SECONDS
step() { echo "=== [integration $((SECONDS - start))s] $*"; }

step "tools"
eval "$(bash scripts/e2e/install-tools.sh)"

step "build the extension"
node scripts/build.js
[ -f dist/extension.js ] || echo "warning: dist/extension.js was not built (no src/extension/extension.ts?): the extension cannot activate"

step "build the tests"
node scripts/e2e/build-tests.js

# Everything started below inherits this marker. code-shim.sh stops what it starts; this covers an
# interrupted run (Ctrl-C, a CI timeout's SIGTERM), where the shim may not get to its own cleanup.
export RUNLENS_E2E_OUTER="integration-$$-$RANDOM"
RUNNER_PID=""
stop_marked() { # signal every process carrying the marker, except this shell
  local sig=$1 p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = $$ ] && continue
    grep -qzxF "RUNLENS_E2E_OUTER=$RUNLENS_E2E_OUTER" "$p/environ" 2>/dev/null && kill "-$sig" "${p#/proc/}" 2>/dev/null || true
  done
}
on_signal() {
  trap - INT TERM HUP
  echo "run-integration: interrupted, stopping the test run" >&2
  stop_marked TERM # the shim's TERM handler stops code-server and Chromium
  for _ in $(seq 1 50); do
    [ -n "$RUNNER_PID" ] && kill -0 "$RUNNER_PID" 2>/dev/null || break
    sleep 0.1
  done
  stop_marked KILL
  exit 130
}
trap on_signal INT TERM HUP

step "run the tests in code-server $(node -p "require(process.argv[1] + '/../../../package.json').version" "$E2E_CS_ENTRY")"
# In the background so a signal reaches on_signal at once instead of after the tests.
E2E_CODE_SHIM="$REPO/scripts/e2e/code-shim.sh" node out/test/integration/runTest.js &
RUNNER_PID=$!
status=0
wait "$RUNNER_PID" || status=$?
RUNNER_PID=""
stop_marked KILL # normally nothing is left; never leave a server or browser behind
step "done: $([ "$status" = 0 ] && echo passed || echo "FAILED (exit $status)")"
exit "$status"
