"""`flask --app haven content check`: everything in content/ that is wrong or still awaited."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from . import listings
from .areas import AreaError, load_areas
from .content import INLINE_PLACEHOLDER, ContentError, load_profile, placeholders, problems, unconfirmed
from .listing_store import SeedError, read_seed, seed_paths
from .pages import SLUGS, SOURCE_LOCALE, PageError, page_path, read_source


def page_problems(content_dir: Path) -> list[str]:
    found = []
    for path in sorted((Path(content_dir) / "pages").glob("*/*.md")):
        try:
            read_source(path, path.parent.name, path.stem)
        except PageError as error:
            found.append(str(error))
        if path.stem not in SLUGS:
            found.append(f"{path}: no page has the slug {path.stem!r}")
    for slug in SLUGS:
        if not page_path(content_dir, SOURCE_LOCALE, slug).exists():
            found.append(f"pages/{SOURCE_LOCALE}/{slug}.md is missing")
    return found


def placeholders_in_pages(content_dir: Path) -> list[str]:
    found = []
    for path in sorted((Path(content_dir) / "pages").glob("*/*.md")):
        for match in INLINE_PLACEHOLDER.finditer(path.read_text(encoding="utf-8")):
            found.append(f"pages/{path.parent.name}/{path.name} {match.group(0)}")
    return found


def listing_waits(slug: str, doc: dict, today: date) -> list[str]:
    """What keeps one published listing from being ready: unconfirmed details, a check overdue."""
    found = [f"listing {slug}: {item}" for item in listings.placeholders(doc)]
    if listings.overdue(doc, today):
        when = doc.get("last_verified")
        found.append(f"listing {slug}: " + (f"last checked {when}, a check is overdue" if when else "never checked"))
    return found


def listing_problems(content_dir: Path, loaded: dict[str, dict] | None, locales, today: date):
    """(errors, waiting). Seeds must always be valid; once the database holds a listing, it is
    the database's copy (what residents see) that must be confirmed and checked on time."""
    errors, waiting = [], []
    try:
        areas = load_areas(content_dir)
    except (yaml.YAMLError, AreaError) as error:
        return [str(error)], []
    waiting += [f"areas.yaml {area.id}: districts not yet confirmed" for area in areas.values() if area.to_verify]
    seeds = {}
    for path in seed_paths(content_dir):
        try:
            doc, state = read_seed(path, areas=areas, locales=locales)
        except (yaml.YAMLError, SeedError) as error:
            errors.append(f"services/{error}")
            continue
        if state == "published":
            seeds[doc["slug"]] = doc
    for slug, doc in sorted({**seeds, **(loaded or {})}.items()):
        waiting += listing_waits(slug, doc, today)
    return errors, waiting


def check(content_dir: Path, production: bool, *, loaded: dict[str, dict] | None = None,
          locales=(), today: date | None = None) -> tuple[bool, list[str]]:
    """(passes, report lines). Placeholders are reported always and fail only in production.
    `loaded`: the published listings in the database, by slug."""
    try:
        profile = load_profile(content_dir)
    except (OSError, yaml.YAMLError, ContentError) as error:
        return False, [f"error: {error}"]
    listing_errors, listing_waiting = listing_problems(content_dir, loaded, locales, today or date.today())
    errors = problems(profile) + page_problems(content_dir) + listing_errors
    waiting = [f"site.yaml {path} awaits the organisation" for path in placeholders(profile.raw)]
    waiting += [f"site.yaml {item}" for item in unconfirmed(profile)]
    waiting += [f"{item} awaits the organisation" for item in placeholders_in_pages(content_dir)]
    waiting += listing_waiting
    severity = "error" if production else "placeholder"
    lines = [f"error: {error}" for error in errors]
    lines += [f"{severity}: {item}" for item in waiting]
    return not errors and not (production and waiting), lines
