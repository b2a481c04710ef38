"""Equality monitoring (whg 4.1): optional answers, kept apart from the referral (no link to it).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

QUESTIONS = ("gender", "age_band", "disability", "ethnic_group", "sexual_orientation")


def upgrade() -> None:
    op.create_table(
        "equality_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        *(sa.Column(question, sa.String(length=24), nullable=True) for question in QUESTIONS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equality_response")),
    )
    op.create_index(op.f("ix_equality_response_received_on"), "equality_response", ["received_on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_equality_response_received_on"), table_name="equality_response")
    op.drop_table("equality_response")
