"""The server's payload check, compiled to SQL from the generated rules.

``dutydesk.domain.server_rules.rules()`` describes every event type's payload rules in
JSON (from the one catalogue). Interpreting that JSON inside ``submit`` cost more than
the rest of submit together, so ``dutydesk server init|upgrade`` compiles it instead: a
plpgsql function per event type (``dutydesk.check_payload_contact__received`` ...) that
checks the whole payload in one expression and, only when that fails, runs a straight
run of ``IF`` checks on variables (simple expressions, no executor start-up per check)
that RETURNs the first failure, with a ``FOR`` loop per list; and
``dutydesk.check_payload(type, payload, today)``, which hands each payload to its type's.
Messages name the field as the desk's validator does
(``note.added.text: expected text, got a number``).

Every literal is written with ``_lit`` (standard-conforming single quotes); field names,
enumerations and messages come from the catalogue, never from a client.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...domain import projection, server_rules

UUID_RE = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# The forms desks write (Python's date.isoformat() / aware datetime.isoformat()), checked
# by regular expressions in C; only a day 29-31 needs a look at the month's length.
_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
DATE_RE = f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATETIME_RE = (
    f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):"
    "[0-5][0-9]:[0-5][0-9](\\.[0-9]{6})?[+-]([01][0-9]|2[0-3]):[0-5][0-9]$"
)


def _day_exists(s: str) -> str:
    """SQL: the YYYY-MM-DD at the start of text ``s`` (already matching) is a real day."""
    return (
        f"(pg_catalog.substr({s}, 9, 2) <= '28' OR pg_catalog.to_char("
        f"(pg_catalog.substr({s}, 1, 8) || '01')::date + '1 month -1 day'::interval, 'DD') "
        f">= pg_catalog.substr({s}, 9, 2))"
    )


_DELIM = "$check_payload$"


def _nhs_ok(s: str) -> str:
    """SQL: text ``s`` is a valid NHS number (ten digits, not one digit ten times, modulus
    11 check digit), as ``dutydesk.nhs_number_ok`` and the desk's validator, written out as
    one expression (a plpgsql call with a loop per number cost more than every other check
    of a contact together). "Ten times" is tested with ``repeat``, not a back-reference: a
    pattern with one cost the regular expression engine about 45 times as much."""
    digits = " + ".join(
        f"(pg_catalog.ascii(pg_catalog.substr({s}, {k}, 1)) - 48) * {11 - k}" for k in range(1, 10)
    )
    return (
        f"({s} ~ '^[0-9]{{10}}$' AND "
        f"{s} <> pg_catalog.repeat(pg_catalog.substr({s}, 1, 1), 10) AND "
        f"(11 - ({digits}) % 11) % 11 = pg_catalog.ascii(pg_catalog.substr({s}, 10, 1)) - 48)"
    )


def _uuid_ok(s: str) -> str:
    """SQL: text ``s`` matches ``UUID_RE`` (lower-case hex, hyphens at 9, 14, 19 and 24,
    36 long), checked without that pattern's costly run: 36 bytes, a hyphen at each of
    those places, and five hex runs joined by hyphens (so exactly four hyphens, all ASCII:
    36 characters, groups of 8-4-4-4-12)."""
    hyphens = " AND ".join(f"pg_catalog.substr({s}, {k}, 1) = '-'" for k in (9, 14, 19, 24))
    return (
        f"(pg_catalog.octet_length({s}) = 36 AND {hyphens} AND "
        f"{s} ~ '^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$')"
    )


class RuleError(ValueError):
    """A rule the compiler does not know: refuse rather than leave a field unchecked."""


def _lit(text: str) -> str:
    if "\x00" in text:
        raise RuleError("a rule contains a NUL character")
    return "'" + text.replace("'", "''") + "'"


def _kind(x: str) -> str:
    return f"dutydesk.json_kind({x})"


def _typeof(x: str) -> str:
    return f"pg_catalog.jsonb_typeof({x})"


class _Field(str):
    """SQL for one field of a JSON object, ``(obj -> 'name')``, that knows its object and
    name: its text is then ``obj ->> 'name'`` (one look-up, not a look-up and a walk of
    an empty path). The fast path names fields this way; the detailed path uses variables."""

    obj: str
    name: str

    def __new__(cls, obj: str, name: str) -> _Field:
        out = super().__new__(cls, f"({obj} -> {_lit(name)})")
        out.obj, out.name = obj, name
        return out


def _text(x: str) -> str:
    if isinstance(x, _Field):
        return f"({x.obj} ->> {_lit(x.name)})"
    return f"({x} #>> '{{}}')"


# Scalar kinds: a present value of these is short, so its text is cheap to take whatever it
# is (an object sent instead is refused by the kind's check after).
_SCALAR = frozenset(
    {"text", "integer", "boolean", "uuid", "date", "datetime", "enum", "nhs_number", "postcode"}
)


def _absent_fast(f: str, kind: object = None) -> str:
    """SQL: JSON field ``f`` is missing, null or "" (as ``_Compiler._absent``), with one
    look-up of the field instead of three: by its text for a scalar kind, else by one
    comparison with both values."""
    if isinstance(f, _Field) and kind in _SCALAR:
        return f"coalesce({_text(f)}, '') = ''"
    return f"coalesce({f} = ANY (ARRAY['null'::jsonb, '\"\"'::jsonb]), true)"


# A compiled check: ("fail", condition, message) RETURNs the message when the condition is
# true (as ``IF``: NULL passes); ("field", object, name, required, rule, path) checks one
# field when present (or refuses it absent when required); ("loop", list, guard, item)
# checks every element (``item(element, index)`` gives its steps), when ``guard`` (or
# always); ("guarded", guard, steps) runs steps only when ``guard`` holds.
Step = tuple[Any, ...]


class _Compiler:
    """One event type's rules as steps (``checks``), written twice: the fast path
    (``fast``): the whole object's checks in one ``CASE`` expression (one plpgsql simple
    expression: no statement per check) and a loop per list, which leaves the branch with
    RETURN NULL when everything holds; and, only when it does not, the detailed path
    (``detailed``): each check an IF on a plpgsql variable, RETURNing the first failure's
    message. Both come from the same steps, so they cannot disagree about a rule."""

    def __init__(self) -> None:
        self._serial = itertools.count(1)
        self.variables: list[str] = []

    def restart(self) -> None:
        """Number variables from 1 again: each event type's branch reuses the names of the
        branches before it (only one branch runs), so the function declares as many
        variables as its largest branch needs, not the sum (every call copies and
        initialises every variable the function declares)."""
        self._serial = itertools.count(1)

    def _var(self, prefix: str, kind: str) -> str:
        name = f"{prefix}{next(self._serial)}"
        declaration = f"{name} {kind};"
        if declaration not in self.variables:
            self.variables.append(declaration)
        return name

    def value(self, rule: Mapping[str, Any], x: str, path: str) -> list[str]:
        """Lines that RETURN the message when jsonb variable ``x`` breaks ``rule``.
        ``path`` is a SQL text expression naming where ``x`` is."""
        return self.detailed(self.checks(rule, x, path))

    def checks(self, rule: Mapping[str, Any], x: str, path: str) -> list[Step]:
        """The steps that refuse jsonb expression ``x`` when it breaks ``rule``."""
        kind = rule.get("kind")
        at = f"{path} || ': ' || "

        def fail(cond: str, message: str) -> list[Step]:
            return [("fail", cond, message)]

        if kind == "text":
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'string'",
                f"{at}'expected text, got ' || {_kind(x)}",
            ) + fail(
                f"pg_catalog.length({_text(x)}) > {int(rule['max'])}",
                f"{at}'is ' || pg_catalog.length({_text(x)}) || ' characters long; "
                f"at most {int(rule['max'])} allowed'",
            )
        if kind == "integer":
            steps = fail(
                f"{_typeof(x)} IS DISTINCT FROM 'number' OR {x}::text !~ '^-?[0-9]+$'",
                f"{at}'expected a whole number, got ' || {x}::text",
            )
            if rule.get("min") is not None:
                steps += fail(
                    f"{x}::text::numeric < {int(rule['min'])}",
                    f"{at}{x}::text || ' is below the minimum {int(rule['min'])}'",
                )
            if rule.get("max") is not None:
                steps += fail(
                    f"{x}::text::numeric > {int(rule['max'])}",
                    f"{at}{x}::text || ' is above the maximum {int(rule['max'])}'",
                )
            return steps
        if kind == "boolean":
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'boolean'",
                f"{at}'expected true or false, got ' || {_kind(x)}",
            )
        if kind == "uuid":
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'string' OR NOT {_uuid_ok(_text(x))}",
                f"{at}{x}::text || ' is not a UUID'",
            )
        if kind == "date":
            steps = fail(
                f"{_typeof(x)} IS DISTINCT FROM 'string' OR {_text(x)} !~ "
                f"{_lit(DATE_RE)} OR NOT {_day_exists(_text(x))}",
                f"{at}{x}::text || ' is not a date (YYYY-MM-DD)'",
            )
            steps += fail(
                f"{_text(x)}::date < DATE '1900-01-01'", f"{at}{_text(x)} || ' is before 1900'"
            )
            if rule.get("not_future"):
                steps += fail(
                    f"{_text(x)}::date > p_today", f"{at}{_text(x)} || ' is in the future'"
                )
            if rule.get("not_past"):
                steps += fail(
                    f"{_text(x)}::date < (p_today - '1 year'::interval)::date",
                    f"{at}{_text(x)} || ' is more than a year in the past'",
                )
            return steps
        if kind == "datetime":
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'string' OR {_text(x)} !~ "
                f"{_lit(DATETIME_RE)} OR NOT {_day_exists(_text(x))}",
                f"{at}{x}::text || ' is not a date and time with a time zone (ISO 8601)'",
            )
        if kind == "enum":
            values = "ARRAY[" + ", ".join(_lit(str(v)) for v in rule["values"]) + "]::text[]"
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'string' OR NOT {_text(x)} = ANY ({values})",
                f"{at}{x}::text || {_lit(' is not a known ' + str(rule['what']))}",
            )
        if kind == "list":
            steps = fail(
                f"{_typeof(x)} IS DISTINCT FROM 'array'",
                f"{at}'expected a list, got ' || {_kind(x)}",
            )
            steps += fail(
                f"pg_catalog.jsonb_array_length({x}) < {int(rule.get('min', 0))}",
                f"{at}'needs at least {int(rule.get('min', 0))} item(s)'",
            )
            steps += fail(
                f"pg_catalog.jsonb_array_length({x}) > {int(rule['max'])}",
                f"{at}'has ' || pg_catalog.jsonb_array_length({x}) || ' items; at most "
                f"{int(rule['max'])} allowed'",
            )
            item_rule = rule["item"]
            steps.append(
                (
                    "loop",
                    x,
                    None,
                    lambda e, i: self.checks(item_rule, e, f"{path} || '[' || {i} || ']'"),
                )
            )
            if rule.get("unique"):  # a query only when there are two items to compare
                steps.append(
                    (
                        "guarded",
                        f"pg_catalog.jsonb_array_length({x}) > 1",
                        fail(
                            f"(SELECT pg_catalog.count(DISTINCT u.v) FROM "
                            f"pg_catalog.jsonb_array_elements({x}) AS u(v)) <> "
                            f"pg_catalog.jsonb_array_length({x})",
                            f"{at}'has the same value twice'",
                        ),
                    )
                )
            return steps
        if kind == "nhs_number":
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'string' OR NOT {_nhs_ok(_text(x))}",
                f"{at}{x}::text || ' is not a valid NHS number'",
            )
        if kind == "postcode":
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'string' OR {_text(x)} !~ "
                "'^[A-Z][A-Z0-9]{1,3} [A-Z0-9][A-Z]{2}$' OR "
                f"{_text(x)} <> pg_catalog.upper({_text(x)})",
                f"{at}{x}::text || ' is not a UK postcode'",
            )
        if kind == "object":
            return fail(
                f"{_typeof(x)} IS DISTINCT FROM 'object'",
                f"{at}'expected an object, got ' || {_kind(x)}",
            )
        if kind == "any":
            return []
        if kind == "spec":
            return self.spec(rule, x, path)
        raise RuleError(f"the server has no check for rule kind {kind!r}")

    def spec(self, rule: Mapping[str, Any], x: str, path: str) -> list[Step]:
        fields: Mapping[str, Any] = rule["fields"]
        required = set(rule["required"])
        known = "ARRAY[" + ", ".join(_lit(n) for n in fields) + "]::text[]"
        steps: list[Step] = [
            (
                "fail",
                f"{_typeof(x)} IS DISTINCT FROM 'object'",
                f"{path} || ': expected an object, got ' || {_kind(x)}",
            ),
            (
                "fail",
                f"({x} - {known}) <> '{{}}'::jsonb",
                f"(SELECT {path} || ': unknown field ' || "
                "pg_catalog.to_jsonb(k.k)::text "
                f"FROM pg_catalog.jsonb_object_keys({x} - {known}) AS k(k) "
                'ORDER BY k.k COLLATE "C" LIMIT 1)',
            ),
        ]
        for name, field_rule in fields.items():
            steps.append(("field", x, name, name in required, field_rule, path))
        for cross in rule.get("rules", ()):
            steps += self.cross(cross, x, path)
        return steps

    def cross(self, rule: Mapping[str, Any], x: str, path: str) -> list[Step]:
        def present(obj: str, name: str) -> str:
            return f"NOT {_absent_fast(f'({obj} -> {_lit(name)})')}"

        kind = rule.get("kind")
        message = _lit(str(rule.get("message", "")))
        if kind == "not_both":
            count = " + ".join(f"({present(x, n)})::integer" for n in rule["fields"])
            return [("fail", f"{count} > 1", f"{path} || ': ' || {message}")]
        if kind == "each_has_one_of":
            lst = f"({x} -> {_lit(rule['field'])})"
            field = _lit("." + rule["field"] + "[")
            return [
                (
                    "loop",
                    lst,
                    f"{_typeof(lst)} = 'array'",
                    lambda e, i: [
                        (
                            "fail",
                            "NOT (" + " OR ".join(present(e, n) for n in rule["keys"]) + ")",
                            f"{path} || {field} || {i} || ']: ' || {message}",
                        )
                    ],
                )
            ]
        raise RuleError(f"the server has no check for cross-field rule {kind!r}")

    @staticmethod
    def _absent(f: str) -> str:
        return f"{f} IS NULL OR {f} = 'null'::jsonb OR {f} = '\"\"'::jsonb"

    def detailed(self, steps: list[Step]) -> list[str]:
        """Statements that RETURN the first failure's message (an IF per check)."""
        lines: list[str] = []
        for step in steps:
            what = step[0]
            if what == "fail":
                _, cond, message = step
                lines += [f"IF {cond} THEN", f"    RETURN {message};", "END IF;"]
            elif what == "field":
                _, x, name, required, rule, path = step
                f = self._var("f", "jsonb")
                where = f"{path} || {_lit('.' + name)}"
                check = self.value(rule, f, where)
                if not required and not check:
                    continue
                lines.append(f"{f} := {x} -> {_lit(name)};")
                if required:
                    lines += [
                        f"IF {self._absent(f)} THEN",
                        f"    RETURN {where} || ': is required';",
                        "END IF;",
                        *check,
                    ]
                else:
                    lines += [
                        f"IF NOT ({self._absent(f)}) THEN",
                        *("    " + line for line in check),
                        "END IF;",
                    ]
            elif what == "loop":
                _, x, guard, item = step
                e = self._var("e", "jsonb")
                i = self._var("i", "integer")
                body = self.detailed(item(e, i))
                if not body:
                    continue
                loop = [  # an integer loop: no query (executor start-up) per list
                    f"FOR {i} IN 0 .. pg_catalog.jsonb_array_length({x}) - 1 LOOP",
                    f"    {e} := {x} -> {i};",
                    *("    " + line for line in body),
                    "END LOOP;",
                ]
                lines += (
                    [f"IF {guard} THEN", *("    " + x for x in loop), "END IF;"] if guard else loop
                )
            elif what == "guarded":
                _, guard, inner = step
                lines += [
                    f"IF {guard} THEN",
                    *("    " + line for line in self.detailed(inner)),
                    "END IF;",
                ]
            else:  # pragma: no cover - the steps above are all there are
                raise RuleError(f"unknown step {what!r}")
        return lines

    def fast(self, steps: list[Step], label: str) -> tuple[list[str], list[str]]:
        """(conditions, statements): ``steps`` hold when no condition is true (checked in
        order, each only once the ones before it were false, as in ``detailed``) and then
        the statements (the lists' loops, run after) do not ``EXIT label``."""
        conds: list[str] = []
        stmts: list[str] = []
        for step in steps:
            what = step[0]
            if what == "fail":
                conds.append(step[1])
            elif what == "field":
                _, x, name, required, rule, _path = step
                f = _Field(x, name)
                inner, after = self.fast(self.checks(rule, f, "''"), label)
                if not required and not inner and not after:
                    continue
                absent = _absent_fast(f, rule.get("kind"))
                conds.append(
                    f"CASE WHEN {absent} THEN {'true' if required else 'false'} "
                    f"ELSE {_any(inner)} END"
                )
                if after:
                    stmts += (
                        after
                        if required
                        else [f"IF NOT ({absent}) THEN", *("    " + s for s in after), "END IF;"]
                    )
            elif what == "loop":
                _, x, guard, item = step
                e = self._var("e", "jsonb")
                i = self._var("i", "integer")
                inner, after = self.fast(item(e, i), label)
                if not inner and not after:
                    continue
                loop = [
                    f"FOR {i} IN 0 .. pg_catalog.jsonb_array_length({x}) - 1 LOOP",
                    f"    {e} := {x} -> {i};",
                    *(
                        [f"    IF {_any(inner)} THEN", f"        EXIT {label};", "    END IF;"]
                        if inner
                        else []
                    ),
                    *("    " + s for s in after),
                    "END LOOP;",
                ]
                stmts += (
                    [f"IF {guard} THEN", *("    " + s for s in loop), "END IF;"] if guard else loop
                )
            elif what == "guarded":
                _, guard, inner_steps = step
                inner, after = self.fast(inner_steps, label)
                body = [f"IF {_any(inner)} THEN", f"    EXIT {label};", "END IF;"] if inner else []
                stmts += [f"IF {guard} THEN", *("    " + s for s in body + after), "END IF;"]
            else:  # pragma: no cover
                raise RuleError(f"unknown step {what!r}")
        return conds, stmts


