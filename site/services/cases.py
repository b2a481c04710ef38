"""Casework on one referral: one function per action, each adding its timeline entry, moving the
referral's plain state and writing its audit event in one transaction.

The timeline (models.CaseEvent) only grows: a mistake is put right by a later entry. Every read of
a referral's personal data (opening it, showing its contact details) is an audit event.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEvent, CaseEvent, Referral, ReferralBar, StaffUser
from ..security.crypto import Keyring
from . import audit, referrals, targets

TABLE = "case_event"

CHANNELS = {"call": "Phone call", "text": "Text message", "email": "Email", "home": "Visit at home",
            "office": "Meeting at an office"}
OUTCOMES = {
    "spoke": "Spoke to the person",
    "met": "Met them",
    "no_answer": "No answer",
    "voicemail": "Voicemail left",
    "someone_else": "Someone else answered",
    "not_in_use": "Number not in use",
    "not_safe": "Not safe to talk: call back later",
}
# Only these stop the response clock. "Not safe to talk" reached her phone but not a safe
# conversation, so the team still owes her a contact.
REACHED = frozenset({"spoke", "met"})
REVEAL_REASONS = {"first_contact": "First contact", "follow_up": "Follow-up", "visit": "Arranging a visit",
                  "safeguarding": "Safeguarding"}
CLOSING_OUTCOMES = {
    "advice": "Advice given",
    "safer_home": "Home made safer",
    "specialist": "Referred to a specialist service or IDVA",
    "marac": "MARAC referral made",
    "rehousing": "Rehousing or transfer",
    "no_contact": "No contact possible",
    "declined": "Support declined",
    "other": "Other (say what in the note)",
}
AGREED = {"yes": "Yes, they agreed", "no": "No, they did not agree", "could_not_ask": "Could not ask them"}
# What a caseworker may set by hand; closing needs its outcome, so it has its own action.
MANUAL_STATUSES = ("new", "attempted", "in_contact", "support")
NOTE_LIMIT = 5000


class CaseError(ValueError):
    """An action that cannot be done as asked; the message says why, for the caseworker."""


class NeedsConfirmation(CaseError):
    """The attempt goes against what the person asked: it needs a confirmation and a reason."""


class Barred(Exception):
    """This member is barred from this referral (a conflict of interest)."""


@dataclass(frozen=True)
class Entry:
    """A timeline entry as the page shows it."""

    event: CaseEvent
    actor: str | None
    subject: str | None
    body: str | None


def _words(text: str | None, *, missing: str | None = None, what: str = "note") -> str:
    """Free text a caseworker wrote, trimmed: required when `missing` says what to ask for, and
    never longer than NOTE_LIMIT."""
    text = (text or "").strip()
    if missing and not text:
        raise CaseError(missing)
    if len(text) > NOTE_LIMIT:
        raise CaseError(f"Keep the {what} to {NOTE_LIMIT} characters or fewer")
    return text


def _now() -> datetime:
    return targets.now()



def find(session: Session, reference: str, viewer: StaffUser) -> Referral | None:
    """The referral, None when there is none, Barred when the viewer may not see it."""
    referral = session.scalar(select(Referral).where(Referral.reference == reference.strip().upper()))
    if referral is None:
        return None
    if is_barred(session, referral, viewer):
        raise Barred()
    return referral


def is_barred(session: Session, referral: Referral, member: StaffUser) -> bool:
    return session.scalar(select(ReferralBar.id).where(ReferralBar.referral_id == referral.id,
                                                       ReferralBar.staff_id == member.id)) is not None


def _audit(session: Session, actor: StaffUser, action: str, referral: Referral, detail: str | None = None) -> None:
    audit.record(session, actor=actor.email, action=f"referral.{action}", record_type="referral",
                 record_id=referral.reference, detail=detail)


def _event(session: Session, keyring: Keyring | None, referral: Referral, actor: StaffUser | None, kind: str, *,
           body: str | None = None, at: datetime | None = None, **plain) -> CaseEvent:
    # actor None: written by Haven itself, not a member of staff (the retention purge).
    now = _now()
    event = CaseEvent(public_id=str(uuid.uuid4()), referral_id=referral.id,
                      actor_id=actor.id if actor is not None else None, kind=kind,
                      at=at or now, recorded_at=now, against_wishes=plain.pop("against_wishes", False), **plain)
    if body:
        event.body_enc = keyring.encrypt(body, table=TABLE, column="body_enc", row=event.public_id)
    session.add(event)
    return event


def opened(session: Session, referral: Referral, viewer: StaffUser) -> None:
    """Opening the referral's page reads its personal data: audited, and committed before it shows."""
    _audit(session, viewer, "opened", referral)
    session.commit()


