#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL server for the test suite, from Debian's packages.
#   scripts/postgres.sh start   -> prints the export line for PLAUDIT_TEST_POSTGRES_URL
#   scripts/postgres.sh stop
# Installs the `postgresql` package when its binaries are missing (needs root, as in CI).
set -euo pipefail
PGPORT="${PLAUDIT_PG_PORT:-54329}"
PGDATA="${PLAUDIT_PG_DATA:-/tmp/plaudit-test-pg}"

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_installed() {
  if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    echo "installing PostgreSQL from Debian's packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  ensure_installed
  local bin; bin="$(pg_bin)"
  if [ -f "$PGDATA/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    echo "export PLAUDIT_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
    return
  fi
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
  as_postgres "$bin/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
  # fsync off: a test server's data is thrown away; crash tests kill the app, not PostgreSQL.
  as_postgres "$bin/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
    -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null
  echo "export PLAUDIT_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
}

stop() {
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] && [ -d "$PGDATA" ] && as_postgres "$bin/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
