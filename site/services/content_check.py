"""`flask --app haven content check`: everything in content/ that is wrong or still awaited."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

from . import listings, reviews, risk
from .areas import AreaError, load_areas
from .content import INLINE_PLACEHOLDER, ContentError, load_profile, placeholders, problems, unconfirmed
from .listing_store import SeedError, read_seed, seed_paths
from .commitments import KNOWN
from .pages import SLUGS, SOURCE_LOCALE, PageError, page_path, passages, read_source


# An organisational promise in English: "we will", "we can", "we aim", "we keep", "we offer"...
# ("how we can help" is the name of a page, not a promise.)
PROMISE = re.compile(r"(?<![Hh]ow )\b[Ww]e (will|can|aim|always|offer|may|work|report|take|visit|give)\b")


def _outside_passages(body: str) -> str:
    lines, inside = [], False
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("::: if"):
            inside = True
        elif stripped == ":::":
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def commitment_problems(path: Path, source, made: frozenset[str], english=None) -> list[str]:
    """A page's promises against the profile: each passage names a known commitment, what it
    states outside passages (relies_on) the profile makes, an English page that promises cites
    what it relies on, and a translation has the same passages as its English page."""
    found = []
    keys = [key for _, key in passages(source.body)]
    for key in [*keys, *source.relies_on]:
        if key not in KNOWN:
            found.append(f"{path}: {key!r} is not a commitment (services/commitments.KNOWN)")
    for key in source.relies_on:
        if key in KNOWN and key not in made:
            found.append(f"{path}: relies on {key}, which the organisation's profile does not commit to")
    if english is None and not source.relies_on and PROMISE.search(_outside_passages(source.body)):
        sentence = PROMISE.search(_outside_passages(source.body)).group(0)
        found.append(f"{path}: promises ('{sentence} ...') outside any '::: if' passage, "
                     "but its front matter lists no relies_on")
    if english is not None:
        if passages(source.body) != passages(english.body):
            found.append(f"{path}: its '::: if' passages differ from the English page's: the same promise "
                         "must read the same in every language")
        if source.relies_on != english.relies_on:
            found.append(f"{path}: relies_on differs from the English page's")
    return found


def page_problems(content_dir: Path, made: frozenset[str] = frozenset(KNOWN)) -> list[str]:
    found = []
    for path in sorted((Path(content_dir) / "pages").glob("*/*.md")):
        try:
            source = read_source(path, path.parent.name, path.stem)
        except PageError as error:
            found.append(str(error))
            continue
        if path.stem not in SLUGS:
            found.append(f"{path}: no page has the slug {path.stem!r}")
            continue
        english = None
        if path.parent.name != SOURCE_LOCALE:
            english_path = page_path(content_dir, SOURCE_LOCALE, path.stem)
            try:
                english = read_source(english_path, SOURCE_LOCALE, path.stem)
            except (OSError, PageError):
                continue
        found += commitment_problems(path.relative_to(content_dir), source, made, english)
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
    errors = problems(profile) + page_problems(content_dir, profile.commitments.keys) + listing_errors
    try:
        risk.load(content_dir)
    except (OSError, yaml.YAMLError, risk.ChecklistError) as error:
        errors.append(str(error))
    try:
        reviews.load(content_dir)
    except (OSError, yaml.YAMLError, reviews.ReviewChecklistError) as error:
        errors.append(str(error))
    waiting = [f"site.yaml {path} awaits the organisation" for path in placeholders(profile.raw)]
    waiting += [f"site.yaml {item}" for item in unconfirmed(profile)]
    waiting += [f"{item} awaits the organisation" for item in placeholders_in_pages(content_dir)]
    waiting += listing_waiting
    severity = "error" if production else "placeholder"
    lines = [f"error: {error}" for error in errors]
    lines += [f"{severity}: {item}" for item in waiting]
    return not errors and not (production and waiting), lines
