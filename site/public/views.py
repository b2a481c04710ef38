from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l

from ..extensions import csrf
from ..i18n import DEFAULT_LOCALE, LOCALES, select_locale
from ..security.headers import send_no_referrer
from ..services.pages import load_page, menu
from . import cache
from .cache import cached_page

bp = Blueprint("public", __name__)
# The rendered pages, and the listings version they were made from (public/cache.py).
bp.record_once(lambda state: cache.init_app(state.app))

MENU_TITLES = {
    "help": _l("Getting help"),
    "understand": _l("Understanding abuse and staying safe"),
    "about": _l("About us and this site"),
}


@bp.app_context_processor
def _page_menu():
    def page_menu():
        return menu(current_app.config["CONTENT_DIR"], select_locale(),
                    current_app.extensions["haven_profile"])

    return {"page_menu": page_menu, "MENU_TITLES": MENU_TITLES}


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
    found = load_page(current_app.config["CONTENT_DIR"], locale, slug,
                      current_app.extensions["haven_profile"])
    if found is None:
        abort(404)
    return render_template("public/page.html", page=found)


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for it on every visit; an empty answer is cheaper than a rendered 404 page.
    return "", 204


@bp.route("/exit", methods=["GET", "POST"])
@csrf.exempt  # a POST here only forgets; there is nothing to forge
def exit_site():
    """The quick exit: forget the visit, then leave for the neutral site.

    Without JavaScript the button and link come here (GET) and this does everything itself. With
    it, the script leaves for the neutral site at once, without waiting for this server, and
    sends a beacon (POST) here so the session is forgotten all the same.
    """
    session.clear()  # Flask answers a cleared session with an expired cookie
    if request.method == "POST":
        response = current_app.make_response(("", 204))
    else:
        response = redirect(current_app.extensions["haven_profile"].exit_destination, 303)
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    # The neutral site must not learn where the person came from.
    send_no_referrer()
    return response