def reveal(session: Session, referral: Referral, viewer: StaffUser, reason: str) -> None:
    if reason not in REVEAL_REASONS:
        raise CaseError("Choose why you need the contact details")
    _audit(session, viewer, "contact_revealed", referral, detail=reason)
    session.commit()


def timeline(session: Session, keyring: Keyring, referral: Referral) -> list[Entry]:
    """Newest first, with who did it and any words decrypted (the caller has audited the opening)."""
    events = session.scalars(select(CaseEvent).where(CaseEvent.referral_id == referral.id)
                             .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())).all()
    ids = {event.actor_id for event in events} | {event.subject_id for event in events}
    emails = dict(session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids - {None})))
                  .all()) if ids - {None} else {}
    return [Entry(event, emails.get(event.actor_id), emails.get(event.subject_id),
                  keyring.decrypt(event.body_enc, table=TABLE, column="body_enc", row=event.public_id)
                  if event.body_enc else None) for event in events]


def openings(session: Session, referral: Referral, limit: int = 50) -> list[AuditEvent]:
    """Who opened the referral or showed its contact details, and when (for managers)."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "referral", AuditEvent.record_id == referral.reference,
        AuditEvent.action.in_(("referral.opened", "referral.contact_revealed")))
        .order_by(AuditEvent.id.desc()).limit(limit)))


def assign(session: Session, referral: Referral, actor: StaffUser, assignee: StaffUser, *,
           may_read: set[str]) -> None:
    """`may_read`: the roles that may read referrals (access.PERMISSIONS); nobody else is given one."""
    if not (assignee.active and assignee.role_set & may_read):
        raise CaseError("Choose someone who works on referrals")
    if is_barred(session, referral, assignee):
        raise CaseError("That person is barred from this referral")
    if referral.assignee_id == assignee.id:
        return
    referral.assignee_id = assignee.id
    _event(session, None, referral, actor, "assigned", subject_id=assignee.id)
    _audit(session, actor, "assigned", referral, detail=assignee.email)
    session.commit()


def set_status(session: Session, referral: Referral, actor: StaffUser, status: str) -> None:
    if status not in MANUAL_STATUSES:
        raise CaseError("Choose a status from the list")
    if referral.status == "closed":
        raise CaseError("This referral is closed: reopen it first")
    if status == referral.status:
        return
    referral.status = status
    _event(session, None, referral, actor, "status", status=status)
    _audit(session, actor, "status_changed", referral, detail=status)
    session.commit()


def against_wishes(contact: dict, channel: str, outcome: str) -> list[str]:
    """How an attempt goes against what she asked, in words for the confirmation ([] when it does not)."""
    found = []
    methods = contact.get("methods") or []
    if channel not in methods:
        found.append(f"{CHANNELS[channel]} is not a way they chose")
    if outcome == "voicemail" and contact.get("voicemail") != "yes":
        found.append("they did not say a voicemail is safe" if contact.get("voicemail") is None
                     else "they said not to leave a voicemail")
    return found


def log_contact(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, channel: str,
                outcome: str, at: datetime | None = None, confirmed: bool = False, reason: str | None = None) -> CaseEvent:
    """Record an attempt. One that reached her stops the clock (the first such) and puts the
    referral in contact; one that did not moves a new referral to "contact attempted"."""
    if channel not in CHANNELS or outcome not in OUTCOMES:
        raise CaseError("Choose how you tried and what happened")
    if referral.status == "closed":
        raise CaseError("This referral is closed: reopen it first")
    now = _now()
    at = at or now
    if at > now or at < targets.aware(referral.created_at):
        raise CaseError("The time must be between when the referral arrived and now")
    contact = referrals.read(keyring, referral).contact
    problems = against_wishes(contact, channel, outcome)
    reason = (reason or "").strip()
    if problems and not (confirmed and reason):
        raise NeedsConfirmation("This goes against what they asked: " + "; ".join(problems)
                                + ". Tick to confirm and say why.")
    reached = outcome in REACHED
    event = _event(session, keyring, referral, actor, "contact", at=at, channel=channel, outcome=outcome,
                   reached=reached, against_wishes=bool(problems), body=reason if problems else None)
    if reached:
        if referral.first_contact_at is None or at < targets.aware(referral.first_contact_at):
            referral.first_contact_at = at
        if referral.status in ("new", "attempted"):
            referral.status = "in_contact"
    elif referral.status == "new":
        referral.status = "attempted"
    event.status = referral.status
    _audit(session, actor, "contact_logged", referral, detail=f"{channel}:{outcome}"
           + (":against_wishes" if problems else ""))
    session.commit()
    return event


def add_note(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, text: str) -> None:
    text = _words(text, missing="Write the note")
    _event(session, keyring, referral, actor, "note", body=text)
    _audit(session, actor, "note_added", referral)
    session.commit()


def close(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, outcome: str,
          agreed: str, note: str | None = None) -> None:
    if referral.status == "closed":
        raise CaseError("This referral is already closed")
    if outcome not in CLOSING_OUTCOMES:
        raise CaseError("Choose the outcome")
    if agreed not in AGREED:
        raise CaseError("Say whether they agreed to closing")
    note = _words(note, missing="Say what the outcome was" if outcome == "other" else None)
    now = _now()
    referral.status, referral.closed_at, referral.outcome = "closed", now, outcome
    _event(session, keyring, referral, actor, "closed", status="closed", outcome=outcome,
           reached=agreed == "yes", body=note or None)
    _audit(session, actor, "closed", referral, detail=f"{outcome}:{agreed}")
    session.commit()


def reopen(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, reason: str) -> None:
    if referral.status != "closed":
        raise CaseError("This referral is open")
    reason = _words(reason, missing="Say why you are reopening it", what="reason")
    referral.status = "in_contact" if referral.first_contact_at else "attempted" if _attempted(session, referral) else "new"
    referral.closed_at = referral.outcome = None
    _event(session, keyring, referral, actor, "reopened", status=referral.status, body=reason)
    _audit(session, actor, "reopened", referral)
    session.commit()


def _attempted(session: Session, referral: Referral) -> bool:
    return session.scalar(select(CaseEvent.id).where(CaseEvent.referral_id == referral.id,
                                                     CaseEvent.kind == "contact").limit(1)) is not None


def bar(session: Session, referral: Referral, actor: StaffUser, member: StaffUser) -> None:
    """Keep a member away from this referral: they know the person, or the person harming them."""
    if member.id == actor.id:
        raise CaseError("You cannot bar yourself: ask another manager")
    if is_barred(session, referral, member):
        return
    session.add(ReferralBar(referral_id=referral.id, staff_id=member.id, barred_by_id=actor.id))
    if referral.assignee_id == member.id:
        referral.assignee_id = None
    _event(session, None, referral, actor, "barred", subject_id=member.id)
    _audit(session, actor, "barred", referral, detail=member.email)
    session.commit()


def lift_bar(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, member: StaffUser,
             reason: str) -> None:
    """Let a barred member see this referral again (a bar made in error, or a conflict that has
    ended). The reason goes on the timeline, encrypted; the bar's lifting is audited."""
    reason = _words(reason, missing="Say why the bar can be lifted", what="reason")
    found = session.scalar(select(ReferralBar).where(ReferralBar.referral_id == referral.id,
                                                     ReferralBar.staff_id == member.id))
    if found is None:
        raise CaseError("That person is not barred from this referral")
    session.delete(found)
    _event(session, keyring, referral, actor, "bar_lifted", subject_id=member.id, body=reason)
    _audit(session, actor, "bar_lifted", referral, detail=member.email)
    session.commit()


