"""The permission matrix as docs/security.md publishes it ("One permission table"), read
from the page itself, so the code and the server are checked against what the documentation
promises rather than against the table they were built from."""

from __future__ import annotations

import re
from pathlib import Path

from dutydesk.domain.codes import Role
from dutydesk.domain.permissions import Action

PAGE = Path(__file__).resolve().parents[1] / "docs" / "security.md"
COLUMNS = {
    "CO": Role.CONTACT_OFFICER,
    "PR": Role.PRACTITIONER,
    "SP": Role.SENIOR_PRACTITIONER,
    "DM": Role.DUTY_MANAGER,
    "AU": Role.AUDITOR,
    "AD": Role.ADMIN,
}


def documented_matrix() -> dict[Action, frozenset[Role]]:
    """Action -> the roles ticked for it. Raises ``ValueError`` when the table is missing,
    its header changed, or an action is listed twice."""
    section = PAGE.read_text(encoding="utf-8").split("## One permission table", 1)
    if len(section) != 2:
        raise ValueError(f"{PAGE} has no 'One permission table' section")
    lines: list[str] = []  # the section's first table: its rows up to the first other line
    for raw in section[1].splitlines():
        if raw.strip().startswith("|"):
            lines.append(raw.strip())
        elif lines:
            break
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    if header[0] != "action" or [COLUMNS.get(c) for c in header[1:]] != list(COLUMNS.values()):
        raise ValueError(f"unexpected permission table header in {PAGE}: {header}")
    roles = list(COLUMNS.values())
    matrix: dict[Action, frozenset[Role]] = {}
    for line in lines[2:]:  # after the header and the |---| rule
        cells = [c.strip() for c in line.strip("|").split("|")]
        ticked = frozenset(r for r, cell in zip(roles, cells[1:], strict=True) if cell == "✓")
        # "view_restricted (when named on the record)": the action is the first word
        for name in re.sub(r"\(.*?\)", "", cells[0]).split(","):
            action = Action(name.strip())
            if action in matrix:
                raise ValueError(f"{action.value} is listed twice in {PAGE}")
            matrix[action] = ticked
    return matrix
