"""Hostile files: each one in tests/data/hostile/ is refused with its clear error, writes
nothing, and never ends in a traceback (command line included). A file that breaks off
after some rows were written in batch mode says exactly what was written: "stopped", not
"refused"."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.wording import plural
from dutydesk.intake.hardened import loads
from dutydesk.intake.text import decode
from dutydesk.services.importer import ImportOptions
from dutydesk.store.eventstore import EventStore
from tests.factories import importer

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = ROOT / "tests" / "data" / "hostile"
EXPECTED: dict[str, str] = json.loads((HOSTILE / "expected.json").read_text("utf-8"))


def test_the_corpus_is_complete() -> None:
    on_disk = {p.name for p in HOSTILE.iterdir() if p.suffix in (".xml", ".json", ".csv", ".xlsx")}
    assert on_disk - {"expected.json"} == set(EXPECTED)
    assert len(EXPECTED) >= 16


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("mode", ["batch", "all-or-nothing", "dry-run"])
def test_each_hostile_file_is_refused_clearly_and_writes_nothing(
    store: EventStore, clock: FixedClock, tmp_path: Path, name: str, mode: str
) -> None:
    options = ImportOptions(
        all_or_nothing=mode == "all-or-nothing",
        dry_run=mode == "dry-run",
        rejects=tmp_path / "rejects.csv",
    )
    report = importer(store, clock).run(HOSTILE / name, options)
    said = " ".join([report.refused or "", *(str(e) for e in report.errors)])
    assert EXPECTED[name] in said, said
    assert report.refused is not None or report.rows_rejected == report.rows
    assert report.stopped is None
    assert report.events_added == 0 and store.event_count() == 0
    assert name in said  # the error names the file


def test_the_command_line_refuses_every_hostile_file_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # main() returning an exit code (it would raise through here otherwise): 2, the reason
    # and "nothing was written", and no traceback printed.
    data = str(tmp_path / "store")
    assert main(["demo", "--events", "100", "--data-dir", data]) == 0
    capsys.readouterr()
    for name, words in sorted(EXPECTED.items()):
        code = main(["import", str(HOSTILE / name), "--data-dir", data, "--demo"])
        captured = capsys.readouterr()
        output = captured.out + captured.err
        assert "Traceback" not in output, (name, output)
        assert words in output, (name, output)
        assert code in (1, 2), (name, code, output)
        if code == 2:
            assert "REFUSED" in output and "nothing was written" in output, output


def test_json_limits_and_duplicate_keys() -> None:
    assert loads('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for text, words in (
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ("[" * 21 + "]" * 21, "nested more than 20"),
        ('{"n": ' + "1" * 31 + "}", "31 digits"),
        ('{"n": Infinity}', "Infinity is not a JSON number"),
    ):
        with pytest.raises(ValueError, match=words):
            loads(text)


def test_encodings_are_detected_or_refused_by_name() -> None:
    western = "Siobhán O'Brien, Zoë Müller – “concern”".encode("cp1252")
    assert decode(western, "f.csv") == (western.decode("cp1252"), "cp1252")
    assert decode("Seán".encode("utf-16"), "f.csv") == ("Seán", "utf-16")
    assert decode("Seán".encode("utf-8-sig"), "f.csv")[1] == "utf-8-sig"
    from dutydesk.intake.model import FileRefused

    for data, words in (
        ("山田太郎,東京都".encode("gbk") * 3, "multi-byte"),
        ("x".encode("utf-32"), "UTF-32"),
        (b"a\x00b\x00", "NUL bytes"),
    ):
        with pytest.raises(FileRefused, match=words):
            decode(data, "f.csv")


def _census(children: int) -> bytes:
    kids = "".join(
        f"<Child><ChildIdentifiers><LAchildID>T{n:05d}</LAchildID>"
        f"<PersonBirthDate>2015-03-27</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>"
        f"<CINdetails><CINreferralDate>2024-0{1 + n % 9}-10</CINreferralDate>"
        f"<ReferralSource>6</ReferralSource><ReferralNFA>1</ReferralNFA></CINdetails>"
        f"</Child>\n"
        for n in range(children)
    )
    return (
        f"<Message><Header><Source><LEA>201</LEA></Source></Header><Children>\n{kids}"
        "</Children></Message>\n"
    ).encode()


def test_a_truncated_file_in_batch_mode_says_what_was_written(
    store: EventStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "REFUSED" (exit 2) after 564 events had been written.
    whole = _census(300)
    cut = tmp_path / "truncated.xml"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    clock = FixedClock(datetime(2026, 11, 26, 9, 30, tzinfo=LONDON))
    nothing = importer(store, clock).run(cut, ImportOptions(all_or_nothing=True))
    assert nothing.refused and "not well-formed XML" in nothing.refused
    assert store.event_count() == 0
    report = importer(store, clock).run(cut, ImportOptions(batch_size=50))
    assert report.refused is None and report.stopped is not None
    assert "not well-formed XML" in report.stopped and "referral" in report.stopped
    written = store.event_count()
    assert written == report.events_added > 0
    # Every complete child read before the break is in, the broken one and after are not.
    assert report.rows_ok == report.rows
    text = "\n".join(report.lines())
    assert "STOPPED" in text and "REFUSED" not in text
    assert f"{plural(report.events_added, 'event')} written and kept" in text
    data = str(tmp_path / "cli")
    assert main(["demo", "--events", "100", "--data-dir", data]) == 0
    capsys.readouterr()
    assert main(["import", str(cut), "--data-dir", data, "--demo"]) == 1
    out = capsys.readouterr().out
    assert "STOPPED" in out and "REFUSED" not in out


@pytest.mark.parametrize("name", ["zip-bomb.xlsx", "xlsx-entity.xlsx"])
def test_the_last_12_months_check_refuses_hostile_workbooks_too(name: str) -> None:
    # The check that reads Annex A's stated counts opens the workbook like an import does.
    from dutydesk.intake.model import FileRefused
    from tests.last12 import stated_last_12

    with pytest.raises(FileRefused, match=EXPECTED[name]):
        stated_last_12((HOSTILE / name).read_bytes())
