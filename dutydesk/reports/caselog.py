"""The case decision log: a child's (or one contact's) front-door record, read from events.

Every contact in order with its source and concern; every rating with its reasons; every
override with the original and new rating, reason and approver; every decision with its
full structured rationale, who decided, when and the sign-off, with its amendments right
after it; partner checks; consent; notes; an audit trail of every event shown; and a
signature block. It is built from the events, not the projections, so the printed page
is the record itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from ..domain import codes, projection
from ..domain.events import Event
from ..domain.people import age_text
from ..domain.route_events import ROUTE_EVENTS
from ..domain.route_text import describe
from ..domain.routes import ICPC_WORKING_DAYS
from ..domain.timescales import OfficeHours, nth_working_day
from ..domain.triage import factors as catalogue
from ..domain.triage.explain import reason_text
from . import blocks
from .blocks import (
    consent_label,
    facts,
    outcome_label,
    person_role_text,
    person_text,
    source_text,
    threshold_label,
    yes_no,
)
from .digest import EventDigest
from .page import DocumentMeta, Styles, format_date, format_time, para_text, render
from .seal import seal

DECISION_TYPES = ("decision.proposed", "decision.recorded")
FOLLOWERS = ("decision.signed_off", "decision.amended", "decision.returned")


@dataclass(frozen=True, slots=True)
class CaseLogRequest:
    """Whose log: a child (``person_id``) or one contact (``contact_id``)."""

    person_id: str | None = None
    contact_id: str | None = None

    def __post_init__(self) -> None:
        if (self.person_id is None) == (self.contact_id is None):
            raise ValueError("a case log is for a child (person id) or a contact, not both")


class NothingToPrintError(ValueError):
    """The store holds no events for the child or contact asked for."""


def write_case_log(
    events: Sequence[Event],
    request: CaseLogRequest,
    meta: DocumentMeta,
    out: BinaryIO,
    *,
    office: OfficeHours,
    names: Mapping[str, str] | None = None,
) -> EventDigest:
    """Render, seal and write the log to ``out``; returns the digest it carries. Working-day
    clocks it prints (the initial conference due date) count on ``office``, the desk's
    triage policy's calendar, so they agree with the follow-through view and MI. ``names``
    (login -> display name, the people directory) puts people's names beside the logins
    the record holds on every "by" line and in the audit trail."""
    if not events:
        who = f"child {request.person_id}" if request.person_id else f"contact {request.contact_id}"
        raise NothingToPrintError(f"the store holds no events for {who}")
    digest = EventDigest.of(events)
    story = CaseLogBuilder(
        events, request, Styles(), meta.generated_at.date(), office=office, names=names
    ).story()
    out.write(seal(render(story, meta, digest), meta, digest))
    return digest


def case_log_title(events: Sequence[Event], request: CaseLogRequest) -> str:
    model = projection.apply_all(projection.ReadModel(), events)
    if request.person_id:
        person = model.people.get(request.person_id)
        name = person.display_name if person else "child"
        return f"Case decision log: {name}"
    contact = model.contacts.get(request.contact_id or "")
    when = format_time(contact.received_at) if contact else ""
    return f"Case decision log: contact received {when}".rstrip()


class CaseLogBuilder:
    def __init__(
        self,
        events: Sequence[Event],
        request: CaseLogRequest,
        styles: Styles,
        today: date,
        *,
        office: OfficeHours,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.events = list(events)
        self.names: Mapping[str, str] = dict(names or {})
        self.office = office
        self.today = today
        # Each decision as amended so far, so an amendment shows what it changed from.
        self.current: dict[str, dict[str, Any]] = {}
        self.request = request
        self.s = styles
        self.model = projection.apply_all(projection.ReadModel(), self.events)
        self.by_contact: dict[str, list[Event]] = defaultdict(list)
        for e in self.events:
            if e.contact_id:
                self.by_contact[e.contact_id].append(e)

    def story(self) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = [
            Paragraph(para_text(case_log_title(self.events, self.request)), s.title)
        ]
        out.append(
            s.p(
                "This log is printed from the DutyDesk event record. Each entry shows "
                "who recorded it and when. Amendments follow the decision they amend.",
                s.small,
            )
        )
        out.extend(self._child_section())
        contacts = sorted(self.by_contact, key=self._received_key)
        received = [c for c in contacts if self._received(c) is not None]
        out.append(Paragraph(f"Contacts ({len(received)})", s.h1))
        for n, cid in enumerate(contacts, start=1):
            out.extend(self._contact_section(n, len(contacts), cid))
        out.extend(self._audit_section())
        out.append(Spacer(0, 6 * mm))
        out.append(blocks.signature_block(s, "Reviewed and signed"))
        return out

    # ---- the child -------------------------------------------------------------------

    def _child_section(self) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = [
            Paragraph("The child" if self.request.person_id else "Children on this contact", s.h1)
        ]
        if self.request.person_id:
            person_ids = [self.request.person_id]
        else:
            person_ids = sorted({c.person_id for c in self.model.children.values() if c.person_id})
        for pid in person_ids:
            out.append(self._person_facts(pid))
            out.append(Spacer(0, 2 * mm))
        unlinked = [c for c in self.model.children.values() if not c.person_id]
        for child in unlinked:
            out.append(
                facts(
                    s,
                    [
                        ("Name", child.display_name + " (not linked to a record)"),
                        ("Date of birth", format_date(child.date_of_birth)),
                        ("Expected date of birth", format_date(child.expected_date_of_birth)),
                    ],
                )
            )
        return out

    def _person_facts(self, pid: str) -> Flowable:
        p = self.model.people.get(pid) or projection.PersonRow(person_id=pid)
        sex = codes.SEX.get(p.sex or "")
        ethnicity = codes.ETHNICITY.get(p.ethnicity or "")
        age = age_text(p.date_of_birth, p.expected_date_of_birth, self.today)
        return facts(
            self.s,
            [
                ("Name", p.display_name),
                ("Other names", ", ".join(p.other_names)),
                (
                    "Date of birth",
                    f"{format_date(p.date_of_birth)} ({age})" if p.date_of_birth else "",
                ),
                ("Expected date of birth", format_date(p.expected_date_of_birth)),
                ("Sex", sex.label if sex else ""),
                ("Ethnicity", ethnicity.label if ethnicity else ""),
                ("NHS number", p.nhs_number),
                ("Address", " ".join(x for x in (p.address, p.postcode) if x)),
                ("School", p.school),
                ("Child protection plan", p.cp_plan),
                ("Looked after", yes_no(p.looked_after) if p.looked_after else ""),
                ("Open case", "Yes: an allocated worker holds the case" if p.open_case else ""),
                ("Record id", pid),
            ],
        )

    # ---- one contact -----------------------------------------------------------------

    def _received(self, cid: str) -> Event | None:
        return next((e for e in self.by_contact[cid] if e.type == "contact.received"), None)

    def _received_key(self, cid: str) -> tuple[str, str]:
        e = self._received(cid)
        return (str(e.payload["received_at"]) if e else "~", cid)

    def _contact_section(self, n: int, total: int, cid: str) -> list[Flowable]:
        s = self.s
        events = self.by_contact[cid]
        received = self._received(cid)
        out: list[Flowable] = [CondPageBreak(40 * mm)]
        if received is None:
            out.append(Paragraph(f"Contact {n} of {total} (receipt not in this record)", s.h2))
        else:
            p = received.payload
            out.append(
                Paragraph(
                    f"Contact {n} of {total}: received {para_text(format_time(p['received_at']))}",
                    s.h2,
                )
            )
            out.append(self._contact_facts(received))
            out.append(Paragraph("Concern", s.label))
            out.append(s.p(p["concern"]))
        decisions = {e.payload["decision_id"]: e for e in events if e.type in DECISION_TYPES}
        # Sign-offs and amendments are printed straight after the decision they belong to.
        follow: dict[str, list[Event]] = defaultdict(list)
        for e in events:
            if e.type in FOLLOWERS and e.payload["decision_id"] in decisions:
                follow[e.payload["decision_id"]].append(e)
        for e in events:
            if e.type in FOLLOWERS and e.payload["decision_id"] in decisions:
                continue
            out.extend(self._entry(e, decisions))
            if e.type in DECISION_TYPES:
                for later in follow[e.payload["decision_id"]]:
                    out.extend(self._entry(later, decisions))
        return out

    def _contact_facts(self, e: Event) -> Flowable:
        p = e.payload
        reporter = p.get("reporter") or {}
        children = ", ".join(self._child_name(c) for c in p["children"])
        return facts(
            self.s,
            [
                ("Source", source_text(p["source_code"])),
                ("Channel", p["channel"].replace("_", " ")),
                (
                    "Referrer",
                    ", ".join(
                        x
                        for x in (
                            reporter.get("name"),
                            reporter.get("role"),
                            reporter.get("agency"),
                        )
                        if x
                    ),
                ),
                ("Children", children),
                ("Categories", "; ".join(blocks.factor_text(c) for c in p.get("categories", []))),
                ("Immediate danger", danger_text(p)),
                ("Injury reported", asked(p, "injury_reported")),
                ("Disclosure", asked(p, "disclosure")),
                ("Domestic abuse", da_line(p)),
                ("Risk questions", risk_answers(p)),
                (
                    "Consent",
                    consent_label(p["consent"])
                    + (f": {p['consent_notes']}" if p.get("consent_notes") else ""),
                ),
                ("Office / team", " / ".join(x for x in (p.get("office"), p.get("team")) if x)),
                ("Partner reference", p.get("external_ref")),
                ("Recorded by", self._who(e)),
                ("Contact id", p["contact_id"]),
            ],
        )

    def _child_name(self, child: Mapping[str, Any]) -> str:
        pid = child.get("person_id")
        person = self.model.people.get(pid) if pid else None
        if person:
            return person.display_name
        name = " ".join(x for x in (child.get("given_name"), child.get("family_name")) if x)
        return name or ("Unborn child" if child.get("expected_date_of_birth") else "not named")

    def _person(self, login: str | None) -> str:
        """ "Tom Okafor (sw.tom)": the name from the people directory beside the login."""
        return person_text(login, self.names)

    def _by(self, e: Event) -> str:
        """ "Tom Okafor (sw.tom, Practitioner)": who recorded the event, in what role."""
        return person_role_text(e.actor, e.actor_role, self.names)

    def _who(self, e: Event) -> str:
        return f"{self._by(e)} on {format_time(e.client_time)}"

    # ---- entries ---------------------------------------------------------------------

    def _entry(self, e: Event, decisions: Mapping[str, Event]) -> list[Flowable]:
        handler = _ENTRIES.get(e.type)
        return handler(self, e, decisions) if handler else []

    def _rated(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        reasons = [reason_text(r) for r in p["reasons"]]
        body: list[Flowable] = [
            Paragraph(f"Rating: {p['rating'].upper()} (score {p['score']})", s.h2),
            facts(
                s,
                [
                    ("Rated", self._who(e)),
                    ("Policy", p["policy_version"]),
                    ("Respond by", format_time(p.get("due_at"))),
                    ("Decide by", format_time(p.get("decision_due_at"))),
                ],
            ),
            Paragraph("Reasons", s.label),
        ]
        body.extend(s.p(f"• {r}") for r in reasons or ["No reasons recorded."])
        return [KeepTogether(body[:3]), *body[3:]]

    def _overridden(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        return [
            KeepTogether(
                [
                    Paragraph(
                        f"Rating overridden: {p['from_rating'].upper()} to "
                        f"{p['to_rating'].upper()}",
                        s.h2,
                    ),
                    facts(
                        s,
                        [
                            ("Original rating", p["from_rating"].capitalize()),
                            ("New rating", p["to_rating"].capitalize()),
                            ("Reason", p["reason"]),
                            ("Approver", self._person(p.get("approver")) or "none named"),
                            ("Respond by", format_time(p.get("due_at"))),
                            ("Overridden by", self._who(e)),
                        ],
                    ),
                ]
            )
        ]

    def _decision(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        kind = "Proposed decision" if e.type == "decision.proposed" else "Decision"
        need = codes.PRIMARY_NEED.get(p.get("primary_need") or "")
        out: list[Flowable] = [
            CondPageBreak(50 * mm),
            KeepTogether(
                [
                    Paragraph(f"{kind}: {para_text(outcome_label(p['outcome']))}", s.h2),
                    facts(
                        s,
                        [
                            ("Outcome", outcome_label(p["outcome"])),
                            ("Threshold", threshold_label(p["threshold_level"])),
                            ("Primary need", f"{need.code}: {need.label}" if need else ""),
                            ("Decided by", self._by(e)),
                            ("Decided on", format_time(e.client_time)),
                            ("Decision id", p["decision_id"]),
                        ],
                    ),
                ]
            ),
        ]
        out.extend(blocks.rationale(s, p["rationale"]))
        return out

    def _signed_off(self, e: Event, decisions: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        of = decisions.get(p["decision_id"])
        what = outcome_label(of.payload["outcome"]) if of else f"decision {p['decision_id']}"
        return [
            KeepTogether(
                [
                    Paragraph(f"Sign-off of: {para_text(what)}", s.h2),
                    facts(s, [("Signed off by", self._who(e)), ("Comment", p.get("comment"))]),
                ]
            )
        ]

    def _returned(self, e: Event, decisions: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        of = decisions.get(p["decision_id"])
        what = outcome_label(of.payload["outcome"]) if of else f"decision {p['decision_id']}"
        return [
            KeepTogether(
                [
                    Paragraph(f"Returned to its author: {para_text(what)}", s.h2),
                    facts(s, [("Returned by", self._who(e)), ("Reason", p["reason"])]),
                ]
            )
        ]

    def _amended(self, e: Event, decisions: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        did = p["decision_id"]
        of = decisions.get(did)
        before = self.current.setdefault(did, dict(of.payload) if of else {})
        rows: list[tuple[str, Any]] = [
            (
                "Amends",
                f"the decision of {format_time(of.client_time)}"
                if of
                else f"decision {did} (not in this record)",
            ),
            ("Reason", p["reason"]),
            ("Amended by", self._who(e)),
        ]
        if "outcome" in p and p["outcome"] != before.get("outcome"):
            rows.append(
                (
                    "Outcome",
                    f"{outcome_label(before.get('outcome'))} → {outcome_label(p['outcome'])}",
                )
            )
        if "threshold_level" in p and p["threshold_level"] != before.get("threshold_level"):
            rows.append(
                (
                    "Threshold",
                    f"{threshold_label(before.get('threshold_level'))} → "
                    f"{threshold_label(p['threshold_level'])}",
                )
            )
        old_rationale = before.get("rationale") or {}
        for key, label in blocks.RATIONALE_FIELDS + (
            ("feedback_to_referrer", "Feedback to the referrer"),
        ):
            new = (p.get("rationale") or {}).get(key)
            if "rationale" in p and new != old_rationale.get(key):
                rows.append((f"{label} now", new or "(removed)"))
                rows.append((f"{label} was", old_rationale.get(key) or "(not recorded)"))
        if "rationale" in p and p["rationale"].get("next_steps") != old_rationale.get("next_steps"):
            steps = p["rationale"].get("next_steps") or []
            rows.append(
                (
                    "Next steps now",
                    "; ".join(
                        " ".join(
                            x
                            for x in (st["action"], st.get("owner", ""), format_date(st.get("due")))
                            if x
                        )
                        for st in steps
                    )
                    or "(none)",
                )
            )
        before.update({k: p[k] for k in ("outcome", "threshold_level", "rationale") if k in p})
        return [KeepTogether([Paragraph("Amendment to this decision", s.h2), facts(s, rows)])]

    def _resolved(self, e: Event, decisions: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        chosen = decisions.get(p["chosen_decision_id"])
        return [
            KeepTogether(
                [
                    Paragraph("Conflicting decisions resolved", s.h2),
                    facts(
                        s,
                        [
                            ("Decisions", ", ".join(p["decision_ids"])),
                            (
                                "Chosen",
                                outcome_label(chosen.payload["outcome"])
                                if chosen
                                else p["chosen_decision_id"],
                            ),
                            ("Reason", p["reason"]),
                            ("Resolved by", self._who(e)),
                        ],
                    ),
                ]
            )
        ]

    def _check_requested(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        answers = [
            a
            for a in self.by_contact[p["contact_id"]]
            if a.type == "partner_check.answered" and a.payload["check_id"] == p["check_id"]
        ]
        rows: list[tuple[str, Any]] = [
            ("Agency", p["agency"]),
            ("Question", p["question"]),
            ("Requested by", self._who(e)),
        ]
        for a in answers:
            rows += [
                ("Answer", a.payload["answer"]),
                ("Answered by", a.payload.get("answered_by") or self._person(a.actor)),
                ("Answered on", format_time(a.payload.get("answered_at") or a.client_time)),
            ]
        if not answers:
            rows.append(("Answer", "No answer recorded."))
        return [
            KeepTogether(
                [Paragraph(f"Partner check: {para_text(p['agency'])}", s.h2), facts(s, rows)]
            )
        ]

    def _check_answered(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        asked = any(
            q.type == "partner_check.requested" and q.payload["check_id"] == e.payload["check_id"]
            for q in self.by_contact[e.payload["contact_id"]]
        )
        if asked:  # shown with its question
            return []
        return [
            Paragraph("Partner check answer", self.s.h2),
            facts(self.s, [("Answer", e.payload["answer"]), ("Recorded", self._who(e))]),
        ]

    def _consent(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        if e.type == "consent.overridden":
            return [
                KeepTogether(
                    [
                        Paragraph("Information shared without consent", s.h2),
                        facts(
                            s,
                            [
                                ("Basis", p["basis"]),
                                ("Approver", self._person(p["approver"])),
                                ("Recorded by", self._who(e)),
                            ],
                        ),
                    ]
                )
            ]
        return [
            KeepTogether(
                [
                    Paragraph(f"Consent: {consent_label(p['status'])}", s.h2),
                    facts(
                        s,
                        [
                            ("Given by", p.get("given_by")),
                            ("Basis", p.get("basis")),
                            ("Recorded by", self._who(e)),
                        ],
                    ),
                ]
            )
        ]

    def _simple(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        s, p = self.s, e.payload
        if e.type == "note.added":
            return [
                Paragraph("Note", s.h2),
                facts(s, [("Note", p["text"]), ("Added by", self._who(e))]),
            ]
        if e.type == "contact.assigned":
            return [s.p(f"Assigned to {self._person(p['assignee'])} by {self._who(e)}.", s.small)]
        if e.type in ("person.linked", "person.unlinked"):
            verb = "Linked" if e.type == "person.linked" else "Unlinked"
            person = self.model.people.get(p["person_id"])
            name = person.display_name if person else p["person_id"]
            why = f" Reason: {p['reason']}" if p.get("reason") else ""
            return [
                s.p(
                    f"{verb} child {p['slot'] + 1} to the record of {name} by {self._who(e)}.{why}",
                    s.small,
                )
            ]
        return []

    def _route(self, e: Event, _d: Mapping[str, Event]) -> list[Flowable]:
        """Routes, strategy discussions, hand-offs, corrections and follow-through (issue 21)."""
        text = describe(e)
        if text is None:
            return []
        if e.type == "strategy.discussed":
            p = e.payload
            rows = [
                ("Held", format_time(p["held_at"])),
                (
                    "Attendees",
                    "; ".join(
                        " ".join(
                            x
                            for x in (
                                a["agency"] + ":",
                                a.get("name") or "",
                                f"({a['role']})" if a.get("role") else "",
                            )
                            if x
                        )
                        for a in p["attendees"]
                    ),
                ),
                ("Outcome", text),
                ("Recorded by", self._who(e)),
            ]
            rows[1:1] = [
                ("About", ", ".join(self._slot_name(p["contact_id"], slot) for slot in p["slots"]))
            ]
            rows.extend(_discussion_rows(p, self.office, self._person))
            return [Paragraph("Strategy discussion", self.s.h2), facts(self.s, rows)]
        return [self.s.p(f"{text} ({self._who(e)}).", self.s.small)]

    def _slot_name(self, contact_id: str, slot: int) -> str:
        child = self.model.children.get((contact_id, slot))
        return f"child {slot + 1}" + (f" ({child.display_name})" if child else "")

    # ---- audit -----------------------------------------------------------------------

    def _audit_section(self) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = [
            CondPageBreak(40 * mm),
            Paragraph("Audit trail", s.h1),
            s.p(
                "Every event this log shows, in the order this desk holds "
                "them. Server sequence and hash appear once an event has "
                "been accepted by the shared server.",
                s.small,
            ),
        ]
        rows = (
            (
                str(n),
                format_time(e.client_time),
                e.type,
                self._by(e),
                e.id,
                f"{e.server_seq} / {e.hash[:12]}"
                if e.server_seq is not None and e.hash
                else ("" if e.server_seq is None else str(e.server_seq)),
            )
            for n, e in enumerate(self.events, start=1)
        )
        out.extend(
            blocks.chunked_table(
                s,
                ("#", "When", "Event", "By", "Event id", "Server seq / hash"),
                rows,
                (7 * mm, 19 * mm, 31 * mm, 30 * mm, 57 * mm, None),
                small_columns=frozenset({2, 4, 5}),
            )
        )
        return out


_ENTRIES = {
    "contact.rated": CaseLogBuilder._rated,
    "contact.rating_overridden": CaseLogBuilder._overridden,
    "decision.proposed": CaseLogBuilder._decision,
    "decision.recorded": CaseLogBuilder._decision,
    "decision.signed_off": CaseLogBuilder._signed_off,
    "decision.amended": CaseLogBuilder._amended,
    "decision.returned": CaseLogBuilder._returned,
    "conflict.resolved": CaseLogBuilder._resolved,
    "partner_check.requested": CaseLogBuilder._check_requested,
    "partner_check.answered": CaseLogBuilder._check_answered,
    "consent.recorded": CaseLogBuilder._consent,
    "consent.overridden": CaseLogBuilder._consent,
    "note.added": CaseLogBuilder._simple,
    "contact.assigned": CaseLogBuilder._simple,
    "person.linked": CaseLogBuilder._simple,
    "person.unlinked": CaseLogBuilder._simple,
    **{kind: CaseLogBuilder._route for kind in ROUTE_EVENTS},
}


def asked(payload: Mapping[str, Any], name: str) -> str:
    """A catalogue answer as printed: "Yes", "No" or "Not asked" (never "No" for a
    question nobody asked)."""
    factor = catalogue.BY_NAME[name]
    return catalogue.answer_text(factor, catalogue.answer(payload, factor))


def danger_text(payload: Mapping[str, Any]) -> str:
    """ "Yes", "No" or "Not stated" (imported history, where nobody was asked)."""
    return catalogue.answer_text(
        catalogue.BY_NAME["immediate_danger"], catalogue.danger_answer(payload)
    )


def da_line(payload: Mapping[str, Any]) -> str:
    """The police notification's domestic abuse facts on one line; children present is
    "Yes", "No" or "Not asked" (an unanswered question never reads as "no")."""
    da = payload.get("domestic_abuse") or {}
    if not da:
        return ""
    return "; ".join(
        x
        for x in (
            f"DASH {da['dash_level']}" if da.get("dash_level") else "",
            f"DARA {da['dara_level']}" if da.get("dara_level") else "",
            f"children present: {asked(payload, 'children_present')}",
            f"{da['previous_incidents']} previous incidents"
            if da.get("previous_incidents") is not None
            else "",
            f"ref {da['incident_ref']}" if da.get("incident_ref") else "",
        )
        if x
    )


def risk_answers(payload: Mapping[str, Any]) -> str:
    """Every other catalogue question that was asked, with its answer; "Not asked" when
    none was."""
    names = {
        c.get("slot", i): (
            " ".join(x for x in (c.get("given_name"), c.get("family_name")) if x)
            or f"child {i + 1}"
        )
        for i, c in enumerate(payload.get("children", ()))
    }
    shown = []
    for factor in catalogue.FACTORS:
        if factor.name in _SHOWN_APART:
            continue
        value = catalogue.answer(payload, factor)
        if value is not None:
            shown.append(f"{factor.question} {catalogue.answer_text(factor, value, names)}")
    return "; ".join(shown) if shown else "Not asked"


# Printed on lines of their own (or in the domestic abuse line) above.
_SHOWN_APART = frozenset(
    {
        "immediate_danger",
        "injury_reported",
        "disclosure",
        "dash_level",
        "dara_level",
        "children_present",
        "previous_incidents",
    }
)


def _discussion_rows(
    p: Mapping[str, Any], office: OfficeHours, person: Callable[[str | None], str] = str
) -> list[tuple[str, str]]:
    """What a strategy discussion decided beyond its outcome line, with times: the s47
    start and the initial conference it sets due (15 working days, WT 2023 ch. 3), the
    medical, police protection (72 hours at most, Children Act 1989 s46(6)), an emergency
    protection order, the lead social worker and the summary. Working days count on
    ``office``, the desk's calendar."""
    rows: list[tuple[str, str]] = []
    if p.get("s47_started_on"):
        held = datetime.fromisoformat(p["held_at"]).astimezone(office.zone).date()
        rows.append(
            (
                "Section 47 enquiry",
                f"started {format_date(p['s47_started_on'])}; "
                "initial child protection conference due by "
                f"{format_date(nth_working_day(office, held, ICPC_WORKING_DAYS).isoformat())}"
                " (15 working days)",
            )
        )
    if p.get("medical"):
        when = f" for {format_time(p['medical_at'])}" if p.get("medical_at") else ""
        rows.append(("Medical", p["medical"].replace("_", " ") + when))
    pp = p.get("police_protection")
    if pp:
        ended = f" to {format_time(pp['ended_at'])}" if pp.get("ended_at") else " (not yet ended)"
        where = f"; child at {pp['where']}" if pp.get("where") else ""
        rows.append(("Police protection", f"from {format_time(pp['started_at'])}{ended}{where}"))
    epo = p.get("epo")
    if epo:
        granted = (
            f"; granted {format_time(epo['granted_at'])}"
            if epo.get("granted_at")
            else "; not yet granted"
        )
        court = f" ({epo['court']})" if epo.get("court") else ""
        rows.append(
            (
                "Emergency protection order",
                f"applied for {format_time(epo['applied_at'])}{granted}{court}",
            )
        )
    if p.get("lead_social_worker"):
        rows.append(("Lead social worker", person(p["lead_social_worker"])))
    if p.get("summary"):
        rows.append(("Summary", p["summary"]))
    return rows