def bars(session: Session, referral: Referral) -> list[str]:
    return list(session.scalars(select(StaffUser.email).join(ReferralBar, ReferralBar.staff_id == StaffUser.id)
                                .where(ReferralBar.referral_id == referral.id).order_by(StaffUser.email)))


def earlier(session: Session, referral: Referral, viewer: StaffUser) -> str | None:
    """The reference of the referral this one repeats, unless there is none or the viewer is
    barred from that one (then even its reference is not theirs to see)."""
    if referral.repeat_of_id is None:
        return None
    first = session.get(Referral, referral.repeat_of_id)
    return None if first is None or is_barred(session, first, viewer) else first.reference


# --- risk and MARAC ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Assessment:
    entry: Entry
    answers: dict
    judgement: str | None  # the reason, when professional judgement made it high risk
    escalation: bool


def assess_risk(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, checklist, *,
                answers: dict[str, str], judgement: str | None = None, escalation: bool = False) -> CaseEvent:
    """Record one risk assessment (each is kept). High risk by the checklist's score, or by
    professional judgement with its reason; the referral's flag follows the newest assessment."""
    from . import risk

    missing = [question.id for question in checklist.questions if answers.get(question.id) not in risk.ANSWERS]
    if missing:
        raise CaseError("Answer every question (yes, no or not known)")
    judgement = _words(judgement, what="reason") or None
    score = checklist.score(answers)
    high = checklist.is_high(score) or judgement is not None
    body = json.dumps({"answers": {q.id: answers[q.id] for q in checklist.questions}, "judgement": judgement,
                       "escalation": bool(escalation)}, ensure_ascii=False)
    event = _event(session, keyring, referral, actor, "risk", score=score, high_risk=high, body=body)
    referral.flag_high_risk = high
    _audit(session, actor, "risk_assessed", referral, detail=f"{score}:{'high' if high else 'not_high'}")
    session.commit()
    return event


