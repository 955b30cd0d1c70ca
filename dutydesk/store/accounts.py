"""Standalone accounts in the local store: login, role and an argon2 hash of the password.

Only the hash is stored (argon2id, the library's current parameters); a hash made with
older parameters is replaced at the next successful sign-in. In shared mode identity is
the person's PostgreSQL login and this table is unused.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, Table, func, insert, select, update

from ..domain.codes import Role
from .security_schema import Account

ACCOUNTS: Table = Account.__table__  # type: ignore[assignment]

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class AccountRow:
    login: str
    display_name: str
    role: Role
    active: bool
    failed_attempts: int


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class AccountStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def count(self, role: Role | None = None) -> int:
        stmt = select(func.count()).select_from(ACCOUNTS)
        if role is not None:
            stmt = stmt.where(ACCOUNTS.c.role == role.value, ACCOUNTS.c.active)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def get(self, login: str) -> AccountRow | None:
        with self.engine.connect() as conn:
            m = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.login == login)).mappings().first()
        if m is None:
            return None
        return AccountRow(
            m["login"],
            m["display_name"],
            Role(m["role"]),
            bool(m["active"]),
            int(m["failed_attempts"]),
        )

    def all(self) -> list[AccountRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ACCOUNTS).order_by(ACCOUNTS.c.login)).mappings().all()
        return [
            AccountRow(
                m["login"],
                m["display_name"],
                Role(m["role"]),
                bool(m["active"]),
                int(m["failed_attempts"]),
            )
            for m in rows
        ]

    def add(self, login: str, display_name: str, role: Role, password: str, at: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(ACCOUNTS).values(
                    login=login,
                    display_name=display_name,
                    role=role.value,
                    password_hash=hash_password(password),
                    active=True,
                    created_at=at,
                    updated_at=at,
                    failed_attempts=0,
                )
            )

    def set_password(self, login: str, password: str, at: str) -> None:
        """A new password, set by an administrator: it also unlocks an account locked by
        wrong passwords (the lock message tells people to ask for exactly this)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(ACCOUNTS)
                .where(ACCOUNTS.c.login == login)
                .values(password_hash=hash_password(password), updated_at=at, failed_attempts=0)
            )

    def set_active(self, login: str, active: bool, at: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(ACCOUNTS)
                .where(ACCOUNTS.c.login == login)
                .values(active=active, updated_at=at)
            )

    def check_password(self, login: str, password: str) -> bool:
        """True if ``password`` is right; counts failures and upgrades old hashes."""
        with self.engine.begin() as conn:
            stored = conn.execute(
                select(ACCOUNTS.c.password_hash).where(ACCOUNTS.c.login == login)
            ).scalar()
            if stored is None:
                _hasher.hash(password)  # same work as a real check: no timing hint
                return False
            try:
                _hasher.verify(stored, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                conn.execute(
                    update(ACCOUNTS)
                    .where(ACCOUNTS.c.login == login)
                    .values(failed_attempts=ACCOUNTS.c.failed_attempts + 1)
                )
                return False
            values: dict[str, object] = {"failed_attempts": 0}
            if _hasher.check_needs_rehash(stored):
                values["password_hash"] = hash_password(password)
            conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.login == login).values(**values))
            return True
