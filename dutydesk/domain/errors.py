"""Errors the pure core raises: each names what is wrong and where."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors a person can act on (bad input, refused action)."""


class ValidationError(DomainError):
    """Input that breaks a rule. ``path`` locates the field, e.g. ``children[0].nhs_number``."""

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        self.reason = message
        super().__init__(f"{path}: {message}" if path else message)

    def within(self, prefix: str) -> ValidationError:
        """The same error located inside ``prefix`` (an event type, a file row...)."""
        path = (
            f"{prefix}.{self.path}"
            if self.path and not self.path.startswith("[")
            else (f"{prefix}{self.path}" if self.path else prefix)
        )
        return ValidationError(self.reason, path)


class PermissionDenied(DomainError):
    """An actor tried something their role does not allow."""
