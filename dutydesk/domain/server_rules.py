"""The shared server's copy of the payload rules, generated from the one catalogue.

``dutydesk server init|upgrade`` writes ``rules()`` into ``dutydesk.event_rules`` (one JSON
rule per event type) and ``policy()`` into ``dutydesk.server_policy``, and compiles the
rules into the SQL function ``dutydesk.check_payload`` that ``dutydesk.submit`` calls
(``dutydesk/sync/pg/rules_sql.py``). Nothing is copied by hand, so a new event type or
field added to ``events.CATALOGUE`` is validated by
the server as soon as the server is upgraded, and desk and server cannot drift.

Every check in ``dutydesk.domain.schema`` carries its description (``server_twin``). A
check or cross-field rule written elsewhere without one is left to the desk (the server
then checks only the rest), and ``gaps()`` lists its place: a test pins that list, so a
new check without a twin fails the suite until it gets one or is knowingly listed.

Rule kinds (JSON): ``spec`` (fields by name, required names, cross-field rules), ``text``
(max, strip), ``integer`` (min, max), ``boolean``, ``uuid``, ``date`` (not_future,
not_past: relative to the event's client date, as on the desk), ``datetime``, ``enum``
(values, what), ``list`` (item, min, max, unique), ``nhs_number``, ``postcode``, ``object``,
``any``; cross-field: ``not_both`` (fields), ``each_has_one_of`` (field, keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .codes import Role
from .errors import ValidationError
from .events import CATALOGUE
from .permissions import (
    BREAK_GLASS_HOURS,
    MIN_REASON_CHARS,
    PERMISSIONS,
    RESTRICTION_EXEMPT,
    Action,
)
from .schema import Spec

VALUE_KINDS = frozenset(
    {
        "spec",
        "text",
        "integer",
        "boolean",
        "uuid",
        "date",
        "datetime",
        "enum",
        "list",
        "nhs_number",
        "postcode",
        "object",
        "any",
    }
)
CROSS_KINDS = frozenset({"not_both", "each_has_one_of"})

# How far ahead of the server's clock an event's client time may be (desk clock drift).
CLIENT_TIME_AHEAD_MINUTES = 60
# The earliest client time the server takes (DutyDesk did not exist before).
CLIENT_TIME_EARLIEST = "2000-01-01T00:00:00+00:00"


def _describe(check: Any, where: str, gaps: list[str] | None) -> dict[str, Any]:
    if isinstance(check, Spec):
        return spec_rule(check, where, gaps)
    rule = getattr(check, "server_rule", None)
    if not isinstance(rule, Mapping) or rule.get("kind") not in VALUE_KINDS:
        name = getattr(check, "__qualname__", repr(check))
        if gaps is None:
            raise ValidationError(
                f"check {name!r} has no server twin; describe it with "
                "dutydesk.domain.schema.server_twin(check, kind=...)",
                where,
            )
        gaps.append(f"{where} ({name})")
        return {"kind": "any"}
    out = dict(rule)
    if out["kind"] == "list":
        out["item"] = _describe(out["item"], f"{where}[]", gaps)
    return {k: v for k, v in out.items() if v is not None}


def spec_rule(spec: Spec, where: str, gaps: list[str] | None = None) -> dict[str, Any]:
    """The rule for ``spec``. Without ``gaps`` a check with no server twin is an error;
    with it, such a check is left to the desk and its place appended to ``gaps``."""
    fields = {f.name: _describe(f.check, f"{where}.{f.name}", gaps) for f in spec.fields}
    cross = []
    for rule in spec.rules:
        twin = getattr(rule, "server_rule", None)
        if not isinstance(twin, Mapping) or twin.get("kind") not in CROSS_KINDS:
            name = getattr(rule, "__qualname__", repr(rule))
            if gaps is None:
                raise ValidationError(
                    f"cross-field rule {name!r} has no server twin; describe it with "
                    "dutydesk.domain.schema.server_twin(rule, kind=...)",
                    where,
                )
            gaps.append(f"{where} ({name})")
            continue
        cross.append(dict(twin))
    return {
        "kind": "spec",
        "fields": fields,
        "required": [f.name for f in spec.fields if f.required],
        "rules": cross,
    }


def rules() -> dict[str, dict[str, Any]]:
    """event type -> its payload rule, for every type in the catalogue. Checks with no
    server twin yet are left to the desk (listed by ``gaps()``; a test names each one)."""
    return {kind: spec_rule(spec, kind, []) for kind, spec in sorted(CATALOGUE.items())}


def gaps() -> list[str]:
    """Where the catalogue has a check the server does not make (desk only), sorted."""
    found: list[str] = []
    for kind, spec in sorted(CATALOGUE.items()):
        spec_rule(spec, kind, found)
    return sorted(found)


def policy() -> dict[str, Any]:
    """The restriction and time rules the server applies, from the desk's own constants."""
    return {
        "view_restricted": sorted(r.value for r in PERMISSIONS[Action.VIEW_RESTRICTED]),
        "lower_red": sorted(r.value for r in PERMISSIONS[Action.LOWER_RED]),
        # Who a contact may be assigned to: the desk's PeopleDirectory.assignable() rule
        # (migration 0007, dutydesk.may_hold_contacts).
        "hold_contacts": sorted(r.value for r in PERMISSIONS[Action.TAKE_CONTACT]),
        "restriction_exempt": sorted(RESTRICTION_EXEMPT),
        "break_glass_hours": BREAK_GLASS_HOURS,
        "min_reason_chars": MIN_REASON_CHARS,
        "client_time_ahead_minutes": CLIENT_TIME_AHEAD_MINUTES,
        "client_time_earliest": CLIENT_TIME_EARLIEST,
        "roles": [r.value for r in Role],
    }
