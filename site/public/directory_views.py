"""The support services directory: a plain GET form over services.directory."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..services import directory, listing_store
from ..services.areas import load_areas
from ..services.listings import CATEGORIES
from . import cache
from .views import bp

MESSAGES = {
    "district": _l("Enter a postcode like WS1 1AA, or leave it empty"),
    "area": _l("Choose an area from the list"),
    "need": _l("Choose a kind of help from the list"),
}


def now() -> datetime:
    return datetime.now(timezone.utc)


def cache_key(locale: str, moment: datetime) -> tuple[tuple, int]:
    """Where a rendered directory page is kept: once per listings version (cache.get drops older
    ones), language, address and minute. "Open now" is judged to the minute, as opening hours are
    written. The address as sent is the key, so a page already made is answered without reading
    the filters again (cache.serve_rendered); only pages that answered 200 are kept, and a whole
    postcode is never one of them (it is redirected)."""
    return ("support-services", locale, request.query_string), int(moment.timestamp() // 60)


@bp.get("/<locale:locale>/support-services")
def support_services(locale):
    moment = now()
    key, minute = cache_key(locale, moment)
    version, body = cache.page_cache().get(key, minute)
    if body is not None and not current_app.debug:
        return body
    areas = load_areas(current_app.config["CONTENT_DIR"])
    query = directory.read_query(request.args, areas, MESSAGES)
    if query.redirect and not query.errors:
        # Someone typed a whole postcode: keep only the district, in the URL and in the history.
        return redirect(url_for("public.support_services", **query.args()), 303)
    body = _render(locale, query, areas, moment)
    if query.errors:
        return body, 400
    if not g.get("page_incomplete") and not current_app.debug:
        cache.page_cache().put(key, body, version, minute)
    return body


def _render(locale, query, areas, moment) -> str:
    result = directory.search(listing_store.published(db.reader()), query, areas, moment)
    view = directory.presenter(locale, moment)
    national, local = [view(d) for d in result.national], [view(d) for d in result.local]
    # The compact cards leave out what is not confirmed yet; one line on the page says so instead.
    checking = any(item.to_verify or not item.last_verified for item in national + local)
    return render_template("public/support_services.html", query=query, areas=areas, categories=CATEGORIES,
                           national=national, local=local, result=result, checking=checking)


@bp.app_context_processor
def _also_call():
    def also_call():
        """For the helpline box: the Men's Advice Line and Galop, from their published listings."""
        try:
            return directory.also_call(listing_store.published(db.reader()))
        except SQLAlchemyError:
            current_app.logger.exception("listings could not be read for the helpline box")
            g.page_incomplete = True  # shown without the line, and not kept (public/cache.py)
            return []

    return {"also_call": also_call}