def assessments(entries: list[Entry]) -> list[Assessment]:
    """The risk assessments among a timeline's entries, newest first."""
    found = []
    for entry in entries:
        if entry.event.kind == "risk":
            body = json.loads(entry.body or "{}")
            found.append(Assessment(entry, body.get("answers", {}), body.get("judgement"), bool(body.get("escalation"))))
    return found


def marac_criteria(referral: Referral, latest: Assessment | None, checklist):
    from .risk import Criteria

    return Criteria(high_score=bool(latest and checklist.is_high(latest.entry.event.score or 0)),
                    professional_judgement=bool(latest and latest.judgement),
                    escalation=bool(latest and latest.escalation), repeat=bool(referral.flag_repeat))


def refer_to_marac(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *, referred_on,
                   area: str, referred_by: str, meeting_on=None, actions: str | None = None) -> CaseEvent:
    area, referred_by, actions = (area or "").strip(), (referred_by or "").strip(), (actions or "").strip()
    if not area or not referred_by:
        raise CaseError("Give the MARAC's area and who referred")
    if referred_on > _now().astimezone(targets.UK).date():
        raise CaseError("The referral date cannot be in the future")
    if meeting_on is not None and meeting_on < referred_on:
        raise CaseError("The meeting cannot be before the referral")
    if max(len(area), len(referred_by)) > 200 or len(actions) > NOTE_LIMIT:
        raise CaseError("Keep each answer shorter")
    at = datetime.combine(referred_on, datetime.min.time(), tzinfo=targets.UK).astimezone(timezone.utc)
    body = json.dumps({"area": area, "referred_by": referred_by, "actions": actions or None}, ensure_ascii=False)
    event = _event(session, keyring, referral, actor, "marac", at=max(at, targets.aware(referral.created_at)),
                   on_date=meeting_on, body=body)
    _audit(session, actor, "marac_referred", referral)
    session.commit()
    return event


