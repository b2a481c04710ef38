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
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import AuditEvent, RecoveryCode, SignInAttempt, StaffSession, StaffUser
from ..security import passwords
from ..security.crypto import DecryptionError, Keyring
from . import audit

ROLES = ("caseworker", "manager", "editor", "admin")
RECOVERY_CODES = 10
# Throttling: after MAX_FAILURES_PER_ACCOUNT failures in a row for one account from one client
# (MAX_FAILURES_PER_CLIENT for one client, any account), each further attempt must wait
# 2^(failures - threshold) seconds after the last failure, up to MAX_WAIT. Attempts during the wait
# are refused with the normal message and do not count (see required_wait).
THROTTLE_WINDOW = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=24)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CLIENT = 20
MAX_WAIT = timedelta(minutes=15)
PRIVILEGED_ROLES = ("caseworker", "manager")  # roles that read referrals: their grants are shown to managers


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
    _record_grants(session, user, set(), actor=actor)
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


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step (one either side of now, for clock drift) whose code this is, if later than `after`."""
    totp = pyotp.TOTP(secret)
    code = ascii_digits(code)
    if code is None or len(code) != totp.digits:
        return None
    for offset in (-1, 0, 1):
        step = int(now.timestamp()) // totp.interval + offset
        if after is not None and step <= after:
            continue  # that code, or an older one, was used already
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def _accept_totp(session: Session, user: StaffUser, secret: str, code: str, now: datetime) -> bool:
    step = _matching_step(secret, code, now, user.totp_last_step)
    if step is None:
        return False
    # The in-memory totp_last_step may be stale (a second request read the row before the first
    # wrote it): the database decides, in one conditional UPDATE, which request used the step.
    used = session.execute(
        update(StaffUser).where(StaffUser.id == user.id,
                                or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def _new_recovery_codes(session: Session, user: StaffUser) -> list[str]:
    # 80 random bits each: too many to guess even offline, so a plain SHA-256 is enough to store them.
    codes = ["-".join(textwrap.wrap(secrets.token_hex(10), 5)) for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=token_hash(c)) for c in codes)
    return codes


def complete_setup(session: Session, keyring: Keyring, user: StaffUser, password: str, code: str,
                   now: datetime | None = None) -> list[str]:
    """Set the password and confirm the second factor. Returns the recovery codes, shown once."""
    now = now or utcnow()
    reason = passwords.problem(password)
    if reason:
        raise AccountError(reason)
    if not _accept_totp(session, user, totp_secret(keyring, user), code, now):
        raise AccountError("That code is not right. Enter the current code from your app")
    user.password_hash = passwords.hash_password(password)
    user.setup_token_hash = None
    user.setup_expires_at = None
    codes = _new_recovery_codes(session, user)
    audit.record(session, actor=user.email, action="staff.setup_completed", record_type="staff_user",
                 record_id=str(user.id))
    session.commit()
    return codes


def _wait_after(failures: int, threshold: int) -> timedelta:
    if failures < threshold:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - threshold, 20)), MAX_WAIT)


def _failures(session: Session, since: datetime, **match) -> tuple[int, datetime | None]:
    """Failed attempts matching `match` since then, and the latest one's time."""
    conditions = [getattr(SignInAttempt, name) == value for name, value in match.items()]
    count, latest = session.execute(select(func.count(SignInAttempt.id), func.max(SignInAttempt.at)).where(
        *conditions, SignInAttempt.succeeded.is_(False), SignInAttempt.at >= since)).one()
    return count, _aware(latest)


def required_wait(session: Session, user: StaffUser | None, client_hmac: str, now: datetime) -> timedelta:
    """How much longer this client must wait before an attempt counts; zero when it may try now.

    Per client (any account): failures in the last THROTTLE_WINDOW. Per account from this client:
    failures in a row, since the account last signed in fully (a right password alone does not
    reset them, or the second factor could be guessed without end) and within FAILURE_MEMORY. Per
    account *and* client, so that someone elsewhere guessing on a timer cannot keep the person out.
    """
    checks = [(_failures(session, now - THROTTLE_WINDOW, client_hmac=client_hmac), MAX_FAILURES_PER_CLIENT)]
    if user is not None:
        since = now - FAILURE_MEMORY
        last_sign_in = _aware(session.scalar(select(func.max(StaffSession.created_at))
                                             .where(StaffSession.user_id == user.id)))
        if last_sign_in is not None and last_sign_in > since:
            since = last_sign_in
        checks.append((_failures(session, since, client_hmac=client_hmac, user_id=user.id),
                       MAX_FAILURES_PER_ACCOUNT))
    waits = [timedelta(0)]
    for (failures, latest), threshold in checks:
        if latest is not None:
            waits.append(latest + _wait_after(failures, threshold) - now)
    return max(waits)


def throttled(session: Session, user: StaffUser | None, client_hmac: str, now: datetime) -> bool:
    return required_wait(session, user, client_hmac, now) > timedelta(0)


