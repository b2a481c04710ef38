"""Complaints about the handling of a DA case (whg 3.5, WM 5.1), recorded by a manager against
the case: received (date, channel, theme), then resolved (outcome, date). Theme, channel and
outcome are plain codes, so reports count them; any words are encrypted like every note."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from ..models import CaseEvent, Referral, StaffUser
from ..security.crypto import Keyring
from . import targets
from .cases import CaseError, Entry, _audit, _event, _words
from .safer_home import today


def _at(referral: Referral, day: date) -> datetime:
    """Reports count a complaint in the month it came, not the month it was typed in."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=targets.UK).astimezone(timezone.utc)
    return max(start, targets.aware(referral.created_at))

CHANNELS = {"phone": "Phone", "email": "Email", "letter": "Letter", "in_person": "In person", "online": "Online form"}
THEMES = {"contact": "How or when we made contact", "safety": "Safety or confidentiality",
          "attitude": "Staff attitude", "action": "Action taken or not taken", "other": "Something else"}
OUTCOMES = {"upheld": "Upheld", "partly_upheld": "Partly upheld", "not_upheld": "Not upheld"}


@dataclass(frozen=True)
class Complaint:
    entry: Entry
    resolved: Entry | None


def complaints(entries: list[Entry]) -> list[Complaint]:
    resolutions = {entry.event.item_id: entry for entry in entries if entry.event.kind == "complaint_resolved"}
    return [Complaint(entry, resolutions.get(entry.event.id)) for entry in entries if entry.event.kind == "complaint"]


def record(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, received_on: date,
           channel: str, theme: str, note: str | None = None) -> CaseEvent:
    if channel not in CHANNELS or theme not in THEMES:
        raise CaseError("Choose how the complaint came and what it is about")
    if received_on > today():
        raise CaseError("The date received cannot be in the future")
    event = _event(session, keyring, referral, actor, "complaint", at=_at(referral, received_on),
                   on_date=received_on, channel=channel,
                   outcome=theme, body=_words(note) or None)
    _audit(session, actor, "complaint_recorded", referral, detail=theme)
    session.commit()
    return event


def resolve(session: Session, referral: Referral, actor: StaffUser, entries: list[Entry], *, complaint_id: str,
            outcome: str, resolved_on: date) -> CaseEvent:
    found = next((item for item in complaints(entries) if item.entry.event.public_id == complaint_id), None)
    if found is None or found.resolved is not None:
        raise CaseError("Choose an open complaint")
    if outcome not in OUTCOMES:
        raise CaseError("Choose the outcome")
    if resolved_on > today() or resolved_on < found.entry.event.on_date:
        raise CaseError("The date resolved must be between the date received and today")
    event = _event(session, None, referral, actor, "complaint_resolved", at=_at(referral, resolved_on),
                   item_id=found.entry.event.id,
                   status=outcome, outcome=found.entry.event.outcome, on_date=resolved_on)
    _audit(session, actor, "complaint_resolved", referral, detail=outcome)
    session.commit()
    return event
