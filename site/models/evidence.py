from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Evidence(Base):
    """A photo or PDF kept for a referral (Visual Evidence for Victims), cleaned before it is kept.

    Plain columns hold only what the page lists (kind, type, size, when, who); the file, its
    original name (which may name someone) and its caption are encrypted with this row's public_id
    bound in, and in `services/keys.ENCRYPTED` so rotation covers them.
    """

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    kind: Mapped[str] = mapped_column(String(8))  # "photo" or "pdf"
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)  # bytes of the cleaned file, as kept
    data_enc: Mapped[str] = mapped_column(Text)
    name_enc: Mapped[str | None] = mapped_column(Text)
    caption_enc: Mapped[str | None] = mapped_column(Text)