def _note_throttled(session: Session, user: StaffUser | None, client_hmac: str, wait: timedelta) -> None:
    """One audit row per wait: the first refused attempt is recorded, the rest of that wait are not."""
    subject = (AuditEvent.record_type == "staff_user", AuditEvent.record_id == str(user.id)) if user else (
        AuditEvent.actor == "unknown", AuditEvent.client_hmac == client_hmac)
    latest = session.scalar(select(AuditEvent.action).where(
        *subject, AuditEvent.action.in_(("staff.sign_in_failed", "staff.second_factor_failed",
                                         "staff.sign_in_throttled")))
        .order_by(AuditEvent.id.desc()).limit(1))
    if latest == "staff.sign_in_throttled":
        return
    audit.record(session, actor=user.email if user else "unknown", action="staff.sign_in_throttled",
                 record_type="staff_user" if user else None, record_id=str(user.id) if user else None,
                 detail=f"attempts refused for {int(wait.total_seconds()) + 1} s; further ones in that time not logged")


@dataclass
class SignIn:
    user: StaffUser | None
    throttled: bool = False


def check_password(session: Session, email: str, password: str, client_hmac: str,
                   now: datetime | None = None) -> SignIn:
    """First step of signing in. The caller shows one message whatever went wrong, and every path
    (unknown account, throttled, wrong or right password) does one argon2 verification."""
    now = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    # What was typed is kept only when it is an account's address: people type passwords into
    # the email box, and the audit log must not keep them.
    actor = user.email if user else "unknown"
    wait = required_wait(session, user, client_hmac, now)
    if wait > timedelta(0):
        passwords.verify(None, password)  # the same work as the password path
        _note_throttled(session, user, client_hmac, wait)
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


def _unused_recovery_code(session: Session, user: StaffUser, code: str) -> RecoveryCode | None:
    return session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
        RecoveryCode.code_hash == token_hash(code.strip().lower())))


def check_second_factor(session: Session, keyring: Keyring, user: StaffUser, code: str, client_hmac: str,
                        now: datetime | None = None) -> bool:
    now = now or utcnow()
    wait = required_wait(session, user, client_hmac, now)
    if wait > timedelta(0):
        _note_throttled(session, user, client_hmac, wait)
        session.commit()
        return False
    ok = _accept_totp(session, user, totp_secret(keyring, user), code, now)
    used = "totp"
    if not ok:
        recovery = _unused_recovery_code(session, user, code)
        if recovery is not None:
            # Conditional, like the TOTP step: of two requests with one code, only one changes the row.
            spent = session.execute(
                update(RecoveryCode).where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session=False))
            if spent.rowcount == 1:
                set_committed_value(recovery, "used_at", now)
                ok, used = True, "recovery code"
    session.add(SignInAttempt(at=now, user_id=user.id, client_hmac=client_hmac, succeeded=ok))
    audit.record(session, actor=user.email, action="staff.second_factor_ok" if ok else "staff.second_factor_failed",
                 record_type="staff_user", record_id=str(user.id), detail=used if ok else None)
    session.commit()
    return ok


def start_session(session: Session, user: StaffUser, now: datetime | None = None, *,
                  replacing: str | None = None) -> str:
    """A new server-side session. `replacing`: the staff cookie this browser already held, whose
    session (anyone's) ends now, so one browser never holds two."""
    now = now or utcnow()
    if replacing:
        old = session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(replacing),
                                                        StaffSession.revoked_at.is_(None)))
        if old is not None:
            old.revoked_at = now
            audit.record(session, actor=user.email, action="staff.session_replaced", record_type="staff_user",
                         record_id=str(old.user_id))
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
    """Change someone else's roles (nobody changes their own: separation of duties). Each grant of a
    role that reads referrals gets its own audit row, which managers see on staff home."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise AccountError(f"roles must be among {', '.join(ROLES)}")
    if normalise_email(actor) == user.email:
        raise AccountError("You cannot change your own roles. Ask another administrator.")
    before = user.roles
    user.roles = ",".join(sorted(set(roles)))
    audit.record(session, actor=actor, action="staff.roles_changed", record_type="staff_user",
                 record_id=str(user.id), detail=f"{before} -> {user.roles}")
    _record_grants(session, user, set(filter(None, before.split(","))), actor=actor)
    session.commit()


def _record_grants(session: Session, user: StaffUser, before: set[str], *, actor: str) -> None:
    for role in PRIVILEGED_ROLES:
        if role in user.role_set and role not in before:
            audit.record(session, actor=actor, action="staff.role_granted", record_type="staff_user",
                         record_id=str(user.id), detail=role)


@dataclass
class Grant:
    at: datetime
    by: str
    role: str
    to: str


def recent_grants(session: Session, limit: int = 10) -> list[Grant]:
    """The latest grants of caseworker or manager, from the audit log: who gave which role to whom, when."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.role_granted")
                             .order_by(AuditEvent.id.desc()).limit(limit)).all()
    ids = {int(e.record_id) for e in events if e.record_id and e.record_id.isdigit()}
    emails = {row.id: row.email for row in session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids)))} if ids else {}
    return [Grant(at=_aware(e.at), by=e.actor, role=e.detail or "",
                  to=emails.get(int(e.record_id), f"account {e.record_id}") if e.record_id and e.record_id.isdigit()
                  else "unknown") for e in events]


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


