"""The staff notice: one email per new referral (and one more if it becomes urgent) saying only
that it arrived and how urgent it is.

Never a name, a number or a word of what the person wrote. The request that saves a referral
only adds a row to notice_outbox in the same transaction (enqueue), so a mail server that is down
or hangs can neither lose the referral nor slow the person's "sent" page. The worker
(`flask --app haven worker`, or `referrals send-notices` from cron) sends what is waiting
(send_pending). Each notice is claimed with a conditional UPDATE before it is sent, so two
workers never send the same one; a worker killed between the mail server's "OK" and its own
commit leaves a claim that lapses, and that one notice goes again (at least once, never lost).
"""
from __future__ import annotations

import secrets
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Callable

from sqlalchemy import Insert, func, insert, literal, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..models import NoticeOutbox, Referral

REFERRAL_PATH = "/staff/referrals/"
KINDS = ("new", "urgent")
# A claim outlives any send: smtplib's timeout bounds each socket operation, and a send has a
# handful of them.
LEASE_FLOOR = timedelta(minutes=2)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def build_notice(config: dict, referral: Referral, kind: str = "new") -> EmailMessage:
    what = "A request for help" if referral.kind == "self" else "A concern about someone"
    message = EmailMessage()
    # The subject shows on lock screens, so it says nothing about the referral, not even urgency.
    message["Subject"] = "Haven: a new referral"
    message["From"] = config["MAIL_FROM"]
    message["To"] = config["STAFF_INBOX_EMAIL"]
    update_line = "Update: more answers have made this referral urgent.\n\n" if kind == "urgent" else ""
    message.set_content(
        f"{what} has arrived in Haven.\n\n"
        f"{update_line}"
        f"Priority: {referral.priority}\n"
        f"Received: {referral.created_at:%Y-%m-%d %H:%M} UTC\n\n"
        f"Reference: {referral.reference}\n\n"
        f"Sign in to read it: {config['PUBLIC_URL']}{REFERRAL_PATH}{referral.reference}\n\n"
        "This email never contains personal details. Do not forward it.\n"
    )
    return message


def tls_context() -> ssl.SSLContext:
    """Certificate and host name checked against the system's CAs (tests trust their own CA)."""
    return ssl.create_default_context()


