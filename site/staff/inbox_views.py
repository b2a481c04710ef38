"""The inbox list: which referrals need contact first, in views, filters and pages.

Reads only the plain triage columns (services/inbox.py); a referral's own page is where anything
is decrypted, and every such read is audited.
"""
from __future__ import annotations

from flask import render_template, request

from .. import access, db
from ..services import inbox, targets
from .forms import InboxFilterForm
from .views import bp


@bp.get("/inbox", endpoint="inbox")
@access.read_referrals
def inbox_list():
    session, viewer = db.session(), access.current_user()
    form = InboxFilterForm(request.args, inbox.assignable(session, access.PERMISSIONS["read_referrals"]))
    form.validate()
    view = request.args.get("view") or "needs-contact"
    problems = []
    if view not in inbox.VIEWS:
        problems.append(("view-nav", "That view does not exist: showing 'Needs first contact'"))
        view = "needs-contact"
    number = form.page.data if not form.page.errors and form.page.data else 1
    now = targets.now()
    result = inbox.page(session, viewer_id=viewer.id, view=view, filters=form.filters(), number=number, now=now)
    args = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_template("staff/inbox.html", result=result, form=form, view=view, views=inbox.VIEWS,
                           labels=inbox, args=args, problems=problems, now=now, describe=targets.describe_left,
                           span=targets.span)
