"""Rendered public pages, kept in the process.

A public page carries nothing of the person reading it (no form token, no name, no cookie), so the
same URL always renders the same HTML until the app restarts with new content or code. Rendering
it once per process is what lets a cheap server stay quick on a busy day.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request


def cached_page(view):
    @wraps(view)
    def wrapper(**kwargs):
        # Debug mode reloads templates on change, so it must not serve yesterday's render.
        if current_app.debug:
            return view(**kwargs)
        cache = current_app.extensions.setdefault("haven_page_cache", {})
        body = cache.get(request.path)
        if body is None:
            body = view(**kwargs)
            if not g.get("page_incomplete"):  # a part could not be read (the database was down, say)
                cache[request.path] = body
        return body

    return wrapper
