"""Information pages: every page in every language, plain English, safe HTML, two clicks from home."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

import pytest
import textstat
from bs4 import BeautifulSoup

from haven.i18n import LOCALES
from haven.services.content import load_profile
from haven.services.targets import Targets
from haven.services.content_check import check
from haven.services.pages import SLUGS, load_page, missing_translations, page_path, read_source, render_body
from tests.helpers import CONTENT_DIR

TRANSLATED = [code for code in LOCALES if code != "en"]


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def article_text(client, path) -> str:
    article = soup(client.get(path)).find("article")
    return article.get_text(" ", strip=True)


def test_no_page_is_missing_in_any_language():
    assert missing_translations(CONTENT_DIR, LOCALES) == []


def bodies(locale, slug) -> tuple[str, str]:
    """(English body, translated body) of one page."""
    return tuple(read_source(page_path(CONTENT_DIR, code, slug), code, slug).body for code in ("en", locale))


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_are_whole_pages_not_stubs(locale):
    short = []
    for slug in SLUGS:
        english, translated = bodies(locale, slug)
        if len(translated) < len(english) / 2:
            short.append(f"{locale}/{slug}: {len(translated)} characters against {len(english)}")
    assert short == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_every_fact_token_and_phone_link(locale):
    differences = []
    for slug in SLUGS:
        english, translated = bodies(locale, slug)
        for pattern in (r"\{\{\s*\w+\s*\}\}", r"\(tel:[0-9+]+\)"):
            if sorted(set(re.findall(pattern, english))) != sorted(set(re.findall(pattern, translated))):
                differences.append(f"{locale}/{slug}: {pattern}")
    assert differences == []


@pytest.mark.parametrize("slug", SLUGS)
def test_english_pages_are_plain_words(client, slug):
    text = article_text(client, f"/en/{slug}")
    score = textstat.flesch_reading_ease(text)
    assert score >= 60, f"{slug} scores {score:.0f} on Flesch reading ease"


@pytest.mark.parametrize("path", [f"/{locale}/{slug}" for locale in LOCALES for slug in SLUGS])
def test_every_page_has_one_h1_and_no_skipped_heading_level(client, path):
    response = client.get(path)
    assert response.status_code == 200
    levels = [int(tag.name[1]) for tag in soup(response).find_all(re.compile(r"^h[1-6]$"))]
    assert levels.count(1) == 1 and levels[0] == 1
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"{path}: h{before} followed by h{after}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_is_within_two_clicks_of_the_home_page(client, locale):
    def links(path):
        page = soup(client.get(path))
        found = set()
        for a in page.find_all("a", href=True):
            parts = urlsplit(urljoin(f"http://localhost{path}", a["href"]))
            if parts.netloc == "localhost" and parts.path.startswith(f"/{locale}/"):
                found.add(parts.path)
        return found

    one_click = links(f"/{locale}/")
    two_clicks = set().union(*(links(path) for path in one_click))
    reachable = one_click | two_clicks
    assert {f"/{locale}/{slug}" for slug in SLUGS} <= reachable


def test_pages_show_the_organisations_facts_or_a_visible_placeholder(client):
    page = soup(client.get("/en/how-we-can-help"))
    placeholders = [span.get_text() for span in page.select("article .placeholder")]
    assert any("domestic abuse team's phone number" in text for text in placeholders)
    assert "{{" not in page.get_text()


# site.yaml's development targets (4 hours, 1 working day), as each language says them.
RESPONSE_TIMES = {
    "en": ("within 4 hours", "within 1 working day"),
    "pl": ("w ciągu 4 godzin", "w ciągu 1 dnia roboczego"),
    "ro": ("în termen de 4 ore", "în termen de 1 zi lucrătoare"),
    "ar": ("خلال 4 ساعات", "خلال يوم عمل واحد"),
}


@pytest.mark.parametrize("locale", RESPONSE_TIMES)
def test_the_response_targets_read_as_numbers_in_each_language(client, locale):
    text = soup(client.get(f"/{locale}/what-happens-next")).select_one("article").get_text(" ")
    urgent, standard = RESPONSE_TIMES[locale]
    assert urgent in text and standard in text


def test_supplied_facts_replace_the_tokens(app):
    profile = replace(load_profile(CONTENT_DIR), da_phone="0121 000 0000",
                      targets=Targets(urgent_hours=2, standard_working_days=3, confirmed=True))
    html = render_body("Call {{da_phone}}. We answer within {{urgent_timescale}} or {{standard_timescale}}.", profile)
    assert '<a class="phone" dir="ltr" href="tel:01210000000">0121 000 0000</a>' in html
    assert "within 2 hours or 3 working days" in html and "placeholder" not in html


@pytest.mark.parametrize("markdown, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("[click](javascript:alert(1))", 'href="javascript:'),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", 'href="data:'),
    ('<a href="javascript:alert(1)">x</a>', "<a"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("<svg onload=alert(1)>", "<svg"),
    ("![photo](https://tracker.example/pixel.gif)", "<img"),
])
def test_markdown_cannot_carry_script_or_remote_resources(markdown, forbidden):
    html = render_body(markdown, load_profile(CONTENT_DIR))
    assert forbidden not in html.lower()


def test_links_that_leave_the_site_hide_the_referrer_and_phone_links_stay_left_to_right():
    html = render_body("[Women's Aid](https://www.womensaid.org.uk/) or [0808 2000 247](tel:08082000247)",
                       load_profile(CONTENT_DIR))
    assert 'rel="noreferrer"' in html
    assert 'class="phone"' in html and 'dir="ltr"' in html


@pytest.fixture
def content_copy(tmp_path):
    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    return tmp_path / "content"


def test_a_missing_translation_falls_back_to_english_with_a_translated_notice(app, client, content_copy):
    (content_copy / "pages" / "pl" / "moving-home.md").unlink()
    app.config["CONTENT_DIR"] = content_copy
    page = soup(client.get("/pl/moving-home"))
    assert page.find("html")["lang"] == "pl"
    assert page.find("article")["lang"] == "en"
    english_title = read_source(page_path(CONTENT_DIR, "en", "moving-home"), "en", "moving-home").title
    assert page.find("h1").get_text() == english_title
    notice = page.find("p", class_="notice").get_text()
    assert notice and "English" not in notice  # the notice itself is in Polish
    assert missing_translations(content_copy, LOCALES) == ["pl/moving-home"]


def test_content_check_reports_page_placeholders_and_broken_front_matter(content_copy):
    passes, lines = check(content_copy, production=True)
    assert not passes and any("pages/en/privacy.md [TO SUPPLY:" in line for line in lines)
    (content_copy / "pages" / "en" / "privacy.md").write_text("no front matter")
    passes, lines = check(content_copy, production=False)
    assert not passes and any("front matter" in line for line in lines)


def test_unknown_slug_is_404_even_if_a_file_exists(client):
    assert client.get("/en/README").status_code == 404
    assert load_page(CONTENT_DIR, "en", "../site", load_profile(CONTENT_DIR)) is None


# By hand: the team's hours "Mon-Fri 09:00-17:00", as each language names the days.
TEAM_HOURS = {"en": "Monday to Friday 09:00–17:00", "pl": "poniedziałek", "ar": "الاثنين"}


@pytest.mark.parametrize("locale", TEAM_HOURS)
def test_the_teams_hours_are_data_each_language_words(app, locale):
    profile = replace(load_profile(CONTENT_DIR), opening_hours="Mon-Fri 09:00-17:00")
    with app.test_request_context():
        html = render_body("Open: {{opening_hours}}.", profile, locale)
    assert TEAM_HOURS[locale] in html and "Mon-Fri" not in html


def test_team_hours_in_another_format_are_refused(tmp_path):
    import shutil

    import yaml

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    data = yaml.safe_load((content / "site.yaml").read_text())
    data["organisation"]["da_team"]["opening_hours"] = "Weekdays, 9 till 5"
    (content / "site.yaml").write_text(yaml.safe_dump(data))
    passes, lines = check(content, production=False)
    assert not passes and any("opening_hours" in line and "Mon-Fri 09:00-17:00" in line for line in lines)
