"""Issue 13, people directory: contacts left with someone who may not hold one are flagged.

Migration 0007 made the server refuse a new ``contact.assigned`` naming a made-up login,
an auditor, an administrator or a removed login, but assignments a server before 0007
accepted stayed in the log unflagged, and desks showed the contact as held. Now
``dutydesk server assignments`` lists every contact whose latest holder may not hold
contacts now (exit 1 when any), ``server upgrade`` warns with the count and ``server
status`` shows it. The same rule as ``submit`` (``dutydesk.may_hold_contacts``); a person
removed after taking a contact is listed too. Contact ids and logins only, no personal
data.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from dutydesk.cli import main
from dutydesk.domain.codes import Role
from dutydesk.domain.ids import new_id
from dutydesk.sync.pg import admin
from tests.factories import event
from tests.integration.sync import test_assignee_check as assignee_check
from tests.integration.sync.test_assignee_check import _assign, _login, _submit

old_server = assignee_check.server_at_0006  # a fresh database at migration 0006


def test_assignments_accepted_before_0007_to_someone_who_may_not_hold_them_are_listed(
    old_server: tuple[str, str], now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    admin_dsn, base = old_server
    dm = _login(admin_dsn, base, "duty_manager")
    pr = _login(admin_dsn, base, "practitioner")
    au = _login(admin_dsn, base, "auditor")
    ad = _login(admin_dsn, base, "admin")
    leaver = _login(admin_dsn, base, "practitioner")
    made_up, to_auditor, to_admin, fine, fixed, left = (new_id() for _ in range(6))
    taken = new_id()
    old = [
        _assign(dm, "no.such.person", now, made_up),
        _assign(dm, au.name, now, to_auditor),
        _assign(dm, ad.name, now, to_admin),
        _assign(dm, pr.name, now, fine),
        _assign(dm, au.name, now, fixed),
        _assign(dm, pr.name, now, fixed),  # reassigned since: no longer a problem
        _assign(dm, leaver.name, now, left),
    ]
    assert [s for s, _ in _submit(dm, *old)] == ["accepted"] * 7  # 0006 took anyone
    took = event(
        "contact.taken", {"contact_id": taken}, now, actor=leaver.name, role=Role.PRACTITIONER
    )
    assert _submit(leaver, took) == [("accepted", None)]
    admin.remove_user(admin_dsn, leaver.name)  # leaves with two contacts

    assert main(["server", "upgrade", "--dsn", admin_dsn]) == 0
    out = capsys.readouterr().out
    assert "applied 0007_assignee_check.sql" in out
    assert "warning: 5 contact(s) are with someone who may not hold one" in out

    stray = admin.stray_assignments(admin_dsn)
    assert [(s.contact_id, s.holder, s.why) for s in stray] == [
        (made_up, "no.such.person", "no such login"),
        (to_auditor, au.name, "their role may not hold contacts"),
        (to_admin, ad.name, "their role may not hold contacts"),
        (left, leaver.name, "can no longer sign in"),
        (taken, leaver.name, "can no longer sign in"),
    ]
    assert all(s.assigned_by in (dm.name, leaver.name) for s in stray)

    assert main(["server", "assignments", "--dsn", admin_dsn]) == 1  # a check: fails
    out = capsys.readouterr().out
    assert "5 contact(s) with someone who may not hold one" in out
    for s in stray:
        assert f"contact {s.contact_id}: with {s.holder} ({s.why})" in out
    assert fine not in out and fixed not in out

    main(["server", "status", "--dsn", admin_dsn])
    assert "contacts_with_someone_who_may_not_hold_them: 5" in capsys.readouterr().out

    # A manager reassigns each one (the server accepts a practitioner); the list empties.
    again = [_assign(dm, pr.name, now, s.contact_id) for s in stray]
    assert [s for s, _ in _submit(dm, *again)] == ["accepted"] * 5
    assert admin.stray_assignments(admin_dsn) == []
    assert main(["server", "assignments", "--dsn", admin_dsn]) == 0
    assert "every assigned contact is with someone who may hold it" in capsys.readouterr().out


def test_a_server_before_0007_is_asked_to_upgrade_first(
    old_server: tuple[str, str],
) -> None:
    admin_dsn, _ = old_server
    with pytest.raises(admin.AdminError, match="server upgrade"):
        admin.stray_assignments(admin_dsn)
