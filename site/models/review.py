from datetime import date, datetime, timezone

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ReviewRound(Base):
    """One casework review or compliance audit (whg 3.3-3.4): a random sample of the cases
    closed in a period, drawn by a manager."""

    __tablename__ = "review_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    size: Mapped[int] = mapped_column(Integer)


class CaseReview(Base):
    """One sampled case: reviewed once, its findings and actions encrypted (they describe the case)."""

    __tablename__ = "case_review"
    __table_args__ = (UniqueConstraint("round_id", "referral_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    findings_enc: Mapped[str | None] = mapped_column(Text)
    actions_enc: Mapped[str | None] = mapped_column(Text)


class ReviewPoint(Base):
    """One point of the checklist (content/casework_review.yaml) for one reviewed case, in the
    clear: met, not_met or na, so the share meeting each point is counted in SQL."""

    __tablename__ = "review_point"
    __table_args__ = (UniqueConstraint("review_id", "point"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("case_review.id"), index=True)
    point: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(8))
