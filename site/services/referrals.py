"""Referrals: priority at intake, encryption and the one commit that matters (key rotation is
services/keys.py, which lists ENCRYPTED_COLUMNS with every other encrypted column)."""
from __future__ import annotations

import functools
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from sqlalchemy import bindparam, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from ..models import EqualityResponse, Referral, ReferralAnswer
from ..security.crypto import Keyring
from . import matching, notify, targets as response
from .targets import Targets

TABLE = "referral"
ENCRYPTED_COLUMNS = ("name_enc", "contact_enc", "details_enc", "message_enc")
KINDS = ("self", "concern")
# Long enough to answer the optional pages slowly, short enough that a token left in a page's
# history is soon worth nothing.
CONTINUE_FOR = timedelta(minutes=60)
PHONE_METHODS = {"call", "text"}


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


# Said aloud and typed by staff: no 0/O, 1/I/L or U/V to mix up. 30**5 = 24 million references.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REFERENCE_LENGTH = 5


def random_reference() -> str:
    return "HV-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_reference(session: Session) -> str:
    while True:
        reference = random_reference()
        if session.scalar(select(Referral.id).where(Referral.reference == reference)) is None:
            return reference


def route(kind: str, details: dict) -> str:
    """self-referral, concern about someone, or anonymous concern (nobody to contact back)."""
    if kind == "concern" and details.get("anonymous"):
        return "anonymous"
    return kind


def flags(locale: str, contact: dict, details: dict) -> dict[str, bool]:
    """The inbox's yes/no flags, from answers the person gave: each says only that something
    applies, never what she wrote."""
    return {
        "flag_danger_now": details.get("danger_now") == "yes",
        "flag_children_in_home": details.get("children_in_home") == "yes",
        "flag_children_at_risk": details.get("children_at_risk") == "yes",
        "flag_lives_with": details.get("lives_with") == "yes",
        # She wrote in another language, named one, or asked for an interpreter.
        "flag_language": locale != "en" or bool(details.get("language")) or details.get("interpreter") == "yes",
        "flag_access": bool(details.get("access_needs") or details.get("access_other")),
    }


# The multiple-choice questions whose ticked boxes reports count (codes only, site/choices.py).
COUNTED = ("abuse_kinds", "help_wanted")


def counted_answers(details: dict) -> list[tuple[str, str]]:
    return sorted({(question, str(answer)) for question in COUNTED for answer in details.get(question) or []})


def _triage(referral: Referral, contact: dict, details: dict, targets: Targets) -> None:
    """Set the plain columns the inbox and reports read from the answers as they stand now."""
    referral.priority = priority(details)
    for column, value in flags(referral.locale, contact, details).items():
        setattr(referral, column, value)
    # Change only what changed: a row deleted and inserted again would meet itself in the unique key.
    ticked = set(counted_answers(details))
    for row in list(referral.answers):
        if (row.question, row.answer) not in ticked:
            referral.answers.remove(row)
    for question, answer in ticked - {(row.question, row.answer) for row in referral.answers}:
        referral.answers.append(ReferralAnswer(question=question, answer=answer, created_at=referral.created_at))
    if referral.route == "anonymous":
        referral.target_due_at = None
    else:
        referral.target_due_at = response.due(referral.created_at, referral.priority, targets)


def _seal(keyring: Keyring, referral: Referral, column: str, value: str | None) -> None:
    sealed = None if value is None else keyring.encrypt(
        value, table=TABLE, column=column, row=referral.public_id)
    setattr(referral, column, sealed)


class Submitted(NamedTuple):
    referral: Referral
    created: bool
    more_token: str | None  # for the optional pages, when asked for (None once too old to add to)


def submit(session: Session, keyring: Keyring, submission: Submission, *, targets: Targets,
           match_key: bytes, more: bool = False, now: datetime | None = None) -> Submitted:
    """Encrypt and commit, with the triage columns, the response target, the repeat check, the
    staff notice waiting in the outbox and, with `more`, the optional pages' first token: one
    transaction. A resent token returns the first referral (created False), with a new token.

    Raises whatever the database raises on any other failure: the caller must then tell the
    person their message was not sent.
    """
    if submission.kind not in KINDS:
        raise ValueError(f"unknown kind {submission.kind!r}")
    now = now or _now()
    contact = submission.contact
    referral = Referral(public_id=str(uuid.uuid4()), submission_token=submission.token,
                        kind=submission.kind, locale=submission.locale, notice_attempts=0,
                        created_at=now, reference=random_reference(),
                        route=route(submission.kind, submission.details), status="new",
                        phone_match=matching.phone_hash(match_key, contact.get("phone")),
                        email_match=matching.email_hash(match_key, contact.get("email")))
    checks = _intake_checks(session, referral)
    if checks.sent_already is not None:
        return _resent(session, session.get(Referral, checks.sent_already), more, now)
    if checks.reference_taken:
        referral.reference = new_reference(session)
    referral.flag_repeat = checks.earlier is not None
    referral.repeat_of_id = checks.earlier
    _triage(referral, contact, submission.details, targets)
    _seal(keyring, referral, "name_enc", submission.name)
    _seal(keyring, referral, "contact_enc", json.dumps(submission.contact, ensure_ascii=False))
    _seal(keyring, referral, "details_enc", json.dumps(submission.details, ensure_ascii=False))
    _seal(keyring, referral, "message_enc", submission.message)
    # In the same commit as the referral: a second commit for the token would cost each Send a
    # second wait for the disk, on the busiest path Haven has.
    token = _continue(referral, now) if more else None
    try:
        _insert(session, referral, notice="new")
        session.commit()
    except IntegrityError:
        # The same token committed a moment ago by a concurrent request (a double click).
        session.rollback()
        existing = _sent_already(session, submission.token)
        if existing is None:
            raise
        return _resent(session, existing, more, now)
    # Committed: from here the caller may change it and commit again, as with any loaded referral.
    session.add(referral)
    return Submitted(referral, True, token)


