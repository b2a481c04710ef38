"""Information pages: Markdown with front matter in content/pages/<locale>/<slug>.md.

Rendered with markdown-it (raw HTML off), sanitised once through security.sanitise, then the
organisation's facts are put in: {{token}}s from content/site.yaml, and [TO SUPPLY: ...]
placeholders marked so nobody mistakes them for real details.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from flask_babel import force_locale
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from ..i18n import response_time, weeks
from ..security.sanitise import clean
from . import hours
from .content import INLINE_PLACEHOLDER, SiteProfile, is_placeholder

SOURCE_LOCALE = "en"

# The order of the menu, in three groups.
MENU = {
    "help": ("help-for-myself", "how-we-can-help", "what-happens-next", "staying-safe-at-home",
             "moving-home"),
    "understand": ("what-is-domestic-abuse", "worried-about-someone", "worried-about-my-behaviour",
                   "cover-your-tracks"),
    "about": ("our-commitment", "support-for-colleagues", "feedback-and-complaints",
              "accessibility", "privacy"),
}
SLUGS = tuple(slug for group in MENU.values() for slug in group)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_TOKEN = re.compile(r"\{\{\s*(\w+)\s*\}\}")
# A passage shown only when the organisation makes a commitment (or only when it does not):
#   ::: if visual_evidence          ::: if not emergency_transfer
#   Markdown, as anywhere else.      ...
#   :::                              :::
_OPEN = re.compile(r"^:::\s*if\s+(not\s+)?(\w+)\s*$")
_CLOSE = re.compile(r"^:::\s*$")


class PageError(ValueError):
    pass


@dataclass(frozen=True)
class PageSource:
    slug: str
    locale: str
    title: str
    summary: str
    last_reviewed: date
    body: str
    # The commitments the page states outside any `::: if` block: the profile must make them all.
    relies_on: tuple[str, ...] = ()


def passages(body: str) -> list[tuple[bool, str]]:
    """The `::: if` blocks of a page, in order, as (negated, commitment). Raises PageError on a
    block that is not closed, a nested one, or a stray closing line."""
    found, open_ = [], False
    for number, line in enumerate(body.splitlines(), 1):
        if match := _OPEN.match(line.strip()):
            if open_:
                raise PageError(f"line {number}: '::: if' inside another one (they do not nest)")
            open_ = True
            found.append((bool(match.group(1)), match.group(2)))
        elif _CLOSE.match(line.strip()):
            if not open_:
                raise PageError(f"line {number}: ':::' closes nothing")
            open_ = False
    if open_:
        raise PageError("a '::: if' block is not closed with ':::'")
    return found


def select_passages(body: str, commitments) -> str:
    """The page's Markdown with each `::: if` block kept or dropped by what the profile commits to."""
    kept, keep = [], True
    for line in body.splitlines():
        if match := _OPEN.match(line.strip()):
            made = commitments.makes(match.group(2))
            keep = not made if match.group(1) else made
        elif _CLOSE.match(line.strip()):
            keep = True
        elif keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


@dataclass(frozen=True)
class Page:
    slug: str
    locale: str          # the language the text is in (English when it fell back)
    title: str
    summary: str
    last_reviewed: date
    html: Markup
    fallback: bool       # shown in English because the requested locale lacks it


def page_path(content_dir: Path, locale: str, slug: str) -> Path:
    return Path(content_dir) / "pages" / locale / f"{slug}.md"