# --- safeguarding (whg 2.4: concerns about children are always reported) -----------------------

SAFEGUARDING_TO = {"childrens_services": "Children's services", "police": "Police",
                   "adult_social_care": "Adult social care"}


@dataclass(frozen=True)
class Safeguarding:
    needed: bool  # a decision is still owed
    raised: bool  # the referral or a caseworker says children (or an adult) may be at risk
    waiting_for_manager: bool  # a no-report decision awaits a manager's confirmation


def safeguarding(referral: Referral, entries: list[Entry]) -> Safeguarding:
    """Whether the case still owes a safeguarding decision: a report made, or a decision that
    none is needed, with its reason, confirmed by a manager."""
    kinds = [entry.event.kind for entry in reversed(entries)]  # oldest first
    raised = bool(referral.flag_children_at_risk) or "safeguarding_concern" in kinds
    reported = "safeguarding_report" in kinds
    confirmed = any(kind == "safeguarding_confirmed" for kind in kinds)
    waiting = "safeguarding_no_report" in kinds and not confirmed
    return Safeguarding(needed=raised and not reported and not confirmed, raised=raised,
                        waiting_for_manager=waiting and not reported)


def raise_safeguarding(session: Session, referral: Referral, actor: StaffUser) -> None:
    """The caseworker judges that someone may need safeguarding, whatever the form said."""
    _event(session, None, referral, actor, "safeguarding_concern")
    _audit(session, actor, "safeguarding_raised", referral)
    session.commit()


def report_safeguarding(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, *,
                        to: str, on, their_reference: str | None, by: str) -> None:
    if to not in SAFEGUARDING_TO:
        raise CaseError("Choose who it was reported to")
    by, their_reference = (by or "").strip(), (their_reference or "").strip()
    if not by:
        raise CaseError("Say who made the report")
    if on > _now().astimezone(targets.UK).date():
        raise CaseError("The report date cannot be in the future")
    if len(by) > 200 or len(their_reference) > 100:
        raise CaseError("Keep each answer shorter")
    body = json.dumps({"their_reference": their_reference or None, "by": by}, ensure_ascii=False)
    _event(session, keyring, referral, actor, "safeguarding_report", outcome=to, on_date=on, body=body)
    _audit(session, actor, "safeguarding_reported", referral, detail=to)
    session.commit()


def decide_no_report(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, reason: str) -> None:
    reason = _words(reason, missing="Say why no report is needed", what="reason")
    _event(session, keyring, referral, actor, "safeguarding_no_report", body=reason)
    _audit(session, actor, "safeguarding_no_report", referral)
    session.commit()


def confirm_no_report(session: Session, referral: Referral, manager: StaffUser, entries: list[Entry]) -> None:
    """A manager confirms a no-report decision, never their own."""
    decisions = [entry for entry in entries if entry.event.kind == "safeguarding_no_report"]
    if not decisions:
        raise CaseError("There is no decision to confirm")
    if decisions[0].event.actor_id == manager.id:
        raise CaseError("Another manager must confirm your own decision")
    _event(session, None, referral, manager, "safeguarding_confirmed", subject_id=decisions[0].event.actor_id)
    _audit(session, manager, "safeguarding_confirmed", referral)
    session.commit()


# --- handover -----------------------------------------------------------------------------------

def write_handover(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, text: str) -> None:
    """A note for the next caseworker, kept here so that nothing personal travels by email."""
    text = _words(text, missing="Write the handover note", what="handover note")
    _event(session, keyring, referral, actor, "handover", body=text)
    _audit(session, actor, "handover_written", referral)
    session.commit()


def handover(entries: list[Entry]) -> Entry | None:
    """The newest handover note: the one that holds."""
    return next((entry for entry in entries if entry.event.kind == "handover"), None)
