"""One index holding every column the inbox's counts and order read (a covering index), so a
list of 100,000 referrals never reads the rows' encrypted words.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:00:00
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ["status", "route", "first_contact_at", "target_due_at", "priority", "assignee_id", "created_at"]


def upgrade() -> None:
    op.create_index("ix_referral_triage", "referral", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_referral_triage", table_name="referral")
