"""The ``drafts`` table: forms being typed, inside the store (encrypted with it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, Table, delete, insert, select, update

from .schema import DraftRecord

DRAFTS: Table = DraftRecord.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class DraftRow:
    draft_id: str
    owner: str
    kind: str
    saved_at: str
    body: str


class DraftTable:
    """Rows of ``drafts``; every read is for one owner."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, row: DraftRow) -> None:
        """Insert or replace ``row`` in one transaction. A draft id belongs to the person
        who started it: another owner's row with the same id is left alone (refused)."""
        with self.engine.begin() as conn:
            found = conn.execute(
                select(DRAFTS.c.owner).where(DRAFTS.c.draft_id == row.draft_id)
            ).scalar()
            values = {
                "owner": row.owner,
                "kind": row.kind,
                "saved_at": row.saved_at,
                "body": row.body,
            }
            if found is None:
                conn.execute(insert(DRAFTS).values(draft_id=row.draft_id, **values))
            elif found == row.owner:
                conn.execute(
                    update(DRAFTS).where(DRAFTS.c.draft_id == row.draft_id).values(**values)
                )
            else:
                raise PermissionError("the draft belongs to someone else")

    def get(self, owner: str, draft_id: str) -> DraftRow | None:
        with self.engine.connect() as conn:
            r = conn.execute(
                select(DRAFTS).where(DRAFTS.c.draft_id == draft_id, DRAFTS.c.owner == owner)
            ).first()
        return None if r is None else DraftRow(r.draft_id, r.owner, r.kind, r.saved_at, r.body)

    def of(self, owner: str, kind: str | None = None) -> list[DraftRow]:
        query = select(DRAFTS).where(DRAFTS.c.owner == owner)
        if kind is not None:
            query = query.where(DRAFTS.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(DRAFTS.c.saved_at.desc())).all()
        return [DraftRow(r.draft_id, r.owner, r.kind, r.saved_at, r.body) for r in rows]

    def remove(self, owner: str, draft_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(DRAFTS).where(DRAFTS.c.draft_id == draft_id, DRAFTS.c.owner == owner)
            )
