#!/usr/bin/env bash
# Starts a private code-server for one test run and waits until it answers.
# usage: start-code-server.sh <port> <run-dir> [extra code-server args...]
#   <run-dir> gets the profile (ud/, ext/, home/), config.yaml, cs.log and cs.pid.
# Needs E2E_NODE24 and E2E_CS_ENTRY; when unset they are read from $E2E_TOOLS/env.sh, which
# install-tools.sh writes (E2E_TOOLS defaults to <repo>/.cache/e2e-tools).
# code-server runs in its own session (setsid): stop it and everything it started (extension host,
# pty host, file watcher) with   kill -- -$(cat <run-dir>/cs.pid)
# Killing only the pid leaves the extension host running.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${E2E_NODE24:-}" ] || [ -z "${E2E_CS_ENTRY:-}" ]; then
  env_file=${E2E_TOOLS:-$HERE/../../.cache/e2e-tools}/env.sh
  [ -f "$env_file" ] || { echo "start-code-server: run scripts/e2e/install-tools.sh first ($env_file missing)" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$env_file"
fi
[ $# -ge 2 ] || { echo "usage: $0 <port> <run-dir> [code-server args...]" >&2; exit 2; }
PORT=$1
RUN=$2
shift 2

mkdir -p "$RUN/home" "$RUN/ud/User" "$RUN/ext"
[ -f "$RUN/ud/User/settings.json" ] || cp "$HERE/settings.json" "$RUN/ud/User/settings.json"
# An explicit config file: otherwise code-server creates ~/.config/code-server/config.yaml with a password.
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$RUN/config.yaml"

# HOME/XDG point into the run folder so nothing is written to ~/.config or ~/.local/share.
# A background job of a non-interactive script is not a process-group leader, so setsid does not
# fork and $! is both the pid and the process-group id of code-server.
PATH="$E2E_NODE24/bin:$PATH" HOME="$RUN/home" \
  XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share" XDG_CACHE_HOME="$RUN/home/.cache" \
  setsid "$E2E_NODE24/bin/node" "$E2E_CS_ENTRY" --config "$RUN/config.yaml" \
  --auth none --bind-addr "127.0.0.1:$PORT" \
  --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext" \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "$@" > "$RUN/cs.log" 2>&1 < /dev/null &
echo $! > "$RUN/cs.pid"

for _ in $(seq 1 600); do # up to 60 s; it usually answers within 2 s
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && exit 0
  if ! kill -0 "$(cat "$RUN/cs.pid")" 2>/dev/null; then
    echo "start-code-server: code-server exited:" >&2
    cat "$RUN/cs.log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "start-code-server: no answer on port $PORT after 60 s (log: $RUN/cs.log)" >&2
exit 1
