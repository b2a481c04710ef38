"""The public pages: what a resident sees, in every language, and where every link leads."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from haven.i18n import LOCALES
from tests.helpers import public_paths

ALL_PUBLIC = [path for locale in LOCALES for path in public_paths(locale)]


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize("path", ALL_PUBLIC)
def test_every_public_page_has_exit_emergency_numbers_and_right_language(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = soup(response)
    locale = path.split("/")[1]
    html = page.find("html")
    assert html["lang"] == locale
    assert html["dir"] == LOCALES[locale].direction
    focusable = page.find_all(["a", "button", "input", "select", "textarea"])
    assert focusable[0]["href"] == "/exit", "the first thing a keyboard reaches is the quick exit"
    assert any(a.get("href") == "/exit" and "exit-button" in a.get("class", []) for a in focusable)
    assert page.find("a", href="tel:999"), "999 is on every page"
    assert page.find("main", id="main")
    # Phone numbers read left to right even inside Urdu and Arabic.
    for phone in page.select("a[href^='tel:']"):
        assert phone.get("dir") == "ltr"


def test_home_page_gives_emergency_help_helpline_our_team_and_five_routes(client):
    page = soup(client.get("/en/"))
    text = page.get_text(" ", strip=True)
    assert "call 999" in text.lower()
    assert "press 55" in text and "Silent Solution" in text
    assert page.find("a", href="tel:08082000247")
    assert "Free, 24 hours a day" in text
    # The organisation's own number is a visible placeholder until it is supplied, never a link.
    assert "[TO SUPPLY:" in text
    assert not page.find("a", href=lambda h: h and h.startswith("tel:[TO"))
    routes = [a["href"] for a in page.select(".routes a")]
    # The form's interruption page comes first: two taps from home to the form.
    assert routes == ["/en/ask-for-help", "/en/help-for-myself", "/en/worried-about-someone",
                      "/en/worried-about-my-behaviour", "/en/support-services"]
    exit_help = page.find("section", class_="exit-help").get_text(" ", strip=True)
    assert "Shift key 3 times" in exit_help
    assert "does not delete your browsing history" in exit_help
    assert page.find("section", class_="exit-help").find("a", href="/en/cover-your-tracks")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_internal_link_leads_to_a_real_page(client, locale):
    """Crawl from the home page: no internal link may be a dead end."""
    seen, queue = set(), [f"/{locale}/"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        if not response.mimetype == "text/html":
            continue
        page = soup(response)
        for tag in page.find_all(["a", "link", "script"]):
            target = tag.get("href") or tag.get("src")
            if not target or target.startswith(("#", "tel:", "mailto:")):
                continue
            parts = urlsplit(urljoin("http://localhost" + path, target))
            if parts.netloc != "localhost" or parts.path == "/exit":
                continue
            queue.append(parts.path)
    assert len(seen) >= len(public_paths(locale))


@pytest.mark.parametrize("path", ALL_PUBLIC)
def test_nothing_is_loaded_from_another_site_and_outbound_links_hide_the_referrer(client, path):
    page = soup(client.get(path))
    for tag in page.find_all(src=True):
        assert not urlsplit(tag["src"]).netloc, f"off-site resource {tag['src']}"
    for tag in page.find_all("link", href=True):
        assert not urlsplit(tag["href"]).netloc, f"off-site stylesheet {tag['href']}"
    for form in page.find_all("form"):
        assert not urlsplit(form.get("action", "")).netloc
    for link in page.find_all("a", href=True):
        if urlsplit(link["href"]).netloc or link["href"] == "/exit":
            assert "noreferrer" in link.get("rel", []), link


def test_language_switcher_names_languages_in_their_own_script_and_keeps_the_page(client):
    page = soup(client.get("/pl/privacy"))
    links = {a["lang"]: a for a in page.select("nav.languages a")}
    assert {code: a.get_text() for code, a in links.items()} == {
        "en": "English", "pl": "Polski", "ro": "Română", "pa": "ਪੰਜਾਬੀ", "ur": "اردو", "ar": "العربية"}
    assert links["ar"]["href"] == "/ar/privacy"
    assert links["pl"].get("aria-current") == "true"


def test_pages_are_translated(client):
    english = soup(client.get("/en/")).find("h1").get_text()
    for locale in LOCALES:
        if locale != "en":
            assert soup(client.get(f"/{locale}/")).find("h1").get_text() != english, locale


@pytest.mark.parametrize("accept, expected", [
    ("pl-PL,pl;q=0.9,en;q=0.5", "/pl/"),
    ("ar", "/ar/"),
    ("ur-PK", "/ur/"),
    ("fr-FR,de;q=0.8", "/en/"),
    ("", "/en/"),
])
def test_root_redirects_by_browser_language_without_a_cookie(client, accept, expected):
    response = client.get("/", headers={"Accept-Language": accept} if accept else {})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert "Accept-Language" in response.headers["Vary"]
    assert not response.headers.getlist("Set-Cookie")


def test_unknown_language_or_page_is_a_translated_404(client):
    assert client.get("/xx/").status_code == 404
    response = client.get("/pl/no-such-page")
    assert response.status_code == 404
    assert soup(response).find("html")["lang"] == "pl"


def test_public_pages_are_rendered_once_per_process_and_errors_are_not_kept(app, client):
    first = client.get("/ro/privacy").get_data()
    assert client.get("/ro/privacy").get_data() == first
    client.get("/ro/no-such-page")
    cache = app.extensions["haven_page_cache"]
    assert "/ro/privacy" in cache and "/ro/no-such-page" not in cache
    # The cached page is the page: change what it would render and the cache still answers.
    cache["/ro/privacy"] = "cached copy"
    assert client.get("/ro/privacy").get_data(as_text=True) == "cached copy"


def test_debug_mode_renders_every_time(app, client):
    app.debug = True
    client.get("/en/")
    assert "/en/" not in app.extensions.get("haven_page_cache", {})


def test_the_browsers_favicon_request_is_answered_without_a_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 204 and response.data == b""


@pytest.mark.parametrize("locale", LOCALES)
def test_every_public_page_has_a_meta_description_in_its_language(client, locale):
    """People search for help: each page describes itself in the reader's language."""
    from tests.helpers import public_paths

    english = {}
    for path in public_paths("en"):
        tag = soup(client.get(path)).find("meta", attrs={"name": "description"})
        english[path.removeprefix("/en")] = tag["content"]
    for path in public_paths(locale):
        tag = soup(client.get(path)).find("meta", attrs={"name": "description"})
        assert tag and len(tag["content"].strip()) >= 40, path
        if locale != "en":
            assert tag["content"] != english[path.removeprefix(f"/{locale}")], f"{path} is described in English"
