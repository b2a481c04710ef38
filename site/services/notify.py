"""The staff notice: one email per new referral saying only that it arrived and how urgent it is.

Never a name, a number or a word of what the person wrote. Sending happens after the referral is
committed, so a failing mail server can only delay the notice, never lose the referral; failures
are counted on the row and retried by `flask --app haven referrals send-notices`.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..models import Referral

REFERRAL_PATH = "/staff/referrals/"


def build_notice(config: dict, referral: Referral) -> EmailMessage:
    kind = "A request for help" if referral.kind == "self" else "A concern about someone"
    message = EmailMessage()
    # The subject shows on lock screens, so it says nothing about the referral, not even urgency.
    message["Subject"] = "Haven: a new referral"
    message["From"] = config["MAIL_FROM"]
    message["To"] = config["STAFF_INBOX_EMAIL"]
    message.set_content(
        f"{kind} has arrived in Haven.\n\n"
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


def notify(session: Session, config: dict, referral: Referral) -> bool:
    """Try once to send the notice; record the outcome on the row. True when sent."""
    try:
        _send(config, build_notice(config, referral))
    except (OSError, smtplib.SMTPException) as error:
        referral.notice_attempts += 1
        referral.notice_error = type(error).__name__
        _record(session)
        return False
    referral.notice_attempts += 1
    referral.notice_sent_at = datetime.now(timezone.utc)
    referral.notice_error = None
    return _record(session)


def _record(session: Session) -> bool:
    # The referral is committed before this: a database that fails now (PostgreSQL restarting)
    # must not turn her "sent" into an error page. The notice then stays pending, and
    # `referrals send-notices` sends it (perhaps a second time, never not at all).
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logging.getLogger(__name__).warning("a notice's outcome could not be recorded (database error)")
        return False
    return True


def unsent(session: Session) -> list[Referral]:
    return list(session.scalars(select(Referral).where(Referral.notice_sent_at.is_(None))
                                .order_by(Referral.id)))


def send_pending(session: Session, config: dict) -> tuple[int, int]:
    """Retry every notice not yet sent. Returns (sent, still failing)."""
    sent = failed = 0
    for referral in unsent(session):
        if notify(session, config, referral):
            sent += 1
        else:
            failed += 1
    return sent, failed
