"""The steps around a submission that are not the form's business: the form's one signed stamp
(a one-time token and the time the form was shown, bound together), the minimum fill time, and
its maximum age.

The stamp is what makes one page load one referral: a double click or a resend carries the same
token, and the database keeps one row per token. Signing the token with the time means a stamp
cannot be made up, cannot be reused once old, and says truly when the form was shown.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer

# A form may stay open a long time while someone waits for a safe moment to send it; a day is
# long enough for that and short enough that a stamp kept by a script soon stops working.
MAX_AGE_SECONDS = 24 * 3600
# Clocks of several servers disagree a little; a stamp from the future beyond this is forged.
CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True)
class Stamp:
    token: str
    started: int


def _signer(secret_key: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="haven-form-stamp")


def issue(secret_key: str | bytes, token: str | None = None, now: float | None = None) -> str:
    """A new stamp: a fresh token, or the same one again when a form is shown again."""
    return _signer(secret_key).dumps([token or secrets.token_hex(16), int(now if now is not None else time.time())])


def read(secret_key: str | bytes, value: str | None, now: float | None = None) -> Stamp | None:
    """The stamp, or None when the server never issued it or it is too old."""
    try:
        token, started = _signer(secret_key).loads(value or "")
    except (BadData, TypeError, ValueError):
        return None
    if not (isinstance(token, str) and len(token) == 32 and isinstance(started, int)):
        return None
    now = now if now is not None else time.time()
    if now - started > MAX_AGE_SECONDS or started - now > CLOCK_SKEW_SECONDS:
        return None
    return Stamp(token=token, started=started)


def filled_too_fast(stamp: Stamp, minimum_seconds: int, now: float | None = None) -> bool:
    """True when the form came back sooner than a person could fill it."""
    return minimum_seconds > 0 and (now if now is not None else time.time()) - stamp.started < minimum_seconds
