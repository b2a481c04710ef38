"""Write and read the audit log. Callers commit; the log is never updated or deleted from here."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEvent


def record(session: Session, *, actor: str, action: str, record_type: str | None = None,
           record_id: str | None = None, detail: str | None = None) -> AuditEvent:
    event = AuditEvent(actor=actor, action=action, record_type=record_type, record_id=record_id,
                       detail=detail)
    session.add(event)
    return event


def latest(session: Session, action: str) -> AuditEvent | None:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
