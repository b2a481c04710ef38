"""Who is signed in, and one guard per permission. staff/ and editor/ both use these, so neither
blueprint imports the other."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from . import db
from .services import staff

PERMISSIONS = {
    "read_referrals": {"caseworker", "manager"},
    "assign_referrals": {"manager"},
    "read_reports": {"manager"},
    "edit_listings": {"editor"},
    "manage_accounts": {"admin"},
}


def cookie_name() -> str:
    # __Host- makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
    return "__Host-haven_staff" if current_app.config["PRODUCTION"] else "haven_staff"


def current_user():
    if "staff_user" not in g:
        config = current_app.config
        g.staff_user = staff.resume(db.session(), request.cookies.get(cookie_name()),
                                    idle=timedelta(minutes=config["STAFF_IDLE_MINUTES"]),
                                    absolute=timedelta(hours=config["STAFF_ABSOLUTE_HOURS"]))
    return g.staff_user


def can(permission: str) -> bool:
    user = current_user()
    return bool(user and user.role_set & PERMISSIONS[permission])


def _guard(permission: str | None):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if current_user() is None:
                if request.method == "GET" and request.path.startswith("/staff/referrals/"):
                    # The notice's link: back to that referral after signing in. Kept in the
                    # signed session cookie, not in a ?next= that proxies would log.
                    session["after_sign_in"] = request.path
                return redirect(url_for("staff.sign_in"), 303)
            if permission and not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.haven_permission = permission or "signed_in"
        return wrapper

    return decorator


signed_in = _guard(None)
read_referrals = _guard("read_referrals")
assign_referrals = _guard("assign_referrals")
read_reports = _guard("read_reports")
edit_listings = _guard("edit_listings")
manage_accounts = _guard("manage_accounts")


def commits(key: str) -> bool:
    """Whether the running organisation's policy makes this commitment (content/profiles/)."""
    return current_app.extensions["haven_profile"].commitments.makes(key)


def needs_commitment(key: str):
    """For a staff feature that exists only to keep one commitment (the emergency-transfer clock,
    evidence photos, action against the person causing harm): without the commitment it is not
    there at all, a 404 like any page that does not exist."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not commits(key):
                abort(404)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def after_sign_in() -> str:
    """Where a completed sign-in goes: the referral whose link started it, or staff home."""
    target = session.get("after_sign_in") or ""
    return target if target.startswith("/staff/referrals/") and "//" not in target else url_for("staff.home")


def set_session_cookie(response, token: str) -> None:
    response.set_cookie(cookie_name(), token, httponly=True, samesite="Strict", path="/",
                        secure=current_app.config["PRODUCTION"])


def clear_session_cookie(response) -> None:
    response.delete_cookie(cookie_name(), path="/", httponly=True, samesite="Strict",
                           secure=current_app.config["PRODUCTION"])


def init_app(app) -> None:
    @app.context_processor
    def _signed_in_user():
        # Only staff pages show who is signed in; public pages never look at the staff cookie.
        if not request.path.startswith(("/staff", "/editor")):
            return {}
        return {"signed_in_user": current_user(), "commits": commits}
