#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `tests/pg.sh start` prints the environment
# to export (DUTYDESK_TEST_PG_DSN as a non-superuser role, DUTYDESK_TEST_PG_ADMIN_DSN for
# set-up); `tests/pg.sh stop` removes it. Trust auth on loopback only; fsync off.
set -euo pipefail
CLUSTER="${DUTYDESK_PG_CLUSTER:-dutydesk_test}"
PORT="${DUTYDESK_PG_PORT:-5439}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

stop() {
  if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$CLUSTER"; then
    $SUDO pg_dropcluster --stop "$VERSION" "$CLUSTER" >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start)
    stop
    $SUDO pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" \
      -o fsync=off -o synchronous_commit=off -o full_page_writes=off \
      -o max_connections=200 \
      -- --auth=trust >/dev/null
    $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" start
    for _ in $(seq 1 50); do
      pg_isready -q -h 127.0.0.1 -p "$PORT" && break
      sleep 0.2
    done
    pg_isready -h 127.0.0.1 -p "$PORT" >/dev/null
    psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE dutydesk_test LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE dutydesk_test;
SQL
    echo "export DUTYDESK_TEST_PG_DSN='postgresql://dutydesk_test@127.0.0.1:$PORT/dutydesk_test'"
    echo "export DUTYDESK_TEST_PG_ADMIN_DSN='postgresql://postgres@127.0.0.1:$PORT/dutydesk_test'"
    # Lets the recovery test restart this throwaway server (pg_ctlcluster VERSION NAME).
    echo "export DUTYDESK_TEST_PG_CLUSTER='$VERSION $CLUSTER'"
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: tests/pg.sh start|stop" >&2
    exit 2
    ;;
esac
