"""Desks check the server's signed checkpoints (issue 12, witnessed history).

Written as the attacker: someone with database rights (owner, superuser) who rewrites the
log with the whole chain recomputed, signs checkpoints with a key of their own, publishes
that key, deletes checkpoint rows, or forges a key change. All they lack is the
administrator's checkpoint key (in the administrator's OS keyring). Each attack is plain
SQL as the superuser; the desk is an ordinary login's desk, and must refuse the server
with a clear message (``ServerDistrusted``, a ``SyncError``: no traceback), store nothing
from the rewritten log, and keep refusing until the administrator has restored the server
under a new epoch and signed a checkpoint for it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import keyring
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.conninfo import conninfo_to_dict

from dutydesk.cli import main
from dutydesk.config import checkpoint_key
from dutydesk.domain.checkpoints import (
    endorse,
    first_key,
    key_id,
    load_public_pem,
    replace_lost,
    sign,
)
from dutydesk.domain.codes import Role
from dutydesk.domain.events import canonical_json
from dutydesk.domain.hashchain import event_hash
from dutydesk.sync.engine import META_CHECKPOINT_KEY, META_DISTRUST, ServerDistrusted
from dutydesk.sync.pg import admin
from dutydesk.sync.pg.transport import PgTransport
from tests.factories import event
from tests.integration.sync.conftest import Desk, Login, reset_server, seed_contacts

MakeLogin = Callable[[str], Login]
MakeDesk = Callable[[Login], Desk]

# Recompute the chain over (first, last] ... as an owner who edits history does.
RECHAIN = """
DO $$
DECLARE
    ev record;
    prev text := coalesce((SELECT hash FROM dutydesk.events WHERE seq = {first} - 1),
                          repeat('0', 64));
BEGIN
    FOR ev IN SELECT * FROM dutydesk.events WHERE seq >= {first} AND seq <= {last}
              ORDER BY seq LOOP
        UPDATE dutydesk.events SET prev_hash = prev,
               hash = dutydesk.event_hash(prev, dutydesk.canonical_json(jsonb_build_object(
                   'actor', ev.actor, 'actor_role', ev.actor_role,
                   'client_time', ev.client_time, 'device', ev.device, 'id', ev.id::text,
                   'payload', ev.payload_text::jsonb, 'schema_version', ev.schema_version,
                   'server_seq', ev.seq, 'server_time', ev.server_time, 'type', ev.type)))
         WHERE seq = ev.seq RETURNING hash INTO prev;
    END LOOP;
    IF {last} >= (SELECT max(seq) FROM dutydesk.events) THEN
        UPDATE dutydesk.counter SET last_hash = prev,
               last_seq = (SELECT coalesce(max(seq), 0) FROM dutydesk.events);
    END IF;
END $$"""
EVERYTHING = 10**9


def _clean(admin_dsn: str) -> None:
    reset_server(admin_dsn)  # (also empties checkpoints and keys)


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    _clean(pg_server)
    yield pg_server
    _clean(pg_server)


def _sql(admin_dsn: str, *statements: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        for statement in statements:
            conn.execute(statement)


def _checkpoint(admin_dsn: str, folder: Path, *extra: str) -> int:
    return main(
        ["server", "checkpoint", "--dsn", admin_dsn, "--checkpoint-dir", str(folder), *extra]
    )


def _pulled(desk: Desk) -> int:
    return sum(1 for e in desk.store.events() if e.server_seq is not None)


@pytest.fixture
def signed(server: str, make_login: MakeLogin, now: datetime, tmp_path: Path) -> Path:
    """12 events with signed checkpoints at 5 and 12; the administrator's folder."""
    dm = make_login("duty_manager")
    folder = tmp_path / "admin-checkpoints"
    seed_contacts(dm, now, 5)
    assert _checkpoint(server, folder) == 0
    seed_contacts(dm, now, 7)
    assert _checkpoint(server, folder) == 0
    return folder


def _refused(desk: Desk, *expected: str) -> str:
    with pytest.raises(ServerDistrusted) as caught:
        desk.engine.sync()
    text = str(caught.value)
    assert text.startswith("THIS DESK NO LONGER TRUSTS THE SERVER: "), text
    for part in expected:
        assert part in text, text
    return text


