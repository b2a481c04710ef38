"""Every security header Haven sends, in one place.

Talisman sets the CSP and the classic headers; the after_request below adds what Talisman does not
(no-store, the cross-origin isolation headers). Both apply to every response, errors included.
"""
from __future__ import annotations

from flask import g
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

PERMISSIONS_POLICY = {
    "geolocation": "()",
    "camera": "()",
    "microphone": "()",
    "interest-cohort": "()",
}


def send_no_referrer() -> None:
    """For this response only, tell the browser to send no Referer at all (the quick exit)."""
    g.referrer_policy = "no-referrer"


def send_as_sandboxed_file() -> None:
    """For this response only (a downloaded evidence file): CSP `sandbox`, so that even a browser
    that shows the file instead of saving it runs nothing of it, in no origin of Haven's."""
    g.content_security_policy = "sandbox"


def served_over_plain_http(view):
    """For a view that a load balancer polls over the private network (/healthz), which carries
    nothing but a word: no redirect to HTTPS, even in production."""
    view.talisman_view_options = {"force_https": False}
    return view


def init_app(app) -> None:
    production = app.config["PRODUCTION"]

    # Registered before Talisman so that it runs after Talisman's hook (Flask runs them in reverse).
    @app.after_request
    def _no_store(response):
        # Nothing Haven serves may stay in a shared device's cache, not even the CSS: its presence
        # alone would show the site was visited.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if "referrer_policy" in g:
            response.headers["Referrer-Policy"] = g.referrer_policy
        if "content_security_policy" in g:
            response.headers["Content-Security-Policy"] = g.content_security_policy
        return response

    # One Talisman per app: its settings live on the instance, so a shared one would let a second
    # app (a test's production app, say) change the first one's headers.
    app.extensions["talisman"] = Talisman(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        feature_policy={},
        document_policy={},
        # Same-origin, not no-referrer: Flask-WTF's CSRF check over HTTPS needs a same-origin Referer.
        referrer_policy="same-origin",
        frame_options="DENY",
        force_https=production,
        strict_transport_security=production,
        strict_transport_security_max_age=365 * 24 * 3600,
        strict_transport_security_include_subdomains=True,
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )
