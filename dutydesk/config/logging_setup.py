"""Application logging that cannot carry children's data.

DutyDesk's own messages name ids, logins, counts and error kinds, never names, NHS
numbers or free text. Libraries are another matter: SQLAlchemy at INFO/DEBUG logs every
statement with its parameters and result rows, i.e. whole records. Whatever level the
application runs at, those loggers stay at WARNING.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..filemodes import private_dir, private_file

# Loggers that would write statement parameters, rows or secrets at INFO/DEBUG.
QUIET = (
    "sqlalchemy",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "sqlalchemy.orm",
    "alembic",
    "keyring",
    "psycopg",
)

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO, file: Path | None = None) -> None:
    """Root logging for the app and commands; ``file`` adds a log file beside stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if file is not None:
        private_dir(file.parent)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
        private_file(file)
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
