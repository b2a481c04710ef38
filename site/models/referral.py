from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Referral(Base):
    """A request for help (kind "self") or a concern about someone else (kind "concern").

    Only what staff need to sort and count the inbox is stored in the clear: route, priority,
    language, times, status, assignee and yes/no flags, none of which names or locates anyone.
    Everything the person wrote is in the *_enc columns, encrypted by services.referrals with this
    row's public_id bound in, so the columns are unreadable without the keys.
    """

    __tablename__ = "referral"
    # Everything the inbox's counts and order read, so they scan this index and never the rows
    # with their encrypted words (bench/inbox.py: 100,000 referrals).
    __table_args__ = (Index("ix_referral_triage", "status", "route", "first_contact_at", "target_due_at",
                            "priority", "assignee_id", "created_at"),
                      # Every figure of a report (services/reports.py) reads these and no others.
                      Index("ix_referral_report", "created_at", "route", "priority", "flag_repeat", "flag_high_risk",
                            "status", "first_contact_at", "target_due_at"),
                      Index("ix_referral_closure", "closed_at", "status", "outcome"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    # One per form page load: a double click or a resend finds the row already there.
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)

    name_enc: Mapped[str | None] = mapped_column(Text)
    contact_enc: Mapped[str] = mapped_column(Text)
    details_enc: Mapped[str] = mapped_column(Text)
    message_enc: Mapped[str | None] = mapped_column(Text)

    # "Tell us more": a hash of the one token that may add to this referral, and when it stops
    # working. The token itself lives only in the page the person is looking at (never a cookie
    # or a URL); each use replaces it, and finishing clears it.
    continue_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    continue_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The staff notice: when it went, or how often it failed (never any personal data).
    notice_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notice_error: Mapped[str | None] = mapped_column(String(200))

    # --- triage: what the inbox lists, filters, orders and counts without decrypting anything ---
    # Said aloud between staff ("HV-4K7QX"): random, so it tells nothing about order or volume.
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    route: Mapped[str] = mapped_column(String(16), index=True)  # self, concern, anonymous
    status: Mapped[str] = mapped_column(String(24), default="new", index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    # The response target (services/targets.py); None for an anonymous concern: nobody to contact.
    target_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The first attempt that reached the person: it stops the clock.
    first_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32))
    flag_danger_now: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_children_in_home: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_children_at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_lives_with: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_language: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_access: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    # The latest risk assessment found high risk (by its score, or by professional judgement).
    flag_high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    # Keyed hashes (services/matching.py) of the phone number and email, to find a repeat
    # referral without decrypting anything; useless without the match key.
    phone_match: Mapped[str | None] = mapped_column(String(64), index=True)
    email_match: Mapped[str | None] = mapped_column(String(64), index=True)
    # The boxes she ticked (kinds of abuse, help wanted), for reports: set with the flags.
    answers: Mapped[list["ReferralAnswer"]] = relationship(cascade="all, delete-orphan", lazy="select")


class ReferralBar(Base):
    """A staff member kept away from one referral (they know the person, or the person harming
    them): no list, count or page shows it to them."""

    __tablename__ = "referral_bar"
    __table_args__ = (UniqueConstraint("referral_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    barred_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ReferralAnswer(Base):
    """One ticked box of a multiple-choice question (a kind of abuse, a kind of help wanted), in
    the clear as a code from site/choices.py: what reports count, never what anyone wrote."""

    __tablename__ = "referral_answer"
    __table_args__ = (UniqueConstraint("referral_id", "question", "answer"),
                      Index("ix_referral_answer_report", "question", "created_at", "answer"))

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    # The referral's own time, kept here so that a report counts the boxes without reading referrals.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    question: Mapped[str] = mapped_column(String(24))
    answer: Mapped[str] = mapped_column(String(32))
