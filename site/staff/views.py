from __future__ import annotations

from datetime import datetime, timezone

import segno
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from markupsafe import Markup

from .. import access, db
from ..extensions import client_key
from ..models import StaffUser
from ..services import inbox, staff, targets
from .forms import CodeForm, SetupForm, SignInForm

bp = Blueprint("staff", __name__, url_prefix="/staff")

PENDING_SECONDS = 300
GENERIC_FAILURE = "The email address or password is not right, or the account cannot sign in now."


@bp.after_request
def _not_for_search_engines(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    failure = None
    if form.validate_on_submit():
        result = staff.check_password(db.session(), form.email.data, form.password.data, client_key())
        if result.user is not None:
            after = session.get("after_sign_in")
            session.clear()
            if after:
                session["after_sign_in"] = after
            session["pending_staff"] = result.user.id
            session["pending_at"] = datetime.now(timezone.utc).timestamp()
            return redirect(url_for("staff.second_factor"), 303)
        failure = GENERIC_FAILURE
    return render_template("staff/sign_in.html", form=form, failure=failure)


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor():
    user_id, started = session.get("pending_staff"), session.get("pending_at", 0)
    if not user_id or datetime.now(timezone.utc).timestamp() - started > PENDING_SECONDS:
        if user_id:
            session.clear()
        return redirect(url_for("staff.sign_in"), 303)
    user = db.session().get(StaffUser, user_id)
    form = CodeForm()
    failure = None
    if form.validate_on_submit():
        keyring = current_app.extensions["haven_keyring"]
        if user is not None and staff.check_second_factor(db.session(), keyring, user, form.code.data, client_key()):
            destination = access.after_sign_in()
            session.clear()
            response = redirect(destination, 303)
            # Any staff session already in this browser (this person's or someone else's) ends now.
            token = staff.start_session(db.session(), user, replacing=request.cookies.get(access.cookie_name()))
            access.set_session_cookie(response, token)
            return response
        failure = "That code is not right, or it was used already. Enter the current code from your app."
    return render_template("staff/code.html", form=form, failure=failure)


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token):
    database = db.session()
    user = staff.user_for_setup(database, token)
    if user is None:
        return render_template("staff/setup_expired.html"), 404
    keyring = current_app.extensions["haven_keyring"]
    secret = staff.begin_enrolment(database, keyring, user)
    form = SetupForm()
    failure = None
    if form.validate_on_submit():
        try:
            codes = staff.complete_setup(database, keyring, user, form.password.data, form.code.data)
        except staff.AccountError as error:
            failure = str(error)
        else:
            return render_template("staff/recovery_codes.html", codes=codes)
    qr = Markup(segno.make(staff.provisioning_uri(secret, user.email), error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app"))
    return render_template("staff/setup.html", form=form, failure=failure, qr=qr, secret=secret, email=user.email)


@bp.post("/sign-out")
@access.signed_in
def sign_out():
    staff.end_session(db.session(), request.cookies.get(access.cookie_name()))
    session.clear()
    response = redirect(url_for("staff.sign_in"), 303)
    access.clear_session_cookie(response)
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    return response


@bp.get("/")
@access.signed_in
def home():
    session, user = db.session(), access.current_user()
    grants = staff.recent_grants(session) if access.can("assign_referrals") else None
    counts = inbox.counts(session, user.id, targets.now()) if access.can("read_referrals") else None
    return render_template("staff/home.html", user=user, can=access.can, grants=grants, counts=counts)
