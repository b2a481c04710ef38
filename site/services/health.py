"""/healthz: can this process serve? The database answers, and its schema is the newest one."""
from __future__ import annotations

from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..migrations import alembic_config


@lru_cache(maxsize=1)
def head() -> str:
    # The code's newest migration does not change while the process runs: read it once.
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def problem(engine: Engine) -> str | None:
    """None when healthy, else the one word a load balancer's log can show: "database" when it
    cannot be reached, "migrations" when its schema is not the code's newest."""
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError:
        return "database"
    return None if current == head() else "migrations"
