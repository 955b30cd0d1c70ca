"""The demo desk's users, apart from the synthetic data: a demo start signs in with them
without loading the generator (``dutydesk.demo.synthetic``)."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from ..domain.codes import Role
from ..domain.events import Actor


@dataclass(frozen=True)
class DemoUser:
    login: str
    role: Role
    name: str


DEMO_USERS = (
    DemoUser("cc.officer", Role.CONTACT_OFFICER, "Priya Contact"),
    DemoUser("sw.practitioner", Role.PRACTITIONER, "Tom Practitioner"),
    DemoUser("sp.senior", Role.SENIOR_PRACTITIONER, "Grace Senior"),
    DemoUser("dm.manager", Role.DUTY_MANAGER, "Dan Manager"),
)


def demo_actor() -> Actor:
    """The demo duty manager, for demos, screenshots, tests and benchmarks."""
    return Actor(
        login="dm.manager",
        role=Role.DUTY_MANAGER,
        device=socket.gethostname(),
        display_name="Dan Manager (demo)",
    )
