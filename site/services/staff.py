"""Staff accounts: set-up links, passwords, the second factor, throttling and server-side sessions.

Every function takes `now`, so tests move the clock instead of waiting.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import RecoveryCode, SignInAttempt, StaffSession, StaffUser
from ..security import passwords
from ..security.crypto import Keyring
from . import audit

ROLES = ("caseworker", "manager", "editor", "admin")
RECOVERY_CODES = 10
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CLIENT = 20


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time Haven stores is UTC.
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountError(ValueError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_account(session: Session, email: str, roles: list[str], *, actor: str, link_hours: int,
                   now: datetime | None = None) -> tuple[StaffUser, str]:
    """A new account with no password yet, and the one-time set-up token for its link."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("enter a valid email address")
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise AccountError(f"roles must be among {', '.join(ROLES)}")
    if session.scalar(select(StaffUser).where(StaffUser.email == email)):
        raise AccountError("an account with that email already exists")
    token = secrets.token_urlsafe(32)
    user = StaffUser(email=email, roles=",".join(sorted(set(roles))), active=True,
                     setup_token_hash=token_hash(token),
                     setup_expires_at=(now or utcnow()) + timedelta(hours=link_hours))
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="staff.created", record_type="staff_user",
                 record_id=str(user.id), detail=f"roles={user.roles}")
    session.commit()
    return user, token


def user_for_setup(session: Session, token: str, now: datetime | None = None) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.setup_token_hash == token_hash(token)))
    if user is None or not user.active or _aware(user.setup_expires_at) < (now or utcnow()):
        return None
    return user


def totp_secret(keyring: Keyring, user: StaffUser) -> str:
    return keyring.decrypt(user.totp_secret_enc, table="staff_user", column="totp_secret_enc", row=str(user.id))


def begin_enrolment(session: Session, keyring: Keyring, user: StaffUser) -> str:
    """The secret the person adds to their authenticator app (kept encrypted until they prove it)."""
    if user.totp_secret_enc is None:
        user.totp_secret_enc = keyring.encrypt(pyotp.random_base32(), table="staff_user",
                                               column="totp_secret_enc", row=str(user.id))
        session.commit()
    return totp_secret(keyring, user)


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Haven")


def ascii_digits(code: str) -> str | None:
    """The code as ASCII digits, whatever digits a phone's keyboard typed (Arabic-Indic, say);
    None when it holds anything else."""
    digits = []
    for char in code:
        if char.isspace():
            continue
        value = unicodedata.digit(char, None) if char.isdecimal() else None
        if value is None:
            return None
        digits.append(str(value))
    return "".join(digits)


def _accept_totp(user: StaffUser, secret: str, code: str, now: datetime) -> bool:
    totp = pyotp.TOTP(secret)
    code = ascii_digits(code)
    if code is None or len(code) != totp.digits:
        return False
    for offset in (-1, 0, 1):  # one step of clock drift either way
        step = int(now.timestamp()) // totp.interval + offset
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue  # that code, or an older one, was used already
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            user.totp_last_step = step
            return True
    return False


def complete_setup(session: Session, keyring: Keyring, user: StaffUser, password: str, code: str,
                   now: datetime | None = None) -> list[str]:
    """Set the password and confirm the second factor. Returns the recovery codes, shown once."""
    now = now or utcnow()
    reason = passwords.problem(password)
    if reason:
        raise AccountError(reason)
    if not _accept_totp(user, totp_secret(keyring, user), code, now):
        raise AccountError("That code is not right. Enter the current code from your app")
    user.password_hash = passwords.hash_password(password)
    user.setup_token_hash = None
    user.setup_expires_at = None
    # 80 random bits each: too many to guess even offline, so a plain SHA-256 is enough to store them.
    codes = ["-".join(textwrap.wrap(secrets.token_hex(10), 5)) for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=token_hash(c)) for c in codes)
    audit.record(session, actor=user.email, action="staff.setup_completed", record_type="staff_user",
                 record_id=str(user.id))
    session.commit()
    return codes


def throttled(session: Session, user: StaffUser | None, client_hmac: str, now: datetime) -> bool:
    since = now - THROTTLE_WINDOW
    failures = select(func.count(SignInAttempt.id)).where(SignInAttempt.succeeded.is_(False),
                                                          SignInAttempt.at >= since)
    by_client = session.scalar(failures.where(SignInAttempt.client_hmac == client_hmac))
    by_account = session.scalar(failures.where(SignInAttempt.user_id == user.id)) if user else 0
    return by_client >= MAX_FAILURES_PER_CLIENT or by_account >= MAX_FAILURES_PER_ACCOUNT


@dataclass
class SignIn:
    user: StaffUser | None
    throttled: bool = False