def _any(conds: list[str]) -> str:
    """SQL: true when one of ``conds`` is (tried in order, the first true one ends it; a
    NULL counts as false, as in IF): one expression, however many checks."""
    if not conds:
        return "false"
    # In parentheses: plpgsql ends an IF's condition at the first THEN outside them.
    return "(CASE " + " ".join(f"WHEN {c} THEN true" for c in conds) + " ELSE false END)"


# Checks the server makes beyond the payload's shape, after it (the desk makes them in its
# services): event type -> lines of the branch. A contact is assigned only to a login who
# may hold one, as PeopleDirectory.require_assignable (migration 0007; the message depends
# on the assignee only, never on the contact).
SERVER_CHECKS: dict[str, list[str]] = {
    "contact.assigned": [
        "IF NOT dutydesk.may_hold_contacts(p_payload->>'assignee') THEN",
        "    RETURN pg_catalog.format('contact.assigned.assignee: assignee %s is not an "
        "active DutyDesk login who may hold contacts', "
        "pg_catalog.to_jsonb(p_payload->>'assignee')::text);",
        "END IF;",
    ],
}


# Events outside the projection's fold that also act on one decision of the contact they
# name: a completed next step (the follow-through view and MI read it by its decision).
# A desk writes one only for a decision of that contact (``complete_next_step``), and the
# view ignores one naming another contact's decision, so the server refuses it as a
# sign-off (an id not recorded yet is taken, as there).
DECISION_STEP_TYPES = frozenset({"next_step.completed"})


