"""What a front door does for each child after the decision, for the demo history: the
route opened within hours (early help, an s17 assessment, a strategy discussion and s47
enquiry, emergency protection), and what follows it (the early help team accepts, the
assessment team takes the case, the strategy discussion, the child seen, the initial
child protection conference within 15 working days, police protection ending), each
route closed or handed over once the front door's part is done.

So the follow-through view of a demo shows what a real one would at 9am: the routes of the
last few days still open, a few children decided in the last hours still awaiting a
route, and the s47 enquiries of the last three weeks waiting for their conference; not
every child ever decided "awaiting a route".

Events are made as the services make them (``FollowThroughService.open_route``,
``record_strategy_discussion``, ``progress``, ``transfer``, ``close_route``), by the demo
users whose roles may record them. Everything random here comes from the caller's own
stream, so adding it left the contacts, children and decisions of each seed as they were.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from ..domain.codes import Outcome
from ..domain.events import Event, make_event
from ..domain.ids import uuid7_at
from ..domain.route_codes import RouteKind, RouteStep, StrategyDecision
from ..domain.timescales import OfficeHours

# The main outcomes that put each child on a route (as ``services.followthrough``).
OUTCOME_ROUTE = {
    Outcome.EARLY_HELP.value: RouteKind.EARLY_HELP,
    Outcome.CIN_ASSESSMENT.value: RouteKind.S17_ASSESSMENT,
    Outcome.STRATEGY_S47.value: RouteKind.STRATEGY_S47,
    Outcome.IMMEDIATE_PROTECTION.value: RouteKind.STRATEGY_S47,
}
EARLY_HELP_TEAMS = ("Early Help North", "Early Help South", "Early Help East", "Early Help West")
ASSESSMENT_TEAMS = ("Assessment Team 1", "Assessment Team 2", "Assessment Team 3")
CP_TEAM = "Child Protection Team"
POLICE = ("DS Khan", "DC Whitworth", "DS O'Neill", "DC Barraclough", "DS Nowak")
HEALTH = (
    ("Dr Osei", "named doctor"),
    ("Jo Harker", "health visitor"),
    ("Sam Ferris", "school nurse"),
    ("Dr Lindqvist", "paediatrician"),
)
# Share of contacts decided in the last two days whose route nobody has opened yet at 9am.
LEFT_FOR_TODAY = 0.3


class RouteHistory:
    """Route events for one decided contact at a time (see the module notes)."""

    def __init__(
        self,
        rng: random.Random,
        *,
        now: datetime,
        device: str,
        users: Mapping[str, Any],
    ) -> None:
        self.rng = rng
        self.now = now
        self.device = device
        self.users = users  # login -> DemoUser (login, role, name)
        self.office = OfficeHours()

    # ---- plumbing ----------------------------------------------------------------------

    def new_id(self, at: datetime) -> str:
        return str(uuid7_at(int(at.timestamp() * 1000), self.rng.getrandbits(74)))

    def _event(self, kind: str, payload: dict[str, Any], login: str, at: datetime) -> Event:
        user = self.users[login]
        return make_event(
            kind,
            payload,
            actor=user.login,
            actor_role=user.role.value,
            device=self.device,
            at=at,
            event_id=self.new_id(at),
        )

    def _working_day(self, start: datetime, n: int, hour: int) -> datetime:
        """``hour`` o'clock on the ``n``th working day after ``start``'s day."""
        day: date = self.office.nth_working_day(start.astimezone(self.office.zone).date(), n)
        return datetime.combine(day, time(hour, self.rng.randint(0, 59)), self.office.zone)

    def _past(self, at: datetime) -> bool:
        return at < self.now - timedelta(minutes=2)

    # ---- one contact -------------------------------------------------------------------

    def after(
        self, payload: Mapping[str, Any], decided: list[Event], who: str, manager: str
    ) -> list[Event]:
        """The routes of ``payload``'s children after the ``decided`` events: opened by
        ``who`` (a practitioner), closed or handed over by ``manager`` as the front door's
        part ends."""
        if not decided:
            return []
        outcome = decided[0].payload["outcome"]
        kind = OUTCOME_ROUTE.get(outcome)
        if kind is None:
            return []
        rng = self.rng
        decided_at = datetime.fromisoformat(decided[-1].client_time)
        opened = decided_at + timedelta(minutes=rng.randint(20, 150))
        recent = self.now - decided_at < timedelta(days=2)
        waits = kind in (RouteKind.EARLY_HELP, RouteKind.S17_ASSESSMENT)  # s47 cannot wait
        if not self._past(opened) or (waits and recent and rng.random() < LEFT_FOR_TODAY):
            return []  # decided yesterday: still awaiting a route at 9am
        kids = [(c["slot"], c.get("person_id")) for c in payload["children"]]
        cid = payload["contact_id"]
        if kind == RouteKind.EARLY_HELP:
            return self._early_help(cid, kids, opened, who, manager)
        if kind == RouteKind.S17_ASSESSMENT:
            return self._assessment(cid, kids, opened, who)
        return self._strategy(cid, payload, kids, opened, who, manager, outcome)

    def _open(
        self,
        cid: str,
        kind: RouteKind,
        slot: int,
        person: str | None,
        at: datetime,
        who: str,
        **details: Any,
    ) -> tuple[str, Event]:
        route_id = self.new_id(at)
        body: dict[str, Any] = {"route_id": route_id, "contact_id": cid, "kind": kind.value}
        body["slot"] = slot
        if person:
            body["person_id"] = person
        body.update({k: v for k, v in details.items() if v})
        return route_id, self._event("route.opened", body, who, at)

    def _on(
        self,
        kind: str,
        route_id: str,
        cid: str,
        person: str | None,
        login: str,
        when: datetime,
        **more: Any,
    ) -> Event:
        body: dict[str, Any] = {"route_id": route_id, "contact_id": cid}
        if person:
            body["person_id"] = person
        body.update({k: v for k, v in more.items() if v})
        return self._event(kind, body, login, when)

    def _early_help(
        self, cid: str, kids: list[tuple[int, str | None]], opened: datetime, who: str, manager: str
    ) -> list[Event]:
        """The request made with the family's consent; the team accepts in a day or three
        (now and then returns it: the family withdrew), then the route is closed."""
        team = self.rng.choice(EARLY_HELP_TEAMS)
        answer = self._working_day(opened, self.rng.choice([1, 1, 2, 2, 3]), 14)
        returned = self.rng.random() < 0.06
        out = []
        for slot, person in kids:
            rid, event = self._open(
                cid,
                RouteKind.EARLY_HELP,
                slot,
                person,
                opened,
                who,
                team=team,
                family_consent="given",
            )
            out.append(event)
            if not self._past(answer):
                continue
            step = RouteStep.RETURNED if returned else RouteStep.ACCEPTED
            reason = "The family withdrew consent before the first visit" if returned else None
            out.append(
                self._on(
                    "route.progressed",
                    rid,
                    cid,
                    person,
                    who,
                    answer,
                    step=step.value,
                    at=answer.isoformat(),
                    reason=reason,
                )
            )
            closed = answer + timedelta(hours=1)
            if self._past(closed):
                out.append(
                    self._closed(
                        rid,
                        cid,
                        person,
                        manager,
                        closed,
                        (
                            "Returned by early help: universal services and the school "
                            "keep in touch with the family"
                            if returned
                            else f"Accepted by {team}: a lead practitioner holds it"
                        ),
                    )
                )
        return out

    def _assessment(
        self, cid: str, kids: list[tuple[int, str | None]], opened: datetime, who: str
    ) -> list[Event]:
        """Opened for the assessment team, handed over, and accepted within two working
        days (the 45 working days then run with that team)."""
        team = self.rng.choice(ASSESSMENT_TEAMS)
        handed = opened + timedelta(minutes=self.rng.randint(10, 90))
        accepted = self._working_day(opened, self.rng.choice([0, 1, 1, 2]), 11)
        accepted = max(accepted, handed + timedelta(hours=1))
        out = []
        for slot, person in kids:
            rid, event = self._open(
                cid, RouteKind.S17_ASSESSMENT, slot, person, opened, who, team=team
            )
            out.append(event)
            if self._past(handed):
                out.append(self._on("route.transferred", rid, cid, person, who, handed, team=team))
                if self._past(accepted):
                    out.append(self._on("route.transfer_accepted", rid, cid, person, who, accepted))
        return out

    def _strategy(
        self,
        cid: str,
        payload: Mapping[str, Any],
        kids: list[tuple[int, str | None]],
        held: datetime,
        who: str,
        manager: str,
        outcome: str,
    ) -> list[Event]:
        """A strategy discussion within hours with social care, police and health; for
        immediate protection, police protection from before it. Each child gets an s47
        route (and an emergency protection route): the child seen within a day or two,
        the conference or "not required" by about the 15th working day, then closed."""
        rng = self.rng
        protection = outcome == Outcome.IMMEDIATE_PROTECTION.value
        decision = rng.choices(
            [
                StrategyDecision.S47_JOINT,
                StrategyDecision.S47_SINGLE,
                StrategyDecision.NO_S47_S17,
                StrategyDecision.NO_S47_NFA,
            ],
            weights=[55, 25, 15, 5] if not protection else [85, 15, 0, 0],
        )[0]
        s47 = decision in (StrategyDecision.S47_JOINT, StrategyDecision.S47_SINGLE)
        out: list[Event] = []
        routes: list[tuple[str, int, str | None]] = []
        for slot, person in kids:
            rid, event = self._open(
                cid, RouteKind.STRATEGY_S47, slot, person, held, who, opened_at=held.isoformat()
            )
            out.append(event)
            routes.append((rid, slot, person))
        protected_from = datetime.fromisoformat(payload["received_at"]) + timedelta(minutes=40)
        emergency: list[tuple[str, str | None]] = []
        if protection:
            for slot, person in kids:
                rid, event = self._open(
                    cid,
                    RouteKind.EMERGENCY_PROTECTION,
                    slot,
                    person,
                    held,
                    who,
                    opened_at=held.isoformat(),
                )
                out.append(event)
                emergency.append((rid, person))
        body = self._discussion(cid, kids, held, who, decision, s47)
        if len(routes) == 1:
            body["route_id"] = routes[0][0]
        if s47:
            body["s47_started_on"] = held.astimezone(self.office.zone).date().isoformat()
        if protection:
            out += self._police_protection(body, emergency, cid, who, manager, protected_from)
        out.append(self._event("strategy.discussed", body, who, held + timedelta(minutes=30)))
        if not s47:
            return out + self._no_s47(routes, cid, manager, held, decision)
        return out + self._s47_course(routes, cid, who, manager, held)

    def _discussion(
        self,
        cid: str,
        kids: list[tuple[int, str | None]],
        held: datetime,
        who: str,
        decision: StrategyDecision,
        s47: bool,
    ) -> dict[str, Any]:
        """The ``strategy.discussed`` payload: social care, police and health took part."""
        rng = self.rng
        police, (doctor, role) = rng.choice(POLICE), rng.choice(HEALTH)
        return {
            "discussion_id": self.new_id(held),
            "contact_id": cid,
            "slots": [slot for slot, _ in kids],
            "held_at": held.isoformat(),
            "attendees": [
                {"agency": "Children's social care", "name": self.users[who].name},
                {"agency": "Police", "name": police, "role": "CAIT"},
                {"agency": "Health", "name": doctor, "role": role},
            ],
            "decision": decision.value,
            "lead_social_worker": who,
            "summary": rng.choice(
                [
                    "Information shared by all three agencies; joint visit agreed for today.",
                    "Police checks and health records shared; the child to be seen today.",
                    "Agencies agree the threshold for s47 is met; medical to be arranged.",
                ]
                if s47
                else [
                    "Information shared; harm not suspected at the s47 level. "
                    "Assessment continues under s17.",
                    "Agencies agree no further action; the school will monitor.",
                ]
            ),
        }

    def _police_protection(
        self,
        body: dict[str, Any],
        emergency: list[tuple[str, str | None]],
        cid: str,
        who: str,
        manager: str,
        protected_from: datetime,
    ) -> list[Event]:
        """Police protection from before the discussion (into ``body``), up to 72 hours;
        once it has ended, each emergency route records the end and is closed."""
        rng = self.rng
        out: list[Event] = []
        ended = protected_from + timedelta(hours=rng.randint(20, 66))
        body["police_protection"] = {
            "started_at": protected_from.isoformat(),
            "where": rng.choice(["emergency foster placement", "with the maternal grandmother"]),
        }
        for rid, person in emergency:
            if self._past(ended):
                out.append(
                    self._on(
                        "route.progressed",
                        rid,
                        cid,
                        person,
                        who,
                        ended,
                        step=RouteStep.PROTECTION_ENDED.value,
                        at=ended.isoformat(),
                    )
                )
                out.append(
                    self._closed(
                        rid,
                        cid,
                        person,
                        manager,
                        ended + timedelta(hours=1),
                        "Police protection ended; the child is accommodated under s20 with consent",
                    )
                )
        return out

    def _no_s47(
        self,
        routes: list[tuple[str, int, str | None]],
        cid: str,
        manager: str,
        held: datetime,
        decision: StrategyDecision,
    ) -> list[Event]:
        """No s47: each strategy route is closed two hours after the discussion."""
        out: list[Event] = []
        closed = held + timedelta(hours=2)
        for rid, _slot, person in routes:
            if self._past(closed):
                out.append(
                    self._closed(
                        rid,
                        cid,
                        person,
                        manager,
                        closed,
                        "No s47: the child-in-need assessment continues"
                        if decision == StrategyDecision.NO_S47_S17
                        else "No s47: no further action agreed at the strategy discussion",
                    )
                )
        return out

    def _s47_course(
        self,
        routes: list[tuple[str, int, str | None]],
        cid: str,
        who: str,
        manager: str,
        held: datetime,
    ) -> list[Event]:
        """The enquiry: the child seen in a day or two, the conference (or "not required")
        by about the 15th working day, a plan for most, then each route closed."""
        rng = self.rng
        seen = self._working_day(held, rng.choice([0, 1, 1, 2]), 12)
        seen = max(seen, held + timedelta(hours=2))
        required = rng.random() < 0.65
        conference = self._working_day(
            held,
            rng.choice([9, 11, 12, 13, 14, 14, 15, 15, 17]) if required else rng.randint(5, 10),
            13,
        )
        plan = required and rng.random() < 0.8
        out: list[Event] = []
        for rid, _slot, person in routes:
            if self._past(seen):
                out.append(self._step(rid, cid, person, who, seen, RouteStep.CHILD_SEEN))
            if not self._past(conference):
                continue
            step = RouteStep.ICPC_HELD if required else RouteStep.ICPC_NOT_REQUIRED
            out.append(self._step(rid, cid, person, who, conference, step))
            if plan:
                out.append(self._step(rid, cid, person, who, conference, RouteStep.CPP_STARTED))
            closed = conference + timedelta(hours=2)
            if self._past(closed):
                out.append(
                    self._closed(
                        rid,
                        cid,
                        person,
                        manager,
                        closed,
                        (
                            f"Child protection plan made; the {CP_TEAM} holds the case"
                            if plan
                            else "Conference held, no plan: a child-in-need plan follows"
                            if required
                            else "No conference needed: a child-in-need plan follows"
                        ),
                    )
                )
        return out

    def _closed(
        self, rid: str, cid: str, person: str | None, manager: str, at: datetime, reason: str
    ) -> Event:
        """A ``route.closed`` event, by ``manager`` at ``at``, with the reason."""
        return self._on("route.closed", rid, cid, person, manager, at, reason=reason)

    def _step(
        self, rid: str, cid: str, person: str | None, who: str, at: datetime, step: RouteStep
    ) -> Event:
        """A ``route.progressed`` event for ``step``, recorded at the time it happened."""
        return self._on(
            "route.progressed", rid, cid, person, who, at, step=step.value, at=at.isoformat()
        )
