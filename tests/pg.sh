#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `tests/pg.sh start` prints the environment
# to export (DUTYDESK_TEST_PG_DSN as a non-superuser role, DUTYDESK_TEST_PG_ADMIN_DSN for
# set-up, DUTYDESK_TEST_PG_CLUSTER naming the cluster); `tests/pg.sh stop` removes the
# cluster that start made (named by DUTYDESK_TEST_PG_CLUSTER). Each run gets a cluster
# name and a free port of its own, so two runs on one machine never touch each other's
# cluster; start never drops a cluster it did not create. Trust auth on loopback; fsync off.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

port_in_use() {
  # A port is taken when any cluster is configured on it or anything listens there.
  pg_lsclusters -h 2>/dev/null | awk '{print $3}' | grep -qx "$1" && return 0
  (echo >"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1 && return 0
  return 1
}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((5440 + RANDOM % 2000))
    port_in_use "$port" || { echo "$port"; return 0; }
  done
  echo "tests/pg.sh: no free port found between 5440 and 7439" >&2
  return 1
}

case "${1:-}" in
  start)
    CLUSTER="${DUTYDESK_PG_CLUSTER:-dutydesk_test_$$_$RANDOM}"
    if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$CLUSTER"; then
      echo "tests/pg.sh: a cluster named $CLUSTER already exists; not touching it" >&2
      exit 1
    fi
    PORT="${DUTYDESK_PG_PORT:-$(free_port)}"
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
    # Lets the recovery test restart this throwaway server, and stop find it again.
    echo "export DUTYDESK_TEST_PG_CLUSTER='$VERSION $CLUSTER'"
    ;;
  stop)
    # Only the cluster this run made: named by start's exported DUTYDESK_TEST_PG_CLUSTER.
    CLUSTER="${DUTYDESK_TEST_PG_CLUSTER:-}"
    CLUSTER="${CLUSTER#* }"
    if [ -z "$CLUSTER" ]; then
      echo "tests/pg.sh stop: DUTYDESK_TEST_PG_CLUSTER is not set; nothing to stop" >&2
      exit 0
    fi
    if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$CLUSTER"; then
      $SUDO pg_dropcluster --stop "$VERSION" "$CLUSTER" >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: tests/pg.sh start|stop" >&2
    exit 2
    ;;
esac
