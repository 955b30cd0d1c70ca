#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `tests/pg.sh start` prints the environment
# to export (DUTYDESK_TEST_PG_DSN as a non-superuser role, DUTYDESK_TEST_PG_ADMIN_DSN for
# set-up, DUTYDESK_TEST_PG_CLUSTER naming the cluster); `tests/pg.sh stop` removes the
# cluster that start made (named by DUTYDESK_TEST_PG_CLUSTER). Each run gets a cluster
# name and a free port of its own, so two runs on one machine never touch each other's
# cluster; start never drops a cluster it did not create. Trust auth on loopback; fsync off.
# TLS is on, as DutyDesk requires it of a real server (sslmode=require by default): start
# makes a throwaway CA and a server certificate for localhost/127.0.0.1 (exported as
# DUTYDESK_TEST_PG_CA, so tests can also check verify-full); stop deletes them.
# `tests/pg.sh replica-start` (with start's environment) makes a streaming read replica of
# that cluster: a second cluster filled by `pg_basebackup -R -X stream` from it, a hot
# standby with hot_standby_feedback on, same TLS certificate; it prints
# DUTYDESK_TEST_PG_REPLICA_PORT and DUTYDESK_TEST_PG_REPLICA_CLUSTER. `replica-stop` (or
# `stop`) removes it.
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
    TLS="$(mktemp -d "/tmp/dutydesk-pg-tls.$CLUSTER.XXXXXX")"
    (
      cd "$TLS"
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=DutyDesk test CA $CLUSTER" -keyout ca.key -out ca.crt 2>/dev/null
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >san.ext
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile san.ext -out server.crt 2>/dev/null
      rm -f ca.key server.csr san.ext ca.srl
      chmod 644 ca.crt server.crt && chmod 600 server.key
    )
    chmod 755 "$TLS"
    $SUDO chown postgres "$TLS/server.key" "$TLS/server.crt"
    $SUDO pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" \
      -o fsync=off -o synchronous_commit=off -o full_page_writes=off \
      -o max_connections=200 \
      -- --auth=trust >/dev/null
    # In conf.d: postgresql-common rewrites `ssl` given with -o when it finds no snakeoil cert.
    printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" \
      "$TLS/server.crt" "$TLS/server.key" \
      | $SUDO tee "/etc/postgresql/$VERSION/$CLUSTER/conf.d/dutydesk-test-tls.conf" >/dev/null
    $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" start
    for _ in $(seq 1 50); do
      pg_isready -q -h 127.0.0.1 -p "$PORT" && break
      sleep 0.2
    done
    pg_isready -h 127.0.0.1 -p "$PORT" >/dev/null
    psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE dutydesk_test LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE dutydesk_test;
-- `server init` takes CONNECT away from PUBLIC (only logins added to the database connect).
GRANT CONNECT ON DATABASE dutydesk_test TO dutydesk_test;
SQL
    echo "export DUTYDESK_TEST_PG_DSN='postgresql://dutydesk_test@127.0.0.1:$PORT/dutydesk_test'"
    echo "export DUTYDESK_TEST_PG_ADMIN_DSN='postgresql://postgres@127.0.0.1:$PORT/dutydesk_test'"
    # Lets the recovery test restart this throwaway server, and stop find it again.
    echo "export DUTYDESK_TEST_PG_CLUSTER='$VERSION $CLUSTER'"
    echo "export DUTYDESK_TEST_PG_CA='$TLS/ca.crt'"
    ;;
  replica-start)
    PRIMARY="${DUTYDESK_TEST_PG_CLUSTER:-}"
    PRIMARY="${PRIMARY#* }"
    if [ -z "$PRIMARY" ]; then
      echo "tests/pg.sh replica-start: DUTYDESK_TEST_PG_CLUSTER is not set (run start first)" >&2
      exit 1
    fi
    PPORT="$(pg_lsclusters -h | awk -v c="$PRIMARY" '$2 == c {print $3}')"
    REPLICA="${PRIMARY}_replica"
    if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$REPLICA"; then
      echo "tests/pg.sh: a cluster named $REPLICA already exists; not touching it" >&2
      exit 1
    fi
    PORT="$(free_port)"
    $SUDO pg_createcluster "$VERSION" "$REPLICA" --port "$PORT" \
      -o fsync=off -o synchronous_commit=off -o max_connections=200 \
      -o hot_standby_feedback=on -- --auth=trust >/dev/null
    DATA="$(pg_lsclusters -h | awk -v c="$REPLICA" '$2 == c {print $6}')"
    $SUDO find "$DATA" -mindepth 1 -delete
    # The primary's pg_hba (made with --auth=trust) lets loopback replication connections in.
    AS_POSTGRES="runuser -u postgres --"
    if [ -n "$SUDO" ]; then AS_POSTGRES="sudo -u postgres"; fi
    $AS_POSTGRES pg_basebackup -h 127.0.0.1 -p "$PPORT" -U postgres -D "$DATA" \
      -R -X stream -c fast
    $SUDO cp "/etc/postgresql/$VERSION/$PRIMARY/conf.d/dutydesk-test-tls.conf" \
      "/etc/postgresql/$VERSION/$REPLICA/conf.d/"
    $SUDO pg_ctlcluster "$VERSION" "$REPLICA" start
    for _ in $(seq 1 50); do
      pg_isready -q -h 127.0.0.1 -p "$PORT" && break
      sleep 0.2
    done
    pg_isready -h 127.0.0.1 -p "$PORT" >/dev/null
    echo "export DUTYDESK_TEST_PG_REPLICA_PORT='$PORT'"
    echo "export DUTYDESK_TEST_PG_REPLICA_CLUSTER='$VERSION $REPLICA'"
    ;;
  replica-stop)
    REPLICA="${DUTYDESK_TEST_PG_REPLICA_CLUSTER:-}"
    REPLICA="${REPLICA#* }"
    case "$REPLICA" in
      *_replica)
        if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$REPLICA"; then
          $SUDO pg_dropcluster --stop "$VERSION" "$REPLICA" >/dev/null 2>&1 || true
        fi
        ;;
      *) echo "tests/pg.sh replica-stop: DUTYDESK_TEST_PG_REPLICA_CLUSTER names no replica" >&2 ;;
    esac
    ;;
  stop)
    # Only the cluster this run made: named by start's exported DUTYDESK_TEST_PG_CLUSTER.
    CLUSTER="${DUTYDESK_TEST_PG_CLUSTER:-}"
    CLUSTER="${CLUSTER#* }"
    if [ -z "$CLUSTER" ]; then
      echo "tests/pg.sh stop: DUTYDESK_TEST_PG_CLUSTER is not set; nothing to stop" >&2
      exit 0
    fi
    for GONE in "${CLUSTER}_replica" "$CLUSTER"; do  # its replica too, if a test left one
      if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$GONE"; then
        $SUDO pg_dropcluster --stop "$VERSION" "$GONE" >/dev/null 2>&1 || true
      fi
    done
    CA="${DUTYDESK_TEST_PG_CA:-}"
    case "$CA" in
      /tmp/dutydesk-pg-tls."$CLUSTER".*/ca.crt) $SUDO rm -rf "$(dirname "$CA")" ;;
    esac
    ;;
  *)
    echo "usage: tests/pg.sh start|stop|replica-start|replica-stop" >&2
    exit 2
    ;;
esac
