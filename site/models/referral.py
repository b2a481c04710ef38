from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Referral(Base):
    """A request for help (kind "self") or a concern about someone else (kind "concern").

    Only what staff need to sort the inbox is stored in the clear: kind, priority, language, times.
    Everything the person wrote is in the *_enc columns, encrypted by services.referrals with this
    row's public_id bound in, so the columns are unreadable without the keys.
    """

    __tablename__ = "referral"

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
