"""Translated error pages. Each carries the emergency numbers and never a stack trace."""
from __future__ import annotations

import traceback

from flask import render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

ERROR_TEXTS = {
    400: (_l("Sorry, something went wrong with that request"),
          _l("Go back and try again.")),
    403: (_l("You cannot see this page"),
          _l("You do not have permission to see this page.")),
    404: (_l("Page not found"),
          _l("If you typed the web address, check it is correct.")),
    405: (_l("That cannot be done on this page"),
          _l("Go back and try again.")),
    413: (_l("What you sent is too large"),
          _l("Make it shorter, then try again.")),
    429: (_l("Too many requests"),
          _l("Wait a minute, then try again.")),
    500: (_l("Sorry, there is a problem with this site"),
          _l("Try again later.")),
    503: (_l("Sorry, this service is unavailable"),
          _l("Try again later.")),
}


def render_error(code: int):
    title, advice = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, advice=advice), code


def init_app(app) -> None:
    def _http_error(error: HTTPException):
        # A view may have prepared its own answer for the error (a form that hit the rate limit
        # shows her answers again): that answer wins over the generic page.
        if getattr(error, "response", None) is not None:
            return error.response
        return render_error(error.code or 500)

    def _unexpected(error: Exception):
        # The operator gets the exception's type and where it was raised, never its message: a
        # database error's message carries the values of the row, which may be a person's.
        where = "".join(traceback.format_tb(error.__traceback__))
        app.logger.error("unhandled %s\n%s", type(error), where)
        return render_error(500)

    for code in ERROR_TEXTS:
        app.register_error_handler(code, _http_error)
    app.register_error_handler(InternalServerError, _http_error)
    app.register_error_handler(Exception, _unexpected)
