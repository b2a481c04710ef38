"""/healthz: can this process serve? The database answers, and its schema is the newest one."""
from __future__ import annotations

from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ..migrations import alembic_config


@lru_cache(maxsize=1)
def head() -> str:
    # The code's newest migration does not change while the process runs: read it once.
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def problem(engine: Engine) -> str | None:
    """None when healthy, else the one word a load balancer's log can show: "database" when it
    cannot be reached, "migrations" when its schema is not the code's newest (or has none)."""
    try:
        connection = engine.connect()
    except SQLAlchemyError:
        return "database"
    # Alembic's own table, read directly: its MigrationContext would log two lines per check.
    with connection:
        try:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return "migrations"
    return None if current == head() else "migrations"
