"""Feedback after closure (WM 5.1) on a closed referral's page: issue the one-time link.

The link is shown once, in the answer to the POST that issues it (as "Show contact details" shows
the number): never in a flash message, a redirect's address or a log line, and only its token's
hash is kept. The person's answers are anonymous: the page says only that a link was issued.
Where the policy does not make the commitment, the route is a 404 and the page has no such part.
"""
from __future__ import annotations

from flask import current_app, flash, g, redirect, url_for

from .. import access, db
from ..i18n import DEFAULT_LOCALE, LOCALES
from ..services import cases, feedback
from . import case_views
from .feedback_forms import FeedbackLinkForm
from .views import bp


def public_link(referral, token: str) -> str:
    """The full public address of the form, in the language the referral was written in."""
    locale = referral.locale if referral.locale in LOCALES else DEFAULT_LOCALE
    return f"{current_app.config['PUBLIC_URL']}/{locale}/feedback/{token}"


@bp.post("/referrals/<reference>/feedback-link")
@access.read_referrals
@access.needs_commitment("feedback_after_closure")
def feedback_link(reference):
    referral = case_views._referral(reference)
    form = FeedbackLinkForm(prefix="feedback-link")
    if not form.validate_on_submit():
        return case_views._page(referral, code=400, **{"feedback-link": form})
    try:
        token = feedback.issue(db.session(), referral, access.current_user())
    except cases.CaseError as error:
        # A form that is only a button: its refusal is said at the top of the page.
        flash(str(error), "error")
        return redirect(url_for("staff.referral", reference=reference), 303)
    # Shown in this answer only (the partial reads it): the next load of the page has no link.
    g.feedback_link = public_link(referral, token)
    return case_views._page(referral)
