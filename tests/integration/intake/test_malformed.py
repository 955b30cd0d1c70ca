"""Malformed CSV, JSON and XML: never a crash, always a clear error, nothing half-written."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.services.importer import ImportOptions
from dutydesk.store.eventstore import EventStore
from tests.factories import importer

from .test_partner_files import GOOD, HEADER

SAMPLE_XML = (
    Path(__file__).resolve().parents[2] / "data" / "samples" / "CIN_Census_2024.xml"
).read_bytes()
_names = itertools.count()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("malformed")
    store = EventStore.open(folder / "store.sqlite3")
    clock = FixedClock(datetime(2026, 11, 26, 9, 30, tzinfo=LONDON))
    yield folder, store, importer(store, clock)
    store.close()


def _check(shared, data: bytes, suffix: str) -> None:  # type: ignore[no-untyped-def]
    folder, store, importer = shared
    path = folder / f"f{next(_names)}{suffix}"
    path.write_bytes(data)
    before = store.event_count()
    report = importer.run(path, ImportOptions(all_or_nothing=True))
    if report.refused or report.rows_rejected:
        assert store.event_count() == before  # nothing half-written
        message = report.refused or str(report.errors[0])
        assert path.name in message or report.errors  # names the file
        assert message.strip()
    for err in report.errors:
        assert err.file == path.name and err.rule


def _mutate(data: bytes, cuts: list[int], junk: bytes) -> bytes:
    out = bytearray(data)
    for cut in cuts:
        at = cut % max(len(out), 1)
        out[at : at + len(junk)] = junk
    return bytes(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(0, 10_000), max_size=4), junk=st.binary(min_size=0, max_size=6))
def test_mangled_police_csv(shared, cuts: list[int], junk: bytes) -> None:  # type: ignore[no-untyped-def]
    data = "\r\n".join([HEADER, GOOD.replace("PPN-001", f"M-{next(_names)}")]).encode()
    _check(shared, _mutate(data, cuts, junk), ".csv")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["children", "concern", "received_at", "source_code", "x", "date_of_birth"]
                ),
                kids,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_arbitrary_json_values(shared, value) -> None:  # type: ignore[no-untyped-def]
    import json

    _check(shared, json.dumps(value).encode(), ".json")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(st.integers(0, 5000), min_size=1, max_size=3),
    junk=st.sampled_from(
        [b"<", b">", b"&", b"</Child>", b"\x00", b"\xff\xfe", b"", b"<CINdetails>", b"2099-13-45"]
    ),
)
def test_mangled_cin_xml(shared, cuts: list[int], junk: bytes) -> None:  # type: ignore[no-untyped-def]
    _check(shared, _mutate(SAMPLE_XML, cuts, junk), ".xml")


def test_entity_expansion_is_refused(shared) -> None:  # type: ignore[no-untyped-def]
    folder, store, importer = shared
    path = folder / "bomb.xml"
    path.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><Message>&a;</Message>'
    )
    report = importer.run(path)
    assert report.refused and "DOCTYPE" in report.refused


def test_oversized_file_is_refused_before_reading(shared) -> None:  # type: ignore[no-untyped-def]
    from dutydesk.intake.model import Limits

    folder, store, importer = shared
    path = folder / "big.jsonl"
    path.write_bytes(b"{}\n" * 1000)
    report = importer.run(path, ImportOptions(limits=Limits(max_file_bytes=100)))
    assert report.refused and "3,000 bytes" in report.refused


def test_not_a_workbook(shared) -> None:  # type: ignore[no-untyped-def]
    folder, store, importer = shared
    path = folder / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    report = importer.run(path)
    assert report.refused and "not a readable Excel workbook" in report.refused
