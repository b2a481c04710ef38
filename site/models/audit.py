from datetime import datetime, timezone

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AuditEvent(Base):
    """Append-only record of who did what to which record, and when.

    Never holds personal data: `record_id` names a row, and the client address, when there is one,
    is an HMAC of it.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[str | None] = mapped_column(String(400))
    client_hmac: Mapped[str | None] = mapped_column(String(64))
