"""`flask --app haven content check`: everything in content/ that is wrong or still awaited."""
from __future__ import annotations

from pathlib import Path

import yaml

from .content import INLINE_PLACEHOLDER, ContentError, load_profile, placeholders, problems
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


def check(content_dir: Path, production: bool) -> tuple[bool, list[str]]:
    """(passes, report lines). Placeholders are reported always and fail only in production."""
    try:
        profile = load_profile(content_dir)
    except (OSError, yaml.YAMLError, ContentError) as error:
        return False, [f"error: {error}"]
    errors = problems(profile) + page_problems(content_dir)
    waiting = [f"site.yaml {path}" for path in placeholders(profile.raw)]
    waiting += placeholders_in_pages(content_dir)
    severity = "error" if production else "placeholder"
    lines = [f"error: {error}" for error in errors]
    lines += [f"{severity}: {item} awaits the organisation" for item in waiting]
    return not errors and not (production and waiting), lines
