"""Alembic environment for the local SQLite store (run at start by dutydesk.store)."""

from alembic import context
from sqlalchemy import Engine

from dutydesk.store.database import make_engine
from dutydesk.store.schema import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        url = config.get_main_option("sqlalchemy.url") or "sqlite:///dutydesk-dev.db"
        engine = make_engine(url.removeprefix("sqlite:///"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run()
