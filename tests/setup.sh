#!/usr/bin/env bash
# Install what DutyDesk and its tests need on a fresh Debian/Ubuntu machine, idempotently:
# the system libraries Qt needs, PostgreSQL, poppler (pdfsig) and NSS tools, then a virtual environment in .venv
# with the project and its dev tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  python3-venv python3-pip
  libegl1 libgl1 libglib2.0-0 libdbus-1-3 libfontconfig1 libfreetype6 libxkbcommon0
  fonts-dejavu-core libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libxcb-shm0
  libxcb-sync1 libxcb-util1 libx11-xcb1 libxkbcommon-x11-0 xvfb xauth
  poppler-utils libnss3-tools postgresql postgresql-client
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"DutyDesk needs Python 3.11 or newer; {sys.version.split()[0]} found")
PY
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import dutydesk, PySide6, sqlalchemy, psycopg, reportlab" \
  || { echo "setup: the virtual environment is incomplete" >&2; exit 1; }
echo "setup: ready (.venv)"
