"""Once per store, after a fix to the fold: refold the rows older code may have folded wrong.

The read model is a projection of the log, and a fix to the fold (``domain.projection``)
changes what a fold of the same log makes; but rows already written stay as the older code
made them until their scope is refolded, and nothing refolds a scope no new event touches.
A whole rebuild would (46 s at a million events, docs/performance.md), so each fix here
names the scopes it concerns, found from the log, and the store refolds those once, in
server order, in one fold, when it is opened (``database.open_engine``) with fewer fixes
recorded than ``database.FOLD_FIXES``. A new store records them all: nothing older folded
it. The count is kept in ``store_meta`` with the refold, in one transaction.

1. Decision ownership (4adba0b, 9ea5db9): a decision belongs to the contact whose
   recording or proposal names its id first in server order, and is its first author's;
   an event naming it under another contact, or recording it again, changes nothing.
   Before, a desk's whole fold signed off, amended, returned or superseded another
   contact's decision, an append stole it under the contact of a second recording, and a
   second recording took over its author and time. The scopes: every contact of a decision
   event naming an id that events name under more than one contact, or that is recorded
   (or proposed) more than once. A crafted event the server took before migration 0017
   refused them stays in the log and on every desk, where the fold now ignores it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine

from ..domain import projection
from . import rowread
from .database import FOLD_FIXES, META_FOLD_FIXES
from .refold import Refolded, refold_together

_RECORDING = tuple(sorted(projection.RECORDING_TYPES))
_NAMING = tuple(sorted(projection.RECORDING_TYPES | projection.OWN_DECISION_TYPES))
_RESOLUTION = tuple(sorted(projection.RESOLUTION_TYPES))


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"  # the domain's type names


# (contact, decision id, 1 for a recording) for each decision id a decision event names
_NAMED = (
    f"SELECT contact_id AS cid, json_extract(payload, '$.decision_id') AS did, "
    f"type IN {_in(_RECORDING)} AS rec FROM events WHERE type IN {_in(_NAMING)} "
    "UNION ALL SELECT e.contact_id, j.value, 0 FROM events e, "
    f"json_each(e.payload, '$.decision_ids') j WHERE e.type IN {_in(_RESOLUTION)}"
)
_DECISION_OWNERSHIP = (
    f"WITH named AS ({_NAMED}), shared AS (SELECT did FROM named WHERE did IS NOT NULL "
    "GROUP BY did HAVING count(DISTINCT cid) > 1 OR sum(rec) > 1) "
    "SELECT DISTINCT cid FROM named WHERE cid IS NOT NULL AND did IN (SELECT did FROM shared)"
)


def _decision_ownership(conn: Connection) -> frozenset[str]:
    return frozenset(str(cid) for (cid,) in rowread.fetch(conn, _DECISION_OWNERSHIP, []))


# fix number -> the contacts it concerns, read from the log (``database.FOLD_FIXES`` is
# the last number)
FIXES: dict[int, Callable[[Connection], frozenset[str]]] = {1: _decision_ownership}


def apply(engine: Engine, done: int) -> Refolded:
    """Refold, in one transaction, the contacts the fixes after ``done`` concern, and
    record that the store has had every fix."""
    with engine.begin() as conn:
        contacts: frozenset[str] = frozenset()
        for number in range(done + 1, FOLD_FIXES + 1):
            contacts |= FIXES[number](conn)
        refolded = refold_together(conn, contacts)
        conn.exec_driver_sql(
            "INSERT INTO store_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (META_FOLD_FIXES, str(FOLD_FIXES)),
        )
    return refolded
