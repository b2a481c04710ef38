"""Rendered public pages, kept in the process.

A public page carries nothing of the person reading it (no form token, no name, no cookie), so the
same URL renders the same HTML until the listings change (the home page and the directory show
them) or the app restarts with new content or code. Rendering it once per process is what lets a
cheap server stay quick on a busy day.

Several processes, on one host or several, each keep their own pages, so each must learn when an
editor changes a listing anywhere. The database holds the listings version
(services.listing_store.bump_version, raised in the same transaction as the change); a process
reads that one row at most every VERSION_CHECK_SECONDS, and at once after it commits a change
itself, and drops its pages when the number moved. The number is the truth; the interval only
bounds how often it is asked.

The directory also depends on the minute ("open now"), so its pages are kept per minute as well.
"""
from __future__ import annotations

import logging
import threading
import time
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..services import listing_store

# Well inside the second within which an editor's change must show on every process, and rare
# enough (a few tiny reads a second per process) to cost nothing on a busy day.
VERSION_CHECK_SECONDS = 0.25
# Bounds the memory the directory's pages take: one per locale, filter and minute that someone asks
# for. Postcode districts are many, so past this the oldest are simply all let go.
MAX_PAGES = 2000

log = logging.getLogger(__name__)


class PageCache:
    def __init__(self):
        self.version: int | None = None
        self.checked_at = float("-inf")
        self.pages: dict = {}
        self.minute: int | None = None
        self.timed: dict = {}     # pages that also depend on the minute: only this minute's are kept
        self.lock = threading.Lock()
        self.unreadable = False

    def look_soon(self) -> None:
        """This process changed the listings: read the version on the next request."""
        self.checked_at = float("-inf")

    def _current_version(self) -> int | None:
        now = time.monotonic()
        if now - self.checked_at < current_app.config.get("VERSION_CHECK_SECONDS", VERSION_CHECK_SECONDS):
            return self.version
        self.checked_at = now
        try:
            found = listing_store.version(db.reader())
        except SQLAlchemyError:
            # The database is down: the pages already made are still the best answer (they hold the
            # helplines); try again at the next interval, and say so once per outage.
            db.reader().rollback()
            if not self.unreadable:
                log.warning("listings version could not be read; serving the pages already rendered")
            self.unreadable = True
            return self.version
        self.unreadable = False
        if found != self.version:
            with self.lock:
                self.pages, self.timed = {}, {}
                self.version = found
        return found

    def get(self, key, minute: int | None = None) -> tuple[int | None, object]:
        """(the version now, the page kept for `key` under it, and for `minute` when given, or None)."""
        version = self._current_version()
        if minute is None:
            return version, self.pages.get(key)
        return version, self.timed.get(key) if minute == self.minute else None

    def put(self, key, value, version: int | None, minute: int | None = None) -> None:
        """Keep a page rendered under `version`, unless the version has moved on meanwhile (another
        thread saw the change): a page made from older listings must not outlive them."""
        with self.lock:
            if version != self.version:
                return
            if minute is None:
                pages = self.pages
            else:
                if minute != self.minute:
                    if self.minute is not None and minute < self.minute:
                        return  # a slow render from a minute already gone
                    self.timed, self.minute = {}, minute
                pages = self.timed
            if len(pages) >= MAX_PAGES:
                pages.clear()
            pages[key] = value

    # Read like a dict of the pages that depend on nothing but the version (tests look inside).
    def __contains__(self, key) -> bool:
        return key in self.pages

    def __getitem__(self, key):
        return self.pages[key]

    def __setitem__(self, key, value) -> None:
        self.pages[key] = value

    def __iter__(self):
        return iter([*self.pages, *self.timed])


def page_cache() -> PageCache:
    return current_app.extensions["haven_page_cache"]


def init_app(app) -> None:
    cache = app.extensions["haven_page_cache"] = PageCache()

    @event.listens_for(app.extensions["haven_db"], "after_commit")
    def _listings_changed(session):
        if session.info.pop(listing_store.CHANGED, False):
            cache.look_soon()

    @event.listens_for(app.extensions["haven_db"], "after_rollback")
    def _listings_unchanged(session):
        session.info.pop(listing_store.CHANGED, None)


# Pages kept by their address alone (the views marked @cached_page).
BY_PATH = {"public.home", "public.page"}


def serve_rendered():
    """A before_request hook, run before the CSRF check, the rate limiter and the locale's (none of
    which a page already rendered needs; GETs are neither checked nor limited): answer with the
    page kept for this address, if there is one, as the view would. create_app registers it after
    Talisman's, so an http:// request in production is still sent to https:// first."""
    if request.method != "GET" or current_app.debug:
        return None
    endpoint = request.endpoint
    if endpoint in BY_PATH:
        return page_cache().get(request.path)[1]
    if endpoint == "public.support_services":
        from . import directory_views  # its clock: tests move it

        key, minute = directory_views.cache_key(request.view_args["locale"], directory_views.now())
        return page_cache().get(key, minute)[1]
    return None


def cached_page(view):
    @wraps(view)
    def wrapper(**kwargs):
        # Debug mode reloads templates on change, so it must not serve yesterday's render.
        if current_app.debug:
            return view(**kwargs)
        cache = page_cache()
        version, body = cache.get(request.path)
        if body is None:
            body = view(**kwargs)
            if not g.get("page_incomplete"):  # a part could not be read (the database was down, say)
                cache.put(request.path, body, version)
        return body

    return wrapper