def _decision_checks() -> dict[str, list[str]]:
    """A decision event the desks' fold ignores for the decision it names (migration 0017,
    ``projection.RECORDING_TYPES``, ``OWN_DECISION_TYPES``, ``RESOLUTION_TYPES``): a
    recording of an id already recorded or proposed; a sign-off, amendment or return of a
    decision first recorded under another contact; a resolution listing only such
    decisions. The message names the event's own field and id, never the other contact."""
    did, cid = "p_payload->>'decision_id'", "p_payload->>'contact_id'"
    again = (
        ".decision_id: decision %s is already recorded or proposed; a decision is recorded "
        "once (change it by amending it, or decide again under a new id)"
    )
    elsewhere = (
        ".decision_id: decision %s belongs to another contact; an event about a decision "
        "names the contact it was recorded on"
    )
    only_others = (
        ".decision_ids: every decision listed belongs to another contact; a conflict is "
        "resolved among its own contact's decisions"
    )
    checks: dict[str, list[str]] = {}
    for kind in sorted(projection.RECORDING_TYPES):
        checks[kind] = [
            f"IF dutydesk.decision_contact({did}) IS NOT NULL THEN",
            f"    RETURN pg_catalog.format({_lit(kind + again)}, {did});",
            "END IF;",
        ]
    for kind in sorted(projection.OWN_DECISION_TYPES | DECISION_STEP_TYPES):
        checks[kind] = [
            f"IF dutydesk.decision_contact({did}) <> {cid} THEN",
            f"    RETURN pg_catalog.format({_lit(kind + elsewhere)}, {did});",
            "END IF;",
        ]
    for kind in sorted(projection.RESOLUTION_TYPES):
        checks[kind] = [
            f"IF dutydesk.decisions_all_elsewhere({cid}, p_payload->'decision_ids') THEN",
            f"    RETURN {_lit(kind + only_others)};",
            "END IF;",
        ]
    return checks


