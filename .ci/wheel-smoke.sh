#!/usr/bin/env bash
# Build the wheel from a clean copy of the tree, install it (NOT editable) in a fresh
# virtual environment outside the source tree, and smoke-test the installed program from
# a folder where the source is not importable (.ci/smoke.sh).
#   bash .ci/wheel-smoke.sh            (after tests/setup.sh; uses .venv to build)
# Set KEEP_WHEEL_VENV=DIR to keep the environment there (for timing, docs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/dutydesk-wheel.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

echo "wheel-smoke: copying the tree (tracked and new files, nothing ignored)"
mkdir "$WORK/src"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | xargs -0 cp --parents -t "$WORK/src"

echo "wheel-smoke: building the sdist and, from it, the wheel"
# Like `python -m build`: the wheel is built from the sdist, so both are checked.
.venv/bin/python -m build -q -o "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log"; exit 1; }
WHEEL="$(ls "$WORK"/dist/dutydesk-*.whl)"
ls -l "$WORK"/dist

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
