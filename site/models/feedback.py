from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class FeedbackLink(Base):
    """A one-time link that asks the person for feedback after their referral is closed (WM 5.1).

    Only the SHA-256 of its token is kept, so the link itself exists nowhere but in the answer that
    issued it. It works once, until `expires_at`; a newer link for the same referral replaces it
    (services/feedback.issue sets `used_at` on the old one).
    """

    __tablename__ = "feedback_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class Feedback(Base):
    """One person's feedback after closure, anonymous to staff.

    `referral_id` is there for the figures only (reports count answers by period and route); no
    page shows an answer beside the referral it is about. The comment, the one thing in their own
    words, is encrypted with this row's public_id bound in (services/keys.ENCRYPTED).
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # 1 very unhappy to 5 very happy
    felt_safe: Mapped[str | None] = mapped_column(String(16))  # "yes", "no" or "prefer_not"
    comment_enc: Mapped[str | None] = mapped_column(Text)