def _send(config: dict, message: EmailMessage) -> None:
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
        if config.get("SMTP_STARTTLS"):
            # Fails (SMTPNotSupportedError, or a certificate error) rather than send in clear.
            smtp.starttls(context=tls_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def enqueue(session: Session, referral: Referral, kind: str) -> None:
    """Add the referral's notice to the caller's transaction: its commit saves both or neither.
    The referral must be in the database already (in this transaction or before)."""
    # A plain INSERT: on a Send, the ORM's unit of work cost more CPU than the statement.
    session.connection().execute(insert(NoticeOutbox.__table__), _row(kind, referral_id=referral.id))


def insert_with_notice(referral_insert: Insert, kind: str) -> Insert:
    """PostgreSQL: a new referral's INSERT (RETURNING its id) and its notice's, as one statement
    (one round trip on a Send instead of two) that returns the referral's id."""
    new = referral_insert.cte("new_referral")
    values = _row(kind)
    table = NoticeOutbox.__table__
    return (insert(table)
            .from_select(["referral_id", *values],
                         select(new.c.id, *(literal(value, table.c[name].type) for name, value in values.items())))
            .returning(table.c.referral_id)
            .add_cte(new))


def _row(kind: str, **referral) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    return {**referral, "kind": kind, "created_at": _now(), "attempts": 0}


def _lease(config: dict) -> timedelta:
    return max(LEASE_FLOOR, timedelta(seconds=config["SMTP_TIMEOUT"] * 10))


def _claimable(now: datetime):
    return (NoticeOutbox.sent_at.is_(None),
            or_(NoticeOutbox.claimed_until.is_(None), NoticeOutbox.claimed_until < now))


def _claim(session: Session, config: dict) -> tuple[NoticeOutbox, str] | None:
    """The next waiting notice, claimed for this worker and committed; None when none is left."""
    while True:
        now = _now()
        candidates = session.scalars(select(NoticeOutbox.id).where(*_claimable(now))
                                     .order_by(NoticeOutbox.attempts, NoticeOutbox.id).limit(10)).all()
        if not candidates:
            session.commit()
            return None
        for notice_id in candidates:
            token = secrets.token_hex(16)
            # Conditional: of two workers that both saw this row waiting, only one changes it (on
            # PostgreSQL the second waits for the first's commit, then finds the claim taken).
            taken = session.execute(update(NoticeOutbox)
                                    .where(NoticeOutbox.id == notice_id, *_claimable(now))
                                    .values(claim=token, claimed_until=now + _lease(config))
                                    .execution_options(synchronize_session=False)).rowcount
            session.commit()
            if taken == 1:
                return session.get(NoticeOutbox, notice_id, populate_existing=True), token


def _settle(session: Session, notice: NoticeOutbox, token: str, error: Exception | None) -> bool:
    """Record the outcome of one send, if the claim is still this worker's. The referral's own
    columns mirror its newest notice."""
    now = _now()
    outcome = {"sent_at": now, "last_error": None} if error is None else {"last_error": type(error).__name__[:64]}
    settled = session.execute(update(NoticeOutbox)
                              .where(NoticeOutbox.id == notice.id, NoticeOutbox.claim == token)
                              .values(attempts=NoticeOutbox.attempts + 1, claim=None, claimed_until=None, **outcome)
                              .execution_options(synchronize_session=False)).rowcount
    if settled:
        mirror = {"notice_sent_at": now, "notice_error": None} if error is None else {"notice_error": outcome["last_error"]}
        session.execute(update(Referral).where(Referral.id == notice.referral_id)
                        .values(notice_attempts=Referral.notice_attempts + 1, **mirror)
                        .execution_options(synchronize_session=False))
    session.commit()
    return settled == 1


@dataclass(frozen=True)
class Pass:
    sent: int
    failed: int
    waiting: int  # not yet sent after this pass (failed, or claimed by another worker)


def send_pending(session: Session, config: dict) -> Pass:
    """Send the waiting notices, fewest attempts first, until none is left or one fails: a mail
    server that refused or timed out once will do so for the next one too, so the rest wait for
    the next pass rather than each costing a time-out."""
    sent = failed = 0
    while (claimed := _claim(session, config)) is not None:
        notice, token = claimed
        message = build_notice(config, notice.referral, notice.kind)
        # No transaction stays open while the mail server is talked to (SQLite's write lock).
        session.commit()
        try:
            _send(config, message)
        except (OSError, smtplib.SMTPException) as error:
            _settle(session, notice, token, error)
            failed += 1
            break
        _settle(session, notice, token, None)
        sent += 1
    waiting = session.scalar(select(func.count(NoticeOutbox.id)).where(NoticeOutbox.sent_at.is_(None)))
    session.commit()
    return Pass(sent, failed, waiting)


def work(session: Session, config: dict, stop: threading.Event, *, interval: float,
         report: Callable[[str], None]) -> None:
    """The worker: a pass, then a sleep of `interval` seconds, until `stop` is set (a signal). A
    pass under way finishes first, so no claim is left behind. A database that is away is waited
    for, not fatal."""
    while not stop.is_set():
        try:
            result = send_pending(session, config)
        except SQLAlchemyError as error:
            session.rollback()
            report(f"notices: database unavailable ({type(error).__name__}); trying again in {interval:g} s")
        else:
            if result.sent or result.failed:
                report(f"notices: {result.sent} sent, {result.failed} failed, {result.waiting} waiting")
        session.expunge_all()
        stop.wait(interval)
