import json
from datetime import datetime
from pathlib import Path

from dutydesk.domain.events import validate_payload
from dutydesk.domain.intake_schema import intake_schema

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_published_schema_is_the_generated_one() -> None:
    published = json.loads((DOCS / "intake.schema.json").read_text(encoding="utf-8"))
    assert published == intake_schema()


def test_the_documented_example_passes_the_event_rules(now: datetime) -> None:
    example = json.loads((DOCS / "examples" / "police-notification.json").read_text("utf-8"))
    example["contact_id"] = "0190c3a0-0000-7000-8000-0000000000aa"
    clean = validate_payload("contact.received", example, today=now.date())
    assert clean["children"][1]["nhs_number"] == "9434765919"
    assert clean["domestic_abuse"]["dash_level"] == "high"
