"""The contact detail opens with who the contact is about, named as the queue row names
them (it opened with the source alone, "RED Police", and a baby registered before birth
was "Khan (9 wk)" in the detail but "Mateusz Khan (9 wk)" in the queue)."""

from __future__ import annotations

import re
from html import unescape

from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.codes import source_label
from dutydesk.domain.ids import new_id
from dutydesk.services.desk import DeskService
from dutydesk.ui.detail_html import detail_html
from tests.factories import contact_payload, event


def test_the_detail_heading_names_the_children_as_the_queue_does(service: DeskService) -> None:
    now = service.clock.now()
    items = service.queue()
    assert len(items) >= 20
    for item in items:
        detail = service.contact_detail(item.contact_id)
        assert detail is not None
        html = detail_html(detail, now, {})
        heading = unescape(re.sub(r"<[^>]+>", "", re.search(r"<h2>(.*?)</h2>", html).group(1)))  # type: ignore[union-attr]
        assert item.children_text in heading, (heading, item.children_text)
        after = html[html.index("</h2>") :]
        assert source_label(item.source_code) in unescape(after[:200])


def test_a_baby_known_before_birth_is_named_once_a_contact_names_them(  # type: ignore[no-untyped-def]
    store, clock
) -> None:
    pid = new_id()
    at = clock.now()
    body = contact_payload(
        children=[
            {
                "person_id": pid,
                "given_name": "Mateusz",
                "family_name": "Khan",
                "date_of_birth": "2026-09-28",
            }
        ]
    )
    store.import_events(
        [
            event(
                "person.registered",
                {"person_id": pid, "family_name": "Khan", "expected_date_of_birth": "2026-10-01"},
                at,
            ),
            event("contact.received", body, at),
        ]
    )
    service = DeskService(store, demo_actor(), clock)
    detail = service.contact_detail(body["contact_id"])
    assert detail is not None and detail.children[0].name == "Mateusz Khan"
    assert "Mateusz Khan" in detail_html(detail, clock.now(), {}).split("</h2>")[0]
