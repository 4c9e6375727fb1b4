#!/usr/bin/env bash
# Start the embedded Neo4j (Community, Bolt on 127.0.0.1) in the background and wait until it is ready.
# Env: NEO4J_RUN_DIR (default .run/neo4j, relative to cwd), NEO4J_HOME_DIR (default = run dir),
#      NEO4J_TEST_PORT (7687), NEO4J_TEST_PASSWORD (unset = auth off), NEO4J_FRESH=1 (wipe data first),
#      NEO4J_HEAP (768m), NEO4J_START_TIMEOUT (120 s), JAVA (java binary; default $JAVA_HOME/bin/java or java).
#      The launcher also reads NEO4J_TX_TIMEOUT_S (30), NEO4J_TX_MEMORY_MB (256), NEO4J_PROCEDURES
#      (see src/main/java/aladdin/neo4j/Launcher.java).
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${NEO4J_RUN_DIR:-.run/neo4j}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
HOME_DIR="${NEO4J_HOME_DIR:-$RUN_DIR}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd)"
PORT="${NEO4J_TEST_PORT:-7687}"
TIMEOUT="${NEO4J_START_TIMEOUT:-120}"
PID_FILE="$RUN_DIR/neo4j.pid"
LOG_FILE="$RUN_DIR/neo4j.log"
if [[ -n "${JAVA:-}" ]]; then :; elif [[ -n "${JAVA_HOME:-}" ]]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi

# Serialise concurrent start.sh runs on the same run dir (if flock is available).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$RUN_DIR/start.lock"
  flock 9
fi

is_ours() { # pid alive and really our launcher (guards against PID reuse)
  local pid="$1"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'aladdin.neo4j.Launcher'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

if [[ -f "$PID_FILE" ]]; then
  pid="$(cat "$PID_FILE")"
  if [[ -n "$pid" ]] && is_ours "$pid"; then
    echo "neo4j already running (pid $pid) bolt://127.0.0.1:$PORT"
    exit 0
  fi
  rm -f "$PID_FILE" # stale
fi

if port_open; then
  echo "error: port $PORT is already in use by another process (set NEO4J_TEST_PORT)" >&2
  exit 1
fi

# Build only when the classes or the dependency jars are missing or older than pom.xml / sources.
STAMP="$DIR/target/.built"
if [[ ! -f "$STAMP" || ! -f "$DIR/target/classes/aladdin/neo4j/Launcher.class" ]] \
   || ! compgen -G "$DIR/target/lib/neo4j-*.jar" >/dev/null \
   || [[ -n "$(find "$DIR/pom.xml" "$DIR/src" -newer "$STAMP" -print -quit)" ]]; then
  echo "building neo4j launcher (first run downloads ~120 MB into ~/.m2) ..."
  rm -rf "$DIR/target/lib" # no stale jars from an older Neo4j version on the classpath
  # (sed strips the stray ANSI codes Maven 3.8 prints even with -q; pipefail keeps mvn's exit status)
  mvn -B -q -Dstyle.color=never -f "$DIR/pom.xml" package -DskipTests 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  touch "$STAMP"
fi

if [[ "${NEO4J_FRESH:-0}" == "1" ]]; then
  echo "NEO4J_FRESH=1: wiping $HOME_DIR/data"
  rm -rf "$HOME_DIR/data"
fi

# JVM flags: only the three add-opens are needed on Java 17; they let Neo4j's page cache / native file access use reflection
# (without them it logs "Reflection access ... not available, using fallback mode" and
# "Incorrect file descriptor" warnings); the rest mirror Neo4j's own default neo4j.conf.
JVM_OPTS=(
  -Xms128m "-Xmx${NEO4J_HEAP:-768m}"
  -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC
  -Djdk.nio.maxCachedBufferSize=1024
  -Dio.netty.tryReflectionSetAccessible=true
  -Dlog4j2.disable.jmx=true
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --enable-native-access=ALL-UNNAMED
)

t0=$SECONDS
cd "$RUN_DIR" # the JVM's cwd; all paths passed to it are absolute anyway
NEO4J_HOME_DIR="$HOME_DIR" NEO4J_TEST_PORT="$PORT" nohup "$JAVA" "${JVM_OPTS[@]}" \
  -cp "$DIR/target/classes:$DIR/target/lib/*" aladdin.neo4j.Launcher \
  </dev/null >"$LOG_FILE" 2>&1 9>&- &  # 9>&-: the server must not inherit the start lock
pid=$!
echo "$pid" >"$PID_FILE"

fail() {
  echo "error: $1; last 40 lines of $LOG_FILE:" >&2
  tail -n 40 "$LOG_FILE" >&2 || true
  exit 1
}

deadline=$((SECONDS + TIMEOUT))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$PID_FILE"
    fail "neo4j (pid $pid) exited during startup"
  fi
  if grep -q '^neo4j ready' "$LOG_FILE" && port_open; then
    echo "neo4j started (pid $pid) bolt://127.0.0.1:$PORT in $((SECONDS - t0))s; log: $LOG_FILE"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    fail "neo4j not ready on port $PORT after ${TIMEOUT}s (process stopped)"
  fi
  sleep 0.5
done