def test_a_desk_pins_the_key_and_verifies_the_newest_checkpoint(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    desk = make_desk(make_login("practitioner"))
    report = desk.engine.sync()
    assert report.online and report.pulled == 12 and not report.warnings
    published = load_public_pem((signed / checkpoint_key.PUBLIC).read_bytes())
    pinned = desk.store.get_meta(META_CHECKPOINT_KEY)
    assert pinned is not None and pinned == first_key(published, "x").public_key
    assert (desk.store.get_meta("checkpoint_seen") or "").split(" ")[1] == "12"
    assert desk.engine.sync().online  # and again, with nothing new


def test_a_new_desk_refuses_a_rewritten_history_before_storing_it(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    """Edit seq 9 and recompute the chain to the head: every hash check that trusts the
    server passes, and a desk that never saw the original has nothing to compare with;
    only the signed checkpoint at 12 says otherwise."""
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'laptop-of-the-owner' WHERE seq = 9",
        RECHAIN.format(first=9, last=EVERYTHING),
    )
    desk = make_desk(make_login("duty_manager"))
    _refused(desk, "the server's history changed at or before seq 12", "signed")
    assert _pulled(desk) == 0  # nothing from the rewritten log was stored
    assert (desk.store.get_meta(META_DISTRUST) or "").startswith(
        desk.engine.transport.state().epoch
    )
    # It stays refused, even after the attacker puts the checkpoint's event back.
    _refused(desk, "the server's history changed")


def test_a_rewrite_that_leaves_the_checkpointed_event_alone_is_caught_by_its_link(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    """Edit seq 9, recompute 9-11 only: seq 12 (the checkpoint) is untouched and still
    has the signed hash; its link to 11 is what breaks."""
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'edited' WHERE seq = 9",
        RECHAIN.format(first=9, last=11),
    )
    desk = make_desk(make_login("senior_practitioner"))
    _refused(desk, "the server's history changed at seq 11: the event at 12 does not link")
    assert _pulled(desk) == 0


def test_an_edit_without_recomputing_is_caught_on_a_new_desk(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    _sql(server, "UPDATE dutydesk.events SET device = 'edited' WHERE seq = 3")
    desk = make_desk(make_login("duty_manager"))
    _refused(desk, "the server's history changed at seq 3: the event there does not match")


def test_an_edit_after_the_newest_checkpoint_is_refused_before_it_is_stored(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    """No checkpoint covers the newest events yet: each must still match its own hash and
    link to the one before, on a desk that held the earlier ones and on a new desk."""
    dm = make_login("duty_manager")
    held = make_desk(dm)
    assert held.engine.sync().online and _pulled(held) == 12
    seed_contacts(dm, now, 3)  # seq 13-15, after the checkpoint at 12
    _sql(server, "UPDATE dutydesk.events SET device = 'edited' WHERE seq = 14")
    _refused(held, "after its newest checkpoint: the event at seq 14 does not match its own hash")
    assert _pulled(held) == 12  # nothing of the edited batch was stored
    fresh = make_desk(make_login("duty_manager"))
    _refused(fresh, "the event at seq 14 does not match its own hash")
    assert _pulled(fresh) == 0


def test_a_relinked_event_after_the_newest_checkpoint_is_refused(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk, now: datetime
) -> None:
    """Seq 14 rewritten with its own hash recomputed: seq 15 no longer links to it."""
    dm = make_login("duty_manager")
    seed_contacts(dm, now, 3)
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'forged' WHERE seq = 14",
        RECHAIN.format(first=14, last=14),
    )
    desk = make_desk(make_login("duty_manager"))
    _refused(desk, "the event at seq 15 does not link to the one at seq 14")
    assert _pulled(desk) == 0


def test_checkpoints_resigned_with_the_owners_own_key_are_refused(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    """The attacker rewrites history, then re-signs every checkpoint with a key of their
    own and replaces the published key with it: a desk that pinned the real key at first
    contact refuses; so does a new desk given the real key in its settings."""
    pinned = make_desk(make_login("duty_manager"))
    assert pinned.engine.sync().online
    mine = Ed25519PrivateKey.generate()
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'forged' WHERE seq = 3",
        RECHAIN.format(first=3, last=EVERYTHING),
    )
    with psycopg.connect(server) as conn:
        (epoch,) = conn.execute("SELECT epoch::text FROM dutydesk.server_info").fetchone()  # type: ignore[misc]
        for seq, h, at in conn.execute(
            "SELECT c.seq, e.hash, c.signed_at FROM dutydesk.checkpoints c "
            "JOIN dutydesk.events e USING (seq)"
        ).fetchall():
            cp = sign(mine, seq, h, epoch, at)
            conn.execute(
                "UPDATE dutydesk.checkpoints SET hash = %s, key_id = %s, signature = %s "
                "WHERE seq = %s",
                (cp.hash, cp.key_id, cp.signature, seq),
            )
        root = first_key(mine.public_key(), "2026-11-30T00:00:00Z")
        conn.execute("DELETE FROM dutydesk.checkpoint_keys")
        conn.execute(
            "INSERT INTO dutydesk.checkpoint_keys (key_id, public_key, added_at) "
            "VALUES (%s, %s, %s)",
            (root.key_id, root.public_key, root.added_at),
        )
    _refused(pinned, "is not signed by the trusted checkpoint key", "forged or altered")
    configured = make_desk(make_login("practitioner"))
    configured.engine.checkpoint_key = load_public_pem(
        (signed / checkpoint_key.PUBLIC).read_bytes()
    )
    _refused(configured, "is not signed by the trusted checkpoint key")
    assert _pulled(configured) == 0


def test_a_deleted_checkpoint_row_is_noticed_by_a_desk_that_verified_it(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    desk = make_desk(make_login("duty_manager"))
    assert desk.engine.sync().online
    _sql(server, "DELETE FROM dutydesk.checkpoints WHERE seq = 12")
    _refused(desk, "the signed checkpoint at seq 12 this desk verified before is no longer")


def test_a_cut_off_tail_is_refused_by_a_new_desk(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    _sql(server, "DELETE FROM dutydesk.events WHERE seq > 10", RECHAIN.format(first=11, last=11))
    _sql(
        server,
        "UPDATE dutydesk.counter SET last_seq = 10, "
        "last_hash = (SELECT hash FROM dutydesk.events WHERE seq = 10)",
    )
    desk = make_desk(make_login("duty_manager"))
    _refused(desk, "its log now ends at sequence 10", "covers it up to 12")


def test_trust_returns_only_with_a_new_epoch_and_a_checkpoint_signed_for_it(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    desk = make_desk(make_login("duty_manager"))
    assert desk.engine.sync().online
    _sql(server, "UPDATE dutydesk.events SET device = 'edited' WHERE seq = 12")
    _sql(server, "DELETE FROM dutydesk.checkpoints WHERE seq = 12")
    _refused(desk, "no longer on the server")
    # The administrator restores: puts things right, new epoch ...
    _clean(server)
    dm = make_login("duty_manager")
    seed_contacts(dm, datetime.fromisoformat("2026-11-26T09:30:00+00:00"), 3)
    admin.new_epoch(server)
    _refused(desk, "no checkpoint signed for it yet")  # not before a checkpoint is signed
    # (the attacker cannot sign one; the administrator, with the key, can)
    assert _checkpoint(server, signed.parent / "fresh-journal") == 0
    report = desk.engine.sync()
    assert report.online and report.reset
    assert not desk.store.get_meta(META_DISTRUST)


def test_the_sync_command_says_so_without_a_traceback(
    server: str,
    signed: Path,
    make_login: MakeLogin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'laptop-of-the-owner' WHERE seq = 9",
        RECHAIN.format(first=9, last=EVERYTHING),
    )
    me = make_login("practitioner")
    where = conninfo_to_dict(me.dsn)
    settings = tmp_path / "settings.json"
    settings.write_text(
        '{"version": 1, "server_checkpoint_key": "%s"}' % (signed / checkpoint_key.PUBLIC),
        encoding="utf-8",
    )
    monkeypatch.setenv("DUTYDESK_PASSWORD", "a long test password")
    code = main(
        [
            "sync",
            "--data-dir",
            str(tmp_path / "desk"),
            "--settings",
            str(settings),
            "--host",
            str(where["host"]),
            "--port",
            str(where["port"]),
            "--database",
            str(where["dbname"]),
            "--user",
            me.name,
        ]
    )
    out = capsys.readouterr()
    assert code == 1
    assert "THIS DESK NO LONGER TRUSTS THE SERVER" in out.err
    assert "the server's history changed at or before seq 12" in out.err
    assert "Traceback" not in out.out + out.err


# ---- key rotation (dutydesk server checkpoint --rotate) -----------------------------------


def test_a_rotated_key_signs_new_checkpoints_and_the_old_ones_still_verify(
    server: str,
    signed: Path,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    now: datetime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    desk = make_desk(make_login("duty_manager"))
    assert desk.engine.sync().online  # pins the first key
    old_public = (signed / checkpoint_key.PUBLIC).read_bytes()
    old_kid = key_id(load_public_pem(old_public))
    dm = make_login("duty_manager")
    seed_contacts(dm, now, 2)
    capsys.readouterr()
    assert _checkpoint(server, signed, "--rotate") == 0
    said = capsys.readouterr().out
    assert f"checkpoint key {old_kid} retired after its checkpoint at sequence 14" in said
    new_public = (signed / checkpoint_key.PUBLIC).read_bytes()
    new_kid = key_id(load_public_pem(new_public))
    assert new_kid != old_kid
    assert (signed / f"checkpoint-key-{old_kid}.pem").read_bytes() == old_public
    # the keyring holds the new key only: the old private key is gone
    stored = keyring.get_password(checkpoint_key.SERVICE, checkpoint_key.ACCOUNT)
    assert stored is not None
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored))
    assert key_id(private.public_key()) == new_kid
    assert keyring.get_password(checkpoint_key.SERVICE, checkpoint_key.PENDING) is None
    # the retired key is recorded on the server, with its last sequence
    with psycopg.connect(server) as conn:
        rows = conn.execute(
            "SELECT key_id, previous, previous_last_seq FROM dutydesk.checkpoint_keys "
            "ORDER BY added_at"
        ).fetchall()
    assert rows == [(old_kid, None, None), (new_kid, old_kid, 14)]
    seed_contacts(dm, now, 3)
    assert _checkpoint(server, signed) == 0  # signed with the new key
    with psycopg.connect(server) as conn:
        assert conn.execute(
            "SELECT seq, key_id FROM dutydesk.checkpoints ORDER BY seq"
        ).fetchall() == [(5, old_kid), (12, old_kid), (14, old_kid), (17, new_kid)]
    # the desk that pinned the old key follows the change signed by both keys
    report = desk.engine.sync()
    assert report.online and report.pulled == 5
    assert (desk.store.get_meta("checkpoint_seen") or "").split(" ")[1] == "17"
    # an auditor with either key verifies all four checkpoints
    auditor = make_login("auditor")
    for pem in (old_public, new_public):
        key_file = tmp_path / "auditor-key.pem"
        key_file.write_bytes(pem)
        capsys.readouterr()
        code = main(
            [
                "audit",
                "verify",
                "--server",
                "--dsn",
                auditor.dsn,
                "--checkpoint-key",
                str(key_file),
                "--checkpoint-dir",
                str(tmp_path / "empty"),
            ]
        )
        text = capsys.readouterr()
        assert code == 0, text
        assert f"signed checkpoints intact: 4 checked with key {old_kid}, {new_kid}" in text.out


def test_the_retired_key_signs_nothing_new(
    server: str,
    signed: Path,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    now: datetime,
) -> None:
    """Someone kept a copy of the old private key: after the change, what it signs past
    its last sequence is refused."""
    stored = keyring.get_password(checkpoint_key.SERVICE, checkpoint_key.ACCOUNT)
    assert stored is not None
    stolen = Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored))
    desk = make_desk(make_login("duty_manager"))
    assert desk.engine.sync().online
    assert _checkpoint(server, signed, "--rotate") == 0
    seed_contacts(make_login("duty_manager"), now, 2)
    with psycopg.connect(server) as conn:
        (epoch,) = conn.execute("SELECT epoch::text FROM dutydesk.server_info").fetchone()  # type: ignore[misc]
        (h,) = conn.execute("SELECT hash FROM dutydesk.events WHERE seq = 14").fetchone()  # type: ignore[misc]
        cp = sign(stolen, 14, h, epoch, "2026-12-01T00:00:00Z")
        conn.execute(
            "INSERT INTO dutydesk.checkpoints VALUES (%s, %s, %s, %s, %s, %s)",
            (cp.seq, cp.hash, cp.epoch, cp.signed_at, cp.key_id, cp.signature),
        )
    _refused(desk, "retired after seq 12")


def test_a_key_change_not_signed_by_both_keys_is_refused(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    """The attacker publishes their own key as the successor of the real one, signing the
    change with their key only (they do not hold the real one)."""
    desk = make_desk(make_login("duty_manager"))
    assert desk.engine.sync().online
    real_kid = key_id(load_public_pem((signed / checkpoint_key.PUBLIC).read_bytes()))
    mine, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    forged = endorse(other, mine, 12, "2026-12-01T00:00:00Z")  # signed by the wrong "old" key
    with psycopg.connect(server) as conn:
        conn.execute(
            "INSERT INTO dutydesk.checkpoint_keys VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                forged.key_id,
                forged.public_key,
                forged.added_at,
                real_kid,
                12,
                forged.signed_by_previous,
                forged.signed_by_new,
            ),
        )
    _refused(desk, f"names key {forged.key_id} as replacing {real_kid}", "not signed by both")


# ---- on a timer: idempotent and cheap when nothing changed ---------------------------------


class _Counting(psycopg.Connection):  # type: ignore[type-arg]
    """A connection that notes every statement the checkpoint command runs."""

    seen: list[str] = []

    def execute(self, query, params=None, **kw):  # type: ignore[no-untyped-def,override]
        _Counting.seen.append(query if isinstance(query, str) else query.as_string(self))
        return super().execute(query, params, **kw)


def test_a_timer_run_with_nothing_new_writes_nothing_and_reads_no_events(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dutydesk.sync.pg import checkpoints as module

    monkeypatch.setattr(module, "_connect", lambda dsn: _Counting.connect(dsn, autocommit=True))
    folder = tmp_path / "admin-checkpoints"
    dm = make_login("duty_manager")

    def idle_run() -> list[str]:
        journal = (folder / checkpoint_key.JOURNAL).read_bytes()
        pem = folder / checkpoint_key.PUBLIC
        stamp = pem.stat().st_mtime_ns
        capsys.readouterr()
        _Counting.seen = []
        assert _checkpoint(server, folder) == 0
        assert "no new events since the checkpoint" in capsys.readouterr().out
        assert (folder / checkpoint_key.JOURNAL).read_bytes() == journal  # nothing appended
        assert pem.stat().st_mtime_ns == stamp  # nothing rewritten
        return list(_Counting.seen)

    seed_contacts(dm, now, 30)
    assert _checkpoint(server, folder) == 0
    first = idle_run()
    for _ in range(3):  # the log and the checkpoints grow ...
        seed_contacts(dm, now, 40)
        assert _checkpoint(server, folder) == 0
    again = idle_run()
    assert idle_run() == again  # (idempotent: the same every time)
    with psycopg.connect(server) as conn:
        assert conn.execute("SELECT count(*) FROM dutydesk.checkpoints").fetchone() == (4,)
    # ... but a run with nothing new reads no event and writes nothing: the same few
    # statements whatever the size of the log or the number of checkpoints.
    assert len(again) == len(first) <= 12, again
    assert not [s for s in again if "seq > " in s or s.lstrip().upper().startswith("INSERT")]


# ---- numbers every desk hashes as the server does ------------------------------------------


@pytest.mark.parametrize(
    "number, accepted",
    [
        ("12", True),
        ("-3", True),
        ("1.5", True),
        ("2.0", True),
        ("0.30000000000000004", True),  # Python's own repr of 0.1 + 0.2
        ("1.10", False),  # trailing zero: the desk would hash "1.1"
        ("2.00", False),
        ("0.1000000000000000055511151231257827", False),  # the desk would hash "0.1"
        ("10000000000000000.0", False),  # the desk would hash "1e+16"
        ("0.00001", False),  # the desk would hash "1e-05"
    ],
)
def test_an_ordinary_login_cannot_send_a_number_desks_would_hash_differently(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    number: str,
    accepted: bool,
) -> None:
    """The attack: a free-form field holding `1.10`. The server kept the text, every desk
    parses and rewrites it as `1.1`, so no desk could recompute the event's hash (their
    server-copy chain check said "broken") and `server checkpoint` refused to sign any
    later history, for good. Refused now; numbers desks write still go through."""
    dm = make_login("duty_manager")
    e = event(
        "contact.rated",
        {
            "contact_id": "0190c3a0-0000-7000-8000-000000000abc",
            "score": 5,
            "rating": "red",
            "policy_version": "t",
            "reasons": [{"w": 1}],
        },
        now,
        actor=dm.name,
        role=Role.DUTY_MANAGER,
    )
    text = canonical_json(e.payload).replace('{"w":1}', '{"w":' + number + "}")
    body = json.dumps(
        [
            {
                "id": e.id,
                "type": e.type,
                "schema_version": 1,
                "actor": dm.name,
                "actor_role": "duty_manager",
                "device": "x",
                "client_time": e.client_time,
                "payload_text": text,
            }
        ]
    )
    with psycopg.connect(dm.dsn, autocommit=True) as conn:
        status, reason = conn.execute(
            "SELECT status, reason FROM dutydesk.submit(%s::jsonb)", (body,)
        ).fetchone()  # type: ignore[misc]
    if not accepted:
        assert status == "rejected" and "a number is not written as DutyDesk" in reason
        return
    assert status == "accepted", reason
    with PgTransport(dm.dsn) as t:
        [pulled] = [p for p in t.pull(0, 100) if p.id == e.id]
    assert event_hash(pulled.prev_hash or "", pulled) == pulled.hash  # desks agree
    assert _checkpoint(server, tmp_path / "admin") == 0  # and the history can be signed


# ---- a LOST key (dutydesk server checkpoint --new-key) and trust on first use --------------

LOSS = "Administrator's laptop stolen on 30 Nov; its keyring is gone"


def _sync_command(login: Login, folder: Path, settings: dict[str, str]) -> int:
    where = conninfo_to_dict(login.dsn)
    path = folder / "settings.json"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, **settings}), encoding="utf-8")
    return main(
        [
            "sync",
            "--data-dir",
            str(folder / "desk"),
            "--settings",
            str(path),
            "--host",
            str(where["host"]),
            "--port",
            str(where["port"]),
            "--database",
            str(where["dbname"]),
            "--user",
            login.name,
        ]
    )


