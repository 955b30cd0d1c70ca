"""Signing in and managing standalone accounts.

First run: ``init_admin`` creates the first administrator, and only while no
administrator exists. After that only an administrator (``administer``) adds users or
resets passwords. Demo mode signs in as a demo user without a password, and only when the
caller says the store holds demo data.
"""

from __future__ import annotations

import re
import socket

from ..domain.clock import Clock
from ..domain.codes import Role
from ..domain.errors import DomainError, ValidationError
from ..domain.events import Actor
from ..domain.permissions import Action, require
from ..store.accounts import AccountRow, AccountStore
from ..store.eventstore import EventStore

MIN_PASSWORD = 12
MAX_FAILED = 10
LOGIN_RE = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")


class SignInError(DomainError):
    """Wrong login or password, or a disabled or locked account (deliberately vague)."""


def check_password_rules(password: str, login: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"is {len(password)} characters; at least {MIN_PASSWORD} needed", "password"
        )
    if login.lower() in password.lower():
        raise ValidationError("must not contain the login", "password")
    if len(set(password)) < 5:
        raise ValidationError("is too repetitive; use a passphrase of several words", "password")


def check_login(login: str) -> str:
    if not LOGIN_RE.match(login):
        raise ValidationError(
            "use 2–63 lower-case letters, digits, dots, dashes or "
            "underscores, starting with a letter",
            "login",
        )
    return login


class AccountService:
    def __init__(self, store: EventStore, clock: Clock, device: str | None = None) -> None:
        self.accounts = AccountStore(store.engine)
        self.clock = clock
        self.device = device or socket.gethostname()

    def _now(self) -> str:
        return self.clock.now().isoformat()

    def needs_first_admin(self) -> bool:
        return self.accounts.count(Role.ADMIN) == 0

    def init_admin(self, login: str, display_name: str, password: str) -> AccountRow:
        """First-run set-up: the first administrator. Refused once one exists."""
        if not self.needs_first_admin():
            raise DomainError("an administrator already exists; ask them to add accounts")
        return self._add(login, display_name, Role.ADMIN, password)

    def create_user(
        self, by: Actor, login: str, display_name: str, role: Role, password: str
    ) -> AccountRow:
        require(by, Action.ADMINISTER)
        return self._add(login, display_name, role, password)

    def has_accounts(self) -> bool:
        """False on a desk where nobody has been set up yet (first run)."""
        return self.accounts.count() > 0

    def list_users(self, by: Actor) -> list[AccountRow]:
        require(by, Action.ADMINISTER)
        return self.accounts.all()

    def reset_password(self, by: Actor, login: str, password: str) -> None:
        require(by, Action.ADMINISTER)
        if self.accounts.get(login) is None:
            raise ValidationError(f"no account {login!r}", "login")
        check_password_rules(password, login)
        self.accounts.set_password(login, password, self._now())

    def set_active(self, by: Actor, login: str, active: bool) -> None:
        """Disable an account (someone leaves: they can no longer sign in; their login stays
        theirs on every event they recorded) or enable it again. The last active
        administrator is never disabled: nobody could manage the desk's accounts after."""
        require(by, Action.ADMINISTER)
        row = self.accounts.get(login)
        if row is None:
            raise ValidationError(f"no account {login!r}", "login")
        if (
            not active
            and row.role is Role.ADMIN
            and not any(
                other.active and other.role is Role.ADMIN and other.login != login
                for other in self.accounts.all()
            )
        ):
            raise DomainError(
                f"{login} is the last active administrator; add another "
                "administrator before disabling this one"
            )
        self.accounts.set_active(login, active, self._now())

    def _add(self, login: str, display_name: str, role: Role, password: str) -> AccountRow:
        check_login(login)
        if not display_name.strip():
            raise ValidationError("is required", "display_name")
        check_password_rules(password, login)
        if self.accounts.get(login) is not None:
            raise ValidationError(f"an account {login!r} already exists", "login")
        self.accounts.add(login, display_name.strip(), role, password, self._now())
        found = self.accounts.get(login)
        assert found is not None
        return found

    def sign_in(self, login: str, password: str) -> Actor:
        """The actor for a right login and password; ``SignInError`` otherwise."""
        row = self.accounts.get(login)
        if row is not None and row.failed_attempts >= MAX_FAILED:
            raise SignInError(
                "this account is locked after too many wrong passwords; ask an "
                "administrator to reset it"
            )
        if not self.accounts.check_password(login, password) or row is None or not row.active:
            raise SignInError("wrong login or password, or the account is disabled")
        return Actor(
            login=row.login, role=row.role, device=self.device, display_name=row.display_name
        )

    def verify_password(self, login: str, password: str) -> bool:
        """For the screen lock: is this the signed-in person's password?"""
        try:
            self.sign_in(login, password)
        except SignInError:
            return False
        return True


def demo_sign_in(login: str, *, demo: bool, device: str | None = None) -> Actor:
    """Sign in as one of the synthetic demo users (no password). Demo stores only."""
    from ..demo.users import DEMO_USERS

    if not demo:
        raise SignInError("demo users exist only in demo mode")
    for user in DEMO_USERS:
        if user.login == login:
            return Actor(
                login=user.login,
                role=user.role,
                device=device or socket.gethostname(),
                display_name=f"{user.name} (demo)",
            )
    known = ", ".join(u.login for u in DEMO_USERS)
    raise SignInError(f"no demo user {login!r}; demo users are {known}")