SERVER_CHECKS.update(_decision_checks())


# Every number must be written as Python's json module writes it, or the desks (which
# parse the payload and write it again to hash it) would compute another hash than the
# server: an ordinary login could then send `{"w": 1.10}` in a free-form field, and every
# desk would call the server's chain broken and `server checkpoint` would never sign again
# (issue 12). Whole numbers as plain integers; others in Python's float form: the shortest
# digits that give the same double (PostgreSQL's float8 output with extra_float_digits 1,
# pinned on the function), fixed notation between 1e-4 and 1e16, no trailing zeros but ".0".
def numbers_check(x: str, what: str = "p_type") -> list[str]:
    """Lines that RETURN the number rule's message when jsonb expression ``x`` holds a
    number anywhere in it not written as Python writes it (``what``: the SQL naming the
    event type in the message); the query (an executor start-up)
    only when it holds a number at all (the guard is one simple expression)."""
    numbers = "'strict $.** ? (@.type() == \"number\")'"
    return [
        f"IF pg_catalog.jsonb_path_exists({x}, {numbers}) THEN",
        f"    IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_path_query({x}, {numbers}) AS n(v) "
        "WHERE NOT ("
        "n.v::text ~ '^-?(0|[1-9][0-9]*)$' OR ("
        "n.v::text ~ '^-?(0|[1-9][0-9]*)\\.([0-9]*[1-9]|0)$' "
        "AND (n.v::text)::numeric = ((n.v::text)::float8::text)::numeric "
        "AND ((n.v::text)::numeric = 0 OR pg_catalog.abs((n.v::text)::numeric) "
        ">= 0.0001 AND pg_catalog.abs((n.v::text)::numeric) < 1e16)))) THEN",
        "        RETURN pg_catalog.format('%s: a number is not written as DutyDesk writes "
        f"numbers (e.g. 1.10 for 1.1), so desks could not check its hash', {what});",
        "    END IF;",
        "END IF;",
    ]


