"""Target hardening (whg 2.5-2.6): advice to stay safe at home, and physical works, each with the
dates it was requested, booked and completed and who did it.

Each stage of a piece of works is its own timeline entry (the timeline only grows); a booking or
a completion points at its request (CaseEvent.item_id). The measure and stage are plain, for
reports; who did it is encrypted like every other word a caseworker writes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ..models import CaseEvent, Referral, StaffUser
from ..security.crypto import Keyring
from . import targets
from .cases import CaseError, Entry, _audit, _event

ADVICE = {"daily_routine": "Varying their daily routine", "online_safety": "Online safety",
          "crime_prevention": "Crime prevention"}
MEASURES = {"locks": "Locks", "alarms": "Door and window alarms", "cctv": "CCTV", "lighting": "Lighting",
            "sanctuary": "Sanctuary measures"}
STAGES = {"requested": "Requested", "booked": "Booked", "completed": "Completed"}
NAME_LIMIT = 200


def today() -> date:
    return targets.now().astimezone(targets.UK).date()


def _who(by: str | None) -> str:
    by = (by or "").strip()
    if not by:
        raise CaseError("Say who did it")
    if len(by) > NAME_LIMIT:
        raise CaseError(f"Keep who did it to {NAME_LIMIT} characters or fewer")
    return by


def _not_future(on: date, what: str) -> None:
    if on > today():
        raise CaseError(f"The date {what} cannot be in the future")


def give_advice(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, topic: str,
                on: date, by: str) -> CaseEvent:
    if topic not in ADVICE:
        raise CaseError("Choose the advice given")
    by = _who(by)
    _not_future(on, "advice was given")
    event = _event(session, keyring, referral, actor, "advice", outcome=topic, on_date=on,
                   body=json.dumps({"by": by}, ensure_ascii=False))
    _audit(session, actor, "advice_given", referral, detail=topic)
    session.commit()
    return event


def request_works(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, measure: str,
                  on: date, by: str) -> CaseEvent:
    if measure not in MEASURES:
        raise CaseError("Choose the works")
    by = _who(by)
    _not_future(on, "works were requested")
    event = _event(session, keyring, referral, actor, "works", outcome=measure, status="requested", on_date=on,
                   body=json.dumps({"by": by}, ensure_ascii=False))
    _audit(session, actor, "works_requested", referral, detail=measure)
    session.commit()
    return event


@dataclass(frozen=True)
class Works:
    """One piece of works and where it has got to, from its timeline entries."""

    request: CaseEvent
    measure: str
    requested_on: date
    booked_on: date | None
    completed_on: date | None
    by: dict  # stage -> who did it
    due_by: date  # completed by then, or it is flagged

    @property
    def stage(self) -> str:
        return "completed" if self.completed_on else "booked" if self.booked_on else "requested"

    def overdue(self, on: date) -> bool:
        return self.completed_on is None and on > self.due_by


def works(entries: list[Entry], within_days: int) -> list[Works]:
    """Each piece of works on the case, oldest request first; the latest booking counts (works
    can be rebooked)."""
    found: dict[int, dict] = {}
    for entry in reversed(entries):  # oldest first
        event = entry.event
        if event.kind != "works":
            continue
        by = json.loads(entry.body or "{}").get("by")
        if event.status == "requested":
            found[event.id] = {"request": event, "booked_on": None, "completed_on": None, "by": {"requested": by}}
        elif event.item_id in found:
            found[event.item_id][f"{event.status}_on"] = event.on_date
            found[event.item_id]["by"][event.status] = by
    return [Works(measure=item["request"].outcome, requested_on=item["request"].on_date,
                  due_by=item["request"].on_date + timedelta(days=within_days), **item) for item in found.values()]


def advance_works(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, entries: list[Entry], *,
                  request_id: str, stage: str, on: date, by: str) -> CaseEvent:
    """Book or complete a piece of works. A booking may be for a day still to come; a completion
    has happened; neither is before the request."""
    if stage not in ("booked", "completed"):
        raise CaseError("Choose booked or completed")
    item = next((item for item in works(entries, 0) if item.request.public_id == request_id), None)
    if item is None:
        raise CaseError("Choose the works")
    if item.completed_on:
        raise CaseError("Those works are already completed")
    by = _who(by)
    if on < item.requested_on:
        raise CaseError("The date cannot be before the works were requested")
    if stage == "completed":
        _not_future(on, "works were completed")
    event = _event(session, keyring, referral, actor, "works", outcome=item.measure, status=stage, on_date=on,
                   item_id=item.request.id, body=json.dumps({"by": by}, ensure_ascii=False))
    _audit(session, actor, f"works_{stage}", referral, detail=item.measure)
    session.commit()
    return event
