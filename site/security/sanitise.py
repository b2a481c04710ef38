"""The one HTML policy: everything rendered from Markdown passes through clean() before it is shown.

It keeps the formatting a page needs and nothing that runs, loads or tracks: no script, style,
image, frame or event handler, and only https, mailto and tel links (a plain http link could be
read or changed on the way, on the very network an abuser may control). Links that leave the site
get rel="noreferrer"; phone links read left-to-right inside Urdu and Arabic.
"""
from __future__ import annotations

import threading
from functools import partial
from urllib.parse import urlsplit

from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner

ALLOWED_TAGS = frozenset({
    "p", "h2", "h3", "h4", "ul", "ol", "li", "a", "strong", "em", "blockquote", "br", "hr", "code",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"https", "mailto", "tel"})


def _mark_links(attrs, new=False):
    href = attrs.get((None, "href"), "")
    if not href:
        return None  # the sanitiser took away a disallowed address: keep the words, not the link
    if href.startswith("http://"):
        if not new:
            return None
        # A bare domain in the text ("example.org"): linkify would make it http.
        href = attrs[(None, "href")] = "https://" + href.removeprefix("http://")
    if href.startswith("tel:"):
        attrs[(None, "dir")] = "ltr"
        attrs[(None, "class")] = "phone"
    elif urlsplit(href).netloc:
        attrs[(None, "rel")] = "noreferrer"
    return attrs


def _new_cleaner() -> Cleaner:
    return Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[partial(LinkifyFilter, callbacks=[_mark_links], parse_email=False, skip_tags={"code"})],
    )


# One per thread: a Cleaner keeps its parser's state while it works, so two threads of a gunicorn
# worker rendering pages at once broke each other's parse (an IndexError, a 500 for the resident).
_local = threading.local()


def clean(html: str) -> str:
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _new_cleaner()
    return cleaner.clean(html)
