from alembic import context

from haven.db import make_engine
from haven.models import Base

config = context.config
engine = make_engine(config.attributes["database_url"])

with engine.connect() as connection:
    if connection.dialect.name == "sqlite":
        # Batch mode rebuilds a table by copy, drop and rename; with foreign keys enforced, a table
        # that refers to itself (referral.repeat_of_id) or is referred to could not be dropped.
        # Outside a transaction, as SQLite requires; the next connection has them on again.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
