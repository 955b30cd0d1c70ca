"""Who may change a rating, and how: the rule behind ``contact.rating_overridden``.

A person may raise or lower a suggested rating with a reason; both the original and the
current rating stay on the record (the projection keeps ``original_rating``). Lowering a
Red is the one change that can leave a child at risk waiting, so it needs a duty manager
or a senior practitioner, who is recorded as the approver.
"""

from __future__ import annotations

from ..codes import Rating, Role
from ..errors import PermissionDenied, ValidationError

MAY_OVERRIDE = frozenset({Role.PRACTITIONER, Role.SENIOR_PRACTITIONER, Role.DUTY_MANAGER})
MAY_LOWER_RED = frozenset({Role.SENIOR_PRACTITIONER, Role.DUTY_MANAGER})


def check_override(role: Role, from_rating: str | None, to_rating: str, reason: str) -> None:
    """Raise unless ``role`` may change ``from_rating`` to ``to_rating`` for ``reason``."""
    if from_rating is None:
        raise ValidationError("the contact has not been rated yet", "from_rating")
    try:
        before, after = Rating(from_rating), Rating(to_rating)
    except ValueError:
        raise ValidationError(
            f"unknown rating {to_rating!r} (red, amber, green, blue)", "to_rating"
        ) from None
    if before is after:
        raise ValidationError(f"the contact is already {after.value}", "to_rating")
    if not reason or not reason.strip():
        raise ValidationError("a reason is required to change a rating", "reason")
    if role not in MAY_OVERRIDE:
        raise PermissionDenied(f"a {role.value.replace('_', ' ')} may not change a rating")
    if before is Rating.RED and role not in MAY_LOWER_RED:
        raise PermissionDenied(
            "lowering a Red rating needs a duty manager or a senior practitioner"
        )