def _free_form(rule: Mapping[str, Any]) -> bool:
    """Whether ``rule`` lets a value through unchecked somewhere (kind any or object)."""
    kind = rule.get("kind")
    if kind in ("any", "object"):
        return True
    if kind == "list":
        return _free_form(rule["item"])
    if kind == "spec":
        return any(_free_form(f) for f in rule["fields"].values())
    return False


def numbers_checks(rule: Mapping[str, Any], what: str = "p_type") -> list[str]:
    """The number rule for an event type's payload, where a number can pass unchecked: in
    the top-level fields that hold a free-form value (``_free_form``). Everywhere else
    every value has a kind: a number where text, a date or a code belongs is refused by
    that field's check, and an integer field takes only whole numbers, which jsonb always
    writes as Python does. So the whole payload is searched no more (it cost a quarter of
    a contact's submit), and nothing that was refused is taken."""
    lines: list[str] = []
    for name, field in rule["fields"].items():
        if _free_form(field):
            lines += numbers_check(f"(p_payload -> {_lit(name)})", what)
    return lines


_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_SET = "SET search_path = pg_catalog, dutydesk, pg_temp"


def type_function(event_type: str, name: str = "check_payload", *, why: bool = False) -> str:
    """The name of the function that checks one event type's payloads: ``name`` + ``_`` +
    the type with its dots written as two underscores (``check_payload_contact__received``);
    with ``why``, the one that names what is wrong (``check_payload__why_contact__received``:
    a type cannot start with ``_``, so the two kinds of name never meet). Refuses a type
    that could not be told apart that way or would not fit a name."""
    if not _TYPE_RE.match(event_type) or "__" in event_type:
        raise RuleError(f"the server cannot name a check for event type {event_type!r}")
    out = f"{name}_{'_why_' if why else ''}{event_type.replace('.', '__')}"
    if len(out) > 63:  # PostgreSQL's longest name
        raise RuleError(f"the server cannot name a check for event type {event_type!r}")
    return out


