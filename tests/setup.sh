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
# A real Secret Service keyring for .ci/smoke.sh (signing keys need a secure keyring):
# gnome-keyring on a throwaway D-Bus session, without the desktop it recommends.
if ! dpkg-query -W -f='${Status}' gnome-keyring 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: installing gnome-keyring"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    gnome-keyring dbus >/dev/null
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
# DfE's CIN census validation rules (csc-validator-be-cin) in their own environment: they
# need pandas 1.5.3, which needs numpy<2, and must not disturb the application's packages.
# The census tests call it by subprocess (tests/cin/validate.py); they fail without it.
if [ ! -x .venv-cin/bin/python ]; then
  "$PYTHON" -m venv .venv-cin
fi
if ! .venv-cin/bin/python -c "import cin_validator, pandas" 2>/dev/null; then
  .venv-cin/bin/python -m pip install -q "csc-validator-be-cin==0.1.13" "numpy<2" 2>&1 \
    | grep -v "is ignored" || true
fi
.venv-cin/bin/python -c "import cin_validator" \
  || { echo "setup: the CIN validator environment (.venv-cin) is incomplete" >&2; exit 1; }
echo "setup: ready (.venv)"
