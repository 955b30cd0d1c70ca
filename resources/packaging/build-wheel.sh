#!/usr/bin/env bash
# Build DutyDesk's sdist and, from it, the wheel (as `python -m build` does), from a clean
# copy of the tree (tracked and new files, nothing git ignores), into OUTDIR:
#   bash resources/packaging/build-wheel.sh OUTDIR
# Uses .venv (tests/setup.sh) when present, else a throwaway venv with `build`.
# PYTHON names the interpreter for the throwaway venv (default python3; `py -3.11` style
# launchers work too). Works under Git Bash on Windows.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dutydesk-wheel-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
mkdir "$WORK/src"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | xargs -0 cp --parents -t "$WORK/src"

bindir() { if [ -d "$1/Scripts" ]; then echo "$1/Scripts"; else echo "$1/bin"; fi; }
if [ -x .venv/bin/python ] && .venv/bin/python -c "import build" 2>/dev/null; then
  PY=.venv/bin/python
else
  ${PYTHON:-python3} -m venv "$WORK/venv"
  PY="$(bindir "$WORK/venv")/python"
  "$PY" -m pip install -q build 2>&1 | grep -v "is ignored" || true
fi
"$PY" -m build -q -o "$OUT" "$WORK/src" >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; exit 1; }
ls "$OUT"/dutydesk-*.whl
