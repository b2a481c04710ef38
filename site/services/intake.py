"""The steps around a submission that are not the form's business: the one-time token, the
minimum fill time, and keeping the person's answers safe when the save fails."""
from __future__ import annotations

import re
import secrets
import time

from itsdangerous import BadSignature, URLSafeSerializer

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_token() -> str:
    return secrets.token_hex(16)


def valid_token(token: str | None) -> bool:
    return bool(token and _TOKEN.match(token))


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="haven-form-started")


def started_stamp(secret_key: str, now: float | None = None) -> str:
    return _signer(secret_key).dumps(int(now if now is not None else time.time()))


def filled_too_fast(secret_key: str, stamp: str | None, minimum_seconds: int,
                    now: float | None = None) -> bool:
    """True when the form came back sooner than a person could fill it, or the stamp is forged."""
    if minimum_seconds <= 0:
        return False
    try:
        started = _signer(secret_key).loads(stamp or "")
    except BadSignature:
        return True
    return (now if now is not None else time.time()) - started < minimum_seconds
