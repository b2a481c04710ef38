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

from ..i18n import response_time
from ..security.sanitise import clean
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
    return PageSource(slug, locale, str(meta["title"]), str(meta["summary"]), reviewed, parts[2])


def _fact(profile: SiteProfile, token: str, locale: str) -> Markup:
    if token in ("urgent_timescale", "standard_timescale"):
        # The page's own language, also when an English page stands in for a missing translation.
        with force_locale(locale):
            return escape(response_time(profile.targets, token.split("_")[0]))
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
    html = clean(_markdown.render(body))
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

