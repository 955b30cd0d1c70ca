"""The contact detail as rich text for a ``QTextBrowser``.

Colours come from the widget's palette (light or dark theme) except the rating chip.
Everything from the record is escaped: names like O'Brien and concerns with ``<`` in them
must show as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any

from ..domain.codes import ASSESSMENT_FACTORS, OUTCOME_LABELS, SOURCE_SHORT, Outcome, source_label
from ..domain.triage.explain import reason_text
from ..domain.triage.factors import answer_lines
from ..domain.wording import human_date, human_datetime
from ..services.snapshots import ChildHistory, ContactDetail, DecisionView
from .queue_model import RATING_COLOURS, STATUS_TEXT, time_left_text

CONSENT_TEXT = {
    "given": "Given",
    "refused": "Refused",
    "not_sought": "Not sought",
    "not_required": "Not required",
    "unknown": "Not known",
}
RATIONALE_LABELS = (
    ("concerns_and_risks", "Concerns and risks"),
    ("strengths_and_protective_factors", "Strengths and protective factors"),
    ("childs_voice", "The child's voice and lived experience"),
    ("consent_and_information_sharing", "Consent and the basis for sharing information"),
    ("analysis", "Analysis"),
    ("feedback_to_referrer", "Feedback to the referrer"),
)


def when(stamp: str | None) -> str:
    return human_datetime(stamp)


def day(stamp: str | None) -> str:
    return human_date(stamp)


def chip(rating: str | None) -> str:
    if rating not in RATING_COLOURS:
        return "<b>UNRATED</b>"
    back, fore = RATING_COLOURS[rating]
    return (
        f"<span style='background:{back};color:{fore};font-weight:bold'>"
        f"&nbsp;{escape(rating.upper())}&nbsp;</span>"
    )


def outcome_label(code: str | None) -> str:
    if not code:
        return "—"
    try:
        return OUTCOME_LABELS[Outcome(code)]
    except ValueError:
        return code


def _who(d: ContactDetail) -> str:
    names = [f"{c.name} ({c.age})" if c.age else c.name for c in d.children]
    return ", ".join(names) if names else "No child named yet"


def detail_html(d: ContactDetail, now: datetime, thresholds: Mapping[int, str]) -> str:
    return "".join(
        (
            _heading(d, now),
            _alerts(d),
            _concern(d),
            _answers(d),
            _reporter(d),
            _reasons(d),
            _consent(d),
            _checks(d),
            "<h3>Children and their history</h3>" + "".join(_child(c) for c in d.children),
            _after_intake(d, thresholds),
        )
    )


def _heading(d: ContactDetail, now: datetime) -> str:
    """Who it is about first, as the queue row says it; then where it came from."""
    due_text, _ = time_left_text(d.due_at, now, status=d.status)
    return (
        f"<h2>{chip(d.rating)} {escape(_who(d))}</h2>"
        f"<p><b>{escape(source_label(d.source_code))}</b></p>"
        f"<p>Received {escape(when(d.received_at))} by {escape(d.channel.replace('_', ' '))}"
        f" · {escape(STATUS_TEXT.get(d.status, d.status))}"
        f" · with {escape(d.who(d.assignee) or 'nobody yet')}"
        + ("" if d.status == "decided" else f" · time left {escape(due_text)}")  # clock stopped
        + "</p>"
    )


def _alerts(d: ContactDetail) -> str:
    parts = []
    if d.immediate_danger:
        parts.append("<p><b>⚠ Immediate danger reported at intake.</b></p>")
    elif d.immediate_danger is None:
        parts.append(
            "<p><b>Immediate danger: not stated</b> (imported history: nobody was asked; "
            "never read as no).</p>"
        )
    if d.conflict:
        parts.append("<p><b>⚠ Conflicting decisions: a manager must resolve them.</b></p>")
    return "".join(parts)


def _concern(d: ContactDetail) -> str:
    text = "<h3>Concern</h3>" + _para(d.concern)
    if d.categories:
        text += (
            "<p>"
            + ", ".join(
                escape(f"{c} {ASSESSMENT_FACTORS[c].label}" if c in ASSESSMENT_FACTORS else c)
                for c in d.categories
            )
            + "</p>"
        )
    return text


def _reporter(d: ContactDetail) -> str:
    r = d.reporter
    who = ", ".join(escape(x) for x in (r.name, r.role, r.agency, r.relationship) if x)
    reach = ", ".join(escape(x) for x in (r.phone, r.email) if x)
    return (
        f"<h3>Reporter</h3><p>{who or 'Not recorded (anonymous or unknown)'}"
        + (f"<br>{reach}" if reach else "")
        + "</p>"
    )


def _after_intake(d: ContactDetail, thresholds: Mapping[int, str]) -> str:
    """Decisions, what happened after them (issue 21) and notes."""
    parts = []
    if d.decisions:
        parts.append(
            "<h3>Decisions</h3>" + "".join(_decision(x, thresholds, d) for x in d.decisions)
        )
    if d.followups:  # issue 21: after the decision
        parts.append(
            "<h3>After the decision</h3>"
            + "".join(
                f"<p><i>{escape(d.who(who))}, {escape(when(at))}</i><br>{escape(what)}</p>"
                for at, who, what in d.followups
            )
        )
    if d.notes:
        parts.append(
            "<h3>Notes</h3>"
            + "".join(
                f"<p><i>{escape(d.who(n.author))}, {escape(when(n.written_at))}</i><br>"
                f"{escape(n.text)}</p>"
                for n in d.notes
            )
        )
    return "".join(parts)


def _answers(d: ContactDetail) -> str:
    """The risk questions that were asked, with their answers; injury and disclosure
    always, as "Not asked" when nobody asked (never as "No")."""
    lines = answer_lines(d.answers)
    return (
        "<h3>Risk questions</h3><p>"
        + "<br>".join(f"{escape(q)} <b>{escape(a)}</b>" for q, a in lines)
        + "</p>"
    )


def _para(text: str) -> str:
    return "<p>" + escape(text).replace("\n", "<br>") + "</p>"


def _reasons(d: ContactDetail) -> str:
    if not d.reasons and not d.ratings:
        return "<h3>Why this rating</h3><p>Not rated yet.</p>"
    items = "".join(f"<li>{escape(reason_text(r))}</li>" for r in d.reasons)
    head = (
        f"<p>Score {d.score} · policy {escape(d.policy_version or '—')}</p>"
        if d.score is not None
        else ""
    )
    changes = "".join(
        f"<li>{escape(when(c.at))}: {escape(d.who(c.by))} changed "
        f"{escape((c.from_rating or '').upper())} → {escape(c.rating.upper())}: "
        f"{escape(c.reason)}</li>"
        for c in d.ratings
        if c.from_rating
    )
    return (
        "<h3>Why this rating</h3>"
        + head
        + (f"<ul>{items}</ul>" if items else "")
        + (f"<p><b>Rating changed by a person</b></p><ul>{changes}</ul>" if changes else "")
    )


def _child(c: ChildHistory) -> str:
    ids = " · ".join(
        x
        for x in (
            f"born {day(c.date_of_birth)}" if c.date_of_birth else "",
            f"NHS {c.nhs_number}" if c.nhs_number else "",
        )
        if x
    )
    flags = "".join(f"<li><b>{escape(f)}</b></li>" for f in c.flags)
    rows = "".join(
        f"<tr><td><a href='contact:{escape(p.contact_id)}' title='Open this contact'>"
        f"{escape(day(p.received_at))}</a></td><td>{chip(p.rating)}</td>"
        f"<td>{escape(SOURCE_SHORT.get(p.source_code, p.source_code))}</td>"
        f"<td>{escape(outcome_label(p.outcome))}{' (referral)' if p.is_referral else ''}</td>"
        f"<td>{escape(_short(p.concern))}</td></tr>"
        for p in c.earlier
    )
    history = (
        f"<table cellspacing='0' cellpadding='3' border='1'>"
        f"<tr><th>Received</th><th>Rating</th><th>Source</th><th>Outcome</th>"
        f"<th>Concern</th></tr>{rows}</table>"
        if rows
        else "<p>No earlier contacts on record.</p>"
        if c.person_id
        else "<p>Not yet linked to a known person: no history shown.</p>"
    )
    return (
        f"<h4>{escape(c.name)} ({escape(c.age)})</h4>"
        + (f"<p>{escape(ids)}</p>" if ids else "")
        + (f"<ul>{flags}</ul>" if flags else "")
        + history
    )


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def consent_line(d: ContactDetail) -> str:
    """Consent for sharing in one line (also above the partner checks)."""
    text = f"Consent: {CONSENT_TEXT.get(d.consent, d.consent)}"
    shared = [c for c in d.consents if c.overridden]
    if shared:
        last = shared[-1]
        text += f"; shared without consent on the authority of {d.who(last.approver)}: {last.basis}"
    elif d.consent_overridden:
        text += "; shared without consent, with a recorded basis"
    return text


def _consent(d: ContactDetail) -> str:
    head = f"<h3>Consent</h3><p>{escape(consent_line(d))}"
    if d.consent_notes:
        head += f"<br>At intake: {escape(d.consent_notes)}"
    head += "</p>"
    if not d.consents:
        return head
    items = []
    for c in d.consents:
        if c.overridden:
            items.append(
                f"<li>{escape(when(c.at))}: <b>shared without consent</b>, "
                f"authorised by {escape(d.who(c.approver))}: {escape(c.basis or '')}"
                "</li>"
            )
        else:
            given = f" by {escape(c.given_by)}" if c.given_by else ""
            basis = f": {escape(c.basis)}" if c.basis else ""
            items.append(
                f"<li>{escape(when(c.at))}: "
                f"{escape(CONSENT_TEXT.get(c.status or '', c.status or ''))}{given}"
                f"{basis} (recorded by {escape(d.who(c.by))})</li>"
            )
    return head + "<ul>" + "".join(items) + "</ul>"


def _checks(d: ContactDetail) -> str:
    if not d.partner_checks:
        return "<h3>Partner checks</h3><p>None requested.</p>"
    out = []
    for c in d.partner_checks:
        answer = (
            f"<br>Answered {escape(when(c.answered_at))} by {escape(d.who(c.answered_by))}:"
            f" {escape(c.answer)}"
            if c.answer is not None
            else "<br><i>Awaiting answer</i>"
        )
        out.append(
            f"<li><b>{escape(c.agency)}</b> asked {escape(when(c.requested_at))} by "
            f"{escape(d.who(c.requested_by))}: {escape(c.question)}{answer}</li>"
        )
    return (
        f"<h3>Partner checks</h3><p><i>{escape(consent_line(d))}</i></p><ul>"
        + "".join(out)
        + "</ul>"
    )


def _rationale(rationale: Mapping[str, Any]) -> str:
    out = []
    for key, label in RATIONALE_LABELS:
        if rationale.get(key):
            out.append(f"<p><b>{label}</b><br>{escape(str(rationale[key]))}</p>")
    steps = rationale.get("next_steps") or []
    if steps:
        out.append(
            "<p><b>Next steps</b></p><ul>"
            + "".join(
                f"<li>{escape(s.get('action', ''))}"
                f"{' — ' + escape(s['owner']) if s.get('owner') else ''}"
                f"{' by ' + escape(day(s['due'])) if s.get('due') else ''}</li>"
                for s in steps
            )
            + "</ul>"
        )
    return "".join(out)


def _decision(x: DecisionView, thresholds: Mapping[int, str], d: ContactDetail) -> str:
    status = {
        "proposed": "Proposed, awaiting sign-off",
        "recorded": "Recorded",
        "signed_off": "Signed off",
        "returned": "Returned to its author",
    }.get(x.status, x.status)
    level = thresholds.get(x.threshold_level, "")
    head = (
        f"<p><b>{escape(outcome_label(x.outcome))}</b> · level {x.threshold_level} "
        f"{escape(level)} · {escape(status)}"
        f"{' · superseded' if x.superseded else ''}<br>"
        f"by {escape(d.who(x.decided_by))} ({escape(x.decided_role.replace('_', ' '))}), "
        f"{escape(when(x.decided_at))}"
        + (
            f"; signed off by {escape(d.who(x.signed_off_by))} {escape(when(x.signed_off_at))}"
            if x.signed_off_by
            else ""
        )
        + "</p>"
    )
    body = ""
    if x.returned is not None:
        body += (
            f"<p style='background:#fff3e0;padding:4px;'><b>⚠ Returned by "
            f"{escape(d.who(x.returned.returned_by))}</b> "
            f"{escape(when(x.returned.returned_at))}: "
            f"{escape(x.returned.reason)}<br>Propose again with Decide.</p>"
        )
    body += _rationale(x.rationale)
    if x.amendments:
        original = x.original
        amended = "".join(
            f"<li>{escape(when(a.at))}, {escape(d.who(a.by))}: <b>{escape(a.reason)}</b>"
            + (
                f" — outcome now {escape(outcome_label(a.changes['outcome']))}"
                if "outcome" in a.changes
                else ""
            )
            + (f", level {a.changes['threshold_level']}" if "threshold_level" in a.changes else "")
            + "</li>"
            for a in x.amendments
        )
        body += (
            f"<p><b>Amendments</b></p><ul>{amended}</ul>"
            f"<p><b>As first recorded:</b> "
            f"{escape(outcome_label(original.get('outcome')))}, level "
            f"{escape(str(original.get('threshold_level', '—')))}</p>"
            + _rationale(original.get("rationale") or {})
        )
    return "<div>" + head + body + "</div><hr>"
