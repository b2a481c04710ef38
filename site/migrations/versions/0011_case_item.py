"""Casework records with stages (target-hardening works requested, booked, completed; a share
made without consent and its manager's confirmation) point back at the entry they follow on from.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_case_event_item_id_case_event", "case_event", ["item_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_constraint("fk_case_event_item_id_case_event", type_="foreignkey")
        batch_op.drop_column("item_id")
