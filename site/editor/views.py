"""The listings editor: thin views over services.listings (rules) and services.listing_store
(revisions and audit). Every route needs the editor role."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from .. import access, db
from ..i18n import LOCALES, select_locale
from ..services import directory, listing_store
from ..services.areas import load_areas
from ..services.hours import UK
from ..services.listings import due, overdue, validate
from .forms import ActionForm, ListingForm, attach_errors, from_document, to_data

bp = Blueprint("editor", __name__, url_prefix="/editor")
SLUG_TAKEN = _l("A listing already uses this short name. Choose another.")


def today():
    return datetime.now(UK).date()


@bp.after_request
def _not_for_search_engines(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _areas():
    return load_areas(current_app.config["CONTENT_DIR"])


def _author() -> str:
    return access.current_user().email


def _listing_or_404(listing_id: int):
    listing = listing_store.get(db.session(), listing_id)
    if listing is None:
        abort(404)
    return listing


def _preview(doc: dict):
    return directory.presenter(select_locale(), datetime.now(timezone.utc))(doc)


@bp.get("/")
@access.edit_listings
def dashboard():
    listings = listing_store.all_listings(db.session())
    day = today()
    docs = {listing.id: listing_store.document(listing) for listing in listings}
    to_check = [listing for listing in listings if listing.state != "retired" and overdue(docs[listing.id], day)]
    # Never checked first, then the longest overdue.
    to_check.sort(key=lambda listing: (docs[listing.id]["last_verified"] is not None,
                                       due(docs[listing.id], day) or day))
    by_state = {state: [listing for listing in listings if listing.state == state]
                for state in ("published", "draft", "retired")}
    return render_template("editor/dashboard.html", due=to_check, by_state=by_state, docs=docs)


def _edit(listing=None):
    areas = _areas()
    existing = listing_store.document(listing) if listing else None
    form = ListingForm(areas=areas, data=from_document(existing) if existing and request.method == "GET" else None)
    problems, preview, status = [], None, 200
    if form.validate_on_submit():
        doc, errors = validate(to_data(form, existing), areas=areas, locales=LOCALES)
        if listing is None and listing_store.by_slug(db.session(), doc["slug"]) is not None:
            errors.setdefault("slug", []).append(SLUG_TAKEN)
        if errors:
            problems, status = attach_errors(form, errors), 400
        elif request.form.get("action") == "preview":
            preview = _preview(doc)
        else:
            session = db.session()
            try:
                if listing is None:
                    listing = listing_store.create(session, doc, _author())
                    done = "created"
                else:
                    done = "saved" if listing_store.update(session, listing, doc, _author()) else "unchanged"
                session.commit()
            except IntegrityError:
                session.rollback()
                problems = attach_errors(form, {"slug": [SLUG_TAKEN]})
                status = 400
            else:
                return redirect(url_for("editor.listing", listing_id=listing.id, done=done), 303)
    elif form.errors:
        status = 400
    return render_template("editor/edit.html", form=form, listing=listing, problems=problems,
                           preview=preview), status


@bp.route("/listings/new", methods=["GET", "POST"])
@access.edit_listings
def new_listing():
    return _edit()


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@access.edit_listings
def edit_listing(listing_id):
    return _edit(_listing_or_404(listing_id))


DONE = ("created", "saved", "unchanged", "published", "retired", "unpublished", "verified", "reverted")


@bp.get("/listings/<int:listing_id>")
@access.edit_listings
def listing(listing_id):
    listing = _listing_or_404(listing_id)
    doc = listing_store.document(listing)
    done = request.args.get("done")
    return render_template("editor/listing.html", listing=listing, doc=doc, preview=_preview(doc),
                           done=done if done in DONE else None, action_form=ActionForm(),
                           overdue=overdue(doc, today()), due=due(doc, today()))


@bp.post("/listings/<int:listing_id>/<any(publish, retire, unpublish, verify):change>")
@access.edit_listings
def change(listing_id, change):
    listing = _listing_or_404(listing_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    if change == "verify":
        listing_store.mark_verified(session, listing, _author(), today())
        done = "verified"
    else:
        state = {"publish": "published", "retire": "retired", "unpublish": "draft"}[change]
        listing_store.set_state(session, listing, state, _author())
        done = {"publish": "published", "retire": "retired", "unpublish": "unpublished"}[change]
    session.commit()
    return redirect(url_for("editor.listing", listing_id=listing.id, done=done), 303)


@bp.get("/listings/<int:listing_id>/revisions/<int:number>")
@access.edit_listings
def revision(listing_id, number):
    listing = _listing_or_404(listing_id)
    found = listing_store.revision_number(listing, number)
    if found is None:
        abort(404)
    previous = listing_store.revision_number(listing, number - 1)
    lines = listing_store.diff(previous.document if previous else None, found.document)
    return render_template("editor/revision.html", listing=listing, revision=found, lines=lines,
                           action_form=ActionForm(), is_current=found.document == listing.document)


@bp.post("/listings/<int:listing_id>/revisions/<int:number>/revert")
@access.edit_listings
def revert(listing_id, number):
    listing = _listing_or_404(listing_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not listing_store.revert(db.session(), listing, number, _author()):
        abort(404)
    db.session().commit()
    return redirect(url_for("editor.listing", listing_id=listing.id, done="reverted"), 303)
