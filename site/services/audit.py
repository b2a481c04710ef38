"""Write, read and verify the append-only audit log. Callers commit; the log is never updated or
deleted from here, and the database refuses it too (models/audit.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import has_request_context
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from ..extensions import client_key
from ..models import AuditEvent
from ..models.audit import GENESIS, chain_hash

# pg_advisory_xact_lock key ("haven audit"): one writer at a time extends the chain.
CHAIN_LOCK = 0x68617564


def record(session: Session, *, actor: str, action: str, record_type: str | None = None,
           record_id: str | None = None, detail: str | None = None) -> AuditEvent:
    # Within a request, note where it came from, as an HMAC: comparable, but not an address.
    client = client_key() if has_request_context() else None
    event_ = AuditEvent(actor=actor, action=action, record_type=record_type, record_id=record_id,
                        detail=detail, client_hmac=client)
    session.add(event_)
    return event_


def _fields(row: AuditEvent) -> dict:
    return {"at": row.at, "actor": row.actor, "action": row.action, "record_type": row.record_type,
            "record_id": row.record_id, "detail": row.detail, "client_hmac": row.client_hmac}


@event.listens_for(AuditEvent, "before_insert")
def _chain(_mapper, connection, target: AuditEvent) -> None:
    """Link each new event to the newest one, however it was added.

    On PostgreSQL a transaction-scoped advisory lock makes writers take turns from here to their
    commit, so two of them never chain to the same event; SQLite's BEGIN IMMEDIATE (db.py) already
    gives one writer at a time. AuditEvent inserts one row per statement (batch=False), so an
    event sees the one flushed just before it."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    if target.at is None:
        target.at = datetime.now(timezone.utc)
    previous = connection.execute(
        select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    target.row_hash = chain_hash(previous or GENESIS, **_fields(target))


@dataclass(frozen=True)
class Verdict:
    events: int
    head: str  # the newest event's hash: note it elsewhere to notice the chain being rewritten
    broken_at: int | None  # id of the first event whose hash does not follow


def verify(session: Session, batch: int = 1000) -> Verdict:
    """Walk the chain oldest first and stop at the first event whose hash does not follow from its
    fields and the event before it (changed, removed or inserted out of turn)."""
    previous, count, last_id = GENESIS, 0, 0
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                               .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return Verdict(count, previous, None)
        for row in rows:
            if row.row_hash != chain_hash(previous, **_fields(row)):
                return Verdict(count, previous, row.id)
            previous, count, last_id = row.row_hash, count + 1, row.id


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
