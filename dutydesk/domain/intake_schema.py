"""JSON Schema of the intake exchange format, built from the same code lists as the
validator, so the published schema (docs/intake.schema.json) cannot drift from the rules.

The intake format is the ``contact.received`` payload; ``contact_id`` is optional (a
stable id is derived from the partner's reference when missing).
"""

from __future__ import annotations

from typing import Any

from . import codes
from .events import CHILD_DESCRIBED_BY
from .triage import factors as catalogue

SCHEMA_ID = "https://dutydesk.invalid/schemas/intake-1.json"


def _enum(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(str(v) for v in values)}


def _text(max_len: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_len}


DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {"type": "string", "format": "date-time"}
UUID = {"type": "string", "format": "uuid"}


def intake_schema() -> dict[str, Any]:
    child = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "slot": {"type": "integer", "minimum": 0, "maximum": 99},
            "person_id": UUID,
            "given_name": _text(100),
            "family_name": _text(100),
            "date_of_birth": {**DATE, "description": "not in the future"},
            "expected_date_of_birth": {**DATE, "description": "unborn child"},
            "sex": {
                **_enum(codes.SEX),
                "description": "a male, b female, c not stated or unborn, d neither",
            },
            "ethnicity": _enum(codes.ETHNICITY),
            "disabilities": {
                "type": "array",
                "items": _enum(codes.DISABILITY),
                "uniqueItems": True,
            },
            "nhs_number": {
                "type": "string",
                "pattern": r"^[0-9 -]{10,12}$",
                "description": "10 digits passing the Modulus 11 check",
            },
            "address": _text(300),
            "postcode": _text(10),
            "school": _text(200),
            "age_years": {
                "type": "integer",
                "minimum": 0,
                "maximum": 25,
                "description": "approximate age when the date of birth is not known",
            },
            "date_of_birth_estimated": {
                "type": "boolean",
                "description": "the date of birth is an estimate",
            },
        },
        "anyOf": [{"required": [k]} for k in CHILD_DESCRIBED_BY],
        "not": {"required": ["date_of_birth", "expected_date_of_birth"]},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "DutyDesk intake: one contact about one or more children",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "received_at",
            "channel",
            "source_code",
            "children",
            "concern",
            "consent",
            "immediate_danger",
        ],
        "properties": {
            "contact_id": UUID,
            "received_at": {**DATETIME, "description": "with a time zone"},
            "channel": _enum(c.value for c in codes.Channel),
            "source_code": {
                **_enum(codes.REFERRAL_SOURCES),
                "description": "DfE CIN census referral source (N00152)",
            },
            "reporter": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "name": _text(100),
                    "agency": _text(200),
                    "role": _text(200),
                    "relationship": _text(200),
                    "phone": _text(40),
                    "email": _text(200),
                },
            },
            "children": {"type": "array", "minItems": 1, "maxItems": 20, "items": child},
            "concern": {"type": "string", "minLength": 1, "maxLength": 20000},
            "categories": {
                "type": "array",
                "uniqueItems": True,
                "items": _enum(codes.ASSESSMENT_FACTORS),
                "description": "DfE assessment factor codes (N00181)",
            },
            "consent": _enum(c.value for c in codes.ConsentStatus),
            "consent_notes": _text(2000),
            **{f.name: catalogue.json_schema(f) for f in catalogue.FACTORS if len(f.path) == 1},
            "domestic_abuse": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    **{
                        f.path[1]: catalogue.json_schema(f)
                        for f in catalogue.FACTORS
                        if f.path[0] == "domestic_abuse"
                    },
                    "incident_ref": _text(60),
                    "incident_at": DATETIME,
                },
            },
            "risk": {
                "type": "object",
                "additionalProperties": False,
                "description": "answers to the factor catalogue's questions; a question "
                "not asked is left out (not false)",
                "properties": {
                    f.path[1]: catalogue.json_schema(f)
                    for f in catalogue.FACTORS
                    if f.path[0] == "risk"
                },
            },
            "office": _text(200),
            "team": _text(200),
            "external_ref": _text(100),
        },
    }
