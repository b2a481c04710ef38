"""Which strings changed since each language's last review by a qualified translator.

A review is recorded as a fingerprint of everything the translator saw: each catalog entry
(its English and its translation) and each page (its English source and its translation).
`content/translations.yaml` then lists, per language, what has changed since: written by
`flask --app haven translations changed --write`, and checked by the test suite, so the list
is always current and a reviewer knows exactly what to read.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import yaml
from babel.messages.pofile import read_po

NEVER = "everything: never reviewed"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def _catalog(translations_dir: Path, locale: str):
    with open(Path(translations_dir) / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def fingerprints(content_dir: Path, translations_dir: Path, locale: str) -> dict[str, str]:
    """What a reviewer of `locale` reads, each thing named as a person would look for it."""
    found = {}
    for message in _catalog(translations_dir, locale):
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else " | ".join(message.id)
        translated = message.string if isinstance(message.string, str) else " | ".join(message.string)
        found[f"string: {english}"] = _digest(english, translated)
    pages = Path(content_dir) / "pages"
    for english in sorted((pages / "en").glob("*.md")):
        translated = pages / locale / english.name
        found[f"page: {english.stem}"] = _digest(
            english.read_text(encoding="utf-8"), translated.read_text(encoding="utf-8") if translated.exists() else "")
    return found


def baseline_path(content_dir: Path, locale: str) -> Path:
    return Path(content_dir) / "translation_reviews" / f"{locale}.json"


def changed(content_dir: Path, translations_dir: Path, locale: str) -> list[str] | str:
    """The strings and pages new or changed since the last review, or NEVER."""
    path = baseline_path(content_dir, locale)
    if not path.exists():
        return NEVER
    reviewed = json.loads(path.read_text(encoding="utf-8"))
    return sorted(name for name, digest in fingerprints(content_dir, translations_dir, locale).items()
                  if reviewed.get(name) != digest)


def record_review(content_dir: Path, translations_dir: Path, locale: str, by: str, on: date) -> None:
    """A qualified translator has reviewed `locale` as it stands now."""
    path = baseline_path(content_dir, locale)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(fingerprints(content_dir, translations_dir, locale), indent=0, sort_keys=True,
                               ensure_ascii=False) + "\n", encoding="utf-8")
    status_path = Path(content_dir) / "translations.yaml"
    data = yaml.safe_load(status_path.read_text(encoding="utf-8"))
    data["locales"][locale].update(status="reviewed", reviewed_by=by, reviewed_on=on.isoformat())
    _write(status_path, data)


def current_status(content_dir: Path, translations_dir: Path) -> dict:
    """translations.yaml as it should read now: each language's changed_since_review filled in."""
    status_path = Path(content_dir) / "translations.yaml"
    data = yaml.safe_load(status_path.read_text(encoding="utf-8"))
    for locale, entry in data["locales"].items():
        entry["changed_since_review"] = changed(content_dir, translations_dir, locale)
    return data


def write_status(content_dir: Path, translations_dir: Path) -> None:
    _write(Path(content_dir) / "translations.yaml", current_status(content_dir, translations_dir))


HEADER = """\
# Who translated each locale, whether a qualified translator has reviewed it, and what has changed
# since that review. English is the source language. Every catalog below was machine-assisted by
# the developers and must be reviewed by a qualified translator before the site goes live; record a
# review with `flask --app haven translations reviewed <locale> --by "Name"`. changed_since_review
# is written by `flask --app haven translations changed --write` (the test suite checks it is current).
"""


def _write(path: Path, data: dict) -> None:
    path.write_text(HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
