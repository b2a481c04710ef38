"""Casework reviews and compliance audits (whg 3.3-3.4): rounds, sampled cases, and each
checklist point's result in the clear (findings and actions encrypted).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["drawn_by_id"], ["staff_user.id"], name=op.f("fk_review_round_drawn_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_round")),
    )
    op.create_table(
        "case_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("findings_enc", sa.Text(), nullable=True),
        sa.Column("actions_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["review_round.id"], name=op.f("fk_case_review_round_id_review_round")),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_case_review_referral_id_referral")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["staff_user.id"], name=op.f("fk_case_review_reviewer_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_review")),
        sa.UniqueConstraint("public_id", name=op.f("uq_case_review_public_id")),
        sa.UniqueConstraint("round_id", "referral_id", name=op.f("uq_case_review_round_id")),
    )
    with op.batch_alter_table("case_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_review_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_review_referral_id"), ["referral_id"], unique=False)
    op.create_table(
        "review_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("point", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["case_review.id"], name=op.f("fk_review_point_review_id_case_review")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_point")),
        sa.UniqueConstraint("review_id", "point", name=op.f("uq_review_point_review_id")),
    )
    with op.batch_alter_table("review_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_point_review_id"), ["review_id"], unique=False)


def downgrade() -> None:
    op.drop_table("review_point")
    op.drop_table("case_review")
    op.drop_table("review_round")
