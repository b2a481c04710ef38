"""Write and read the audit log. Callers commit; the log is never updated or deleted from here."""
from __future__ import annotations

from flask import has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..extensions import client_key
from ..models import AuditEvent


def record(session: Session, *, actor: str, action: str, record_type: str | None = None,
           record_id: str | None = None, detail: str | None = None) -> AuditEvent:
    # Within a request, note where it came from, as an HMAC: comparable, but not an address.
    client = client_key() if has_request_context() else None
    event = AuditEvent(actor=actor, action=action, record_type=record_type, record_id=record_id,
                       detail=detail, client_hmac=client)
    session.add(event)
    return event


def latest(session: Session, action: str) -> AuditEvent | None:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1)
    ).first()


PAGE_SIZE = 50


def page(session: Session, *, action: str = "", actor: str = "", number: int = 1):
    """One page of the log, newest first, filtered by action prefix and actor. (events, has_more)"""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    number = max(1, number)
    rows = list(session.scalars(query.offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
