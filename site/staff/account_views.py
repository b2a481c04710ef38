"""Self-service for the signed-in person: password, authenticator, recovery codes, own sessions.
Each change needs the current password, is audited, and (password, authenticator) ends the
person's other sessions."""
from __future__ import annotations

import segno
from flask import abort, current_app, redirect, render_template, request, session, url_for
from markupsafe import Markup

from .. import access, db
from ..extensions import client_key
from ..services import staff
from .forms import PasswordChangeForm, RecoveryCodesForm, ReenrolForm
from .views import bp

DONE = {
    "password": "Your password has been changed. Your other sessions have ended.",
    "authenticator": "Your authenticator app has been changed. Your other sessions have ended.",
    "session": "That session has ended.",
}
PENDING_KEY = "pending_totp"


def _token() -> str | None:
    return request.cookies.get(access.cookie_name())


def _refuse(form, field, message: str) -> None:
    """Show a service's refusal against the field it concerns (inline and in the error summary)."""
    field.errors = list(field.errors) + [message]


@bp.get("/account")
@access.signed_in
def my_account():
    user = access.current_user()
    database = db.session()
    return render_template("staff/my_account.html", user=user, sessions=staff.sessions_of(database, user),
                           current_id=staff.session_id_for(database, _token()),
                           done=DONE.get(request.args.get("done", "")))


@bp.post("/account/sessions/<int:session_id>/end")
@access.signed_in
def end_my_session(session_id):
    user = access.current_user()
    if session_id == staff.session_id_for(db.session(), _token()):
        abort(400)  # this browser's own session ends with Sign out
    if not staff.revoke_session(db.session(), user, session_id, actor=user.email):
        abort(404)
    return redirect(url_for("staff.my_account", done="session"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@access.signed_in
def change_password():
    user = access.current_user()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            staff.change_password(db.session(), user, form.current_password.data, form.new_password.data,
                                  client_hmac=client_key(), keep_token=_token())
        except staff.AccountError as error:
            wrong = str(error) == staff.WRONG_PASSWORD
            _refuse(form, form.current_password if wrong else form.new_password, str(error))
        else:
            return redirect(url_for("staff.my_account", done="password"), 303)
    return render_template("staff/change_password.html", form=form), 400 if form.errors else 200


@bp.route("/account/authenticator", methods=["GET", "POST"])
@access.signed_in
def reenrol():
    user = access.current_user()
    keyring = current_app.extensions["haven_keyring"]
    secret, sealed = staff.pending_secret(keyring, user, session.get(PENDING_KEY))
    session[PENDING_KEY] = sealed
    form = ReenrolForm()
    if form.validate_on_submit():
        try:
            staff.reenrol_authenticator(db.session(), keyring, user, form.current_password.data, secret,
                                        form.code.data, client_hmac=client_key(), keep_token=_token())
        except staff.AccountError as error:
            wrong = str(error) == staff.WRONG_PASSWORD
            _refuse(form, form.current_password if wrong else form.code, str(error))
        else:
            session.pop(PENDING_KEY, None)
            return redirect(url_for("staff.my_account", done="authenticator"), 303)
    qr = Markup(segno.make(staff.provisioning_uri(secret, user.email), error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app"))
    return render_template("staff/reenrol.html", form=form, qr=qr, secret=secret), 400 if form.errors else 200


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@access.signed_in
def new_recovery_codes():
    user = access.current_user()
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            codes = staff.replace_recovery_codes(db.session(), user, form.current_password.data,
                                                 client_hmac=client_key())
        except staff.AccountError as error:
            _refuse(form, form.current_password, str(error))
        else:
            return render_template("staff/recovery_codes.html", codes=codes, replaced=True)
    return render_template("staff/new_recovery_codes.html", form=form), 400 if form.errors else 200
