"""Signed checkpoints against whoever holds the database (issue 12, witnessed history).

The threat model (docs/security.md): the database owner or a superuser can change any row
and recompute the whole hash chain, cut off the tail and roll the counter back, delete or
forge checkpoints, and even replace the server's own check functions. What they do not
hold is the checkpoint key, which lives in the administrator's OS keyring. Each attack
below is done as the database superuser with nothing but SQL, the way such an attacker
would; `dutydesk audit verify --server` then runs as an ordinary auditor login with the
administrator's published public key (and, on the administrator's machine, the journal)
and must say "the server's history changed at seq N", exit 1, no traceback.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import keyring
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dutydesk.cli import main
from dutydesk.config import checkpoint_key
from dutydesk.domain.checkpoints import sign
from tests.integration.sync.conftest import Login, reset_server, seed_contacts

MakeLogin = Callable[[str], Login]

# The whole chain from ``first`` on recomputed with the server's own functions, and the
# counter set to the new head: what an owner who edits history does so that every hash
# check (the desk's walk and the server's chain_check) passes again.
RECHAIN = """
DO $$
DECLARE
    ev record;
    prev text := coalesce((SELECT hash FROM dutydesk.events WHERE seq = {first} - 1),
                          repeat('0', 64));
BEGIN
    FOR ev IN SELECT * FROM dutydesk.events WHERE seq >= {first} ORDER BY seq LOOP
        UPDATE dutydesk.events SET prev_hash = prev,
               hash = dutydesk.event_hash(prev, dutydesk.canonical_json(jsonb_build_object(
                   'actor', ev.actor, 'actor_role', ev.actor_role,
                   'client_time', ev.client_time, 'device', ev.device, 'id', ev.id::text,
                   'payload', ev.payload_text::jsonb, 'schema_version', ev.schema_version,
                   'server_seq', ev.seq, 'server_time', ev.server_time, 'type', ev.type)))
         WHERE seq = ev.seq RETURNING hash INTO prev;
    END LOOP;
    UPDATE dutydesk.counter SET last_hash = prev,
           last_seq = (SELECT coalesce(max(seq), 0) FROM dutydesk.events);
