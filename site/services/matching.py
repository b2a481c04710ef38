"""Repeat referrals: keyed hashes of a phone number and an email address, compared in SQL.

HMAC-SHA256 under the match key (HAVEN_MATCH_KEY), kept apart from SECRET_KEY and the data keys:
rotating either of those must not lose the link between a new referral and an earlier one, and a
copy of the database without the match key cannot test a guessed number against the hashes.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select

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


# The id of the most recent referral by the same route within REPEAT_WITHIN sharing either hash.
# Only like with like: a concern's number is the reporter's, not the person at risk's, so a
# self-referral never matches a concern. A hash she did not give is NULL, and NULL equals nothing.
# Built once, with its values bound at each Send (earlier_match_values): intake runs it on every
# Send, in the same round trip as its other questions (services/referrals.py), and building a
# statement afresh costs more than running it. Its id only: the whole row is dozens of columns.
EARLIER_MATCH = select(Referral.id).where(
    or_(Referral.phone_match == bindparam("match_phone"), Referral.email_match == bindparam("match_email")),
    Referral.route == bindparam("match_route"), Referral.created_at >= bindparam("match_since"),
    Referral.created_at <= bindparam("match_before"),
).order_by(Referral.created_at.desc()).limit(1)


def earlier_match_values(*, route: str, phone_match: str | None, email_match: str | None,
                         before: datetime) -> dict:
    return {"match_phone": phone_match, "match_email": email_match, "match_route": route,
            "match_since": before - REPEAT_WITHIN, "match_before": before}
