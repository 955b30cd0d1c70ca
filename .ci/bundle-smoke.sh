#!/usr/bin/env bash
# Build the frozen desktop bundle (resources/packaging/build-bundle.sh) and smoke-test it
# like the wheel (.ci/smoke.sh): no Python installation is used to run it.
#   bash .ci/bundle-smoke.sh [WHEEL]    (default: build the wheel first)
# KEEP_BUNDLE=DIR keeps the bundle there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/dutydesk-bundle.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
OUT="${KEEP_BUNDLE:-$WORK/dist}"
START=$(date +%s)
DUTYDESK_WHEEL="${1:-}" bash "$ROOT/resources/packaging/build-bundle.sh" "$OUT"
echo "bundle-smoke: built in $(( $(date +%s) - START )) s"
# No virtual environment or PYTHONPATH of the caller reaches the bundle.
env -u PYTHONPATH -u VIRTUAL_ENV bash "$ROOT/.ci/smoke.sh" "$OUT/dutydesk/dutydesk" \
  "$OUT/dutydesk/dutydesk-window"
echo "bundle-smoke: passed"
