"""Shared-mode identity: the person is their database login, their role is its group role.

Pure (no driver): the transport asks the server which DutyDesk group roles the login is a
member of (``Transport.whoami``); this module decides what that means and builds the
``Actor`` every event is recorded under. Events the desk records then carry exactly the
login and role the server's ``submit`` checks (``actor`` = session login, member of
``actor_role``), so a desk cannot record under a name or role the server would refuse.

No precedence between roles: a login in several groups (``server add-user`` can add a
second) must say which role it works in. Picking "the highest" would be wrong both ways:
an administrator who is also a duty manager must not record case decisions as admin, and
a duty manager who is also an auditor must not read the audit as a duty manager.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..domain.codes import Role
from ..domain.events import Actor
from .transport import IdentityError, ServerIdentity

GROUP_ROLES = tuple(r.value for r in Role)  # contact_officer .. admin, in the enum's order


def choose_role(
    login: str, groups: Iterable[str], wanted: str | None = None, *, privileged: bool = False
) -> ServerIdentity:
    """The identity for ``login`` given the DutyDesk ``groups`` it belongs to.

    ``privileged`` (superuser or BYPASSRLS) is refused: such a role is a member of every
    group and sees every row, so it would act as anyone. Raises ``IdentityError``.
    """
    if privileged:
        raise IdentityError(
            f"login {login} is a superuser or bypasses row-level security; "
            "a desk must sign in with a person's own login"
        )
    member = sorted({g for g in groups if g in GROUP_ROLES}, key=GROUP_ROLES.index)
    if not member:
        raise IdentityError(
            f"login {login} is in none of the DutyDesk groups "
            f"({', '.join(GROUP_ROLES)}); ask the administrator to run "
            "`dutydesk server add-user`"
        )
    if wanted is not None:
        if wanted not in member:
            raise IdentityError(
                f"login {login} is not a member of the {wanted} role "
                f"(member of: {', '.join(member)})"
            )
        return ServerIdentity(login, wanted)
    if len(member) > 1:
        raise IdentityError(
            f"login {login} is in several DutyDesk groups "
            f"({', '.join(member)}); choose the role to work in"
        )
    return ServerIdentity(login, member[0])


def shared_actor(identity: ServerIdentity, device: str, display_name: str = "") -> Actor:
    """The ``Actor`` for a person signed in to the shared server."""
    if not device:
        raise IdentityError("the device name is empty; every event names its device")
    return Actor(
        login=identity.login,
        role=Role(identity.role),
        device=device,
        display_name=display_name or identity.login,
    )
