"""Writes the hostile-file corpus beside this script (run once; the files are committed).

    .venv/bin/python tests/data/hostile/make_corpus.py

Each file is small and breaks one rule; ``expected.json`` gives the words its refusal must
contain. ``tests/integration/intake/test_hostile.py`` imports every one of them.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "samples"

CIN_BODY = """<Message>
  <Header><Source><LEA>201</LEA></Source></Header>
  <Children>
    <Child>
      <ChildIdentifiers><LAchildID>{child}</LAchildID>
        <PersonBirthDate>2015-03-27</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>
      <CINdetails><CINreferralDate>2024-01-10</CINreferralDate>
        <ReferralSource>6</ReferralSource><ReferralNFA>1</ReferralNFA></CINdetails>
    </Child>
  </Children>
</Message>
"""
ENTITY_DTD = '<!DOCTYPE Message [<!ENTITY e "INJECTED">]>\n'
LAUGHS = (
    '<!DOCTYPE Message [<!ENTITY a "lol">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>\n"
)


def _xlsx_with(part: str, rewrite) -> bytes:  # type: ignore[no-untyped-def]
    source = zipfile.ZipFile(SAMPLES / "Annex_A.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = rewrite(data)
            z.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _first_sheet() -> str:
    names = zipfile.ZipFile(SAMPLES / "Annex_A.xlsx").namelist()
    return sorted(n for n in names if n.startswith("xl/worksheets/sheet"))[0]


def main() -> None:
    files: dict[str, bytes] = {}
    expected: dict[str, str] = {}
    sheet = _first_sheet()

    # xlsx: a part that expands ~1000 times (an 800 KB file expanded to 1.6 GB before).
    files["zip-bomb.xlsx"] = _xlsx_with(
        sheet, lambda d: d.replace(b"</worksheet>", b" " * (40 * 1024 * 1024) + b"</worksheet>")
    )
    expected["zip-bomb.xlsx"] = "zip bomb"
    # xlsx: a sheet with an internal entity used in a cell.
    files["xlsx-entity.xlsx"] = _xlsx_with(
        sheet,
        lambda d: d.replace(b"?>", b"?>" + ENTITY_DTD.replace("Message", "worksheet").encode(), 1),
    )
    expected["xlsx-entity.xlsx"] = "DOCTYPE"
    files["not-a-workbook.xlsx"] = b"Child Unique ID,Gender\r\n1,a) Male\r\n"
    expected["not-a-workbook.xlsx"] = "not an Excel .xlsx workbook"
    whole = (SAMPLES / "Annex_A.xlsx").read_bytes()
    files["truncated-workbook.xlsx"] = whole[: len(whole) * 6 // 10]
    expected["truncated-workbook.xlsx"] = "not a readable Excel workbook"

    # XML: the DOCTYPE check bypassed by UTF-16 and by a DOCTYPE after the first 8 KB.
    body = CIN_BODY.format(child="&e;")
    files["census-utf16-entity.xml"] = (
        '<?xml version="1.0" encoding="UTF-16"?>\n' + ENTITY_DTD + body
    ).encode("utf-16")
    expected["census-utf16-entity.xml"] = "DOCTYPE"
    files["census-late-doctype.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!--' + "x" * 10_000 + "-->\n" + ENTITY_DTD + body
    ).encode()
    expected["census-late-doctype.xml"] = "DOCTYPE"
    files["census-billion-laughs.xml"] = (LAUGHS + CIN_BODY.format(child="&j;")).encode()
    expected["census-billion-laughs.xml"] = "DOCTYPE"
    files["census-external-entity.xml"] = (
        '<!DOCTYPE Message [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n' + body
    ).encode()
    expected["census-external-entity.xml"] = "DOCTYPE"
    files["census-shift-jis.xml"] = (
        '<?xml version="1.0" encoding="Shift_JIS"?>\n' + CIN_BODY.format(child="山田太郎")
    ).encode("shift_jis")
    expected["census-shift-jis.xml"] = "encoding"
    files["census-not-xml.xml"] = b"<Message><Children><Child></Message>"
    expected["census-not-xml.xml"] = "not well-formed XML"

    # JSON: depth, a 5,000-digit number, NaN, duplicate keys.
    files["deep.json"] = b"[" * 20_000 + b"]" * 20_000
    expected["deep.json"] = "nested more than 20 levels"
    record = {
        "received_at": "2026-11-26T08:15:00+00:00",
        "channel": "phone",
        "source_code": "2A",
        "children": [{"given_name": "A", "family_name": "B"}],
        "concern": "x",
        "consent": "unknown",
        "immediate_danger": False,
    }
    text = json.dumps(record)
    files["huge-number.json"] = text.replace(
        '"immediate_danger"', '"score": ' + "9" * 5000 + ', "immediate_danger"'
    ).encode()
    expected["huge-number.json"] = "5,000 digits"
    files["nan.json"] = text.replace(
        '"immediate_danger"', '"score": NaN, "immediate_danger"'
    ).encode()
    expected["nan.json"] = "NaN is not a JSON number"
    files["duplicate-keys.json"] = text.replace(
        '"source_code": "2A"', '"source_code": "2A", "source_code": "6"'
    ).encode()
    expected["duplicate-keys.json"] = "duplicate key 'source_code'"

    # Text encodings: Shift-JIS read silently as Windows-1252 before; UTF-16 without BOM.
    header = "Incident Ref,Incident Date/Time,Child1 Forename,Child1 Surname,Child1 DOB\r\n"
    row = "PPN-1,24/11/2026 23:10,さくら,やまだ,03/04/2019\r\n"
    files["shift-jis.csv"] = (header + row * 3).encode("shift_jis")
    expected["shift-jis.csv"] = "multi-byte encoding"
    files["utf16-no-bom.csv"] = (header + row).encode("utf-16-le")
    expected["utf16-no-bom.csv"] = "NUL bytes"

    for name, data in files.items():
        (HERE / name).write_bytes(data)
    (HERE / "expected.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
