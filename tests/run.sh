#!/usr/bin/env bash
# The test command: set up (tests/setup.sh), start a throwaway PostgreSQL, run every test
# (offscreen Qt, in-memory keyring), stop PostgreSQL. PostgreSQL tests fail, not skip,
# when the server is missing. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
eval "$(bash tests/pg.sh start)"
trap 'bash tests/pg.sh stop' EXIT
export DUTYDESK_REQUIRE_PG=1
export QT_QPA_PLATFORM=offscreen
export PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring
.venv/bin/python -m pytest "$@"
