#!/usr/bin/env bash
# A stand-in for the VS Code executable, for @vscode/test-electron's runTests({ vscodeExecutablePath }).
# It takes the command line runTests builds (--extensionDevelopmentPath=, --extensionTestsPath=, an
# optional folder, plus Electron flags it ignores) and runs the tests in code-server's real Node
# extension host, with the workbench opened in headless Chromium (run-ext-tests.js).
# Exit status = test status (0 passed, 1 failed or timed out, 2 harness error).
#
# Env: E2E_NODE24/E2E_CS_ENTRY/E2E_CHROMIUM or E2E_TOOLS (see install-tools.sh)
#      E2E_WORK         parent of the per-run folders (default: $TMPDIR/runlens-e2e)
#      E2E_TIMEOUT_SEC  whole-run timeout (default 300)
#      E2E_KEEP=1       keep the run folder (profile, logs) even when the tests pass
#      E2E_VERBOSE=1    print the workbench's noisy log lines too
# Sets RUNLENS_E2E_DRAWN_LENSES for the tests (see run-ext-tests.js).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

DEV=()
TESTS=""
FOLDER=""
for a in "$@"; do
  case "$a" in
    --extensionDevelopmentPath=*) DEV+=("${a#*=}") ;;
    --extensionTestsPath=*) TESTS="${a#*=}" ;;
    --*) ;; # --no-sandbox, --disable-updates, --user-data-dir=, --extensions-dir=...: the run folder replaces them
    *) FOLDER="$a" ;;
  esac
done
if [ -z "$TESTS" ] || [ ${#DEV[@]} -eq 0 ]; then
  echo "code-shim: need --extensionTestsPath= and --extensionDevelopmentPath=" >&2
  exit 2
fi
[ ${#DEV[@]} -eq 1 ] || echo "code-shim: only the first --extensionDevelopmentPath is loaded: ${DEV[0]}" >&2

WORK=${E2E_WORK:-${TMPDIR:-/tmp}/runlens-e2e}
mkdir -p "$WORK"
RUN=$(mktemp -d "$WORK/itest-XXXXXX")
[ -n "$FOLDER" ] || { FOLDER=$RUN/workspace; mkdir -p "$FOLDER"; }
FOLDER=$(cd "$FOLDER" && pwd)

# Every process of this run (code-server and its extension host, the runner, Chromium, whatever the
# tests spawn) inherits this variable; the final sweep kills exactly those, including processes that
# left their process group (Chromium is started in a session of its own by Playwright).
export RUNLENS_E2E_RUN="$(basename "$RUN")-$$"
# Keep code-server, Chromium and the tests out of the real $HOME and /tmp (the server leaves sockets there).
mkdir -p "$RUN/home" "$RUN/tmp"
export HOME=$RUN/home TMPDIR=$RUN/tmp
export XDG_CONFIG_HOME=$RUN/home/.config XDG_CACHE_HOME=$RUN/home/.cache XDG_DATA_HOME=$RUN/home/.local/share
unset XDG_RUNTIME_DIR

RUNNER_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  # SIGTERM lets Playwright close Chromium itself.
  if [ -n "$RUNNER_PID" ] && kill -0 "$RUNNER_PID" 2>/dev/null; then
    kill -TERM "$RUNNER_PID" 2>/dev/null || true
    wait "$RUNNER_PID" 2>/dev/null || true
  fi
  if [ -f "$RUN/cs.pid" ]; then
    local pgid
    pgid=$(cat "$RUN/cs.pid")
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  # Anything left that carries this run's marker (never this shell: it is the one that set it).
  local p pid
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = $$ ] && continue
    grep -qzxF "RUNLENS_E2E_RUN=$RUNLENS_E2E_RUN" "$p/environ" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$rc" = 0 ] && [ "${E2E_KEEP:-0}" != 1 ]; then
    rm -rf "$RUN"
  else
    echo "code-shim: run folder kept: $RUN (cs.log: code-server; ud/logs: server and extension host; logs: workbench)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The runner writes the CodeLens text the workbench draws, with times, to this file; the extension
# host (started by code-server) inherits the variable, so a test can hold the lens as drawn.
export RUNLENS_E2E_DRAWN_LENSES=$RUN/drawn-lenses.jsonl
: > "$RUNLENS_E2E_DRAWN_LENSES"

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# enable-smoke-test-driver: without it the built workbench ignores the `payload` URL parameter that
# carries extensionDevelopmentPath/extensionTestsPath.
"$HERE/start-code-server.sh" "$PORT" "$RUN" --vscode-option enable-smoke-test-driver || exit 2

# In the background so the traps above run as soon as a signal arrives.
E2E_LOG_DIR=${E2E_LOG_DIR:-$RUN/logs} node "$HERE/run-ext-tests.js" \
  "http://127.0.0.1:$PORT" "${DEV[0]}" "${TESTS%.js}" "$FOLDER" "${E2E_TIMEOUT_SEC:-300}" &
RUNNER_PID=$!
status=0
wait "$RUNNER_PID" || status=$?
RUNNER_PID=""
exit "$status"
