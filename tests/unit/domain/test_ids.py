"""``stable_id`` is ``uuid.uuid5`` of its name (issue 19c made it without a ``UUID``
object): the ids of imported events must never change, or a file imported again would
add its rows twice."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dutydesk.domain.ids import stable_id


def _uuid5(namespace: str, *parts: str) -> str:
    name = "dutydesk:" + namespace + ":" + "\x1f".join(parts)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


@given(st.text(max_size=40), st.lists(st.text(max_size=80), max_size=4))
def test_stable_id_is_uuid5_of_its_name(namespace: str, parts: list[str]) -> None:
    try:
        expected = _uuid5(namespace, *parts)
    except UnicodeEncodeError:  # a lone surrogate: uuid5 refuses, and so must stable_id
        with pytest.raises(UnicodeEncodeError):
            stable_id(namespace, *parts)
        return
    assert stable_id(namespace, *parts) == expected


def test_stable_ids_of_imported_rows_are_what_they_always_were() -> None:
    assert stable_id("la-child", "B1") == "b65d412e-fa94-56bf-b547-b3b3a64ecb50"
    assert stable_id("import-link", "c", "0", "p") == _uuid5("import-link", "c", "0", "p")
    assert stable_id("annex-a-referral", "Siobhán", "2026-01-02") == _uuid5(
        "annex-a-referral", "Siobhán", "2026-01-02"
    )