def _body(variables: list[str], lines: list[str]) -> str:
    declare = "".join(f"\n    {v}" for v in variables)
    text = "DECLARE" + declare + "\nBEGIN\n" + "\n".join("    " + b for b in lines) + "\nEND"
    if _DELIM in text:
        raise RuleError("a rule contains the function's quoting delimiter")
    return text


def _type_checks(
    compiler: _Compiler, event_type: str, rule: Mapping[str, Any], *, fast: bool, why: str
) -> tuple[str, str | None]:
    """The bodies (DECLARE ... END) of one event type's check and, with ``fast``, of its
    detailed path. With ``fast``: the check runs the fast path (a block that RETURNs NULL
    when every check holds, ``_Compiler.fast``) and only for a payload that breaks a rule
    calls function ``why``, the detailed path that RETURNs the first failure's message
    (``_Compiler.detailed``): kept apart, the check declares only its lists' loop
    variables, not the detailed path's variable per field, which every call would copy.
    Without ``fast``, the detailed path alone, in the check (and no ``why``)."""
    name = _lit(event_type)
    compiler.restart()
    compiler.variables = []
    steps = compiler.spec(rule, "p_payload", name)
    server = SERVER_CHECKS.get(event_type, [])
    numbers = list(numbers_checks(rule, name))  # first, as before
    if not fast:
        detailed = compiler.detailed(steps)
        return _body(compiler.variables, [*numbers, *detailed, *server, "RETURN NULL;"]), None
    conds, after = compiler.fast(steps, "fast")
    check = _body(
        compiler.variables,
        [
            *numbers,
            "<<fast>>",
            "BEGIN",
            f"    IF {_any(conds)} THEN",
            "        EXIT fast;",
            "    END IF;",
            *("    " + line for line in after),
            *("    " + line for line in server),
            "    RETURN NULL;",
            "END;",
            # When the detailed path names no check (it cannot: both are written from the
            # same steps), the payload is still refused.
            f"RETURN coalesce({why}(p_payload, p_today), "
            f"{name} || ': the payload breaks a rule of the catalogue');",
        ],
    )
    compiler.restart()
    compiler.variables = []
    detailed = compiler.detailed(steps)
    return check, _body(compiler.variables, [*detailed, "RETURN NULL;"])


