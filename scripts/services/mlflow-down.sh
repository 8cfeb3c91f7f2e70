#!/usr/bin/env bash
# Stop the MLflow server that mlflow-up.sh started in DIR: its process group (gunicorn and its
# workers), by the pid file. Safe to run when it is not running.
DIR=${1:?usage: mlflow-down.sh DIR}
[ -s "$DIR/server.pid" ] || exit 0
p=$(cat "$DIR/server.pid")
kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
kill -KILL -- "-$p" 2>/dev/null || true
rm -f "$DIR/server.pid"
