from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .referral import Referral


def _now() -> datetime:
    return datetime.now(timezone.utc)


class NoticeOutbox(Base):
    """A staff notice waiting to go, committed in the same transaction as the referral it is about.

    The request that saves a referral never talks to the mail server: it adds this row, and the
    worker (services/notify.send_pending) sends it. Nothing personal is here: the referral's id, the
    kind of notice, times, a count and the class name of the last error.
    """

    __tablename__ = "notice_outbox"
    # The worker's scan: notices not yet sent, fewest attempts first.
    __table_args__ = (Index("ix_notice_outbox_pending", "sent_at", "attempts", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "new", or "urgent": more answers made it urgent
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64))
    # A worker's claim: its random token, good until claimed_until, so two workers never send
    # the same notice; a worker that dies mid-send leaves a claim that lapses.
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    referral: Mapped[Referral] = relationship()