def test_a_lost_key_is_replaced_and_desks_that_trusted_it_stop_until_configured(
    server: str,
    signed: Path,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old_pem = (signed / checkpoint_key.PUBLIC).read_bytes()
    old_kid = key_id(load_public_pem(old_pem))
    pinned = make_desk(make_login("duty_manager"))
    first = pinned.engine.sync()
    assert first.online and first.checkpoint_key is not None
    assert (first.checkpoint_key.key_id, first.checkpoint_key.source) == (old_kid, "pinned now")
    configured = make_desk(make_login("practitioner"))
    configured.engine.checkpoint_key = load_public_pem(old_pem)
    assert configured.engine.sync().online
    dm = make_login("duty_manager")
    seed_contacts(dm, now, 2)
    # The administrator's keyring is gone.
    keyring.delete_password(checkpoint_key.SERVICE, checkpoint_key.ACCOUNT)
    capsys.readouterr()
    assert _checkpoint(server, signed, "--new-key", "--reason", "lost it") == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert _checkpoint(server, signed, "--new-key", "--reason", LOSS) == 0
    said = capsys.readouterr().out
    new_pem = (signed / checkpoint_key.PUBLIC).read_bytes()
    new_kid = key_id(load_public_pem(new_pem))
    assert f"checkpoint key {old_kid} recorded as LOST" in said and "up to sequence 12" in said
    assert f"fingerprint {new_kid}" in said
    assert (signed / f"checkpoint-key-{old_kid}.pem").read_bytes() == old_pem
    with psycopg.connect(server) as conn:
        assert conn.execute(
            "SELECT key_id, previous, replaces_lost, lost_last_seq, loss_reason "
            "FROM dutydesk.checkpoint_keys ORDER BY added_at"
        ).fetchall() == [(old_kid, None, None, None, None), (new_kid, None, old_kid, 12, LOSS)]
        assert conn.execute(
            "SELECT seq, key_id FROM dutydesk.checkpoints ORDER BY seq"
        ).fetchall() == [(5, old_kid), (12, old_kid), (14, new_kid)]
    # Both desks that trusted the lost key say so and take nothing; no lasting distrust.
    for desk in (pinned, configured):
        text = _refused(desk, f"checkpoint key {old_kid}", f"replaced by a new key {new_kid}")
        assert LOSS in text and "server_checkpoint_key" in text
        assert _pulled(desk) == 12 and not desk.store.get_meta(META_DISTRUST)
    # Each desk's administrator compares the fingerprint out of band and configures it.
    for desk in (pinned, configured):
        desk.engine.checkpoint_key = load_public_pem(new_pem)
        report = desk.engine.sync()
        assert report.online and report.pulled == 2
        assert report.checkpoint_key is not None and report.checkpoint_key.key_id == new_kid
        assert (desk.store.get_meta("checkpoint_seen") or "").split(" ")[1] == "14"
    # A desk meeting the server for the first time pins the new key (trust on first use).
    fresh = make_desk(make_login("practitioner")).engine.sync()
    assert fresh.online and fresh.checkpoint_key is not None
    assert fresh.checkpoint_key.key_id == new_kid
    # An auditor with the new key verifies all three checkpoints, the lost key's included.
    key_file = tmp_path / "new-key.pem"
    key_file.write_bytes(new_pem)
    auditor = make_login("auditor")
    verify = ["audit", "verify", "--server", "--dsn", auditor.dsn, "--checkpoint-key"]
    assert main([*verify, str(key_file), "--checkpoint-dir", str(tmp_path / "e")]) == 0
    assert f"3 checked with key {old_kid}, {new_kid}" in capsys.readouterr().out
    # The command line of a desk that trusted the lost key: the message, no traceback.
    monkeypatch.setenv("DUTYDESK_PASSWORD", "a long test password")
    old_file = tmp_path / "old-key.pem"
    old_file.write_bytes(old_pem)
    code = _sync_command(
        make_login("duty_manager"), tmp_path / "cli", {"server_checkpoint_key": str(old_file)}
    )
    out = capsys.readouterr()
    assert code == 1 and f"replaced by a new key {new_kid}" in out.err
    assert "Traceback" not in out.out + out.err
    # The new key is not lost: the same command is refused on the computer holding it.
    assert _checkpoint(server, signed, "--new-key", "--reason", LOSS) == 1
    assert "it is not lost. To change it, use --rotate" in capsys.readouterr().err


def test_the_database_owner_cannot_swap_the_key_through_the_lost_key_path(
    server: str, signed: Path, make_login: MakeLogin, make_desk: MakeDesk
) -> None:
    """The attacker holds the database but not the key: they write the record a lost key
    leaves (a key of their own replacing the real one, a checkpoint it signed). Desks that
    trust the real key, pinned or configured, refuse loudly; nothing is taken silently."""
    real_pem = (signed / checkpoint_key.PUBLIC).read_bytes()
    real_kid = key_id(load_public_pem(real_pem))
    pinned = make_desk(make_login("duty_manager"))
    assert pinned.engine.sync().online
    configured = make_desk(make_login("practitioner"))
    configured.engine.checkpoint_key = load_public_pem(real_pem)
    mine = Ed25519PrivateKey.generate()
    fake = replace_lost(mine, real_kid, 12, "Key lost, please use the new one", "2026-12-01T05:00Z")
    _sql(server, "UPDATE dutydesk.events SET device = 'forged' WHERE seq = 3")
    _sql(server, RECHAIN.format(first=3, last=EVERYTHING))
    with psycopg.connect(server) as conn:
        (epoch,) = conn.execute("SELECT epoch::text FROM dutydesk.server_info").fetchone()  # type: ignore[misc]
        (h,) = conn.execute("SELECT hash FROM dutydesk.events WHERE seq = 12").fetchone()  # type: ignore[misc]
        conn.execute(
            "INSERT INTO dutydesk.checkpoint_keys (key_id, public_key, added_at, replaces_lost, "
            "lost_last_seq, loss_reason, loss_signature) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                fake.key_id,
                fake.public_key,
                fake.added_at,
                real_kid,
                12,
                fake.loss_reason,
                fake.loss_signature,
            ),
        )
        cp = sign(mine, 12, h, epoch, "2026-12-01T05:00:01Z")
        conn.execute("DELETE FROM dutydesk.checkpoints WHERE seq >= 12")
        conn.execute(
            "INSERT INTO dutydesk.checkpoints VALUES (%s, %s, %s, %s, %s, %s)",
            (cp.seq, cp.hash, cp.epoch, cp.signed_at, cp.key_id, cp.signature),
        )
    for desk in (pinned, configured):
        _refused(desk, f"replaced by a new key {fake.key_id}", "anyone with rights")
    assert _pulled(configured) == 0


