#!/usr/bin/env bash
# Stop the Neo4j started by start.sh: TERM (clean shutdown), wait up to 30 s, then KILL.
# Env: NEO4J_RUN_DIR (default .run/neo4j, relative to cwd) - must match the one used by start.sh.
set -euo pipefail

RUN_DIR="${NEO4J_RUN_DIR:-.run/neo4j}"
PID_FILE="$RUN_DIR/neo4j.pid"

if [[ ! -f "$PID_FILE" ]]; then
  echo "neo4j not running (no $PID_FILE)"
  exit 0
fi
pid="$(cat "$PID_FILE")"
# Only signal the process if it is alive and really our launcher (guards against PID reuse).
if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null \
   || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'aladdin.neo4j.Launcher'; then
  echo "neo4j not running (stale pid file removed)"
  rm -f "$PID_FILE"
  exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
  echo "neo4j (pid $pid) did not stop within 30s; sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$PID_FILE"
echo "neo4j stopped (pid $pid)"
