"""Consent, referrals to partner agencies, and action against the person causing harm.

Consent is a ledger per purpose: each answer the person gives (given, refused, withdrawn) is a
timeline entry, and the newest one is what holds. A share with a partner rests on that consent,
or on a lawful reason to share without it (whg 2.4, 2.12: serious risk, MARAC, safeguarding) that
a manager, not the one who shared, confirms. Action against the person causing harm (WM 3.1) is
recorded only after the victim's wishes, and only when they want it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ..models import CaseEvent, Referral, StaffUser
from ..security.crypto import Keyring
from .cases import CaseError, Entry, _audit, _event, _words
from .safer_home import today

PURPOSES = {"share_with_partners": "Sharing what they told us with partner agencies",
            "home_visit": "Visiting them at home",
            "photographs": "Taking and keeping photographs as evidence"}
ANSWERS = {"given": "Consent given", "refused": "Consent refused", "withdrawn": "Consent withdrawn"}
PARTNERS = {"idva": "IDVA", "specialist": "Specialist domestic abuse service", "police": "Police",
            "local_authority": "Local authority", "social_services": "Social services", "health": "Health",
            "refuge": "Refuge"}
# Why a share may go ahead without consent; each needs a manager's confirmation.
WITHOUT_CONSENT = {"serious_risk": "Serious risk of harm", "marac": "MARAC", "safeguarding": "Safeguarding"}
BASES = {"consent": "With their consent", **WITHOUT_CONSENT}
WISHES = {"wants_action": "They want action taken", "no_action": "They do not want action taken",
          "undecided": "They have not decided"}
ACTIONS = {"tenancy_enforcement": "Tenancy enforcement", "injunction": "Injunction", "eviction": "Eviction"}
SHORT_LIMIT = 200


def _past(on: date) -> None:
    if on > today():
        raise CaseError("The date cannot be in the future")


# --- consent ------------------------------------------------------------------------------------

def ledger(entries: list[Entry]) -> dict[str, list[CaseEvent]]:
    """Each purpose's answers, oldest first (every purpose listed, answered or not)."""
    found: dict[str, list[CaseEvent]] = {purpose: [] for purpose in PURPOSES}
    for entry in reversed(entries):
        if entry.event.kind == "consent" and entry.event.outcome in found:
            found[entry.event.outcome].append(entry.event)
    return found


def consents(entries: list[Entry], purpose: str) -> bool:
    answers = ledger(entries)[purpose]
    return bool(answers) and answers[-1].status == "given"


def record_consent(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, purpose: str,
                   answer: str, on: date, note: str | None = None) -> CaseEvent:
    if purpose not in PURPOSES:
        raise CaseError("Choose what the consent is for")
    if answer not in ANSWERS:
        raise CaseError("Choose their answer")
    _past(on)
    note = _words(note) or None
    event = _event(session, keyring, referral, actor, "consent", outcome=purpose, status=answer, on_date=on, body=note)
    _audit(session, actor, "consent_recorded", referral, detail=f"{purpose}:{answer}")
    session.commit()
    return event


# --- referrals to partners ------------------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    entry: Entry
    confirmed_by: str | None  # who confirmed a share without consent

    @property
    def awaiting_confirmation(self) -> bool:
        return self.entry.event.status != "consent" and self.confirmed_by is None


def shares(entries: list[Entry]) -> list[Share]:
    """Partner referrals, newest first, with their confirmation where one was needed."""
    confirmations = {entry.event.item_id: entry.actor for entry in entries if entry.event.kind == "share_confirmed"}
    return [Share(entry, confirmations.get(entry.event.id)) for entry in entries if entry.event.kind == "partner_referral"]


def refer(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, entries: list[Entry], *,
          partner: str, on: date, shared: str, basis: str, reason: str | None = None) -> CaseEvent:
    if partner not in PARTNERS:
        raise CaseError("Choose the partner")
    if basis not in BASES:
        raise CaseError("Say whether they consented, or why it is shared without consent")
    shared = _words(shared, missing="Say what was shared", what="answer")
    _past(on)
    if basis == "consent":
        if not consents(entries, "share_with_partners"):
            raise CaseError("They have not consented to sharing with partners: record their consent first, "
                            "or choose the lawful reason for sharing without it")
        reason = None
    else:
        reason = _words(reason, missing="Give the reason for sharing without consent", what="reason")
    event = _event(session, keyring, referral, actor, "partner_referral", outcome=partner, status=basis, on_date=on,
                   body=json.dumps({"shared": shared, "reason": reason}, ensure_ascii=False))
    _audit(session, actor, "partner_referred", referral, detail=f"{partner}:{basis}")
    session.commit()
    return event


def confirm_share(session: Session, referral: Referral, manager: StaffUser, entries: list[Entry],
                  share_id: str) -> CaseEvent:
    share = next((share for share in shares(entries) if share.entry.event.public_id == share_id), None)
    if share is None or not share.awaiting_confirmation:
        raise CaseError("There is no share without consent to confirm")
    if share.entry.event.actor_id == manager.id:
        raise CaseError("Another manager must confirm a share you made")
    event = _event(session, None, referral, manager, "share_confirmed", item_id=share.entry.event.id,
                   subject_id=share.entry.event.actor_id)
    _audit(session, manager, "share_confirmed", referral)
    session.commit()
    return event


# --- the person causing harm (WM 3.1: "subject to the wishes of the victim") --------------------

def wishes(entries: list[Entry]) -> Entry | None:
    return next((entry for entry in entries if entry.event.kind == "victim_wishes"), None)


def record_wishes(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, wish: str,
                  note: str | None = None) -> CaseEvent:
    if wish not in WISHES:
        raise CaseError("Choose what they want")
    note = _words(note) or None
    event = _event(session, keyring, referral, actor, "victim_wishes", outcome=wish, body=note)
    _audit(session, actor, "victim_wishes", referral, detail=wish)
    session.commit()
    return event


def take_action(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, entries: list[Entry], *,
                action: str, on: date, note: str | None = None) -> CaseEvent:
    if action not in ACTIONS:
        raise CaseError("Choose the action")
    latest = wishes(entries)
    if latest is None:
        raise CaseError("Record the victim's wishes first")
    if latest.event.outcome != "wants_action":
        raise CaseError("The victim has not asked for action: it goes ahead only on their wishes")
    _past(on)
    note = _words(note) or None
    event = _event(session, keyring, referral, actor, "perpetrator_action", outcome=action, on_date=on, body=note)
    _audit(session, actor, "perpetrator_action", referral, detail=action)
    session.commit()
    return event
