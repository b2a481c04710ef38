"""Retention (whg 3.1; UK GDPR storage limitation): a closed referral's personal content is removed
`RETENTION_MONTHS` after closure, unless a legal hold stops it.

What goes: everything the person or staff wrote about her (the referral's encrypted columns, the
"tell us more" token's hash and expiry, every timeline entry's `body_enc`), the evidence kept for
her (attachments and notes go with the content) and the match hashes of her phone and email. What
stays: every plain column of `referral` and `case_event` (kind, route, priority, status, dates,
flags, outcome, score, channel...) and the ticked-box codes in `referral_answer`, none of which
names or locates anyone, so reports for earlier periods give the same numbers after a purge.
`contact_enc` and `details_enc` may not be empty (NOT NULL): they are left holding an encrypted
empty record, under the newest key, so rotation and the stored-key check go on working.

The timeline is append-only: services only ever add to `case_event`, with two exceptions, key
rotation (services/keys.py re-encrypts `body_enc`) and this module (purge clears `body_enc`).

A legal hold (a manager, with a reason) stops the purge; lifting it (with a reason) lets the next
run go ahead; the newer of the two entries decides. Which referrals are due is one SQL query over
plain columns; nothing is decrypted to decide it.
"""
from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..models import AuditEvent, CaseEvent, CaseReview, Evidence, Feedback, Referral, StaffUser
from ..security.crypto import Keyring
from . import audit, cases, referrals, targets

HOLD, LIFTED, PURGED = "legal_hold", "legal_hold_lifted", "purged"
HOLD_KINDS = (HOLD, LIFTED)


def months_before(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier (the 31st becomes the month's last day)."""
    return _shift(moment, -months)


def months_after(moment: datetime, months: int) -> datetime:
    return _shift(moment, months)


def _shift(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 + months, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def cut_off(now: datetime, months: int) -> datetime:
    """Referrals closed before this moment are due (UTC)."""
    return months_before(targets.aware(now).astimezone(timezone.utc), months)


def _newest_kind(*kinds: str):
    """The kind of the referral's newest timeline entry (among `kinds`, when given), as a
    correlated scalar subquery over plain columns. Newest is the last written (highest id)."""
    query = select(CaseEvent.kind).where(CaseEvent.referral_id == Referral.id)
    if kinds:
        query = query.where(CaseEvent.kind.in_(kinds))
    return query.order_by(CaseEvent.id.desc()).limit(1).correlate(Referral).scalar_subquery()


def due_for_purge(session: Session, now: datetime, months: int) -> list[int]:
    """Ids of the referrals whose personal content must go now: closed before the cut-off, not on
    legal hold, and with something written since any earlier purge (a referral purged and left
    alone is not due again; one reopened, written to and closed again is, once its time comes)."""
    query = (select(Referral.id)
             .where(Referral.status == "closed", Referral.closed_at.is_not(None),
                    Referral.closed_at < cut_off(now, months),
                    func.coalesce(_newest_kind(*HOLD_KINDS), "") != HOLD,
                    func.coalesce(_newest_kind(), "") != PURGED)
             .order_by(Referral.id))
    return list(session.scalars(query))


@dataclass(frozen=True)
class Run:
    count: int  # referrals purged (or, in a dry run, that would be)
    cut_off: datetime  # closed before this
    dry_run: bool

    @property
    def cut_off_date(self) -> str:
        return self.cut_off.date().isoformat()


def purge(session: Session, now: datetime, months: int, dry_run: bool = False, *, keyring: Keyring,
          actor: str = "cli") -> Run:
    """Remove the personal content of every referral due (one transaction, with the run's audit
    event: `<count> closed before <cut-off date>`). A dry run changes and records nothing."""
    ids = due_for_purge(session, now, months)
    run = Run(len(ids), cut_off(now, months), dry_run)
    if dry_run:
        session.rollback()
        return run
    for referral_id in ids:
        _erase(session, keyring, session.get(Referral, referral_id, with_for_update=True), actor)
    audit.record(session, actor=actor, action="referrals.purged", record_type="referral",
                 detail=f"{run.count} closed before {run.cut_off_date}")
    session.commit()
    return run


def _erase(session: Session, keyring: Keyring, referral: Referral, actor: str) -> None:
    # NOT NULL columns keep an encrypted empty record; the others are emptied.
    referrals._seal(keyring, referral, "contact_enc", json.dumps({}))
    referrals._seal(keyring, referral, "details_enc", json.dumps({}))
    referral.name_enc = referral.message_enc = None
    referral.continue_hash = referral.continue_expires_at = None
    referral.phone_match = referral.email_match = None
    # The exception to the timeline's append-only rule (with key rotation): the words go, the
    # entries and their plain columns stay.
    session.execute(update(CaseEvent).where(CaseEvent.referral_id == referral.id, CaseEvent.body_enc.is_not(None))
                    .values(body_enc=None).execution_options(synchronize_session=False))
    session.execute(delete(Evidence).where(Evidence.referral_id == referral.id)
                    .execution_options(synchronize_session=False))
    # What reviewers wrote about the case, and the person's own feedback comment, go with it; the
    # points and scores (plain) stay for the figures.
    session.execute(update(CaseReview).where(CaseReview.referral_id == referral.id)
                    .values(findings_enc=None, actions_enc=None).execution_options(synchronize_session=False))
    session.execute(update(Feedback).where(Feedback.referral_id == referral.id, Feedback.comment_enc.is_not(None))
                    .values(comment_enc=None).execution_options(synchronize_session=False))
    cases._event(session, None, referral, None, PURGED)
    audit.record(session, actor=actor, action="referral.purged", record_type="referral",
                 record_id=referral.reference)


# --- legal holds ------------------------------------------------------------------------------

def is_held(session: Session, referral: Referral) -> bool:
    return session.scalar(select(CaseEvent.kind).where(CaseEvent.referral_id == referral.id,
                                                       CaseEvent.kind.in_(HOLD_KINDS))
                          .order_by(CaseEvent.id.desc()).limit(1)) == HOLD


def hold(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, reason: str) -> None:
    """A manager keeps the referral's records past their time (a court case, a complaint, an
    inquiry): its purge waits until the hold is lifted."""
    reason = cases._words(reason, missing="Say why the records must be kept", what="reason")
    if is_held(session, referral):
        raise cases.CaseError("This referral is already on legal hold")
    cases._event(session, keyring, referral, actor, HOLD, body=reason)
    cases._audit(session, actor, "legal_hold_placed", referral)
    session.commit()


def lift(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, reason: str) -> None:
    reason = cases._words(reason, missing="Say why the hold can end", what="reason")
    if not is_held(session, referral):
        raise cases.CaseError("This referral is not on legal hold")
    cases._event(session, keyring, referral, actor, LIFTED, body=reason)
    cases._audit(session, actor, "legal_hold_lifted", referral)
    session.commit()


def standing(entries: list[cases.Entry]) -> cases.Entry | None:
    """The hold in force, from a timeline's entries: the newest hold entry when it is a hold."""
    found = max((entry for entry in entries if entry.event.kind in HOLD_KINDS), key=lambda entry: entry.event.id,
                default=None)
    return found if found is not None and found.event.kind == HOLD else None


def purged_on(entries: list[cases.Entry]) -> datetime | None:
    """When the referral's personal content was (last) removed, from its timeline; None if never."""
    return max((targets.aware(entry.event.at) for entry in entries if entry.event.kind == PURGED), default=None)


def nothing_kept(referral: Referral) -> referrals.Submission:
    """What a purged referral's page shows of what she sent: nothing, without decrypting."""
    return referrals.Submission(kind=referral.kind, locale=referral.locale, token=referral.submission_token,
                                name=None, contact={}, details={}, message=None)


def is_purged(session: Session, referral: Referral) -> bool:
    return session.scalar(select(CaseEvent.id).where(CaseEvent.referral_id == referral.id,
                                                     CaseEvent.kind == PURGED).limit(1)) is not None


def removal_after(referral: Referral, months: int) -> datetime | None:
    """From when a closed referral's personal content is due to go (None while it is open)."""
    return months_after(targets.aware(referral.closed_at), months) if referral.closed_at else None


# --- the audit log's own period (the log itself is never deleted from) -------------------------

def audit_expired(session: Session, now: datetime, months: int) -> tuple[int, datetime]:
    """How many audit events are older than `months`, and the cut-off. Nothing is removed: the
    database refuses DELETE on audit_event and each row's hash chains to the one before."""
    before = cut_off(now, months)
    return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.at < before)) or 0, before
