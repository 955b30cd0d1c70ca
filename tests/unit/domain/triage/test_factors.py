"""The factor catalogue drives the intake format, its JSON Schema, the police CSV columns
and the policy's validation; "not asked" is never "no"."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import validate_payload
from dutydesk.domain.intake_schema import intake_schema
from dutydesk.domain.triage import factors as catalogue
from dutydesk.domain.triage.scoring import facts_from_payload
from dutydesk.intake import police_csv
from dutydesk.services.triage import policy_from
from tests.factories import contact_payload

TODAY = date(2026, 11, 26)


def _schema_at(path: tuple[str, ...]) -> dict[str, Any]:
    node: dict[str, Any] = intake_schema()
    for key in path:
        node = node["properties"][key]
    return node


def _sample(f: catalogue.Factor) -> Any:
    return {
        catalogue.YES_NO: True,
        catalogue.COUNT: 2,
        catalogue.CHILD: 0,
        catalogue.CHOICE: f.choices[0][0] if f.choices else None,
    }[f.kind]


def _with(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = payload
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return payload


def test_every_fact_is_in_the_schema_and_accepted_by_the_event_rules() -> None:
    for f in catalogue.FACTORS:
        assert f.question and f.help and f.sources, f.name
        assert _schema_at(f.path)["description"] == f.question, f.name
        clean = validate_payload(
            "contact.received", _with(contact_payload(), f.path, _sample(f)), today=TODAY
        )
        assert catalogue.answers(clean)[f.name] == _sample(f)


@pytest.mark.parametrize(
    "name", ["self_harm", "strangulation", "missing_episodes", "injury_child_mobile"]
)
def test_a_wrong_answer_names_the_field(name: str) -> None:
    f = catalogue.BY_NAME[name]
    with pytest.raises(ValidationError) as info:
        validate_payload(
            "contact.received", _with(contact_payload(), f.path, "perhaps"), today=TODAY
        )
    assert ".".join(f.path) in str(info.value)


def test_an_unknown_risk_key_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        validate_payload(
            "contact.received", _with(contact_payload(), ("risk", "hunch"), True), today=TODAY
        )
    assert "risk.hunch" in str(info.value) or "hunch" in str(info.value)


def test_injured_child_must_be_on_the_contact() -> None:
    with pytest.raises(ValidationError) as info:
        validate_payload(
            "contact.received", _with(contact_payload(), ("risk", "injury_child"), 5), today=TODAY
        )
    assert "risk.injury_child" in str(info.value)


def test_not_asked_is_not_no() -> None:
    asked_no = validate_payload(
        "contact.received", {**contact_payload(), "injury_reported": False}, today=TODAY
    )
    not_asked = validate_payload("contact.received", contact_payload(), today=TODAY)
    f = catalogue.BY_NAME["injury_reported"]
    assert catalogue.answers(asked_no)["injury_reported"] is False
    assert "injury_reported" not in catalogue.answers(not_asked)
    assert catalogue.answer_text(f, catalogue.answer(asked_no, f)) == "No"
    assert catalogue.answer_text(f, catalogue.answer(not_asked, f)) == "Not asked"
    assert catalogue.answer_text(f, True) == "Yes"


def test_approximate_age_scores_like_a_date_of_birth() -> None:
    clean = validate_payload(
        "contact.received",
        contact_payload(
            children=[
                {"given_name": "Older", "age_years": 8},
                {"given_name": "Younger", "age_years": 6},
            ]
        ),
        today=TODAY,
    )
    facts = facts_from_payload(clean)
    assert [c.age_years for c in facts.children] == [8, 6]


def test_every_fact_the_policy_scores_can_be_asked_and_imported() -> None:
    """The policy may only score facts the form asks and an importer fills."""
    scored = policy_from(None).scored_facts()
    assert {"injury_serious", "strangulation", "missing_now", "sole_carer"} <= scored
    for name in scored:
        f = catalogue.BY_NAME[name]
        assert catalogue.FORM in f.sources, f"{name}: the entry form cannot ask it"
        assert f.sources & {catalogue.INTAKE_JSON, catalogue.POLICE_CSV}, (
            f"{name}: no importer can fill it"
        )


def test_police_csv_reads_the_catalogues_da_columns() -> None:
    for name in ("strangulation", "weapon", "victim_pregnant"):
        assert name in police_csv.DA_FACTS
        assert police_csv.ALIASES[name] == catalogue.BY_NAME[name].csv_aliases


def test_da_levels_are_the_domain_codes() -> None:
    from dutydesk.domain.codes import DaRiskLevel

    assert {k for k, _ in catalogue.LEVEL_CHOICES} == {d.value for d in DaRiskLevel}


def test_police_csv_fills_strangulation_and_keeps_a_blank_as_not_asked() -> None:
    from datetime import datetime

    from dutydesk.domain.clock import LONDON

    text = (
        "incident_ref,notified_at,dash,children_present,strangulation,weapon,concern,"
        "child1_given_name,child1_dob,immediate_danger\n"
        "INC-1,26/11/2026 08:00,medium,Y,yes,,Hands round her neck,Amelie,03/04/2019,no\n"
    )
    rows = list(police_csv.parse(text, "da.csv", datetime(2026, 11, 26, 9, tzinfo=LONDON)))
    assert [e for r in rows for e in r.errors] == []
    payload = rows[0].drafts[0].payload
    da = validate_payload("contact.received", payload, today=TODAY)["domestic_abuse"]
    assert da["strangulation"] is True and da["children_present"] is True
    assert "weapon" not in da  # an empty cell: not asked


def _csv_value(f: catalogue.Factor) -> str:
    return {
        catalogue.YES_NO: "yes",
        catalogue.COUNT: "2",
        catalogue.CHOICE: f.choices[-1][0] if f.choices else "",
    }[f.kind]


@pytest.mark.parametrize(
    "factor",
    [f for f in catalogue.FACTORS if catalogue.INTAKE_JSON in f.sources],
    ids=lambda f: f.name,
)
def test_the_intake_json_importer_fills_every_fact_it_claims(factor: catalogue.Factor) -> None:
    """A fact the catalogue says intake JSON supplies arrives, through the real importer,
    on the stored payload."""
    from datetime import datetime

    from dutydesk.domain.clock import LONDON
    from dutydesk.intake import jsonfmt

    record = _with(contact_payload(), factor.path, _sample(factor))
    if factor.name != "immediate_danger":
        record["immediate_danger"] = False
    rows = list(
        jsonfmt.parse(json.dumps(record), "in.json", datetime(2026, 11, 26, 9, tzinfo=LONDON))
    )
    assert [e for r in rows for e in r.errors] == []
    clean = validate_payload("contact.received", rows[0].drafts[0].payload, today=TODAY)
    assert catalogue.answers(clean)[factor.name] == _sample(factor)


@pytest.mark.parametrize(
    "factor",
    [f for f in catalogue.FACTORS if catalogue.POLICE_CSV in f.sources],
    ids=lambda f: f.name,
)
def test_the_police_csv_importer_fills_every_fact_it_claims(factor: catalogue.Factor) -> None:
    """A fact the catalogue says the police CSV supplies has a column, and a value in that
    column reaches the stored payload."""
    from datetime import datetime

    from dutydesk.domain.clock import LONDON

    assert factor.name in police_csv.ALIASES, f"{factor.name}: no police CSV column"
    header = police_csv.ALIASES[factor.name][0]
    danger = "" if factor.name == "immediate_danger" else "immediate_danger,"
    text = (
        "incident_ref,notified_at,concern,child1_given_name,child1_dob," + danger + header + "\n"
        "INC-9,26/11/2026 08:00,Argument,Amelie,03/04/2019,"
        + ("no," if danger else "")
        + _csv_value(factor)
        + "\n"
    )
    rows = list(police_csv.parse(text, "da.csv", datetime(2026, 11, 26, 9, tzinfo=LONDON)))
    assert [e for r in rows for e in r.errors] == []
    clean = validate_payload("contact.received", rows[0].drafts[0].payload, today=TODAY)
    expected = {catalogue.YES_NO: True, catalogue.COUNT: 2}.get(factor.kind, _csv_value(factor))
    assert catalogue.answers(clean)[factor.name] == expected


def test_the_intake_format_doc_lists_every_fact() -> None:
    from dutydesk.paths import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "intake-format.md").read_text(encoding="utf-8")
    missing = [f.name for f in catalogue.FACTORS if f"`{'.'.join(f.path)}`" not in doc]
    assert missing == []


# An attacker's payloads: every factor's answer given a JSON value of the wrong type (the
# intake format says: a yes/no is true or false, a count or child a whole number, a choice
# one of its codes). Each must be a validation error naming the field and saying what is
# wrong, on both validators; a list as a choice's answer raised TypeError ("unhashable
# type: 'list'") and stopped the import or the pull instead.
WRONG_TYPES = [[], ["yes"], {}, {"yes": True}, 1.5, "not a code", True, 7, -1, "", [[]]]


def _answering(factor: catalogue.Factor, value: Any) -> dict[str, Any]:
    answer: Any = value
    for key in reversed(factor.path):
        answer = {key: answer}
    return contact_payload(**answer)


def _fits(factor: catalogue.Factor, value: Any) -> bool:
    """The intake format's answer types, written out from docs/intake-format.md."""
    if factor.kind == catalogue.YES_NO:
        return isinstance(value, bool)
    if factor.kind in (catalogue.COUNT, catalogue.CHILD):
        return type(value) is int and value >= 0 and value <= (factor.maximum or 99)
    return isinstance(value, str) and value in {k for k, _ in factor.choices}


@pytest.mark.parametrize("factor", catalogue.FACTORS, ids=lambda f: f.name)
def test_an_answer_of_the_wrong_json_type_is_a_validation_error(factor: Any) -> None:
    from dutydesk.domain import schema_fast
    from dutydesk.domain.events import CATALOGUE
    from dutydesk.domain.schema import Context

    spec = CATALOGUE["contact.received"]
    for bad in WRONG_TYPES:
        payload = _answering(factor, bad)
        if bad == "" or _fits(factor, bad):
            continue  # "" is "not asked"; 7 is a fine count, True a fine yes/no
        for validate in (
            lambda p: validate_payload("contact.received", p, today=date(2026, 11, 26)),
            lambda p: schema_fast.validate(spec, p, Context(date(2026, 11, 26))),
        ):
            with pytest.raises(ValidationError) as err:
                validate(payload)
            where = err.value.path.removeprefix("contact.received.")
            assert where == ".".join(factor.path), (factor.name, bad, err.value)
            reason = err.value.reason  # what is wrong: what was expected, or the value
            assert "expected" in reason or repr(bad) in reason or str(bad) in reason, reason
