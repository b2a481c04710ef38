"""The inbox's triage columns on each referral (reference, route, status, assignee, target, flags,
repeat hashes) and the conflict-of-interest bars.

Existing referrals are filled from their own answers, which means decrypting them: run this
through `flask --app haven db upgrade`, which hands the migration the keys, the match key and the
response targets. A database with referrals and no keys stops here with that instruction.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:30:00
"""
import json
from datetime import timezone

from alembic import context, op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FLAGS = ("flag_danger_now", "flag_children_in_home", "flag_children_at_risk", "flag_lives_with",
         "flag_language", "flag_access", "flag_repeat")


def _fill(bind) -> None:
    from haven.services import matching, referrals, targets as response

    moments = {"created_at", "target_due_at"}
    referral = sa.table("referral", *(sa.column(name, sa.DateTime(timezone=True)) if name in moments else sa.column(name)
                                      for name in ("id", "public_id", "kind", "locale", "priority", "created_at",
                                                   "contact_enc", "details_enc", "reference", "route", "status",
                                                   "target_due_at", "phone_match", "email_match", "repeat_of_id",
                                                   *FLAGS)))
    rows = bind.execute(sa.select(referral).order_by(referral.c.created_at, referral.c.id)).mappings().all()
    if not rows:
        return
    given = context.config.attributes
    if "keyring" not in given:
        raise RuntimeError("migration 0007 reads existing referrals to fill their triage flags: "
                           "run it with `flask --app haven db upgrade`, which has the keys")
    keyring, match_key, targets = given["keyring"], given["match_key"], given["targets"]
    used, seen = set(), []
    for row in rows:
        def open_(column):
            return json.loads(keyring.decrypt(row[column], table="referral", column=column, row=row["public_id"]))
        contact, details = open_("contact_enc"), open_("details_enc")
        created = row["created_at"] if row["created_at"].tzinfo else row["created_at"].replace(tzinfo=timezone.utc)
        values = referrals.flags(row["locale"], contact, details)
        values["route"] = referrals.route(row["kind"], details)
        values["target_due_at"] = None if values["route"] == "anonymous" else \
            response.due(created, row["priority"], targets)
        values["phone_match"] = matching.phone_hash(match_key, contact.get("phone"))
        values["email_match"] = matching.email_hash(match_key, contact.get("email"))
        earlier = [other for other in seen if other["route"] == values["route"]
                   and created - other["created"] <= matching.REPEAT_WITHIN
                   and ((values["phone_match"] and other["phone_match"] == values["phone_match"])
                        or (values["email_match"] and other["email_match"] == values["email_match"]))]
        values["flag_repeat"] = bool(earlier)
        values["repeat_of_id"] = earlier[-1]["id"] if earlier else None
        while (reference := referrals.random_reference()) in used:
            pass
        used.add(reference)
        values.update(reference=reference, status="new")
        bind.execute(referral.update().where(referral.c.id == row["id"]).values(**values))
        seen.append({"id": row["id"], "created": created, **values})


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("route", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("target_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
        for name in FLAGS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("repeat_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("phone_match", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("email_match", sa.String(length=64), nullable=True))

    _fill(op.get_bind())

    with op.batch_alter_table("referral", schema=None) as batch_op:
        for name, kind in (("reference", sa.String(length=12)), ("route", sa.String(length=16)),
                           ("status", sa.String(length=24))):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_referral_reference"), ["reference"])
        batch_op.create_foreign_key(batch_op.f("fk_referral_assignee_id_staff_user"), "staff_user",
                                    ["assignee_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_referral_repeat_of_id_referral"), "referral",
                                    ["repeat_of_id"], ["id"])
        for name in ("route", "status", "assignee_id", "target_due_at", "phone_match", "email_match"):
            batch_op.create_index(batch_op.f(f"ix_referral_{name}"), [name], unique=False)

    op.create_table(
        "referral_bar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("barred_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_referral_bar_referral_id_referral")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_user.id"], name=op.f("fk_referral_bar_staff_id_staff_user")),
        sa.ForeignKeyConstraint(["barred_by_id"], ["staff_user.id"], name=op.f("fk_referral_bar_barred_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_bar")),
        sa.UniqueConstraint("referral_id", "staff_id", name=op.f("uq_referral_bar_referral_id")),
    )
    with op.batch_alter_table("referral_bar", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_bar_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_bar_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    op.drop_table("referral_bar")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        for name in ("route", "status", "assignee_id", "target_due_at", "phone_match", "email_match"):
            batch_op.drop_index(batch_op.f(f"ix_referral_{name}"))
        batch_op.drop_constraint(batch_op.f("fk_referral_repeat_of_id_referral"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_referral_assignee_id_staff_user"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_referral_reference"), type_="unique")
        for name in ("reference", "route", "status", "assignee_id", "target_due_at", "first_contact_at",
                     "closed_at", "outcome", *FLAGS, "repeat_of_id", "phone_match", "email_match"):
            batch_op.drop_column(name)
