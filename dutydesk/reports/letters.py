"""Outcome letters: to the family, and feedback to the referrer, from editable templates.

Templates are TOML files in ``resources/letters`` (``family.toml``, ``referrer.toml``),
one ``[outcomes.<code>]`` table per decision outcome, in plain English that a service
can reword without touching code. A template that is missing, or names a placeholder
that does not exist, is refused with the file and the outcome named.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from ..domain import codes, projection
from ..domain.events import Event
from ..domain.route_codes import ROUTE_LABELS, RouteKind
from ..paths import RESOURCES
from .audience import Audience
from .blocks import outcome_label
from .digest import EventDigest
from .page import DocumentMeta, Styles, format_date, para_text, render
from .seal import seal

LETTERS = RESOURCES / "letters"

PLACEHOLDERS = frozenset(
    {
        "child_names",
        "received_date",
        "decision_date",
        "outcome",
        "reference",
        "feedback",
        "referrer_name",
        "referrer_agency",
        "decided_by",
        "office",
        "team",
        "service_name",
        "service_phone",
        "address",
    }
)


class LetterError(ValueError):
    """A letter cannot be made: no decision yet, or a template problem (named)."""


@dataclass(frozen=True, slots=True)
class Template:
    path: Path
    outcome: str
    subject: str
    body: str
    salutation: str
    closing: str
    signature: str
    defaults: Mapping[str, str]


def load_template(audience: Audience, outcome: str, folder: Path = LETTERS) -> Template:
    path = folder / f"{audience.value}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LetterError(f"letter template {path} is missing") from None
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LetterError(f"letter template {path} cannot be read: {err}") from None
    common = data.get("letter", {})
    table = data.get("outcomes", {}).get(outcome)
    if not isinstance(table, dict):
        raise LetterError(f"letter template {path} has no [outcomes.{outcome}] section")
    try:
        template = Template(
            path=path,
            outcome=outcome,
            subject=str(table["subject"]),
            body=str(table["body"]),
            salutation=str(table.get("salutation", common.get("salutation", "Dear {name},"))),
            closing=str(table.get("closing", common.get("closing", ""))),
            signature=str(table.get("signature", common.get("signature", ""))),
            defaults={
                k: str(v) for k, v in common.items() if k in ("service_name", "service_phone")
            },
        )
    except KeyError as err:
        raise LetterError(
            f"letter template {path}, [outcomes.{outcome}] has no {err.args[0]!r}"
        ) from None
    for name, text in (
        ("subject", template.subject),
        ("body", template.body),
        ("salutation", template.salutation),
        ("closing", template.closing),
        ("signature", template.signature),
    ):
        for _, field, _, _ in string.Formatter().parse(text):
            if field is not None and field not in PLACEHOLDERS:
                raise LetterError(
                    f"letter template {path}, [outcomes.{outcome}] {name}: "
                    f"unknown placeholder {{{field}}}"
                )
    return template


@dataclass(frozen=True, slots=True)
class LetterContent:
    """The facts a letter is filled with, and the events they come from."""

    outcome: str
    values: Mapping[str, str]
    events: tuple[Event, ...]


def letter_content(
    events: Sequence[Event], contact_id: str, people: Mapping[str, str] | None = None
) -> LetterContent:
    """The contact's current decision (amendments applied) and its facts, from events.
    ``people`` (login -> display name, the people directory): a letter leaving the service
    names who decided by their name, not their login (the login when nobody is named)."""
    model = projection.apply_all(projection.ReadModel(), events)
    contact = model.contacts.get(contact_id)
    if contact is None or not contact.received_at:
        raise LetterError(f"contact {contact_id} is not in the store")
    live = [model.decisions[d] for d in contact.decision_ids]
    settled = [d for d in live if d.status != codes.DecisionStatus.PROPOSED.value]
    if not settled:
        raise LetterError(
            f"contact {contact_id} has no recorded or signed-off decision yet; a letter needs one"
        )
    decision = settled[-1]
    kids = sorted(
        (c for c in model.children.values() if c.contact_id == contact_id), key=lambda c: c.slot
    )
    names = [
        (model.people[k.person_id].display_name if k.person_id in model.people else k.display_name)
        for k in kids
    ]
    address = next(
        (
            _address(model.people[k.person_id])
            for k in kids
            if k.person_id in model.people and model.people[k.person_id].address
        ),
        "",
    )
    received = next(
        e for e in events if e.type == "contact.received" and e.payload["contact_id"] == contact_id
    )
    shown = [received] + [
        e
        for e in events
        if e.type.startswith("decision.") and e.payload.get("decision_id") == decision.decision_id
    ]
    values = {
        "child_names": _join_names(names),
        "received_date": format_date(contact.received_at),
        "decision_date": format_date(decision.decided_at),
        "outcome": outcome_label(decision.outcome),
        "reference": contact_id[-8:].upper(),
        "feedback": str(decision.rationale.get("feedback_to_referrer") or ""),
        "referrer_name": contact.reporter_name or "colleague",
        "referrer_agency": contact.reporter_agency or "",
        "decided_by": (people or {}).get(decision.decided_by) or decision.decided_by,
        "office": contact.office or "",
        "team": contact.team or "",
        "address": address or "",
    }
    routes = sorted(
        (
            e
            for e in events
            if e.type == "route.opened"
            and e.payload["contact_id"] == contact_id
            and "slot" in e.payload
            and e.payload["kind"] not in _NOT_IN_LETTERS
        ),
        key=lambda e: e.payload["slot"],
    )  # stable: each child's in time order
    by_slot = {k.slot: n for k, n in zip(kids, names, strict=True)}
    values["routes"] = "; ".join(
        f"{by_slot.get(e.payload['slot'], 'a child')}: "
        f"{ROUTE_LABELS[RouteKind(e.payload['kind'])].split(' (')[0].lower()}"
        + (
            f" ({e.payload['team'] or e.payload['to']})"
            if e.payload.get("team") or e.payload.get("to")
            else ""
        )
        for e in routes
    )
    return LetterContent(decision.outcome, values, tuple(shown) + tuple(routes))


# Routes about adults or that could put someone at risk if read by the wrong person are
# never written into a letter (LADO, MARAC); emergency protection is told in person.
_NOT_IN_LETTERS = frozenset({RouteKind.LADO, RouteKind.MARAC, RouteKind.EMERGENCY_PROTECTION})


def _join_names(names: list[str]) -> str:
    if not names:
        return "your child"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _fill(text: str, values: Mapping[str, Any]) -> str:
    return text.format_map(values).strip()


def write_letter(
    content: LetterContent,
    audience: Audience,
    meta: DocumentMeta,
    out: BinaryIO,
    folder: Path = LETTERS,
) -> EventDigest:
    template = load_template(audience, content.outcome, folder)
    values = {**template.defaults, **content.values}
    values["service_name"] = values.get("service_name", "Children's Services")
    values["service_phone"] = values.get("service_phone", "")
    s = Styles()
    story: list[Flowable] = []
    if audience is Audience.FAMILY and values.get("address"):
        story.append(Paragraph(para_text(values["address"]), s.letter))
    story += [
        Paragraph(para_text(format_date(meta.generated_at.isoformat())), s.letter),
        Paragraph(f"Our reference: {para_text(values['reference'])}", s.letter),
        Spacer(0, 4 * mm),
        Paragraph(para_text(_fill(template.subject, values)), s.h1),
        Paragraph(para_text(_fill(template.salutation, values)), s.letter),
    ]
    for paragraph in _fill(template.body, values).split("\n\n"):
        if paragraph.strip():
            story.append(Paragraph(para_text(" ".join(paragraph.split())), s.letter))
    if audience is Audience.REFERRER and values.get("routes"):  # issue 21: per child
        story.append(
            Paragraph(
                para_text("What happens next for each child: " + values["routes"] + "."), s.letter
            )
        )
    for paragraph in _fill(template.closing, values).split("\n\n"):
        story.append(Paragraph(para_text(paragraph.strip()), s.letter))
    story.append(Spacer(0, 10 * mm))
    story.append(Paragraph(para_text(_fill(template.signature, values)), s.letter))
    digest = EventDigest.of(content.events)
    out.write(seal(render(story, meta, digest), meta, digest))
    return digest


def letter_title(audience: Audience, content: LetterContent) -> str:
    who = "family" if audience is Audience.FAMILY else "referrer"
    return f"Letter to the {who}: {content.values['child_names']}"


def _address(person: projection.PersonRow) -> str:
    return "\n".join(x for x in (person.address, person.postcode) if x)
