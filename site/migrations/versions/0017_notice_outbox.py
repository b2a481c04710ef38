"""notice_outbox: staff notices waiting to be sent, committed with their referral; the notices of
existing referrals still unsent (notice_sent_at NULL) move into it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_notice_outbox_referral_id_referral")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_outbox")),
    )
    with op.batch_alter_table("notice_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_outbox_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index("ix_notice_outbox_pending", ["sent_at", "attempts", "id"], unique=False)
    # Before this revision the request sent the notice itself and `referrals send-notices` retried
    # the rows left unsent. A row whose notice had gone (no error kept) and was then cleared can
    # only have been cleared because more answers made it urgent.
    op.execute(
        "INSERT INTO notice_outbox (referral_id, kind, created_at, attempts, last_error) "
        "SELECT id, CASE WHEN notice_attempts > 0 AND notice_error IS NULL THEN 'urgent' ELSE 'new' END, "
        "created_at, 0, SUBSTR(notice_error, 1, 64) FROM referral WHERE notice_sent_at IS NULL ORDER BY id"
    )


def downgrade() -> None:
    # Unsent notices go back to being marked on their referral, which `referrals send-notices` retried.
    op.execute(
        "UPDATE referral SET notice_sent_at = NULL WHERE id IN "
        "(SELECT referral_id FROM notice_outbox WHERE sent_at IS NULL)"
    )
    op.drop_table("notice_outbox")