def test_trust_on_first_use_pins_an_attackers_key_and_a_configured_key_refuses_it(
    server: str,
    make_login: MakeLogin,
    make_desk: MakeDesk,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The documented limit: before the administrator's first checkpoint, the database
    owner publishes a key of their own with a checkpoint it signed. A desk with no
    ``server_checkpoint_key`` believes whatever key it meets first; it shows and logs the
    fingerprint so an administrator comparing it out of band notices. A desk configured
    with the administrator's real key refuses the attacker's."""
    seed_contacts(make_login("duty_manager"), now, 3)
    theirs = Ed25519PrivateKey.generate()
    root = first_key(theirs.public_key(), "2026-12-01T00:00:00Z")
    with psycopg.connect(server) as conn:
        (epoch,) = conn.execute("SELECT epoch::text FROM dutydesk.server_info").fetchone()  # type: ignore[misc]
        (h,) = conn.execute("SELECT hash FROM dutydesk.events WHERE seq = 3").fetchone()  # type: ignore[misc]
        conn.execute(
            "INSERT INTO dutydesk.checkpoint_keys (key_id, public_key, added_at) "
            "VALUES (%s, %s, %s)",
            (root.key_id, root.public_key, root.added_at),
        )
        cp = sign(theirs, 3, h, epoch, "2026-12-01T00:00:01Z")
        conn.execute(
            "INSERT INTO dutydesk.checkpoints VALUES (%s, %s, %s, %s, %s, %s)",
            (cp.seq, cp.hash, cp.epoch, cp.signed_at, cp.key_id, cp.signature),
        )
    unconfigured = make_desk(make_login("practitioner"))
    with caplog.at_level("WARNING", logger="dutydesk.sync.engine"):
        report = unconfigured.engine.sync()
    assert report.online  # the limit: the attacker's key is pinned
    assert report.checkpoint_key is not None and report.checkpoint_key.key_id == root.key_id
    assert f"checkpoint key {root.key_id} (pinned now at first contact" in report.summary()
    assert any(
        root.key_id in r.getMessage() and "first use" in r.getMessage() for r in caplog.records
    )
    # what `dutydesk sync` prints for the administrator to compare
    monkeypatch.setenv("DUTYDESK_PASSWORD", "a long test password")
    capsys.readouterr()
    assert _sync_command(make_login("auditor"), tmp_path / "tofu", {}) == 0
    out = capsys.readouterr().out
    assert f"checkpoint key {root.key_id} (pinned now at first contact" in out
    assert "compare this fingerprint with your administrator's" in out
    # the administrator's real key, configured: the attacker's checkpoint is refused
    real = Ed25519PrivateKey.generate()
    configured = make_desk(make_login("practitioner"))
    configured.engine.checkpoint_key = real.public_key()
    _refused(configured, "is not signed by the trusted checkpoint key", "forged or altered")
    assert _pulled(configured) == 0
