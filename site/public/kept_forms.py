"""Form pages as first shown, rendered once and kept, with their tokens filled in per answer.

The self-referral and concern forms as first shown, and the "sent" page with its next optional
page, differ from one person to the next only in their tokens: the CSRF token, the signed stamp,
the one-time token of the next page. Rendering the template is most of what opening the form and
pressing Send cost, so each such page is rendered once per process, locale and variant with a
marker where each token goes, kept in the page cache (public/cache.py, so it follows the listings
version like every kept page), and each answer replaces the markers with its own tokens.

A page shown again with errors or answers is rendered in full as before: only pages holding
nothing of the person but their tokens are kept.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from flask import current_app
from markupsafe import Markup, escape

from .cache import page_cache

# Random per process, so no text of a page can contain one by chance or design; letters, digits
# and hyphens, which HTML escaping leaves as they are.
_SALT = secrets.token_hex(8)


def marker(slot: str) -> str:
    return f"kept-{slot}-{_SALT}"


def page(key: tuple, render: Callable[[Mapping[str, str]], str], values: Mapping[str, str]) -> Markup:
    """The page kept for `key` with `values` in its slots. On the first call (per process and
    listings version) `render(markers)` renders it with each slot's marker in place of its value."""
    if current_app.debug:  # templates reload on change: never serve an old render
        return Markup(render(values))
    cache = page_cache()
    key = ("kept form", *key)
    version, kept = cache.get(key)
    if kept is None:
        kept = render({slot: marker(slot) for slot in values})
        cache.put(key, kept, version)
    for slot, value in values.items():
        kept = kept.replace(marker(slot), str(escape(value)))
    return Markup(kept)