END $$"""


@pytest.fixture
def server(pg_server: str) -> Iterator[str]:
    reset_server(pg_server)
    _sql(pg_server, "DELETE FROM dutydesk.checkpoints", "DELETE FROM dutydesk.checkpoint_keys")
    yield pg_server
    reset_server(pg_server)
    _sql(pg_server, "DELETE FROM dutydesk.checkpoints", "DELETE FROM dutydesk.checkpoint_keys")


def _sql(admin_dsn: str, *statements: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        for statement in statements:
            conn.execute(statement)


def _checkpoint(
    admin_dsn: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    code = main(["server", "checkpoint", "--dsn", admin_dsn, "--checkpoint-dir", str(folder)])
    out = capsys.readouterr()
    return code, out.out + out.err


def _verify(login: Login, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--server", "--dsn", login.dsn, *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def signed(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> tuple[Login, Path, Path]:
    """12 events with checkpoints at 5 and 12; (auditor, admin's folder, an auditor's
    folder holding only the published public key)."""
    dm = make_login("duty_manager")
    admin_folder = tmp_path / "admin-checkpoints"
    seed_contacts(dm, now, 5)
    assert _checkpoint(server, admin_folder, capsys)[0] == 0
    seed_contacts(dm, now, 7)
    code, text = _checkpoint(server, admin_folder, capsys)
    assert code == 0 and "checkpoint signed: sequence 12" in text, text
    auditor_folder = tmp_path / "auditor"
    auditor_folder.mkdir()
    (auditor_folder / "key.pem").write_bytes((admin_folder / checkpoint_key.PUBLIC).read_bytes())
    return make_login("auditor"), admin_folder, auditor_folder


def test_checkpoints_verify_and_the_key_stays_in_the_keyring(
    server: str, signed: tuple[Login, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    auditor, admin_folder, auditor_folder = signed
    code, text = _verify(
        auditor,
        capsys,
        "--checkpoint-key",
        str(auditor_folder / "key.pem"),
        "--checkpoint-dir",
        str(auditor_folder),
    )
    assert code == 0, text
    assert "signed checkpoints intact: 2 checked" in text
    assert "the newest at sequence 12" in text
    stored = keyring.get_password(checkpoint_key.SERVICE, checkpoint_key.ACCOUNT)
    assert stored is not None
    private_b64 = stored
    private_hex = base64.b64decode(stored).hex()
    with psycopg.connect(server) as conn:  # no table in the database holds the private key
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname = 'dutydesk'"
            )
        ]
        for table in tables:
            dump = conn.execute(
                f"SELECT coalesce(string_agg(t::text, ''), '') FROM {table} t"
            ).fetchone()[0]  # type: ignore[index]
            assert private_b64 not in dump and private_hex not in dump, table
    for path in admin_folder.iterdir():  # nor any file the administrator's machine wrote
        assert private_b64.encode() not in path.read_bytes(), path


def test_an_edit_with_the_whole_chain_recomputed_is_placed_exactly(
    server: str, signed: tuple[Login, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    auditor, admin_folder, auditor_folder = signed
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'laptop-of-the-owner' WHERE seq = 9",
        RECHAIN.format(first=9),
    )
    # every hash check that trusts the server now passes ...
    code, text = _verify(auditor, capsys)
    assert "events verified up to sequence 12" in text and "own chain check intact" in text
    # ... but the signed checkpoint does not: exact with the administrator's journal,
    code, text = _verify(auditor, capsys, "--checkpoint-dir", str(admin_folder))
    assert code == 1, text
    assert "the server's history changed at seq 9:" in text
    assert "Traceback" not in text
    # and between the two checkpoints from the published key alone.
    code, text = _verify(
        auditor,
        capsys,
        "--checkpoint-key",
        str(auditor_folder / "key.pem"),
        "--checkpoint-dir",
        str(auditor_folder),
    )
    assert code == 1
    assert "the server's history changed at seq 6-12" in text


def test_a_cut_off_tail_with_the_counter_rolled_back_is_named(
    server: str, signed: tuple[Login, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    auditor, _, auditor_folder = signed
    _sql(server, "DELETE FROM dutydesk.events WHERE seq > 10", RECHAIN.format(first=11))
    code, text = _verify(
        auditor,
        capsys,
        "--checkpoint-key",
        str(auditor_folder / "key.pem"),
        "--checkpoint-dir",
        str(auditor_folder),
    )
    assert code == 1, text
    assert "the server's history changed at seq 11: its log now ends at sequence 10" in text


def test_deleting_the_checkpoints_too_is_caught_by_the_journal(
    server: str, signed: tuple[Login, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    auditor, admin_folder, _ = signed
    _sql(
        server,
        "DELETE FROM dutydesk.events WHERE seq > 7",
        RECHAIN.format(first=8),
        "DELETE FROM dutydesk.checkpoints WHERE seq > 7",
    )
    code, text = _verify(auditor, capsys, "--checkpoint-dir", str(admin_folder))
    assert code == 1, text
    assert "the server's history changed at seq 8: its log now ends at sequence 7" in text


def test_a_checkpoint_signed_with_the_owners_own_key_is_refused(
    server: str, signed: tuple[Login, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    auditor, _, auditor_folder = signed
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'forged' WHERE seq = 3",
        RECHAIN.format(first=3),
    )
    with psycopg.connect(server) as conn:  # re-sign the rewritten heads with a key of its own
        (epoch,) = conn.execute("SELECT epoch::text FROM dutydesk.server_info").fetchone()  # type: ignore[misc]
        mine = Ed25519PrivateKey.generate()
        for seq, h, at in conn.execute(
            "SELECT c.seq, e.hash, c.signed_at FROM "
            "dutydesk.checkpoints c JOIN dutydesk.events e "
            "USING (seq)"
        ).fetchall():
            cp = sign(mine, seq, h, epoch, at)
            conn.execute(
                "UPDATE dutydesk.checkpoints SET hash = %s, key_id = %s, "
                "signature = %s WHERE seq = %s",
                (cp.hash, cp.key_id, cp.signature, seq),
            )
    code, text = _verify(
        auditor,
        capsys,
        "--checkpoint-key",
        str(auditor_folder / "key.pem"),
        "--checkpoint-dir",
        str(auditor_folder),
    )
    assert code == 1, text
    assert "is not signed by the trusted checkpoint key" in text


def test_the_administrator_will_not_sign_over_a_rewritten_history(
    server: str,
    signed: tuple[Login, Path, Path],
    make_login: MakeLogin,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, admin_folder, _ = signed
    _sql(
        server,
        "UPDATE dutydesk.events SET device = 'edited' WHERE seq = 4",
        RECHAIN.format(first=4),
    )
    seed_contacts(make_login("duty_manager"), now, 2)
    code, text = _checkpoint(server, admin_folder, capsys)
    assert code == 1
    assert "not signed: the server's history changed at seq 4" in text
    with psycopg.connect(server) as conn:
        assert conn.execute("SELECT max(seq) FROM dutydesk.checkpoints").fetchone() == (12,)


def test_unchained_events_after_the_last_checkpoint_are_not_signed(
    server: str,
    signed: tuple[Login, Path, Path],
    make_login: MakeLogin,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, admin_folder, _ = signed
    seed_contacts(make_login("duty_manager"), now, 3)
    _sql(server, "UPDATE dutydesk.events SET device = 'edited' WHERE seq = 14")
    code, text = _checkpoint(server, admin_folder, capsys)
    assert code == 1 and "not signed: sequence 14 does not chain" in text


def test_without_a_secure_keyring_no_key_is_made(
    server: str,
    make_login: MakeLogin,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from keyring.backends.null import Keyring as NullKeyring

    seed_contacts(make_login("duty_manager"), now, 1)
    monkeypatch.setattr(keyring, "get_keyring", lambda: NullKeyring())
    code, text = _checkpoint(server, tmp_path / "cp", capsys)
    assert code == 2 and "must be kept in the OS keyring" in text
    assert not (tmp_path / "cp").exists()


def test_a_client_login_cannot_forge_or_remove_checkpoints(
    server: str, signed: tuple[Login, Path, Path], make_login: MakeLogin
) -> None:
    for group in ("admin", "auditor", "duty_manager"):
        with psycopg.connect(make_login(group).dsn, autocommit=True) as conn:
            assert len(conn.execute("SELECT * FROM dutydesk.checkpoints()").fetchall()) == 2
            for statement in (
                "DELETE FROM dutydesk.checkpoints",
                "UPDATE dutydesk.checkpoints SET seq = 1",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
