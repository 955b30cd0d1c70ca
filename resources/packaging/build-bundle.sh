#!/usr/bin/env bash
# Build the DutyDesk desktop bundle (PyInstaller, one folder) into OUTDIR/dutydesk:
#   bash resources/packaging/build-bundle.sh [OUTDIR]        (default: dist/)
# The bundle is made from the WHEEL installed in a fresh virtual environment, so it holds
# what the wheel ships and nothing from the checkout. DUTYDESK_WHEEL=FILE uses a wheel
# built already (resources/packaging/build-wheel.sh); PYTHON names the interpreter
# (default python3). The result runs on the operating system it was built on: build on
# Windows for Windows (Git Bash; docs/deploy.md says what that needs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dutydesk-bundle-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

WHEEL="${DUTYDESK_WHEEL:-}"
if [ -z "$WHEEL" ]; then
  WHEEL="$(bash "$ROOT/resources/packaging/build-wheel.sh" "$WORK/wheel" | tail -n 1)"
fi
echo "build-bundle: from $(basename "$WHEEL")"

${PYTHON:-python3} -m venv "$WORK/venv"
BIN="$WORK/venv/bin"; [ -d "$WORK/venv/Scripts" ] && BIN="$WORK/venv/Scripts"
"$BIN/python" -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
"$BIN/python" -m pip install -q "$WHEEL" "pyinstaller>=6.22,<7" 2>&1 \
  | grep -v "is ignored" || true

rm -rf "$OUT/dutydesk"
(cd "$WORK" && "$BIN/pyinstaller" --noconfirm --log-level WARN --distpath "$OUT" \
   --workpath "$WORK/pyinstaller" "$ROOT/resources/packaging/dutydesk.spec") \
  >"$WORK/pyinstaller.log" 2>&1 || { tail -60 "$WORK/pyinstaller.log" >&2; exit 1; }
grep -E "ERROR|not found: could not resolve" "$WORK/pyinstaller.log" | grep -v "libgtk-3\|libgdk-3" >&2 || true
echo "build-bundle: $OUT/dutydesk ($(du -sh "$OUT/dutydesk" | cut -f1))"
