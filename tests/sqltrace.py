"""Which thread ran each SQL statement on a local store: SQLite's own trace callback on
every connection of the store's engine, so statements sent straight to the driver
(``store.rowread``) are seen as well as SQLAlchemy's."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


@dataclass
class Statements:
    """Every statement run on the engine's connections since ``trace``: (thread, sql)."""

    ran: list[tuple[str, str]] = field(default_factory=list)
    on: bool = True

    def writes(self) -> list[tuple[str, str]]:
        """The statements that change the file: INSERT, UPDATE, DELETE and schema changes."""
        return [(t, sql) for t, sql in self.ran if _WRITE.match(sql)]

    def threads_of(self, pattern: str) -> set[str]:
        """The threads that ran a write statement matching ``pattern`` (a regex)."""
        found = re.compile(pattern, re.IGNORECASE)
        return {t for t, sql in self.writes() if found.search(sql)}


def trace(engine: Engine) -> Statements:
    """Record every statement on ``engine`` from now on (its pooled connections are
    closed first, so every connection it hands out from here is traced)."""
    seen = Statements()

    def record(sql: str) -> None:
        if seen.on:
            seen.ran.append((threading.current_thread().name, sql))

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(record)

    event.listen(engine, "connect", on_connect)
    engine.dispose()
    return seen
