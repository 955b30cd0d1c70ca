"""Shared-mode identity: which role a login works in, and the Actor built from it."""

from __future__ import annotations

import pytest

from dutydesk.domain.codes import Role
from dutydesk.sync.identity import choose_role, shared_actor
from dutydesk.sync.transport import IdentityError, ServerIdentity


def test_one_group_is_the_role() -> None:
    assert choose_role("j.smith", ["duty_manager"]) == ("j.smith", "duty_manager")


def test_roles_that_are_not_dutydesk_groups_are_ignored() -> None:
    assert choose_role("j.smith", ["pg_read_all_stats", "auditor"]).role == "auditor"


def test_no_group_is_refused_and_says_who_can_fix_it() -> None:
    with pytest.raises(IdentityError, match="j.smith is in none.*server add-user"):
        choose_role("j.smith", [])


def test_several_groups_need_a_choice_and_are_named_in_order() -> None:
    with pytest.raises(IdentityError, match=r"several DutyDesk groups \(duty_manager, admin\)"):
        choose_role("j.smith", ["admin", "duty_manager"])
    assert choose_role("j.smith", ["admin", "duty_manager"], "admin").role == "admin"


def test_a_chosen_role_must_be_held() -> None:
    with pytest.raises(IdentityError, match="not a member of the admin role"):
        choose_role("j.smith", ["duty_manager"], "admin")


def test_a_superuser_is_refused_even_with_a_group() -> None:
    with pytest.raises(IdentityError, match="superuser"):
        choose_role("postgres", ["duty_manager"], privileged=True)


def test_shared_actor_carries_the_server_login_and_role() -> None:
    actor = shared_actor(ServerIdentity("j.smith", "senior_practitioner"), "laptop-7")
    assert (actor.login, actor.role, actor.device) == (
        "j.smith",
        Role.SENIOR_PRACTITIONER,
        "laptop-7",
    )
    assert actor.display_name == "j.smith"
    with pytest.raises(IdentityError, match="device"):
        shared_actor(ServerIdentity("j.smith", "auditor"), "")
