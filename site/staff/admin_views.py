"""Account administration and the audit log: the admin role only, every change audited."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import access, db
from ..models import StaffUser
from ..services import audit, staff
from .forms import AccountForm, RolesForm
from .views import bp


def _account(user_id: int) -> StaffUser:
    user = db.session().get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/accounts")
@access.manage_accounts
def accounts():
    users = db.session().scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("staff/accounts.html", users=users)


@bp.route("/accounts/new", methods=["GET", "POST"])
@access.manage_accounts
def new_account():
    form = AccountForm()
    failure = None
    if form.validate_on_submit():
        try:
            user, token = staff.create_account(db.session(), form.email.data, form.roles.data,
                                               actor=access.current_user().email,
                                               link_hours=current_app.config["STAFF_SETUP_LINK_HOURS"])
        except staff.AccountError as error:
            failure = str(error)
        else:
            link = f"{current_app.config['PUBLIC_URL']}{url_for('staff.setup', token=token)}"
            return render_template("staff/account_created.html", user=user, link=link)
    return render_template("staff/account_new.html", form=form, failure=failure)


@bp.get("/accounts/<int:user_id>")
@access.manage_accounts
def account(user_id):
    user = _account(user_id)
    form = RolesForm(roles=sorted(user.role_set))
    return render_template("staff/account.html", user=user, form=form,
                           sessions=staff.sessions_of(db.session(), user))


@bp.post("/accounts/<int:user_id>/roles")
@access.manage_accounts
def account_roles(user_id):
    user = _account(user_id)
    form = RolesForm()
    failure = None
    if form.validate_on_submit():
        try:
            staff.set_roles(db.session(), user, form.roles.data, actor=access.current_user().email)
        except staff.AccountError as error:  # one's own roles, say: separation of duties
            failure = str(error)
        else:
            return redirect(url_for("staff.account", user_id=user.id), 303)
    return render_template("staff/account.html", user=user, form=form, failure=failure,
                           sessions=staff.sessions_of(db.session(), user)), 400


@bp.post("/accounts/<int:user_id>/<any(disable, enable):change>")
@access.manage_accounts
def account_active(user_id, change):
    user = _account(user_id)
    if user.id == access.current_user().id:
        abort(400)  # an admin cannot lock themselves out
    staff.set_active(db.session(), user, change == "enable", actor=access.current_user().email)
    return redirect(url_for("staff.account", user_id=user.id), 303)


@bp.post("/accounts/<int:user_id>/sessions/<int:session_id>/end")
@access.manage_accounts
def end_account_session(user_id, session_id):
    user = _account(user_id)
    if not staff.revoke_session(db.session(), user, session_id, actor=access.current_user().email):
        abort(404)
    return redirect(url_for("staff.account", user_id=user.id), 303)


@bp.get("/audit")
@access.manage_accounts
def audit_log():
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() and len(number) < 7 else 1
    action = request.args.get("action", "")[:80]
    actor = request.args.get("actor", "")[:120]
    events, has_more = audit.page(db.session(), action=action, actor=actor, number=number)
    return render_template("staff/audit.html", events=events, has_more=has_more, page=number,
                           action=action, actor=actor)
