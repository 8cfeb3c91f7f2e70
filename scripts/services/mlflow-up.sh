#!/usr/bin/env bash
# Start a real MLflow 2.12.2 tracking server on 127.0.0.1 for the sync tests and benchmark.
# Usage: bash scripts/services/mlflow-up.sh DIR [PORT]
#   DIR holds the SQLite backend (mlflow.db), the proxied artifacts, server.log and server.pid.
#   Prints `MLFLOW_TRACKING_URI=http://127.0.0.1:PORT` last, and writes DIR/env with that line and
#   the PYTHONPATH for MLflow's own Python client (run it with /usr/bin/python3).
# MLflow's source (mlflow-2.12.2-src.tgz) and the querystring_parser shim come from $RUNLENS_MLFLOW_KIT,
# default ../shared/mlflow next to the repository. Its Debian packages: `node scripts/setup.js --for test`.
# Stop it with: bash scripts/services/mlflow-down.sh DIR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${1:?usage: mlflow-up.sh DIR [PORT]}
PORT=${2:-5055}
KIT=${RUNLENS_MLFLOW_KIT:-$ROOT/../shared/mlflow}
TGZ="$KIT/mlflow-2.12.2-src.tgz"
[ -f "$TGZ" ] || { echo "mlflow-up: no $TGZ (set RUNLENS_MLFLOW_KIT to the folder holding it)" >&2; exit 3; }
[ -d "$KIT/shim/querystring_parser" ] || { echo "mlflow-up: no $KIT/shim/querystring_parser" >&2; exit 3; }
for m in flask sqlalchemy alembic gunicorn graphene pandas; do
  /usr/bin/python3 -c "import $m" 2>/dev/null || {
    echo "mlflow-up: Python module $m missing; run: node scripts/setup.js --for test" >&2
    exit 3
  }
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
KIT=$(cd "$KIT" && pwd)
SRC="$DIR/src"
if [ ! -f "$SRC/mlflow/version.py" ]; then
  mkdir -p "$SRC"
  tar -xzf "$TGZ" -C "$SRC"
fi
PYPATH="$SRC:$KIT/shim"
if [ -s "$DIR/server.pid" ] && kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then
  echo "mlflow-up: a server from $DIR is running already (pid $(cat "$DIR/server.pid"))" >&2
  exit 3
fi
PYTHONPATH="$PYPATH" setsid /usr/bin/python3 -m mlflow server --host 127.0.0.1 --port "$PORT" --workers 1 \
  --backend-store-uri "sqlite:///$DIR/mlflow.db" --artifacts-destination "$DIR/artifacts" \
  >>"$DIR/server.log" 2>&1 </dev/null &
echo $! >"$DIR/server.pid"
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null || {
    echo "mlflow-up: the server exited:" >&2
    tail -20 "$DIR/server.log" >&2
    exit 1
  }
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || {
  echo "mlflow-up: the server is not healthy after 120 s" >&2
  tail -20 "$DIR/server.log" >&2
  exit 1
}
printf 'MLFLOW_PYTHONPATH=%s\nMLFLOW_TRACKING_URI=http://127.0.0.1:%s\n' "$PYPATH" "$PORT" >"$DIR/env"
echo "MLFLOW_PYTHONPATH=$PYPATH"
echo "MLFLOW_TRACKING_URI=http://127.0.0.1:$PORT"