def check_password(session: Session, email: str, password: str, client_hmac: str,
                   now: datetime | None = None) -> SignIn:
    """First step of signing in. The caller shows one message whatever went wrong."""
    now = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    # What was typed is kept only when it is an account's address: people type passwords into
    # the email box, and the audit log must not keep them.
    actor = user.email if user else "unknown"
    if throttled(session, user, client_hmac, now):
        audit.record(session, actor=actor, action="staff.sign_in_throttled")
        session.commit()
        return SignIn(None, throttled=True)
    ok = passwords.verify(user.password_hash if user else None, password) and user is not None and user.ready
    session.add(SignInAttempt(at=now, user_id=user.id if user else None, client_hmac=client_hmac, succeeded=ok))
    audit.record(session, actor=actor,
                 action="staff.password_ok" if ok else "staff.sign_in_failed",
                 record_type="staff_user" if user else None, record_id=str(user.id) if user else None)
    if ok and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.commit()
    return SignIn(user if ok else None)


def check_second_factor(session: Session, keyring: Keyring, user: StaffUser, code: str, client_hmac: str,
                        now: datetime | None = None) -> bool:
    now = now or utcnow()
    if throttled(session, user, client_hmac, now):
        return False
    ok = _accept_totp(user, totp_secret(keyring, user), code, now)
    used = "totp"
    if not ok:
        recovery = session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
            RecoveryCode.code_hash == token_hash(code.strip().lower())))
        if recovery is not None:
            recovery.used_at = now
            ok, used = True, "recovery code"
    session.add(SignInAttempt(at=now, user_id=user.id, client_hmac=client_hmac, succeeded=ok))
    audit.record(session, actor=user.email, action="staff.second_factor_ok" if ok else "staff.second_factor_failed",
                 record_type="staff_user", record_id=str(user.id), detail=used if ok else None)
    session.commit()
    return ok


def start_session(session: Session, user: StaffUser, now: datetime | None = None) -> str:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    audit.record(session, actor=user.email, action="staff.signed_in", record_type="staff_user",
                 record_id=str(user.id))
    session.commit()
    return token


def resume(session: Session, token: str | None, *, idle: timedelta, absolute: timedelta,
           now: datetime | None = None) -> StaffUser | None:
    """The signed-in person for this cookie, or None when it is unknown, revoked or timed out."""
    if not token:
        return None
    now = now or utcnow()
    record = session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if record is None or record.revoked_at is not None:
        return None
    user = session.get(StaffUser, record.user_id)
    if (user is None or not user.active or now - _aware(record.last_seen_at) > idle
            or now - _aware(record.created_at) > absolute):
        record.revoked_at = record.revoked_at or now
        session.commit()
        return None
    record.last_seen_at = now
    session.commit()
    return user


def end_session(session: Session, token: str | None, now: datetime | None = None) -> None:
    if not token:
        return
    record = session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if record is not None and record.revoked_at is None:
        record.revoked_at = now or utcnow()
        user = session.get(StaffUser, record.user_id)
        audit.record(session, actor=user.email if user else "unknown", action="staff.signed_out",
                     record_type="staff_user", record_id=str(record.user_id))
        session.commit()


def set_roles(session: Session, user: StaffUser, roles: list[str], *, actor: str) -> None:
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise AccountError(f"roles must be among {', '.join(ROLES)}")
    before = user.roles
    user.roles = ",".join(sorted(set(roles)))
    audit.record(session, actor=actor, action="staff.roles_changed", record_type="staff_user",
                 record_id=str(user.id), detail=f"{before} -> {user.roles}")
    session.commit()


def set_active(session: Session, user: StaffUser, active: bool, *, actor: str, now: datetime | None = None) -> None:
    user.active = active
    if not active:
        for record in session.scalars(select(StaffSession).where(StaffSession.user_id == user.id,
                                                                 StaffSession.revoked_at.is_(None))):
            record.revoked_at = now or utcnow()
    audit.record(session, actor=actor, action="staff.enabled" if active else "staff.disabled",
                 record_type="staff_user", record_id=str(user.id))
    session.commit()


def sessions_of(session: Session, user: StaffUser) -> list[StaffSession]:
    return list(session.scalars(select(StaffSession).where(StaffSession.user_id == user.id)
                                .order_by(StaffSession.id.desc()).limit(50)))


def revoke_session(session: Session, user: StaffUser, session_id: int, *, actor: str,
                   now: datetime | None = None) -> bool:
    record = session.scalar(select(StaffSession).where(StaffSession.id == session_id,
                                                       StaffSession.user_id == user.id))
    if record is None:
        return False
    if record.revoked_at is None:
        record.revoked_at = now or utcnow()
        audit.record(session, actor=actor, action="staff.session_ended", record_type="staff_user",
                     record_id=str(user.id))
        session.commit()
    return True
