"""Each referral's timeline: case_event (assignments, status changes, contact attempts, notes,
closures, reopenings, bars).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("reached", sa.Boolean(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("against_wishes", sa.Boolean(), nullable=False),
        sa.Column("body_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_case_event_referral_id_referral")),
        sa.ForeignKeyConstraint(["actor_id"], ["staff_user.id"], name=op.f("fk_case_event_actor_id_staff_user")),
        sa.ForeignKeyConstraint(["subject_id"], ["staff_user.id"], name=op.f("fk_case_event_subject_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
        sa.UniqueConstraint("public_id", name=op.f("uq_case_event_public_id")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_event_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_event_kind"), ["kind"], unique=False)


def downgrade() -> None:
    op.drop_table("case_event")
