"""Repeat referrals: keyed hashes of a phone number and an email address, compared in SQL.

HMAC-SHA256 under the match key (HAVEN_MATCH_KEY), kept apart from SECRET_KEY and the data keys:
rotating either of those must not lose the link between a new referral and an earlier one, and a
copy of the database without the match key cannot test a guessed number against the hashes.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select

from ..models import Referral

# A referral is a repeat when an earlier one from the same phone or email came within this time.
REPEAT_WITHIN = timedelta(days=365)


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def phone_hash(key: bytes, phone: str | None) -> str | None:
    # The form stores every UK number as +44...; spaces are dropped for older rows.
    return _digest(key, "phone", "".join(phone.split())) if phone else None


def email_hash(key: bytes, email: str | None) -> str | None:
    return _digest(key, "email", email.strip().lower()) if email else None


def earlier_match(*, route: str, phone_match: str | None, email_match: str | None, before: datetime) -> Select | None:
    """The query for the id of the most recent referral by the same route within REPEAT_WITHIN
    sharing either hash (None when there is no hash to match). A query, not its answer: intake
    asks it in the same round trip as its other questions (services/referrals.py).

    Only like with like: a concern's number is the reporter's, not the person at risk's, so a
    self-referral never matches a concern."""
    hashes = [clause for clause in (Referral.phone_match == phone_match if phone_match else None,
                                    Referral.email_match == email_match if email_match else None)
              if clause is not None]
    if not hashes:
        return None
    # Its id only: intake runs this on every Send, and the whole row is dozens of columns.
    return select(Referral.id).where(
        or_(*hashes), Referral.route == route, Referral.created_at >= before - REPEAT_WITHIN,
        Referral.created_at <= before).order_by(Referral.created_at.desc()).limit(1)
