"""Pages say only what the running organisation's own policy commits to: the profile, the
`::: if` passages, the checks `content check` makes, and every page rendered under both shipped
profiles (whg 2022, the default, and WM Housing Group 2010) in every language."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from haven.i18n import LOCALES
from haven.services import commitments
from haven.services.content import load_profile
from haven.services.content_check import commitment_problems
from haven.services.pages import SLUGS, PageError, passages, read_source, render_body, select_passages
from tests.helpers import CONTENT_DIR

PROFILES = {name: commitments.load(CONTENT_DIR / "profiles" / f"{name}.yaml")
            for name in ("whg-2022", "wm-housing-group-2010")}

# By hand, from the two policies: phrases that state a promise only one of them makes.
ONLY_WM = ["Visual Evidence for Victims", "emergency transfer", "homeless application", "full consent",
           "evict", "Staying Put project", "Sanctuary Scheme", "Housing Act 1996", "serious breach",
           "emergency accommodation", "how many cases we answer on time"]
ONLY_WHG = ["critical need", "gold", "like for like", "MARAC", "IDVA service", "Make a Stand",
            "Director of Housing", "offices that are open to customers"]


class Profile:
    """Just enough of a profile for passages: what it makes."""

    def __init__(self, keys):
        self.keys = frozenset(keys)

    def makes(self, key):
        return key in self.keys


def test_a_passage_shows_only_when_the_commitment_is_made():
    body = "Always.\n::: if visual_evidence\nPhotos.\n:::\n::: if not visual_evidence\nNo photos.\n:::\nEnd.\n"
    assert select_passages(body, Profile({"visual_evidence"})) == "Always.\nPhotos.\nEnd.\n"
    assert select_passages(body, Profile(set())) == "Always.\nNo photos.\nEnd.\n"
    assert passages(body) == [(False, "visual_evidence"), (True, "visual_evidence")]


@pytest.mark.parametrize("body, problem", [
    ("::: if marac\ntext\n", "not closed"),
    ("text\n:::\n", "closes nothing"),
    ("::: if marac\n::: if records\nx\n:::\n:::\n", "do not nest"),
])
def test_a_broken_passage_is_refused(body, problem):
    with pytest.raises(PageError, match=problem):
        passages(body)


def test_the_shipped_profiles_cite_a_clause_for_every_commitment():
    for profile in PROFILES.values():
        assert profile.made and all(commitment.clause for commitment in profile.made)
        assert all(commitment.key in commitments.KNOWN for commitment in profile.made)
    # By hand, from the policies: what each commits to that the other does not.
    whg, wm = PROFILES["whg-2022"], PROFILES["wm-housing-group-2010"]
    assert {"rehousing_critical_need", "rehousing_single_offer", "marac", "idva_signposting"} <= whg.keys
    assert not {"emergency_transfer", "visual_evidence", "action_against_perpetrator",
                "consent_before_action", "feedback_after_closure"} & whg.keys
    assert {"emergency_transfer", "visual_evidence", "action_against_perpetrator", "consent_before_action",
            "feedback_after_closure"} <= wm.keys
    assert wm.get("emergency_transfer").details["weeks"] == 4
    assert load_profile(CONTENT_DIR).commitments == whg  # whg's is the default


@pytest.mark.parametrize("text, problem", [
    ("commitments:\n  photos: {clause: '3.1'}\n", "not a commitment Haven knows"),
    ("commitments:\n  marac: {}\n", "names no policy clause"),
    ("commitments:\n  emergency_transfer: {clause: '3.1'}\n", "needs weeks"),
])
def test_a_bad_profile_is_refused(tmp_path, text, problem):
    path = tmp_path / "profile.yaml"
    path.write_text("organisation: X\npolicy: Y\n" + text)
    with pytest.raises(commitments.CommitmentError, match=problem):
        commitments.load(path)


def _source(tmp_path, text, locale="en"):
    path = tmp_path / locale / "page.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text("---\ntitle: T\nsummary: S\nlast_reviewed: 2026-12-02\n" + text)
    return read_source(path, locale, "page")


def test_the_check_refuses_a_promise_without_its_commitment(tmp_path):
    made = PROFILES["whg-2022"].keys
    bare = _source(tmp_path, "---\nWe will visit you at home.\n")
    assert "lists no relies_on" in commitment_problems(Path("x"), bare, made)[0]
    lacking = _source(tmp_path, "relies_on: [visual_evidence]\n---\nWe will take photos.\n")
    assert "does not commit to" in commitment_problems(Path("x"), lacking, made)[0]
    unknown = _source(tmp_path, "---\n::: if photos\nx\n:::\n")
    assert "not a commitment" in commitment_problems(Path("x"), unknown, made)[0]
    english = _source(tmp_path, "relies_on: [signposting]\n---\n::: if marac\nWe take part.\n:::\n")
    assert commitment_problems(Path("x"), english, made) == []
    translation = _source(tmp_path, "relies_on: [signposting]\n---\nBierzemy udział.\n", "pl")
    assert "differ from the English" in commitment_problems(Path("x"), translation, made, english)[0]


@pytest.mark.parametrize("name", PROFILES)
def test_every_page_in_every_language_says_only_what_the_profile_commits_to(app, name):
    profile = replace(load_profile(CONTENT_DIR), commitments=PROFILES[name])
    others = ONLY_WHG if name != "whg-2022" else ONLY_WM
    with app.test_request_context():
        for locale in LOCALES:
            for slug in SLUGS:
                path = CONTENT_DIR / "pages" / locale / f"{slug}.md"
                if not path.exists():
                    continue
                source = read_source(path, locale, slug)
                assert set(source.relies_on) <= profile.commitments.keys, (name, locale, slug)
                text = BeautifulSoup(render_body(source.body, profile, locale), "html.parser").get_text(" ")
                # Each passage's own words are there exactly when its commitment is made.
                for negated, key, words in _passage_words(source.body):
                    shown = profile.commitments.makes(key) != negated
                    assert (words in text) == shown, (name, locale, slug, key, words)
                if locale == "en":
                    for phrase in others:
                        assert phrase.lower() not in text.lower(), (name, slug, phrase)


def _passage_words(body):
    """(negated, commitment, some plain words of the passage: from its longest line, which no
    other passage shares) for each `::: if` block."""
    found, current = [], None
    for line in body.splitlines():
        stripped = line.strip()
        if match := re.match(r"^:::\s*if\s+(not\s+)?(\w+)\s*$", stripped):
            current = [bool(match.group(1)), match.group(2), []]
        elif stripped == ":::" and current:
            if current[2]:
                found.append((current[0], current[1], max(current[2], key=len)))
            current = None
        elif current is not None and stripped:
            # The plain runs of words between links, emphasis and tokens; the longest one is the
            # passage's fingerprint.
            for run in re.split(r"\[|\]\([^)]*\)|\*\*|[_*#>]|\{\{[^}]*\}\}|^- |^\d+\. |\(|\)", stripped):
                if len(run.strip()) > 12:
                    current[2].append(" ".join(run.split()))
    return found


@pytest.mark.parametrize("name, shown", [("whg-2022", False), ("wm-housing-group-2010", True)])
def test_a_staff_feature_that_keeps_a_commitment_exists_only_when_it_is_made(test_config, name, shown):
    """An emergency-transfer clock, say: a 404 for an organisation whose policy makes no such promise."""
    from flask import Blueprint, render_template_string

    from haven import access, create_app

    app = create_app(dict(test_config))
    app.extensions["haven_profile"] = replace(app.extensions["haven_profile"], commitments=PROFILES[name])
    feature = Blueprint("feature_for_test", __name__)

    @feature.get("/staff/test-transfer-clock")
    @access.needs_commitment("emergency_transfer")
    def clock():
        return render_template_string("{{ 'on' if commits('emergency_transfer') else 'off' }}")

    app.register_blueprint(feature)
    response = app.test_client().get("/staff/test-transfer-clock")
    assert response.status_code == (200 if shown else 404)
    if shown:
        assert response.get_data(as_text=True) == "on"