def _insert(session: Session, referral: Referral, *, notice: str) -> None:
    """The new referral, its ticked boxes and its staff notice as plain INSERTs in the session's
    transaction, leaving the referral and boxes detached, as if loaded: the unit of work's planning
    for these few rows cost a Send more CPU than the statements themselves, on the busiest path
    Haven has. Columns not set take their defaults, as in a flush. On PostgreSQL the referral and
    its notice are one statement."""
    connection = session.connection()
    loaded = inspect(referral).dict
    statement = insert(Referral.__table__).values(
        {column: loaded[key] for key, column in _columns(Referral) if key in loaded}).returning(Referral.__table__.c.id)
    together = connection.dialect.name == "postgresql"
    if together:
        statement = notify.insert_with_notice(statement, notice)
    referral.id = connection.execute(statement).scalar_one()
    if not together:
        notify.enqueue(session, referral, notice)
    for box in referral.answers:
        box.referral_id = referral.id
        box.id = connection.execute(
            insert(ReferralAnswer.__table__).returning(ReferralAnswer.__table__.c.id),
            {"referral_id": referral.id, "question": box.question, "answer": box.answer,
             "created_at": box.created_at}).scalar_one()
        make_transient_to_detached(box)
    make_transient_to_detached(referral)


@functools.cache
def _columns(model) -> list[tuple[str, str]]:
    """(attribute, column) for each column the model maps."""
    return [(attribute.key, attribute.columns[0].key) for attribute in inspect(model).column_attrs]


class _Checks(NamedTuple):
    sent_already: int | None  # the referral this form's token made already (a double click)
    reference_taken: bool  # the random reference is another referral's (one in millions)
    earlier: int | None  # the latest earlier referral from the same phone or email


# Every question a Send asks before its insert, in one round trip to the database (each round
# trip costs the busiest path Haven has a wait and some CPU on both sides), built once. Ids only:
# on nearly every Send the answers are none, false and none.
INTAKE_CHECKS = select(
    select(Referral.id).where(Referral.submission_token == bindparam("token")).scalar_subquery(),
    select(Referral.id).where(Referral.reference == bindparam("reference")).exists(),
    matching.EARLIER_MATCH.scalar_subquery(),
)


def _intake_checks(session: Session, referral: Referral) -> _Checks:
    # Through the session's connection, in its transaction: the query asks for plain values, and
    # the ORM's execution path (built for loading objects) cost more CPU than the query itself.
    sent_already, reference_taken, earlier = session.connection().execute(INTAKE_CHECKS, {
        "token": referral.submission_token, "reference": referral.reference,
        **matching.earlier_match_values(route=referral.route, phone_match=referral.phone_match,
                                        email_match=referral.email_match, before=referral.created_at),
    }).one()
    return _Checks(sent_already, bool(reference_taken), earlier)


def _sent_already(session: Session, token: str) -> Referral | None:
    # The id first: the whole row is dozens of columns.
    found = session.scalar(select(Referral.id).where(Referral.submission_token == token))
    return None if found is None else session.get(Referral, found)


def _resent(session: Session, existing: Referral, more: bool, now: datetime | None) -> Submitted:
    # A double click sends the same token twice and the browser shows the second answer: it
    # carries a fresh token, so the page she ends up on always works.
    return Submitted(existing, False, issue_continuation(session, existing, now) if more else None)


class ContinuationExpired(Exception):
    """The token is unknown, used already or too old: nothing more can be added with it."""


class MissingContact(Exception):
    """A way of contacting her was chosen for which she has given no number or address."""

    def __init__(self, method: str):
        super().__init__(method)
        self.method = method


