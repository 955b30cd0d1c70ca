"""Outcome letters: a plain-English template for every outcome, to the family and to the
referrer, filled from the record; broken templates are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from dutydesk.domain.codes import Outcome
from dutydesk.reports.letters import Audience, LetterError, load_template
from dutydesk.reports.verify import Verdict
from dutydesk.services.documents import DocumentService
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event
from tests.integration.reports.conftest import page_texts
from tests.report_cases import Case


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("outcome", [o.value for o in Outcome])
def test_every_outcome_has_a_template(audience: Audience, outcome: str) -> None:
    template = load_template(audience, outcome)
    assert template.subject and template.body


def test_family_letter_uses_the_amended_outcome_and_plain_words(
    documents: DocumentService, case: Case
) -> None:
    doc = documents.letter(case.contact_ids[0], Audience.FAMILY)
    text = " ".join(" ".join(page_texts(doc.pdf)).split())
    assert "Action taken to keep Siobhán Wiśniewski and Zoë Wiśniewski safe" in text
    assert "Dear parent or carer of Siobhán Wiśniewski and Zoë Wiśniewski" in text
    assert "4 Łódź Row" in text and "27 Oct 2026" in text
    assert "ANALYSIS" not in text  # the family letter does not print the internal rationale
    assert "OFFICIAL-SENSITIVE" in text and "Page 1 of 1" in text
    documents.record_printed(doc)
    assert documents.verify(doc.pdf).verdict is Verdict.MATCHES


def test_referrer_feedback_carries_the_decision_makers_words(
    documents: DocumentService, case: Case
) -> None:
    doc = documents.letter(case.contact_ids[0], Audience.REFERRER)
    text = " ".join(" ".join(page_texts(doc.pdf)).split())
    assert "Dear Ms Ada Teacher" in text
    assert "FEEDBACK-1: school told a strategy discussion is being held." in text
    assert "immediate protection" in text


def test_no_letter_before_a_decision(documents: DocumentService, store: EventStore, now) -> None:  # type: ignore[no-untyped-def]
    received = event("contact.received", contact_payload(), now)
    store.append([received])
    with pytest.raises(LetterError, match="no recorded or signed-off decision"):
        documents.letter(received.payload["contact_id"], Audience.FAMILY)


def test_unknown_placeholder_is_named(tmp_path: Path) -> None:
    (tmp_path / "family.toml").write_text(
        '[outcomes.nfa]\nsubject = "Hello {child_name}"\nbody = "x"\n', encoding="utf-8"
    )
    with pytest.raises(
        LetterError,
        match=r"family.toml, \[outcomes.nfa\] subject: unknown "
        r"placeholder \{child_name\}",
    ):
        load_template(Audience.FAMILY, "nfa", tmp_path)
    with pytest.raises(LetterError, match=r"no \[outcomes.early_help\]"):
        load_template(Audience.FAMILY, "early_help", tmp_path)
