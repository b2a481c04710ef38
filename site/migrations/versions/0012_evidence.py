"""Evidence kept securely (Visual Evidence for Victims): evidence, a referral's photos and PDFs,
cleaned of their metadata and encrypted.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data_enc", sa.Text(), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("caption_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_evidence_referral_id_referral")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["staff_user.id"],
                                name=op.f("fk_evidence_uploaded_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("public_id", name=op.f("uq_evidence_public_id")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    op.drop_table("evidence")
