#!/usr/bin/env bash
# UI scenario: the packaged extension (.vsix) installed into a fresh code-server profile, a temporary
# copy of examples/quickstart as the workspace, the workbench driven by ui-scenario.ts in headless
# Chromium. Screenshots go to $E2E_SHOTS (default: $TMPDIR/runlens-shots); open them and look.
# Exit status = scenario status. Leaves no process behind.
# Env knobs: E2E_SCENARIO (default ui-scenario; slurm-scenario needs a running cluster), E2E_SHOTS,
# E2E_KEEP=1 (keep the run folder), and those of install-tools.sh.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
start=$SECONDS
step() { echo "=== [ui $((SECONDS - start))s] $*"; }

SHOTS=${E2E_SHOTS:-${TMPDIR:-/tmp}/runlens-shots}
mkdir -p "$SHOTS"
SHOTS=$(cd "$SHOTS" && pwd)
mkdir -p "${E2E_WORK:-${TMPDIR:-/tmp}/runlens-e2e}"
RUN=$(mktemp -d "${E2E_WORK:-${TMPDIR:-/tmp}/runlens-e2e}/ui-XXXXXX")

# Every process started from here on carries this marker; cleanup kills what is left of them
# (Playwright starts Chromium in a session of its own, so a process-group kill would miss it).
export RUNLENS_E2E_RUN="$(basename "$RUN")-$$"
SCENARIO_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -n "$SCENARIO_PID" ] && kill -0 "$SCENARIO_PID" 2>/dev/null; then
    kill -TERM "$SCENARIO_PID" 2>/dev/null || true # Playwright closes Chromium on SIGTERM
    wait "$SCENARIO_PID" 2>/dev/null || true
  fi
  [ -f "$RUN/cs.pid" ] && { kill -TERM -- "-$(cat "$RUN/cs.pid")" 2>/dev/null || true; sleep 0.5; }
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = $$ ] && continue
    grep -qzxF "RUNLENS_E2E_RUN=$RUNLENS_E2E_RUN" "$p/environ" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
  if [ "$rc" = 0 ] && [ "${E2E_KEEP:-0}" != 1 ]; then rm -rf "$RUN"; else echo "run-ui: run folder kept: $RUN" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

step "tools"
eval "$(bash scripts/e2e/install-tools.sh)"

step "package the extension"
node scripts/build.js
[ -f .vscodeignore ] || { echo "run-ui: no .vscodeignore: vsce would pack everything, .cache/ included" >&2; exit 1; }
# < /dev/null: vsce asks y/N questions on a terminal; --allow-missing-repository answers the only one expected
npx --no-install vsce package --no-dependencies --allow-missing-repository --no-rewrite-relative-links --allow-unused-files-pattern -o "$RUN/runlens.vsix" < /dev/null

step "install it into a fresh profile"
# From here on code-server, Chromium and the scenario write into the run folder, not $HOME or /tmp.
mkdir -p "$RUN/home" "$RUN/tmp"
export HOME=$RUN/home TMPDIR=$RUN/tmp
export XDG_CONFIG_HOME=$RUN/home/.config XDG_CACHE_HOME=$RUN/home/.cache XDG_DATA_HOME=$RUN/home/.local/share
PATH="$E2E_NODE24/bin:$PATH" "$E2E_NODE24/bin/node" "$E2E_CS_ENTRY" \
  --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext" --install-extension "$RUN/runlens.vsix"

step "start code-server on a copy of examples/quickstart"
# without the example's own store: the scenario starts from what a new user has
cp -r examples/quickstart "$RUN/quickstart"
rm -rf "$RUN/quickstart/.runlens"
# TensorFlow.js for train.js, as after `npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm` there;
# `require('runlens')` itself comes from the extension (NODE_PATH set by the launcher).
mkdir -p "$RUN/quickstart/node_modules"
ln -s "$REPO/node_modules/@tensorflow" "$RUN/quickstart/node_modules/@tensorflow"
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
scripts/e2e/start-code-server.sh "$PORT" "$RUN"

step "scenario"
node --import tsx "scripts/e2e/${E2E_SCENARIO:-ui-scenario}.ts" "http://127.0.0.1:$PORT" "$RUN/quickstart" "$SHOTS" &
SCENARIO_PID=$!
status=0
wait "$SCENARIO_PID" || status=$?
SCENARIO_PID=""
step "done: $([ "$status" = 0 ] && echo passed || echo "FAILED (exit $status)"); screenshots in $SHOTS:"
ls "$SHOTS"
exit "$status"
