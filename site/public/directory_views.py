"""The support services directory: a plain GET form over services.directory."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from .. import db
from ..services import directory, listing_store
from ..services.areas import load_areas
from ..services.listings import CATEGORIES
from .views import bp

MESSAGES = {
    "district": _l("Enter the first half of a postcode, like WS1, or leave it empty"),
    "area": _l("Choose an area from the list"),
    "need": _l("Choose a kind of help from the list"),
}


def now() -> datetime:
    return datetime.now(timezone.utc)


@bp.get("/<locale:locale>/support-services")
def support_services(locale):
    areas = load_areas(current_app.config["CONTENT_DIR"])
    query = directory.read_query(request.args, areas, MESSAGES)
    if query.redirect and not query.errors:
        # Someone typed a whole postcode: keep only the district, in the URL and in the history.
        return redirect(url_for("public.support_services", **query.args()), 303)
    moment = now()
    result = directory.search(listing_store.published(db.reader()), query, areas, moment)
    view = directory.presenter(locale, moment)
    return render_template("public/support_services.html", query=query, areas=areas, categories=CATEGORIES,
                           national=[view(d) for d in result.national], local=[view(d) for d in result.local],
                           result=result), 400 if query.errors else 200
