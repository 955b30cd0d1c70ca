#!/usr/bin/env bash
# Smoke test of an INSTALLED DutyDesk (a wheel in a venv, or the frozen bundle), run from a
# folder where the source tree is not importable:
#   .ci/smoke.sh CLI WINDOW
# CLI is the `dutydesk` command, WINDOW the command that opens the window (app.main).
# Fills a demo store, paints the queue offscreen and checks the picture, signs, prints and
# verifies a case decision log (DejaVu embedded; the signing key's passphrase in a real
# gnome-keyring), sets up a store for real records (SQLCipher-encrypted, key in that
# keyring; an administrator and an account; sign-in with a password, a wrong one refused),
# and runs `server init` over TLS against a throwaway PostgreSQL cluster
# from tests/pg.sh. Needs gnome-keyring and dbus (tests/setup.sh installs them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI="$1"
WINDOW="$2"
WORK="$(mktemp -d /tmp/dutydesk-smoke.XXXXXX)"
PG_ENV=""
cleanup() {
  if [ -n "$PG_ENV" ]; then (eval "$PG_ENV"; bash "$ROOT/tests/pg.sh" stop) || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export PYTHON_KEYRING_BACKEND="${PYTHON_KEYRING_BACKEND:-keyring.backends.null.Keyring}"
# A home of its own: nothing read from or written to the caller's settings and data.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
mkdir -p "$HOME"
step() { echo "smoke: $*"; }
# Runs a bash script with a secure keyring: printed documents are signed with keys whose
# passphrases only a secure keyring may hold. A throwaway D-Bus session with an unlocked
# gnome-keyring: the Secret Service backend a Linux desk uses, through the installed
# program's own keyring library.
# One throwaway password for this run's login keyring (each session unlocks the same one).
mkdir -p -m 700 "$WORK/run"
export XDG_RUNTIME_DIR="$WORK/run"
SMOKE_KEYRING_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '\n')"
export SMOKE_KEYRING_PASSWORD
keyring_session() {
  env -u PYTHON_KEYRING_BACKEND dbus-run-session -- bash -euo pipefail -c '
    printf %s "$SMOKE_KEYRING_PASSWORD" \
      | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    '"$1" 2>&1 | sed "/Failed to set fd limit/d; /transient service directory/d"
}

step "demo store"
"$CLI" demo --events 600 --data-dir "$WORK/demo" >demo.out
grep -q "demo events written" demo.out || { cat demo.out; exit 1; }

step "queue screenshot (offscreen)"
"$WINDOW" --demo --data-dir "$WORK/demo" --screenshot "$WORK/queue.png"
test -s "$WORK/queue.png"
# A painted queue, not a blank window: the picture is large and has many colours (text,
# rating chips, table lines). PNG width and height are bytes 16-23 of the file.
read -r W H < <(od -An -tu1 -j16 -N8 "$WORK/queue.png" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
SIZE=$(stat -c %s "$WORK/queue.png")
step "queue.png ${W}x${H}, ${SIZE} bytes"
[ "$W" -ge 800 ] && [ "$H" -ge 500 ] && [ "$SIZE" -ge 40000 ] \
  || { echo "smoke: the queue screenshot looks empty" >&2; exit 1; }

step "sign, print and verify a case decision log (real keyring: gnome-keyring on D-Bus)"
# A decided contact of the demo store (a plain SQLite file: demo stores made without a
# secure keyring are not encrypted).
CONTACT=$(python3 - "$WORK/demo/dutydesk.sqlite3" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT contact_id FROM contacts WHERE status = 'decided' ORDER BY contact_id LIMIT 1"
).fetchone()
print(row[0])
PY
)
export CLI WORK CONTACT
keyring_session '
  "$CLI" signing new-authority --organisation "Smoke Test Council" --data-dir "$WORK/demo"
  "$CLI" signing issue --login dm.manager --name "Demo Manager" --data-dir "$WORK/demo"
  "$CLI" print case-log --contact "$CONTACT" --data-dir "$WORK/demo" -o "$WORK/log.pdf" \
    --demo --as dm.manager
  "$CLI" verify --data-dir "$WORK/demo" --demo "$WORK/log.pdf" | tee "$WORK/verify.out"
'
grep -q "MATCHES THE RECORD" verify.out
if command -v pdffonts >/dev/null; then
  pdffonts "$WORK/log.pdf" | tee fonts.out
  grep -q "DejaVuSans " fonts.out && grep -q "DejaVuSans-Bold" fonts.out
  if pdffonts "$WORK/log.pdf" | awk 'NR>2' | grep -v DejaVu; then
    echo "smoke: a font other than the shipped DejaVu is in the PDF" >&2; exit 1
  fi
fi

step "a store for real records: encrypted, accounts, sign-in with a password"
# What a standalone desk does on its first day, through the installed program: the first
# administrator (the store is created encrypted with SQLCipher, its key in the keyring),
# an account for a duty manager, who then signs in with their password to read the store.
# Throwaway passwords for this run only; passwords are read on stdin, never arguments.
ADMIN_PW="adm-$(head -c 12 /dev/urandom | base64 | tr -d '/+=\n')"
USER_PW="usr-$(head -c 12 /dev/urandom | base64 | tr -d '/+=\n')"
export ADMIN_PW USER_PW
keyring_session '
  printf "%s\n" "$ADMIN_PW" | "$CLI" admin init --data-dir "$WORK/real" --login ad.min \
    --name "Ada Admin" --organisation "Smoke Test Council" --password-stdin
  printf "%s\n%s\n" "$ADMIN_PW" "$USER_PW" | "$CLI" admin create-user \
    --data-dir "$WORK/real" --as ad.min --login dm.jones --name "Dee Jones" \
    --role duty_manager --password-stdin
  printf "%s\n" "$USER_PW" | "$CLI" info --data-dir "$WORK/real" --as dm.jones \
    --password-stdin
  if printf "%s\n" "wrong-password-1" | "$CLI" info --data-dir "$WORK/real" \
      --as dm.jones --password-stdin; then
    echo "smoke: a wrong password was let in" >&2; exit 1
  fi
' | tee real.out
grep -q "administrator ad.min created" real.out && grep -q "account dm.jones" real.out \
  || { echo "smoke: the accounts were not created" >&2; exit 1; }
# Encrypted on disk: an SQLite file begins "SQLite format 3", an SQLCipher one does not.
if head -c 15 "$WORK/real/dutydesk.sqlite3" | grep -q "SQLite format 3"; then
  echo "smoke: the store for real records is not encrypted" >&2; exit 1
fi

step "server init against a throwaway PostgreSQL cluster"
PG_ENV="$(bash "$ROOT/tests/pg.sh" start)"
eval "$PG_ENV"
# Over TLS with the server's certificate verified against the cluster's throwaway CA.
export DUTYDESK_TEST_PG_ADMIN_DSN DUTYDESK_TEST_PG_CA
keyring_session '
  "$CLI" server init --signing-dir "$WORK/server-signing" --organisation "Smoke Test Council" \
    --dsn "$DUTYDESK_TEST_PG_ADMIN_DSN?sslmode=verify-full&sslrootcert=$DUTYDESK_TEST_PG_CA"
' | tee init.out
grep -q "server initialised" init.out && grep -q "signing authority created" init.out
"$CLI" server status --dsn "$DUTYDESK_TEST_PG_ADMIN_DSN" | tee status.out
N_SQL=$(ls "$ROOT"/db/server/*.sql | wc -l)
grep -q "schema_version: $N_SQL\b" status.out \
  || { echo "smoke: the server schema is not at version $N_SQL (every db/server file)" >&2; exit 1; }
step "passed"
