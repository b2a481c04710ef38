"""Moving home: rehousing (whg 2.7-2.10) and the emergency transfer (WM 3.1).

whg: an assessment of how a move would reduce the risk; a decision; when agreed, 'critical need'
and 'gold' banding, what the customer and whg each agreed to do (2.8), and one like-for-like offer
(2.9). WM: an emergency transfer, and if none is offered within the weeks its policy gives, support
to make a homeless application. Every record is a timeline entry; the words are encrypted.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ..models import CaseEvent, Referral, StaffUser
from ..security.crypto import Keyring
from .cases import CaseError, Entry, _audit, _event, _words
from .safer_home import today

DECISIONS = {"agreed": "Rehousing agreed", "not_agreed": "Rehousing not agreed"}
OFFER_ANSWERS = {"accepted": "Accepted", "refused": "Refused"}
KINDS = ("rehousing_assessment", "rehousing_decision", "rehousing_banding", "rehousing_agreement", "rehousing_offer",
         "transfer_requested", "transfer_offered", "homeless_application")


def _past(on: date, what: str) -> None:
    if on > today():
        raise CaseError(f"The date {what} cannot be in the future")


@dataclass(frozen=True)
class Rehousing:
    assessment: Entry | None
    decision: Entry | None  # the latest
    banding: Entry | None
    agreement: Entry | None  # the latest
    offer: Entry | None  # the one offer

    @property
    def agreed(self) -> bool:
        return self.decision is not None and self.decision.event.outcome == "agreed"


def rehousing(entries: list[Entry]) -> Rehousing:
    latest = {}
    for entry in reversed(entries):  # oldest first, so the newest of each kind wins
        if entry.event.kind.startswith("rehousing_"):
            latest[entry.event.kind] = entry
    return Rehousing(*(latest.get(f"rehousing_{part}") for part in ("assessment", "decision", "banding", "agreement",
                                                                     "offer")))


def assess_move(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, how: str) -> CaseEvent:
    how = _words(how, missing="Say how a move would reduce the risk", what="assessment")
    event = _event(session, keyring, referral, actor, "rehousing_assessment", body=how)
    _audit(session, actor, "rehousing_assessed", referral)
    session.commit()
    return event


def decide(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, entries: list[Entry], *,
           decision: str, reason: str) -> CaseEvent:
    if decision not in DECISIONS:
        raise CaseError("Choose the decision")
    if rehousing(entries).assessment is None:
        raise CaseError("Record how a move would reduce the risk before the decision")
    reason = _words(reason, missing="Give the reason for the decision", what="reason")
    event = _event(session, keyring, referral, actor, "rehousing_decision", outcome=decision, body=reason)
    _audit(session, actor, "rehousing_decided", referral, detail=decision)
    session.commit()
    return event


def _needs_agreed(entries: list[Entry]) -> Rehousing:
    state = rehousing(entries)
    if not state.agreed:
        raise CaseError("Rehousing has not been agreed")
    return state


def record_banding(session: Session, referral: Referral, actor: StaffUser, entries: list[Entry], *, on: date) -> CaseEvent:
    """'Critical need' and 'gold' banding go together (whg 2.7): one record of both."""
    if _needs_agreed(entries).banding is not None:
        raise CaseError("The banding is already recorded")
    _past(on, "of the banding")
    event = _event(session, None, referral, actor, "rehousing_banding", outcome="gold", on_date=on)
    _audit(session, actor, "rehousing_banded", referral)
    session.commit()
    return event


def record_agreement(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, entries: list[Entry], *,
                     person: str, organisation: str) -> CaseEvent:
    _needs_agreed(entries)
    person = _words(person, missing="Say what they agreed to do", what="answer")
    organisation = _words(organisation, missing="Say what we agreed to do", what="answer")
    event = _event(session, keyring, referral, actor, "rehousing_agreement",
                   body=json.dumps({"person": person, "organisation": organisation}, ensure_ascii=False))
    _audit(session, actor, "rehousing_agreement", referral)
    session.commit()
    return event


def record_offer(session: Session, referral: Referral, actor: StaffUser, entries: list[Entry], *, on: date,
                 answer: str) -> CaseEvent:
    """The single one-off offer (whg 2.9): a second cannot be recorded."""
    if _needs_agreed(entries).offer is not None:
        raise CaseError("The one offer of rehousing is already recorded")
    if answer not in OFFER_ANSWERS:
        raise CaseError("Say whether the offer was accepted or refused")
    _past(on, "of the offer")
    event = _event(session, None, referral, actor, "rehousing_offer", outcome=answer, on_date=on)
    _audit(session, actor, "rehousing_offered", referral, detail=answer)
    session.commit()
    return event


# --- the emergency transfer (WM 3.1) -------------------------------------------------------------

@dataclass(frozen=True)
class Transfer:
    requested_on: date | None
    offered_on: date | None
    homeless_application_on: date | None
    deadline: date | None  # requested_on + the policy's weeks

    def homeless_application_due(self, on: date) -> bool:
        """No transfer offered within the weeks given, and no homeless application supported yet."""
        return (self.deadline is not None and self.offered_on is None and self.homeless_application_on is None
                and on > self.deadline)


def transfer_weeks(commitments) -> int | None:
    """The weeks the policy gives for an emergency transfer; None when it makes no such commitment."""
    made = commitments.get("emergency_transfer")
    return made.details["weeks"] if made else None


def transfer(entries: list[Entry], weeks: int) -> Transfer:
    dates = {}
    for entry in reversed(entries):
        if entry.event.kind in ("transfer_requested", "transfer_offered", "homeless_application"):
            dates.setdefault(entry.event.kind, entry.event.on_date)  # the first of each counts
    requested = dates.get("transfer_requested")
    return Transfer(requested, dates.get("transfer_offered"), dates.get("homeless_application"),
                    requested + timedelta(weeks=weeks) if requested else None)


def _transfer_step(session: Session, referral: Referral, actor: StaffUser, entries: list[Entry], kind: str, on: date,
                   weeks: int) -> CaseEvent:
    state = transfer(entries, weeks)
    _past(on, {"transfer_requested": "of the request", "transfer_offered": "of the offer",
               "homeless_application": "of the application"}[kind])
    if kind == "transfer_requested" and state.requested_on:
        raise CaseError("The emergency transfer request is already recorded")
    if kind != "transfer_requested":
        if state.requested_on is None:
            raise CaseError("Record the emergency transfer request first")
        if on < state.requested_on:
            raise CaseError("The date cannot be before the request")
        if (state.offered_on if kind == "transfer_offered" else state.homeless_application_on):
            raise CaseError("That is already recorded")
    event = _event(session, None, referral, actor, kind, on_date=on)
    _audit(session, actor, kind, referral)
    session.commit()
    return event


def request_transfer(session, referral, actor, entries, *, on: date, weeks: int) -> CaseEvent:
    return _transfer_step(session, referral, actor, entries, "transfer_requested", on, weeks)


def offer_transfer(session, referral, actor, entries, *, on: date, weeks: int) -> CaseEvent:
    return _transfer_step(session, referral, actor, entries, "transfer_offered", on, weeks)


def support_homeless_application(session, referral, actor, entries, *, on: date, weeks: int) -> CaseEvent:
    return _transfer_step(session, referral, actor, entries, "homeless_application", on, weeks)
