"""Feedback after closure (WM 5.1): /<locale>/feedback/<token>, the form a caseworker's one-time
link opens (GET), and its Send (POST), answered with the thank-you page directly.

Only where the organisation's policy makes the commitment: elsewhere these addresses are a 404
like any page that does not exist. The token in the address is the only key to the form, so:
- the pages are never kept in the page cache (public/cache.py) and always answered afresh;
- they send `Referrer-Policy: no-referrer` (and say so in the layout's referrer meta tag, which
  would otherwise override the header), so the address never leaves in a Referer, not even to
  Haven's own stylesheets;
- Werkzeug's request log (the development server, the browser tests' live server) shows the
  address with the token replaced; a production server's access log is configured outside Haven.
A link that is unknown (404), used, replaced or expired (410) gets a kind page saying so, with the
helplines.
"""
from __future__ import annotations

import logging
import re

from flask import abort, current_app, render_template
from sqlalchemy.exc import SQLAlchemyError

from .. import access, db
from ..extensions import csrf
from ..security.headers import send_no_referrer
from ..services import feedback
from .feedback_forms import FeedbackForm
from .views import bp

COMMITMENT = "feedback_after_closure"


class HideFeedbackTokens(logging.Filter):
    """Replaces the token of any /feedback/<token> address in a log record with "[token]"."""

    ADDRESS = re.compile(r"(/feedback/)[^\s/?#\"']+")

    def _hide(self, value):
        return self.ADDRESS.sub(r"\1[token]", value) if isinstance(value, str) else value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._hide(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._hide(value) for value in record.args)
        return True


HIDE_TOKENS = HideFeedbackTokens()
# Werkzeug logs each request's line ("GET /en/feedback/... HTTP/1.1") on its own logger; adding
# the same filter object twice is a no-op, so each app created (the tests make many) is covered.
logging.getLogger("werkzeug").addFilter(HIDE_TOKENS)


def _private(response, status: int):
    response = current_app.make_response((response, status))
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(session, token: str):
    """Unknown (404), or known but used, replaced or expired (410): the same kind page."""
    return _private(render_template("public/feedback_gone.html"), 410 if feedback.was_issued(session, token) else 404)


@bp.route("/<locale:locale>/feedback/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form has no CSRF token: the one-time token in the address does that work
def feedback_form(locale, token):
    send_no_referrer()  # every answer here, the plain 404 included: the address holds the token
    if not access.commits(COMMITMENT):
        abort(404)
    session = db.session()
    link = feedback.find_link(session, token)
    if link is None:
        return _gone(session, token)
    form = FeedbackForm()
    if not form.validate_on_submit():
        # GET, or a Send with problems (shown with the error summary, nothing recorded).
        return _private(render_template("public/feedback.html", form=form, token=token),
                        400 if form.errors else 200)
    satisfaction, felt_safe, comment = form.answers()
    try:
        recorded = feedback.answer(session, current_app.extensions["haven_keyring"], link, satisfaction, felt_safe,
                                   comment)
    except SQLAlchemyError:
        session.rollback()
        current_app.logger.error("feedback could not be saved (database error)")
        return _private(render_template("public/feedback.html", form=form, token=token, failed=True), 503)
    if recorded is None:  # spent by another Send in the meantime
        return _gone(session, token)
    return _private(render_template("public/feedback_sent.html"), 200)
