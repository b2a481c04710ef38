"""Flask extensions, created here and bound to the app in create_app.

Talisman is not here: it keeps its settings on the instance, so each app gets its own (security/headers.py).
"""
import hashlib
import hmac
import ipaddress

from flask import current_app, request
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
