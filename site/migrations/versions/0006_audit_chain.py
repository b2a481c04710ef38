"""The audit log is enforced as append-only by the database and each event is chained by hash.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from haven.models.audit import GENESIS, append_only_ddl, chain_hash

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FIELDS = ("at", "actor", "action", "record_type", "record_id", "detail", "client_hmac")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))

    # Chain the events already there, oldest first, before anything can refuse the UPDATE.
    events = sa.table("audit_event", sa.column("id", sa.Integer), sa.column("row_hash", sa.String),
                      sa.column("at", sa.DateTime(timezone=True)),
                      *(sa.column(name, sa.String) for name in FIELDS[1:]))
    previous = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        previous = chain_hash(previous, **{name: row[name] for name in FIELDS})
        bind.execute(events.update().where(events.c.id == row["id"]).values(row_hash=previous))

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
    # After the batch above: on SQLite it rebuilds the table, which would drop its triggers.
    # A later migration that rebuilds audit_event on SQLite must create them again.
    for statement in append_only_ddl(bind.dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in append_only_ddl(op.get_bind().dialect.name, create=False):
        op.execute(statement)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
