#!/usr/bin/env bash
# Install the wheel (NOT editable) in a fresh virtual environment outside the source tree
# and smoke-test the installed program from a folder where the source is not importable
# (.ci/smoke.sh):
#   bash .ci/wheel-smoke.sh [WHEEL]     (default: build one with build-wheel.sh)
# KEEP_WHEEL_VENV=DIR keeps the environment there (timing, docs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/dutydesk-wheel.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
WHEEL="${1:-}"
if [ -z "$WHEEL" ]; then
  WHEEL="$(bash "$ROOT/resources/packaging/build-wheel.sh" "$WORK/dist" | tail -n 1)"
fi

VENV="${KEEP_WHEEL_VENV:-$WORK/venv}"
echo "wheel-smoke: installing $(basename "$WHEEL") into a fresh venv at $VENV"
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
"$VENV/bin/python" -m pip install -q "$WHEEL" 2>&1 | grep -v "is ignored" || true

cd "$WORK"
# The installed package, not the checkout: its data folders are inside site-packages.
"$VENV/bin/python" -I - "$ROOT" <<'PY'
import sys
from pathlib import Path
import dutydesk, dutydesk.paths as p
root = Path(sys.argv[1])
pkg = Path(dutydesk.__file__).resolve().parent
for name in ("RESOURCES", "DEFAULT_POLICY", "LOCAL_MIGRATIONS", "SERVER_MIGRATIONS"):
    path = getattr(p, name).resolve()
    assert path.is_relative_to(pkg) and not path.is_relative_to(root), (name, path)
    assert path.exists(), (name, path)
print(f"wheel-smoke: dutydesk imported from {pkg}")
PY
bash "$ROOT/.ci/smoke.sh" "$VENV/bin/dutydesk" "$VENV/bin/dutydesk-window"
echo "wheel-smoke: passed"