# --- self-service: the signed-in person's own password, authenticator, recovery codes, sessions ----

WRONG_PASSWORD = "Your current password is not right"


def _reauthenticate(session: Session, user: StaffUser, password: str, client_hmac: str, now: datetime) -> None:
    """The current password, throttled and counted like a sign-in (an unattended signed-in browser
    must not become a way to guess it). Raises AccountError with one message."""
    wait = required_wait(session, user, client_hmac, now)
    if wait > timedelta(0):
        passwords.verify(None, password)
        _note_throttled(session, user, client_hmac, wait)
        session.commit()
        raise AccountError(WRONG_PASSWORD)
    if not passwords.verify(user.password_hash, password):
        session.add(SignInAttempt(at=now, user_id=user.id, client_hmac=client_hmac, succeeded=False))
        audit.record(session, actor=user.email, action="staff.reauthentication_failed", record_type="staff_user",
                     record_id=str(user.id))
        session.commit()
        raise AccountError(WRONG_PASSWORD)


def end_other_sessions(session: Session, user: StaffUser, keep_token: str | None, now: datetime) -> int:
    keep = token_hash(keep_token) if keep_token else None
    ended = 0
    for record in session.scalars(select(StaffSession).where(StaffSession.user_id == user.id,
                                                             StaffSession.revoked_at.is_(None))):
        if record.token_hash != keep:
            record.revoked_at = now
            ended += 1
    return ended


def change_password(session: Session, user: StaffUser, current: str, new: str, *, client_hmac: str,
                    keep_token: str | None, now: datetime | None = None) -> None:
    """Needs the current password; ends every other session of the person (ASVS 7.4.3)."""
    now = now or utcnow()
    _reauthenticate(session, user, current, client_hmac, now)
    reason = passwords.problem(new)
    if reason:
        raise AccountError(reason)
    if new == current:
        raise AccountError("Choose a password different from your current one")
    user.password_hash = passwords.hash_password(new)
    ended = end_other_sessions(session, user, keep_token, now)
    audit.record(session, actor=user.email, action="staff.password_changed", record_type="staff_user",
                 record_id=str(user.id), detail=f"other sessions ended={ended}")
    session.commit()


def pending_secret(keyring: Keyring, user: StaffUser, sealed: str | None) -> tuple[str, str]:
    """A new authenticator secret being enrolled, kept sealed (encrypted, bound to the account) in
    the browser's session until proved: (secret, sealed)."""
    if sealed:
        try:
            return keyring.decrypt(sealed, table="staff_user", column="pending_totp", row=str(user.id)), sealed
        except (DecryptionError, ValueError):  # sealed for another account, or under a key no longer configured
            pass
    secret = pyotp.random_base32()
    return secret, keyring.encrypt(secret, table="staff_user", column="pending_totp", row=str(user.id))


def reenrol_authenticator(session: Session, keyring: Keyring, user: StaffUser, password: str, secret: str,
                          code: str, *, client_hmac: str, keep_token: str | None,
                          now: datetime | None = None) -> None:
    """Replace the authenticator: needs the current password and a code from the new secret; ends
    every other session of the person."""
    now = now or utcnow()
    _reauthenticate(session, user, password, client_hmac, now)
    step = _matching_step(secret, code, now, None)
    if step is None:
        session.add(SignInAttempt(at=now, user_id=user.id, client_hmac=client_hmac, succeeded=False))
        session.commit()
        raise AccountError("That code is not right. Enter the current code from your app")
    user.totp_secret_enc = keyring.encrypt(secret, table="staff_user", column="totp_secret_enc", row=str(user.id))
    # The code just typed must not sign anyone in; nor may any code older than one already used.
    user.totp_last_step = max(step, user.totp_last_step or step)
    ended = end_other_sessions(session, user, keep_token, now)
    audit.record(session, actor=user.email, action="staff.authenticator_changed", record_type="staff_user",
                 record_id=str(user.id), detail=f"other sessions ended={ended}")
    session.commit()


def replace_recovery_codes(session: Session, user: StaffUser, password: str, *, client_hmac: str,
                           now: datetime | None = None) -> list[str]:
    """New recovery codes, shown once; every old one, used or not, stops working."""
    now = now or utcnow()
    _reauthenticate(session, user, password, client_hmac, now)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = _new_recovery_codes(session, user)
    audit.record(session, actor=user.email, action="staff.recovery_codes_replaced", record_type="staff_user",
                 record_id=str(user.id))
    session.commit()
    return codes


def session_id_for(session: Session, token: str | None) -> int | None:
    if not token:
        return None
    return session.scalar(select(StaffSession.id).where(StaffSession.token_hash == token_hash(token)))
