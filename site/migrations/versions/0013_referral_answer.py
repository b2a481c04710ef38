"""The ticked boxes reports count (kinds of abuse, help wanted), one plain row each, and the
indexes that cover every figure of a report (so a year's report never reads a referral's words).

Existing referrals are filled from their own answers, which means decrypting them: run this
through `flask --app haven db upgrade`, which hands the migration the keys (as 0007 does).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:45:00
"""
import json

from alembic import context, op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _fill(bind) -> None:
    from haven.services.referrals import counted_answers

    referral = sa.table("referral", sa.column("id"), sa.column("public_id"), sa.column("details_enc"),
                        sa.column("created_at", sa.DateTime(timezone=True)))
    answer = sa.table("referral_answer", sa.column("referral_id"), sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("question"), sa.column("answer"))
    rows = bind.execute(sa.select(referral).where(referral.c.details_enc.is_not(None))).mappings().all()
    if not rows:
        return
    given = context.config.attributes
    if "keyring" not in given:
        raise RuntimeError("migration 0013 reads existing referrals to record what they ticked: "
                           "run it with `flask --app haven db upgrade`, which has the keys")
    keyring = given["keyring"]
    for row in rows:
        details = json.loads(keyring.decrypt(row["details_enc"], table="referral", column="details_enc",
                                             row=row["public_id"]))
        ticked = [{"referral_id": row["id"], "created_at": row["created_at"], "question": question, "answer": value}
                  for question, value in counted_answers(details)]
        if ticked:
            bind.execute(answer.insert(), ticked)


def upgrade() -> None:
    op.create_table(
        "referral_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question", sa.String(length=24), nullable=False),
        sa.Column("answer", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_referral_answer_referral_id_referral")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_answer")),
        sa.UniqueConstraint("referral_id", "question", "answer", name=op.f("uq_referral_answer_referral_id")),
    )
    with op.batch_alter_table("referral_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_answer_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index("ix_referral_answer_report", ["question", "created_at", "answer"], unique=False)
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index("ix_referral_report", ["created_at", "route", "priority", "flag_repeat", "flag_high_risk",
                                                     "status", "first_contact_at", "target_due_at"], unique=False)
        batch_op.create_index("ix_referral_closure", ["closed_at", "status", "outcome"], unique=False)
    _fill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_closure")
        batch_op.drop_index("ix_referral_report")
    op.drop_table("referral_answer")
