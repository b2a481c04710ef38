from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from ..i18n import DEFAULT_LOCALE, LOCALES
from ..security.headers import send_no_referrer
from .cache import cached_page
from .pages import PAGES

bp = Blueprint("public", __name__)


@bp.get("/")
def root():
    # Chosen from the browser's languages; no cookie, so nothing on the device remembers the visit.
    locale = request.accept_languages.best_match(list(LOCALES), DEFAULT_LOCALE)
    response = redirect(url_for("public.home", locale=locale), 302)
    response.vary.add("Accept-Language")
    return response


@bp.get("/<locale:locale>/")
@cached_page
def home(locale):
    return render_template("public/home.html")


@bp.get("/<locale:locale>/<slug>")
@cached_page
def page(locale, slug):
    if slug not in PAGES:
        abort(404)
    return render_template("public/page.html", page=PAGES[slug], slug=slug)


@bp.get("/exit")
def exit_site():
    """The quick exit: forget the visit, then leave for the neutral site.

    Reached by the button and link with or without JavaScript, so it must do everything itself.
    """
    session.clear()  # Flask answers a cleared session with an expired cookie
    response = redirect(current_app.extensions["haven_profile"].exit_destination, 303)
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    # The neutral site must not learn where the person came from.
    send_no_referrer()
    return response