@dataclass(frozen=True)
class Continued:
    referral: Referral
    token: str | None  # for the next page; None once she has finished
    escalated: bool  # the answers just made the referral urgent
    danger: bool = False  # she has said she is in danger now


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; every time Haven stores is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def issue_continuation(session: Session, referral: Referral, now: datetime | None = None) -> str | None:
    """A new one-time token for the optional pages, replacing any earlier one, and committed.

    None when the referral is too old to add to: a form sent again long after (a page restored
    from history, say) must not reopen it."""
    now = now or _now()
    if _aware(referral.created_at) + CONTINUE_FOR < now:
        return None
    token = _continue(referral, now)
    session.commit()
    return token


def _continue(referral: Referral, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    referral.continue_hash = _hash(token)
    referral.continue_expires_at = now + CONTINUE_FOR
    return token


def _find_continuation(session: Session, token: str | None, now: datetime) -> Referral:
    if not token or len(token) > 100:
        raise ContinuationExpired()
    referral = session.scalar(select(Referral).where(Referral.continue_hash == _hash(token)))
    if referral is None or referral.continue_expires_at is None or _aware(referral.continue_expires_at) < now:
        raise ContinuationExpired()
    return referral


def add_more(session: Session, keyring: Keyring, token: str | None, changes: dict, *, targets: Targets,
             last: bool = False, now: datetime | None = None) -> Continued:
    """Add a "tell us more" page's answers to the referral its token names, and commit.

    The token is used up: the result carries the next one (None after the last page). Raises
    ContinuationExpired or MissingContact (nothing is changed then), or whatever the database
    raises (the caller tells her it was not sent; the token still works)."""
    now = now or _now()
    referral = _find_continuation(session, token, now)
    if "equality" in changes:
        return _add_equality(session, referral, changes["equality"], last=last, now=now)
    submission = read(keyring, referral)
    contact, details = dict(submission.contact), dict(submission.details)
    details.update(changes.get("details", {}))
    extra = changes.get("contact", {})
    if "also_ok" in extra:
        first = contact["methods"][:1]
        contact["methods"] = first + [m for m in extra["also_ok"] if m not in first]
        for method in contact["methods"]:
            if (method in PHONE_METHODS and not contact.get("phone")) or (method == "email" and not contact.get("email")) \
                    or (method == "home" and not details.get("address")):
                session.rollback()
                raise MissingContact(method)
    if "safe_times" in extra:
        contact["safe_times"] = extra["safe_times"]
    was = referral.priority
    _triage(referral, contact, details, targets)
    escalated = was != "urgent" and referral.priority == "urgent"
    if escalated:
        # The staff notice said "standard": another goes, saying "urgent", committed with the answers.
        notify.enqueue(session, referral, "urgent")
    _seal(keyring, referral, "contact_enc", json.dumps(contact, ensure_ascii=False))
    _seal(keyring, referral, "details_enc", json.dumps(details, ensure_ascii=False))
    if changes.get("name"):
        _seal(keyring, referral, "name_enc", changes["name"])
    if changes.get("message"):
        _seal(keyring, referral, "message_enc", changes["message"])
    next_token = _pass_on(referral, last, now)
    session.commit()
    return Continued(referral=referral, token=next_token, escalated=escalated,
                     danger=details.get("danger_now") == "yes")


def _pass_on(referral: Referral, last: bool, now: datetime) -> str | None:
    """Use up the token: a new one for the next page, or none after the last."""
    if last:
        referral.continue_hash = referral.continue_expires_at = None
        return None
    next_token = secrets.token_urlsafe(32)
    referral.continue_hash = _hash(next_token)
    referral.continue_expires_at = now + CONTINUE_FOR
    return next_token


def _add_equality(session: Session, referral: Referral, answers: dict, *, last: bool, now: datetime) -> Continued:
    """Equality answers go into a row of their own with no link to the referral (only the UK day
    it was received, for reports); her referral is neither read nor changed. A page sent with
    nothing chosen stores nothing."""
    if any(answers.values()):
        received_on = response.aware(referral.created_at).astimezone(response.UK).date()
        session.add(EqualityResponse(received_on=received_on, **answers))
    next_token = _pass_on(referral, last, now)
    session.commit()
    return Continued(referral=referral, token=next_token, escalated=False, danger=referral.flag_danger_now)


def finish(session: Session, token: str | None, now: datetime | None = None) -> Referral:
    """She has nothing more to add: the token stops working."""
    referral = _find_continuation(session, token, now or _now())
    referral.continue_hash = referral.continue_expires_at = None
    session.commit()
    return referral


def read(keyring: Keyring, referral: Referral) -> Submission:
    """Decrypt a referral. Callers in the staff area must audit every read."""

    def open_(column):
        value = getattr(referral, column)
        return None if value is None else keyring.decrypt(
            value, table=TABLE, column=column, row=referral.public_id)

    return Submission(kind=referral.kind, locale=referral.locale, token=referral.submission_token,
                      name=open_("name_enc"), contact=json.loads(open_("contact_enc")),
                      details=json.loads(open_("details_enc")), message=open_("message_enc"))

