"""A real PostgreSQL connection, as a non-superuser test role (started by .ci/run)."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.pg


def test_connects_as_a_role_that_is_not_superuser(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) >= 150000
        superuser, bypass = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()  # type: ignore[misc]
        assert superuser is False and bypass is False
