"""Every string is translated in every locale, and no catalog lags behind the source."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from haven.i18n import LOCALES
from tests.helpers import ROOT

TRANSLATED = [code for code in LOCALES if code != "en"]  # English is the source language
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog(locale: str):
    path = ROOT / "site" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F",
                    "babel.cfg", "-k", "_l", "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_has_every_source_string_and_nothing_stale(locale, source_messages):
    ids = {message.id for message in catalog(locale) if message.id}
    assert not source_messages - ids, f"run `make translations`: {locale} lacks new strings"
    assert not ids - source_messages, f"run `make translations`: {locale} has strings no longer used"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(locale):
    problems = []
    for message in catalog(locale):
        if not message.id:
            continue
        if message.pluralizable:
            # Every plural form the language needs, each using only the source's placeholders.
            allowed = set(PLACEHOLDER.findall(message.id[1]))
            if not all(message.string) or len(message.string) != catalog(locale).num_plurals:
                problems.append(f"plural forms missing: {message.id[0]!r}")
            elif any(set(PLACEHOLDER.findall(form)) - allowed for form in message.string):
                problems.append(f"placeholders differ: {message.id[0]!r}")
            elif message.fuzzy:
                problems.append(f"fuzzy: {message.id[0]!r}")
            continue
        if not message.string:
            problems.append(f"untranslated: {message.id!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif message.string == message.id and len(message.id) > 12:
            problems.append(f"left in English: {message.id!r}")
        elif sorted(PLACEHOLDER.findall(message.string)) != sorted(PLACEHOLDER.findall(message.id)):
            problems.append(f"placeholders differ: {message.id!r}")
    assert problems == []


def test_translation_review_status_is_recorded_for_every_locale():
    import yaml

    status = yaml.safe_load((ROOT / "content" / "translations.yaml").read_text())
    assert set(status["locales"]) == set(TRANSLATED)
    for entry in status["locales"].values():
        assert entry["status"] in ("awaiting review", "reviewed")


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_translation_adds_markup_its_source_lacks(locale):
    """Jinja marks translations safe: a catalog entry with a '<' or '>' of its own could add a
    link or change a phone link, so none may have one its English lacks."""
    problems = []
    for message in catalog(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        source = "".join(ids)
        for string in strings:
            for mark in "<>":
                if string and string.count(mark) > source.count(mark):
                    problems.append(f"{mark!r} in {ids[0]!r}")
    assert problems == []


def test_translations_yaml_records_what_changed_since_each_review():
    import yaml

    from haven.services import translation_review

    shipped = yaml.safe_load((ROOT / "content" / "translations.yaml").read_text())
    current = translation_review.current_status(ROOT / "content", ROOT / "site" / "translations")
    assert shipped == current, "run `flask --app haven translations changed --write`"


def test_a_review_then_a_change_lists_exactly_what_changed(tmp_path):
    import shutil
    from datetime import date

    from haven.services import translation_review

    content, translations = tmp_path / "content", tmp_path / "translations"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "site" / "translations", translations)
    assert translation_review.changed(content, translations, "pl") == translation_review.NEVER
    translation_review.record_review(content, translations, "pl", "A. Translator", date(2026, 12, 2))
    assert translation_review.changed(content, translations, "pl") == []
    po = translations / "pl" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "Sposób kontaktu"', 'msgstr "Jak się kontaktować"'))
    page = content / "pages" / "en" / "cover-your-tracks.md"
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    assert translation_review.changed(content, translations, "pl") == ["page: cover-your-tracks", "string: How"]
    status = translation_review.current_status(content, translations)["locales"]
    assert status["pl"]["status"] == "reviewed" and status["pl"]["reviewed_by"] == "A. Translator"
    assert status["ro"]["changed_since_review"] == translation_review.NEVER
