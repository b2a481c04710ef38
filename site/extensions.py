"""Flask extensions, created here and bound to the app in create_app.

Talisman is not here: it keeps its settings on the instance, so each app gets its own (security/headers.py).
"""
import hashlib
import hmac
import ipaddress
import logging

from flask import current_app, has_app_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf import CSRFProtect

from .security.crypto import derive_key


def client_network(address: str | None) -> str:
    """What one client is: its IPv4 address, or its IPv6 /64 (one household or phone is given a
    whole /64, and can pick a new address in it for every request)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def derived_key(purpose: str) -> bytes:
    """This app's key for one purpose (see security.crypto.PURPOSES), derived from SECRET_KEY."""
    return derive_key(current_app.config["SECRET_KEY"], purpose)


def client_key() -> str:
    """The client address as an HMAC: enough to count requests, useless to identify anyone."""
    return hmac.new(derived_key("client-address"), client_network(request.remote_addr).encode(),
                    hashlib.sha256).hexdigest()


babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_key, default_limits=[])


@limiter.request_filter
def _reading_is_never_limited() -> bool:
    # Only sending a form is limited; skipping the check for reads keeps every page fast.
    return request.method in ("GET", "HEAD", "OPTIONS")


class _ToAppLog(logging.Handler):
    """Flask-Limiter's own warnings (Redis unreachable, so limits fall back to each process's memory;
    once per outage, not per request) go out through the app's log, where Haven's other lines go:
    the library's logger writes nowhere by itself."""

    def emit(self, record: logging.LogRecord) -> None:
        if has_app_context():
            current_app.logger.handle(record)


_limiter_log = logging.getLogger("flask-limiter")
_limiter_log.addHandler(_ToAppLog(logging.WARNING))
_limiter_log.propagate = False  # the app's log reaches the root logger itself: once is enough