def _create(function: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {function}(p_payload jsonb, p_today date) RETURNS text\n"
        f"LANGUAGE plpgsql STABLE\nSET extra_float_digits = 1\n{_SET} AS {_DELIM}\n"
        f"{body}\n{_DELIM};"
    )


def check_payload_function(
    rules: Mapping[str, Mapping[str, Any]],
    *,
    fast: bool = True,
    schema: str = "dutydesk",
    name: str = "check_payload",
) -> str:
    """The SQL that (re)creates ``dutydesk.check_payload(type, payload, today)`` for
    ``rules``: per event type a function of its checks (``type_function``) and one that
    names what is wrong (``type_function(why=True)``, called only for a payload that
    breaks a rule: see ``_type_checks``), and ``check_payload`` itself, which hands the
    payload to its type's function (or says the type has no rule). A session compiles only
    the types it meets, and of those only the fast paths until a payload fails: one
    plpgsql function of every type's checks was 440 KB, about 170 ms to compile on each
    connection's first contact. ``fast=False`` leaves the fast paths out (one function per
    type, the detailed path alone: tests compare the two, the same verdict and message for
    every payload); ``schema`` and ``name`` place the functions elsewhere (a test puts that
    version in ``pg_temp``)."""
    compiler = _Compiler()
    statements: list[str] = []
    branches: list[str] = []
    for event_type, rule in rules.items():
        function = f"{schema}.{type_function(event_type, name)}"
        why = f"{schema}.{type_function(event_type, name, why=True)}"
        check, detailed = _type_checks(compiler, event_type, rule, fast=fast, why=why)
        if detailed is not None:
            statements.append(_create(why, detailed))
        statements.append(_create(function, check))
        branches.append(f"        WHEN {_lit(event_type)} THEN {function}(p_payload, p_today)")
    statements.append(
        f"CREATE OR REPLACE FUNCTION {schema}.{name}(p_type text, p_payload jsonb, "
        f"p_today date) RETURNS text\nLANGUAGE plpgsql STABLE\n{_SET} AS {_DELIM}\n"
        "BEGIN\n    RETURN CASE p_type\n"
        + "".join(b + "\n" for b in branches)
        + "        ELSE pg_catalog.format('the server has no validation rule for %s; the "
        "administrator must run `dutydesk server upgrade`', p_type)\n    END;\nEND\n"
        f"{_DELIM};"
    )
    return "\n".join(statements)


def rules_digest(
    rules: Mapping[str, Mapping[str, Any]], policy: Mapping[str, Any], function: str
) -> str:
    """The digest of the event rules a server holds (migration 0010): sha256 over the
    rules, the policy and the generated ``check_payload`` text, in one canonical JSON.
    ``server init|upgrade`` stores it in ``dutydesk.rules_installed``; a desk computes it
    from its own catalogue (``catalogue_rules``) and refuses a server whose digest differs
    (``SyncEngine._check_server``). Pure Python: the one definition both sides use."""
    body = json.dumps(
        {"rules": rules, "policy": policy, "check_payload": function},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CatalogueRules:
    """What ``server init|upgrade`` writes for this DutyDesk's catalogue, and its digest."""

    rules: dict[str, dict[str, Any]]
    policy: dict[str, Any]
    function: str
    digest: str


def catalogue_rules() -> CatalogueRules:
    """This DutyDesk's rules, policy, ``check_payload`` text and their ``rules_digest``.
    Raises ``ValidationError``/``RuleError`` when the catalogue cannot be checked."""
    rules = server_rules.rules()
    policy = server_rules.policy()
    function = check_payload_function(rules)
    return CatalogueRules(rules, policy, function, rules_digest(rules, policy, function))
