"""Synthetic front-door history, deterministic by seed, for demos, tests and benchmarks.

Shapes follow shared/domain.md: the 2024 referral-source mix (police 28.5%, schools 20.3%,
health 14.7%, ...), the commonest assessment factors, about a fifth of referrals being
re-referrals within 12 months, siblings on one contact, unborn children, and names with
diacritics, apostrophes and hyphens. No real person is described.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..domain.clock import LONDON
from ..domain.codes import Outcome
from ..domain.events import Event, make_event
from ..domain.ids import uuid7_at
from ..domain.nhs import nhs_check_digit
from ..domain.timescales import england_bank_holidays
from .routes import RouteHistory
from .users import DEMO_USERS, DemoUser, demo_actor  # noqa: F401 - their home was here

# (source code, weight) from the DfE 2024 shares; police notifications dominate.
SOURCE_MIX: tuple[tuple[str, float], ...] = (
    ("6", 28.5),
    ("2A", 20.3),
    ("3A", 3.0),
    ("3B", 4.0),
    ("3C", 1.5),
    ("3D", 1.2),
    ("3E", 3.5),
    ("3F", 1.5),
    ("5A", 5.0),
    ("5B", 3.0),
    ("5C", 3.1),
    ("5D", 3.0),
    ("1A", 5.0),
    ("1B", 1.5),
    ("1C", 0.5),
    ("1D", 1.0),
    ("7", 4.4),
    ("8", 4.2),
    ("2B", 1.7),
    ("9", 1.6),
    ("4", 1.2),
    ("10", 1.2),
)

# Assessment factors weighted by the 2024 counts (thousands), commonest first.
FACTOR_MIX: tuple[tuple[str, float], ...] = (
    ("4B", 165),
    ("3B", 161),
    ("17A", 98),
    ("20", 94),
    ("4A", 86),
    ("16A", 83),
    ("1B", 72),
    ("2B", 71),
    ("5A", 60),
    ("18C", 58),
    ("3A", 55),
    ("15A", 30),
    ("10A", 25),
    ("11A", 15),
    ("24A", 14),
    ("19C", 12),
    ("14A", 12),
    ("2A", 10),
    ("6A", 10),
    ("7A", 6),
    ("13A", 5),
    ("18B", 5),
    ("19B", 4),
    ("9A", 3),
    ("22A", 1),
    ("12A", 1),
    ("23A", 1),
)

GIVEN_NAMES = (
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Lily",
    "Freya",
    "Poppy",
    "Evie",
    "Ruby",
    "Grace",
    "Sophie",
    "Charlie",
    "Alfie",
    "Freddie",
    "Thomas",
    "Joshua",
    "Archie",
    "Harper",
    "Siobhán",
    "Zoë",
    "Chloé",
    "Aoife",
    "Niamh",
    "Maryam",
    "Aisha",
    "Fatima",
    "Hana",
    "Zainab",
    "Amara",
    "Precious",
    "Oliver",
    "Noah",
    "George",
    "Leo",
    "Harry",
    "Muhammad",
    "Jack",
    "Oscar",
    "Seán",
    "Rónán",
    "José",
    "Mateusz",
    "Jakub",
    "Kacper",
    "Ayaan",
    "Yusuf",
    "Kwame",
    "Tobi",
    "Ellie-May",
    "Jayden",
    "Kai",
    "Róisín",
    "Eilidh",
    "Dáire",
    "Ignacy",
    "Łucja",
)
ADULT_NAMES = (
    "Sarah",
    "Claire",
    "Helen",
    "Rachel",
    "Karen",
    "Joanne",
    "Mark",
    "David",
    "Paul",
    "Andrew",
    "Gary",
    "Nadia",
    "Imran",
    "Shazia",
    "Bernadette",
    "Gareth",
)
FAMILY_NAMES = (
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Khan",
    "Ahmed",
    "Begum",
    "Hussain",
    "O'Brien",
    "O'Connor",
    "McCarthy",
    "Smith-Jones",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Okafor",
    "Mensah",
    "Adeyemi",
    "Mendes",
    "García",
    "Müller",
    "Ní Bhriain",
    "D'Souza",
    "Patel",
    "Singh",
    "Walker",
    "Hughes",
    "Lewis",
    "Roberts",
    "Wright",
    "Thompson",
    "Clarke",
    "Doyle",
    "Byrne",
    "Kelly",
)
ETHNICITIES = (
    ("WBRI", 70),
    ("WOTH", 6),
    ("MWBC", 3),
    ("MOTH", 3),
    ("APKN", 4),
    ("ABAN", 2),
    ("AIND", 2),
    ("BAFR", 4),
    ("BCRB", 2),
    ("WIRI", 1),
    ("WROM", 1),
    ("CHNE", 0.5),
    ("OOTH", 1),
    ("NOBT", 0.5),
)
OFFICES = (
    ("North Locality", ("Front Door A", "Front Door B")),
    ("South Locality", ("Front Door C",)),
    ("Out of Hours", ("Emergency Duty Team",)),
)
STREETS = (
    "Mill Lane",
    "Church Street",
    "Station Road",
    "Victoria Road",
    "Park Avenue",
    "Queen's Road",
    "Chapel Row",
    "Meadow Close",
    "Albert Street",
    "Moorside Road",
    "Hollins Lane",
    "Beech Grove",
    "Weavers Court",
    "Canal Side",
    "Coronation Street",
    "Wesley Terrace",
    "Co-operative Street",
    "Back Lane",
)
# Who rings from each source in a West Yorkshire-like authority (fictional names).
AGENCIES = {
    "6": ("West Yorkshire Police", "Calderbrook Safeguarding Unit (police)"),
    "2A": (
        "St Mary's CE Primary School",
        "Moorside Academy",
        "Hollins Lane Primary",
        "Calderbrook High School",
        "Brookfield Nursery",
    ),
    "2B": ("Education welfare service",),
    "3A": ("Ashdale Medical Practice", "Canal Side Surgery"),
    "3B": ("Calderbrook health visiting team",),
    "3C": ("School nursing service",),
    "3D": ("Community paediatrics",),
    "3E": ("Calderbrook Royal Infirmary, A&E",),
    "3F": ("Calderbrook Royal Infirmary, children's ward", "Maternity unit"),
    "4": ("Calderbrook Homes",),
    "5A": ("Adult social care",),
    "5B": ("Youth justice service",),
    "5C": ("Kirkdale Council children's services",),
    "5D": ("Early help hub",),
    "7": ("Probation service",),
    "8": ("Women's Aid refuge", "Calderbrook Young Carers"),
}
ROLES = {
    "6": "PC",
    "2A": "Designated safeguarding lead",
    "3B": "Health visitor",
    "3C": "School nurse",
    "3A": "GP",
    "3E": "Paediatric liaison nurse",
}
# What a reporter says, by assessment factor, with the ages (in years; -1 unborn) it fits:
# a concern is only given to a child it could be about.
CONCERNS: dict[str, tuple[tuple[int, int, str], ...]] = {
    "4B": (
        (
            -1,
            17,
            "Parent reports low mood and has stopped taking medication; the "
            "children's care is slipping.",
        ),
    ),
    "3B": (
        (
            -1,
            17,
            "Police attended a domestic incident at the home; the children were in the house.",
        ),
    ),
    "17A": (
        (
            0,
            2,
            "Health visitor worried by a carer's rough handling of the baby and "
            "shouting at them during the visit.",
        ),
        (3, 17, "Child describes being shouted at and called names daily by a carer."),
    ),
    "20": ((-1, 17, "Worries about the family raised; circumstances unclear."),),
    "4A": (
        (
            9,
            17,
            "Young person says they feel anxious all the time and has stopped going to lessons.",
        ),
    ),
    "16A": (
        (
            -1,
            -1,
            "Expectant mother has missed her antenatal appointments; no preparations "
            "made for the baby.",
        ),
        (
            0,
            4,
            "Health visitor found the home cold and dirty; the baby's immunisations are missed.",
        ),
        (5, 17, "Children arriving at school hungry and in unwashed clothes for several weeks."),
    ),
    "1B": ((-1, 17, "Carer found drunk while looking after the children."),),
    "2B": ((-1, 17, "Drug paraphernalia seen in the home within reach of the children."),),
    "5A": (
        (
            2,
            17,
            "Child with a learning disability; the family is struggling to meet their care needs.",
        ),
    ),
    "18C": (
        (0, 0, "Bruising seen on a baby who is not yet crawling, at a health visitor check."),
        (1, 4, "Nursery staff saw finger-mark bruises on the child's upper arms."),
        (5, 17, "Child arrived at school with a bruise to the face and would not say how."),
    ),
    "3A": (
        (2, 12, "Child was hurt trying to stop a fight between the adults at home."),
        (13, 17, "Young person says their boyfriend has hit them."),
    ),
    "15A": ((11, 17, "Young person showed a teacher cuts to their arms."),),
    "10A": ((10, 17, "Young person missing from home overnight for the third time this month."),),
    "11A": (
        (12, 17, "Young person seen getting into cars with older men; new phone and clothes."),
    ),
    "24A": ((13, 17, "Young person found carrying drugs out of area; suspected county lines."),),
    "19C": ((3, 17, "Child told a teacher that an adult in the household touches them sexually."),),
    "14A": ((10, 17, "Neighbours report repeated antisocial behaviour by the young person."),),
    "2A": ((12, 17, "Young person found with cannabis at school."),),
    "6A": ((0, 17, "Child's asthma is not being managed; several hospital appointments missed."),),
    "7A": ((8, 17, "Child is caring for a parent with MS and missing school."),),
    "13A": (
        (
            12,
            17,
            "Young person is associating with a local gang; threats have been made to the family.",
        ),
    ),
    "18B": ((4, 17, "Child assaulted by an older sibling; injuries seen at school."),),
    "19B": ((5, 17, "School concerned about harmful sexual behaviour between two children."),),
    "9A": (
        (14, 17, "Unaccompanied young person presented at the police station; no adult with them."),
    ),
    "22A": (
        (
            0,
            15,
            "Family planning travel abroad in the holidays; an older sister is known "
            "to have undergone FGM.",
        ),
    ),
    "12A": (
        (
            13,
            17,
            "Young person believed to be working long hours for no pay in a car "
            "wash; may be trafficked.",
        ),
    ),
    "23A": (
        (3, 15, "Child said by a relative to be possessed; the family is seeking 'deliverance'."),
    ),
}
# Who can report about a child of this age: schools and school nurses see children of
# school age, health visitors the under-fives and expectant mothers.
SOURCE_AGES = {"2A": (4, 17), "2B": (4, 17), "3C": (4, 17), "3B": (-1, 4)}
# Out of office hours most contacts come from the police, hospitals and the public.
NIGHT_SOURCES = {
    "6": 3.0,
    "3E": 2.5,
    "3F": 1.5,
    "9": 1.5,
    "1A": 1.5,
    "2A": 0.03,
    "2B": 0.03,
    "3A": 0.05,
    "3B": 0.03,
    "3C": 0.03,
    "3D": 0.05,
    "5D": 0.05,
    "5A": 0.3,
    "5B": 0.3,
    "5C": 0.2,
    "4": 0.2,
    "7": 0.2,
    "8": 0.3,
}


def concern_text(factor: str, age: int) -> str | None:
    """What a reporter says about ``factor`` for a child of ``age`` (None: it does not fit)."""
    return next((text for low, high, text in CONCERNS.get(factor, ()) if low <= age <= high), None)


DAILY_CONTACTS = 30  # an English front door of a mid-sized authority on a weekday
HISTORY_DAYS = 540


def _overdue(rated: Mapping[str, Any], now: datetime) -> bool:
    due = rated.get("due_at")
    return bool(due) and datetime.fromisoformat(str(due)) < now


def _day_weight(day: date, holidays: set[date]) -> float:
    if day in holidays:
        return 0.35
    return (1.15, 1.0, 1.0, 1.0, 0.95, 0.45, 0.35)[day.weekday()]


def _age(kid: _Child, on: date) -> int:
    """Whole years old on ``on``; -1 for a child not yet born."""
    if kid.dob is None:
        return -1
    return max(0, (on - kid.dob).days // 365)


@dataclass
class _Child:
    person_id: str
    given_name: str
    family_name: str
    dob: date | None
    expected: date | None
    sex: str
    ethnicity: str
    nhs: str | None
    postcode: str
    address: str
    referrals: list[date] = field(default_factory=list)
    contacts: int = 0


RateHook = Callable[[Mapping[str, Any], datetime], Mapping[str, Any] | None]


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in table], weights=[w for _, w in table])[0]


def _nhs_number(rng: random.Random) -> str:
    while True:
        first = f"{rng.randint(400_000_000, 499_999_999)}"
        check = nhs_check_digit(first)
        if check is not None:
            return first + str(check)


class Generator:
    """Yields a plausible event history ending at ``now``.

    ``rate``, when given, is called for each contact payload and may return a
    ``contact.rated`` payload (the triage policy plugs in here).
    """

    def __init__(
        self,
        seed: int,
        *,
        now: datetime,
        open_contacts: int | None = None,
        rate: RateHook | None = None,
        device: str = "demo-desk",
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.rng = random.Random(seed)
        # The follow-up events draw their ids from their own stream, so adding them left
        # every contact, child and decision of a seed as it was.
        self.follow_rng = random.Random(seed * 7919 + 17)
        self.now = now.astimezone(LONDON)
        self.rate = rate
        self.device = device
        self.open_contacts = open_contacts
        self.children: list[_Child] = []
        self.families: list[list[_Child]] = []
        # Routes after the decision, from a stream of their own (the contacts, children
        # and decisions of each seed stay as they were).
        self.routes = RouteHistory(
            random.Random(seed * 104729 + 3),
            now=self.now,
            device=device,
            users={u.login: u for u in DEMO_USERS},
        )

    def _id(self, at: datetime) -> str:
        return str(uuid7_at(int(at.timestamp() * 1000), self.rng.getrandbits(74)))

    def _event(self, kind: str, payload: dict[str, Any], user: DemoUser, at: datetime) -> Event:
        return make_event(
            kind,
            payload,
            actor=user.login,
            actor_role=user.role.value,
            device=self.device,
            at=at,
            event_id=self._id(at),
        )

    def _new_family(self, at: datetime) -> list[_Child]:
        rng = self.rng
        family = rng.choice(FAMILY_NAMES)
        ethnicity = _weighted(rng, ETHNICITIES)
        postcode = (
            f"{rng.choice(['LS', 'BD', 'HX', 'WF'])}{rng.randint(1, 29)} "
            f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        )
        address = f"{rng.randint(1, 140)} {rng.choice(STREETS)}"
        kids = []
        for _ in range(rng.choices([1, 2, 3, 4], weights=[45, 30, 17, 8])[0]):
            unborn = rng.random() < 0.03
            dob = None if unborn else (at.date() - timedelta(days=rng.randint(20, 17 * 365)))
            expected = (at.date() + timedelta(days=rng.randint(20, 150))) if unborn else None
            kids.append(
                _Child(
                    person_id=self._id(at),
                    given_name="" if unborn else rng.choice(GIVEN_NAMES),
                    family_name=family if rng.random() > 0.1 else rng.choice(FAMILY_NAMES),
                    dob=dob,
                    expected=expected,
                    sex="c" if unborn else rng.choice("ab"),
                    ethnicity=ethnicity,
                    nhs=None if unborn or rng.random() < 0.2 else _nhs_number(rng),
                    postcode=postcode,
                    address=address,
                )
            )
        self.families.append(kids)
        return kids

    def _pick_family(self, at: datetime) -> list[_Child]:
        rng = self.rng
        if self.families and rng.random() < 0.35:
            return rng.choice(self.families[-4000:])
        return self._new_family(at)

    def events(self, target_events: int) -> Iterator[Event]:
        """About ``target_events`` events; the newest contacts are left open for the queue."""
        n_contacts = max(3, int(target_events / 3.3))
        open_n = (
            self.open_contacts
            if self.open_contacts is not None
            else max(3, min(200, n_contacts // 8))
        )
        for at, is_open in zip(
            self.arrivals(n_contacts),
            [False] * (n_contacts - open_n) + [True] * open_n,
            strict=False,
        ):
            yield from self._contact(at, is_open)

    def arrivals(self, n: int) -> list[datetime]:
        """When ``n`` contacts arrive, oldest first, ending just before ``now``: about
        DAILY_CONTACTS on an ordinary weekday, fewer at weekends and on bank holidays,
        most in office hours, some through the night (police notifications)."""
        rng = self.rng
        days = max(7, min(HISTORY_DAYS, round(n / (DAILY_CONTACTS * 0.8))))
        last = self.now.date()
        dates = [last - timedelta(days=d) for d in range(days - 1, -1, -1)]
        holidays = {h for y in {d.year for d in dates} for h in england_bank_holidays(y)}
        weights = [_day_weight(d, holidays) for d in dates]
        # Today has only run until now: at 9am that is the night's few arrivals.
        weights[-1] *= self._share_before(self.now, rng)
        total = sum(weights)
        out: list[datetime] = []
        edge = 0.0
        for day, weight in zip(dates, weights, strict=True):
            share = n * weight / total + edge
            count = int(share)
            edge = share - count
            for _ in range(count):
                out.append(self._time_on(day, rng))
        while len(out) < n:
            out.append(self._time_on(last, rng))
        cutoff = self.now - timedelta(minutes=5)
        for k, at in enumerate(out):
            tries = 0
            while at > cutoff and tries < 50:  # today's arrivals so far, as they come
                at, tries = self._time_on(last, rng), tries + 1
            out[k] = min(at, cutoff)
        return sorted(out)[:n]

    @classmethod
    def _share_before(cls, now: datetime, rng: random.Random, samples: int = 400) -> float:
        """The part of a day's arrivals that come before ``now``'s time of day."""
        probe = random.Random(rng.random())
        day = now.date()
        return sum(cls._time_on(day, probe) < now for _ in range(samples)) / samples

    @staticmethod
    def _time_on(day: date, rng: random.Random) -> datetime:
        if rng.random() < 0.78:  # office hours, busiest mid-morning and mid-afternoon
            minutes = int(rng.triangular(8 * 60 + 30, 17 * 60 + 30, 11 * 60))
        else:
            minutes = rng.choice(
                [rng.randint(17 * 60 + 30, 24 * 60 - 1), rng.randint(0, 8 * 60 + 29)]
            )
        return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=LONDON)

    def _contact(self, at: datetime, is_open: bool) -> Iterator[Event]:
        rng = self.rng
        officer, practitioner, senior, manager = DEMO_USERS
        family = self._pick_family(at)
        kids = family if rng.random() < 0.6 else [rng.choice(family)]
        for kid in kids:
            if kid.expected and kid.expected <= at.date():  # born since the last contact
                kid.dob, kid.expected, kid.sex = kid.expected, None, rng.choice("ab")
                kid.given_name = rng.choice(GIVEN_NAMES)
        age = _age(kids[0], at.date())  # the child the concern is mainly about
        night = not 8 <= at.hour < 18  # schools and health visitors ring in the day
        sources = tuple(
            (code, w * (NIGHT_SOURCES.get(code, 1.0) if night else 1.0))
            for code, w in SOURCE_MIX
            if SOURCE_AGES.get(code, (-1, 17))[0] <= age <= SOURCE_AGES.get(code, (-1, 17))[1]
        )
        source = _weighted(rng, sources)
        fitting = tuple((code, w) for code, w in FACTOR_MIX if concern_text(code, age))
        n_factors = rng.choices([1, 2, 3], weights=[68, 27, 5])[0]
        factors = list(dict.fromkeys(_weighted(rng, fitting) for _ in range(n_factors)))
        if source == "6" and rng.random() < 0.7 and "3B" not in factors:
            factors.insert(0, "3B")
        office, teams = rng.choice(OFFICES) if rng.random() < 0.85 else OFFICES[2]
        contact_id = self._id(at)
        concern = " ".join(concern_text(f, age) or "" for f in factors).strip()
        babies = [k for k in kids if k.dob and (at.date() - k.dob).days < 183]
        payload: dict[str, Any] = {
            "contact_id": contact_id,
            "received_at": at.isoformat(),
            "channel": "police_notification"
            if source == "6"
            else rng.choice(["phone", "email", "portal"]),
            "source_code": source,
            "children": [self._child_ref(k, slot) for slot, k in enumerate(kids)],
            "concern": concern,
            "categories": factors,
            "consent": rng.choice(["given", "given", "not_sought", "refused", "not_required"]),
            "immediate_danger": rng.random() < 0.012,
            "office": office,
            "team": rng.choice(teams),
        }
        if source not in ("9", "10"):
            payload["reporter"] = {
                "name": rng.choice(ADULT_NAMES) + " " + rng.choice(FAMILY_NAMES),
                "agency": rng.choice(AGENCIES.get(source, ("Member of the public",))),
            }
            if source in ROLES:
                payload["reporter"]["role"] = ROLES[source]
        if (
            ("18C" in factors or "18B" in factors)
            and rng.random() < 0.7
            or (babies and rng.random() < 0.02)
        ):
            payload["injury_reported"] = True
        if ("19C" in factors or "19B" in factors) and rng.random() < 0.6:
            payload["disclosure"] = True
        if source == "6":
            level = rng.choices(["standard", "medium", "high"], weights=[68, 26, 6])[0]
            payload["domestic_abuse"] = {
                "dash_level": level,
                "children_present": rng.random() < 0.45,
                "previous_incidents": rng.choices([0, 1, 2, 3, 5], weights=[40, 25, 15, 12, 8])[0],
                "incident_ref": f"DA/{at.year}/{rng.randint(10000, 99999)}",
            }
        rated = self.rate(payload, at) if self.rate is not None else None
        if is_open and rated is not None and _overdue(rated, self.now) and rng.random() < 0.85:
            # A front door decides an urgent contact within hours: what is still open at
            # 9am is mostly what came in since. Let this one arrive overnight instead.
            at = self.now - timedelta(minutes=rng.randint(10, 300))
            contact_id = self._id(at)
            payload.update(contact_id=contact_id, received_at=at.isoformat())
            rated = self.rate(payload, at) if self.rate is not None else None
        # New people are registered as the officer links them.
        events: list[Event] = []
        for kid in kids:
            if kid.contacts == 0:
                events.append(self._event("person.registered", self._person(kid), officer, at))
        events.append(self._event("contact.received", payload, officer, at))
        if rated is not None:
            events.append(
                self._event("contact.rated", dict(rated), officer, at + timedelta(seconds=1))
            )
        for kid in kids:
            kid.contacts += 1
        decided = [] if is_open else self._decide(contact_id, kids, factors, at, payload)
        events.extend(decided)
        events.extend(self._followed_up(payload, decided))
        events.extend(self.routes.after(payload, decided, practitioner.login, manager.login))
        if is_open and rng.random() < 0.3:
            events.append(
                self._event(
                    "contact.assigned",
                    {"contact_id": contact_id, "assignee": practitioner.login},
                    manager,
                    min(at + timedelta(minutes=20), self.now - timedelta(minutes=1)),
                )
            )
        yield from events

    def _followed_up(self, payload: Mapping[str, Any], decided: list[Event]) -> list[Event]:
        """What a front door does after the decision, as the follow-through view expects:
        the referrer told the contact arrived (within hours) and told the outcome, which
        ticks off the "Feedback to referrer" step. About one in thirty feedbacks of the
        last few days is still to go, so the view shows a few to chase, not hundreds."""
        anonymous = payload["source_code"] == "9"  # nobody to tell
        _, practitioner, _, _ = DEMO_USERS
        contact_id = payload["contact_id"]
        latest = self.now - timedelta(minutes=5)
        out: list[Event] = []

        def told(kind: str, when: datetime) -> Event:
            return make_event(
                "referrer.acknowledged",
                {
                    "contact_id": contact_id,
                    "kind": kind,
                    "method": "phone" if payload["source_code"] in ("1", "8") else "email",
                },
                actor=practitioner.login,
                actor_role=practitioner.role.value,
                device=self.device,
                at=when,
                event_id=self._follow_id(when),
            )

        received = datetime.fromisoformat(payload["received_at"])
        ack_at = received + timedelta(hours=2)
        if ack_at < latest and not anonymous:
            out.append(told("acknowledgement", ack_at))
        chase = int(contact_id[-4:], 16) % 30 == 0 and self.now - received < timedelta(days=5)
        if not decided or chase:  # older ones were chased and sent long ago
            return out
        decision = decided[0]
        done_at = datetime.fromisoformat(decided[-1].client_time) + timedelta(hours=3)
        if done_at < latest:
            if not anonymous:
                out.append(told("feedback", done_at))
            decider = next(u for u in DEMO_USERS if u.login == decision.actor)
            out.append(
                make_event(
                    "next_step.completed",
                    {
                        "contact_id": contact_id,
                        "decision_id": decision.payload["decision_id"],
                        "index": 0,
                    },
                    actor=decider.login,
                    actor_role=decider.role.value,
                    device=self.device,
                    at=done_at,
                    event_id=self._follow_id(done_at),
                )
            )
        return out

    def _follow_id(self, at: datetime) -> str:
        return str(uuid7_at(int(at.timestamp() * 1000), self.follow_rng.getrandbits(74)))

    def _decide(
        self,
        contact_id: str,
        kids: list[_Child],
        factors: list[str],
        at: datetime,
        payload: Mapping[str, Any],
    ) -> list[Event]:
        rng = self.rng
        _, practitioner, senior, manager = DEMO_USERS
        serious = (
            payload.get("immediate_danger")
            or payload.get("disclosure")
            or payload.get("injury_reported")
        )
        outcome = rng.choices(
            [
                Outcome.NO_FURTHER_ACTION,
                Outcome.INFORMATION_AND_ADVICE,
                Outcome.EARLY_HELP,
                Outcome.CIN_ASSESSMENT,
                Outcome.STRATEGY_S47,
                Outcome.IMMEDIATE_PROTECTION,
            ],
            weights=[4, 3, 2, 1, 8, 2] if serious else [30, 25, 20, 18, 6, 1],
        )[0]
        # About a fifth of referrals become re-referrals: nudge repeat families to refer.
        if (
            any(k.referrals and (at.date() - k.referrals[-1]).days <= 365 for k in kids)
            and rng.random() < 0.45
        ):
            outcome = Outcome.CIN_ASSESSMENT
        threshold = {
            Outcome.NO_FURTHER_ACTION: 1,
            Outcome.INFORMATION_AND_ADVICE: 1,
            Outcome.EARLY_HELP: 2,
            Outcome.CIN_ASSESSMENT: 3,
            Outcome.STRATEGY_S47: 4,
            Outcome.IMMEDIATE_PROTECTION: 4,
        }[outcome]
        if outcome in (Outcome.CIN_ASSESSMENT, Outcome.STRATEGY_S47, Outcome.IMMEDIATE_PROTECTION):
            for k in kids:
                k.referrals.append(at.date())
        decided_at = at + timedelta(hours=rng.choice([1, 2, 3, 5, 8, 20, 26, 50]))
        decided_at = min(decided_at, self.now - timedelta(minutes=1))
        decider = rng.choice([manager, senior, practitioner])
        rationale = {
            "concerns_and_risks": payload["concern"],
            "strengths_and_protective_factors": rng.choice(
                [
                    "Parent engaged with the call and accepts support.",
                    "Grandparent nearby provides regular care.",
                    "School reports good attendance and a trusted adult in school.",
                    "",
                ]
            )
            or None,
            "childs_voice": rng.choice(
                [
                    "Child told the teacher they feel safe with mum.",
                    "Child said they are scared when dad drinks.",
                    "",
                    "",
                ]
            )
            or None,
            "analysis": rng.choice(
                [
                    "Risk is cumulative; threshold for statutory assessment is met.",
                    "Needs can be met by universal and early help services.",
                    "Significant harm is suspected; a strategy discussion is required.",
                    "Information does not indicate the child is at risk of harm.",
                ]
            ),
            "next_steps": [
                {
                    "action": "Feedback to referrer"
                    if payload["source_code"] != "9"
                    else "Record the outcome on the child's file",
                    "owner": decider.login,
                    "due": decided_at.date().isoformat(),
                }
            ],
        }
        rationale = {k: v for k, v in rationale.items() if v}
        decision_id = self._id(decided_at)
        base = {
            "decision_id": decision_id,
            "contact_id": contact_id,
            "outcome": outcome.value,
            "threshold_level": threshold,
            "rationale": rationale,
        }
        out: list[Event] = []
        if decider is practitioner:
            out.append(self._event("decision.proposed", base, practitioner, decided_at))
            out.append(
                self._event(
                    "decision.signed_off",
                    {"decision_id": decision_id, "contact_id": contact_id},
                    manager,
                    min(decided_at + timedelta(minutes=40), self.now),
                )
            )
        else:
            out.append(self._event("decision.recorded", base, decider, decided_at))
        return out

    @staticmethod
    def _person(kid: _Child) -> dict[str, Any]:
        out: dict[str, Any] = {
            "person_id": kid.person_id,
            "family_name": kid.family_name,
            "sex": kid.sex,
            "ethnicity": kid.ethnicity,
            "postcode": kid.postcode,
            "address": kid.address,
        }
        if kid.given_name:
            out["given_name"] = kid.given_name
        if kid.dob:
            out["date_of_birth"] = kid.dob.isoformat()
        if kid.expected:
            out["expected_date_of_birth"] = kid.expected.isoformat()
        if kid.nhs:
            out["nhs_number"] = kid.nhs
        return out

    @staticmethod
    def _child_ref(kid: _Child, slot: int) -> dict[str, Any]:
        ref = Generator._person(kid)
        ref.pop("address")
        ref["slot"] = slot
        return ref


def generate(
    seed: int,
    target_events: int,
    *,
    now: datetime,
    open_contacts: int | None = None,
    rate: RateHook | None = None,
) -> list[Event]:
    """A whole synthetic history as a list (small sizes; stream ``Generator.events``)."""
    return list(
        Generator(seed, now=now, open_contacts=open_contacts, rate=rate).events(target_events)
    )
