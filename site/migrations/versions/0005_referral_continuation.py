"""The self-referral's optional "tell us more" pages add to a referral through a one-time token.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing referrals get no token: nothing can be added to them from the public side.
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("continue_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("continue_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_referral_continue_hash"), ["continue_hash"])


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_referral_continue_hash"), type_="unique")
        batch_op.drop_column("continue_expires_at")
        batch_op.drop_column("continue_hash")
