"""Risk assessments and MARAC referrals on the timeline: a score, a high-risk flag and a date on
case_event, and the referral's high-risk flag for the inbox (existing referrals: none assessed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("high_risk", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("on_date", sa.Date(), nullable=True))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag_high_risk", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("flag_high_risk")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_column("on_date")
        batch_op.drop_column("high_risk")
        batch_op.drop_column("score")