def read_source(path: Path, locale: str, slug: str) -> PageSource:
    text = path.read_text(encoding="utf-8")
    parts = text.split("---", 2)
    if len(parts) != 3 or parts[0].strip():
        raise PageError(f"{path}: front matter between --- lines is missing")
    meta = yaml.safe_load(parts[1]) or {}
    for key in ("title", "summary", "last_reviewed"):
        if not meta.get(key):
            raise PageError(f"{path}: front matter lacks {key}")
    reviewed = meta["last_reviewed"]
    if not isinstance(reviewed, date):
        raise PageError(f"{path}: last_reviewed must be a date (YYYY-MM-DD)")
    relies_on = meta.get("relies_on") or []
    if not isinstance(relies_on, list) or not all(isinstance(key, str) for key in relies_on):
        raise PageError(f"{path}: relies_on must be a list of commitments")
    try:
        passages(parts[2])
    except PageError as error:
        raise PageError(f"{path}: {error}") from None
    return PageSource(slug, locale, str(meta["title"]), str(meta["summary"]), reviewed, parts[2], tuple(relies_on))


def _fact(profile: SiteProfile, token: str, locale: str) -> Markup:
    if token in ("urgent_timescale", "standard_timescale"):
        # The page's own language, also when an English page stands in for a missing translation.
        with force_locale(locale):
            return escape(response_time(profile.targets, token.split("_")[0]))
    if token == "opening_hours" and not is_placeholder(profile.opening_hours):
        # Data each language words for itself (day names by Babel), never an English phrase.
        return escape(hours.in_words(profile.opening_hours, locale))
    if token == "emergency_transfer_weeks":
        transfer = profile.commitments.get("emergency_transfer")
        if transfer is None:
            raise PageError("{{emergency_transfer_weeks}} outside an '::: if emergency_transfer' block")
        with force_locale(locale):
            return escape(weeks(transfer.details["weeks"]))
    values = {
        "org_name": profile.name,
        "da_phone": profile.da_phone,
        "da_email": profile.da_email,
        "opening_hours": profile.opening_hours,
    }
    if token not in values:
        raise PageError(f"unknown token {{{{{token}}}}}")
    value = values[token]
    if is_placeholder(value):
        return Markup('<span class="placeholder" lang="en" dir="ltr">%s</span>') % value
    if token == "da_phone":
        return Markup('<a class="phone" dir="ltr" href="tel:%s">%s</a>') % (value.replace(" ", ""), value)
    if token == "da_email":
        return Markup('<a dir="ltr" href="mailto:%s">%s</a>') % (value, value)
    return escape(value)


def render_body(body: str, profile: SiteProfile, locale: str = SOURCE_LOCALE) -> Markup:
    html = clean(_markdown.render(select_passages(body, profile.commitments)))
    html = INLINE_PLACEHOLDER.sub(
        lambda m: f'<span class="placeholder" lang="en" dir="ltr">{m.group(0)}</span>', html)
    html = _TOKEN.sub(lambda m: str(_fact(profile, m.group(1), locale)), html)
    return Markup(html)


@lru_cache(maxsize=512)
def _load(content_dir: Path, locale: str, slug: str, profile: SiteProfile) -> Page | None:
    if slug not in SLUGS:
        return None
    path = page_path(content_dir, locale, slug)
    fallback = not path.exists()
    if fallback:
        locale, path = SOURCE_LOCALE, page_path(content_dir, SOURCE_LOCALE, slug)
        if not path.exists():
            return None
    source = read_source(path, locale, slug)
    return Page(slug, locale, source.title, source.summary, source.last_reviewed,
                render_body(source.body, profile, locale), fallback)


def load_page(content_dir: Path, locale: str, slug: str, profile: SiteProfile) -> Page | None:
    """The page in `locale`, or in English marked as a fallback; None when no such page exists."""
    return _load(Path(content_dir), locale, slug, profile)


def menu(content_dir: Path, locale: str, profile: SiteProfile) -> dict[str, list[Page]]:
    return {group: [page for slug in slugs if (page := load_page(content_dir, locale, slug, profile))]
            for group, slugs in MENU.items()}


def missing_translations(content_dir: Path, locales) -> list[str]:
    return [f"{locale}/{slug}" for locale in locales for slug in SLUGS
            if not page_path(content_dir, locale, slug).exists()]

