"""Feedback after closure (WM 5.1): feedback_link, the one-time links (their token's hash only),
and feedback, the anonymous answers (the comment encrypted).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_feedback_link_referral_id_referral")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["staff_user.id"],
                                name=op.f("fk_feedback_link_issued_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feedback_link_token_hash")),
    )
    with op.batch_alter_table("feedback_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_link_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("felt_safe", sa.String(length=16), nullable=True),
        sa.Column("comment_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_feedback_referral_id_referral")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("public_id", name=op.f("uq_feedback_public_id")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("feedback_link")
