#!/usr/bin/env bash
# Start or stop the servers the test suite uses, on loopback, in a private run dir:
# PostgreSQL, Redis and Neo4j (the real engine, see tools/neo4j/).
#   scripts/services.sh install   # apt packages (needs root) and nothing else
#   scripts/services.sh start     # prints the environment to export
#   scripts/services.sh stop
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN_DIR=${ALADDIN_RUN_DIR:-$ROOT/.run}
PG_PORT=${PG_TEST_PORT:-55432}
REDIS_PORT=${REDIS_TEST_PORT:-56379}
export NEO4J_TEST_PORT=${NEO4J_TEST_PORT:-57687}
APT_PACKAGES="postgresql redis-server chromium chromium-driver"

log() { echo "services: $*" >&2; }

install_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v chromium >/dev/null || missing+=(chromium chromium-driver)
  command -v java >/dev/null || missing+=(default-jdk-headless)
  command -v mvn >/dev/null || missing+=(maven)
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  log "installing ${missing[*]} from apt"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

# PostgreSQL refuses to run as root, so as root it runs as the postgres user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local dir=$RUN_DIR/postgres bin
  bin=$(pg_bin)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir" && chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -U aladdin --auth=trust -E UTF8 >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "postgres already running"
  else
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
      -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
  fi
  log "postgres on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  local dir=$RUN_DIR/postgres
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  log "postgres stopped"
}

start_redis() {
  local dir=$RUN_DIR/redis
  mkdir -p "$dir"
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then log "redis already running"; return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "redis on 127.0.0.1:$REDIS_PORT"
}

stop_redis() {
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

start_neo4j() {
  NEO4J_RUN_DIR=$RUN_DIR/neo4j NEO4J_FRESH=1 bash "$ROOT/tools/neo4j/start.sh" >&2
}

stop_neo4j() {
  NEO4J_RUN_DIR=$RUN_DIR/neo4j bash "$ROOT/tools/neo4j/stop.sh" >&2 || true
}

print_env() {
  echo "export TEST_POSTGRES_URL=postgres://aladdin@127.0.0.1:$PG_PORT/aladdin"
  echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "export TEST_NEO4J_URL=bolt://127.0.0.1:$NEO4J_TEST_PORT"
}

case "${1:-}" in
  install) install_packages ;;
  start) install_packages; start_postgres; start_redis; start_neo4j; print_env ;;
  stop) stop_neo4j; stop_redis; stop_postgres ;;
  env) print_env ;;
  *) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac
