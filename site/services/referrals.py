"""Referrals: priority at intake, encryption, the one commit that matters, and key rotation."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Referral
from ..security.crypto import Keyring

TABLE = "referral"
ENCRYPTED_COLUMNS = ("name_enc", "contact_enc", "details_enc", "message_enc")
KINDS = ("self", "concern")


@dataclass(frozen=True)
class Submission:
    """What a person sent, already validated and normalised by the form."""

    kind: str
    locale: str
    token: str
    name: str | None
    contact: dict
    details: dict
    message: str | None


def priority(details: dict) -> str:
    """Urgent when the person says someone is in danger now, or that children are at risk."""
    if details.get("danger_now") == "yes" or details.get("children_at_risk") == "yes":
        return "urgent"
    return "standard"


def _seal(keyring: Keyring, referral: Referral, column: str, value: str | None) -> None:
    sealed = None if value is None else keyring.encrypt(
        value, table=TABLE, column=column, row=referral.public_id)
    setattr(referral, column, sealed)


def submit(session: Session, keyring: Keyring, submission: Submission) -> tuple[Referral, bool]:
    """Encrypt and commit. Returns (referral, created); a resent token returns the first referral.

    Raises whatever the database raises on any other failure: the caller must then tell the
    person their message was not sent.
    """
    if submission.kind not in KINDS:
        raise ValueError(f"unknown kind {submission.kind!r}")
    existing = session.scalar(select(Referral).where(Referral.submission_token == submission.token))
    if existing is not None:
        return existing, False
    referral = Referral(public_id=str(uuid.uuid4()), submission_token=submission.token,
                        kind=submission.kind, priority=priority(submission.details),
                        locale=submission.locale, notice_attempts=0)
    _seal(keyring, referral, "name_enc", submission.name)
    _seal(keyring, referral, "contact_enc", json.dumps(submission.contact, ensure_ascii=False))
    _seal(keyring, referral, "details_enc", json.dumps(submission.details, ensure_ascii=False))
    _seal(keyring, referral, "message_enc", submission.message)
    session.add(referral)
    try:
        session.commit()
    except IntegrityError:
        # The same token committed a moment ago by a concurrent request (a double click).
        session.rollback()
        existing = session.scalar(select(Referral).where(Referral.submission_token == submission.token))
        if existing is None:
            raise
        return existing, False
    return referral, True


def read(keyring: Keyring, referral: Referral) -> Submission:
    """Decrypt a referral. Callers in the staff area must audit every read."""

    def open_(column):
        value = getattr(referral, column)
        return None if value is None else keyring.decrypt(
            value, table=TABLE, column=column, row=referral.public_id)

    return Submission(kind=referral.kind, locale=referral.locale, token=referral.submission_token,
                      name=open_("name_enc"), contact=json.loads(open_("contact_enc")),
                      details=json.loads(open_("details_enc")), message=open_("message_enc"))


def rotate(session: Session, keyring: Keyring, batch: int = 200) -> int:
    """Re-encrypt every value not under the newest key. Returns how many rows changed."""
    changed = 0
    last_id = 0
    while True:
        rows = session.scalars(select(Referral).where(Referral.id > last_id)
                               .order_by(Referral.id).limit(batch)).all()
        if not rows:
            break
        for referral in rows:
            last_id = referral.id
            stale = [column for column in ENCRYPTED_COLUMNS
                     if getattr(referral, column) is not None
                     and Keyring.key_id_of(getattr(referral, column)) != keyring.newest_id]
            for column in stale:
                plain = keyring.decrypt(getattr(referral, column), table=TABLE, column=column,
                                        row=referral.public_id)
                _seal(keyring, referral, column, plain)
            changed += bool(stale)
        session.commit()
    return changed
