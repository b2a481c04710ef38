from datetime import date, datetime, timezone

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class CaseEvent(Base):
    """One entry in a referral's timeline: an assignment, a status change, a contact attempt, a
    note, a closure, a reopening, a bar.

    Append-only: services/cases.py only ever adds rows (a mistake is put right by a later entry),
    and only key rotation rewrites `body_enc`. Plain columns hold what lists and reports count
    (kind, time, channel, outcome, status); anything a person said or a caseworker wrote is in
    `body_enc`, encrypted with this row's public_id bound in.
    The one other exception: retention clears `body_enc` of a purged referral (services/retention.py).
    """

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    # When it was written, which for a contact logged afterwards is later than `at`.
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str | None] = mapped_column(String(24))  # the status it moved the referral to
    channel: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    reached: Mapped[bool | None] = mapped_column(Boolean)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))  # assigned or barred
    # A contact that went against what the person asked (a voicemail she refused, a channel she
    # did not choose): confirmed, with the reason in body_enc.
    against_wishes: Mapped[bool] = mapped_column(Boolean, default=False)
    # A risk assessment's score, and whether it made the case high risk (score or judgement).
    score: Mapped[int | None] = mapped_column(Integer)
    high_risk: Mapped[bool | None] = mapped_column(Boolean)
    # A date the record is about that is not when it was done: a MARAC meeting, say.
    on_date: Mapped[date | None] = mapped_column(Date)
    # The entry this one follows on from: works booked or completed point at the works requested;
    # a manager's confirmation points at the share or decision it confirms.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))
    body_enc: Mapped[str | None] = mapped_column(Text)
