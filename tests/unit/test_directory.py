"""The public support services directory: filters, fallbacks, empty results and safe links."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven import db
from haven.i18n import LOCALES
from haven.public import directory_views
from haven.services import hours, listing_store
from haven.services.areas import load_areas
from haven.services.listings import validate
from tests.helpers import CONTENT_DIR


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def names(page, section_id):
    heading = page.find(id=section_id)
    if heading is None:
        return []
    return [h.get_text(strip=True) for h in heading.find_parent("section").select(".listing-name")]


def add_listing(app, state="published", **changes):
    data = {"slug": "walsall-test-service", "name": "Walsall test service", "summary": "Local help.",
            "categories": ["idva"], "coverage": ["walsall"], "hours": "Mon-Fri 09:00-17:00",
            "contacts": [{"kind": "phone", "value": "0121 496 0000"}], "source": "https://example.org/"}
    data.update(changes)
    with app.app_context():
        doc, errors = validate(data, areas=load_areas(CONTENT_DIR), locales=LOCALES)
        assert errors == {}
        listing_store.create(db.session(), doc, "test", state=state)
        db.session().commit()


@pytest.fixture
def seeded(app, runner):
    runner.invoke(args=["content", "load"])
    return app


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = datetime(2026, 11, 23, 12, 0, tzinfo=hours.UK)  # a Monday at noon

    monkeypatch.setattr(directory_views, "now", lambda: Clock.now)
    return Clock


def test_national_services_are_listed_with_safe_links(seeded, client, clock):
    response = client.get("/en/support-services")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    page = soup(response)
    national = names(page, "national-heading")
    assert "National Domestic Abuse Helpline" in national and "Samaritans" in national
    assert not any("TO SUPPLY" in name or "Walsall" in name for name in national)  # drafts stay hidden
    assert page.find(id="local-heading") is None
    helpline = page.find(id="listing-national-domestic-abuse-helpline").find_parent("article")
    tel = helpline.find("a", href="tel:08082000247")
    assert tel["dir"] == "ltr" and tel.get_text() == "0808 2000 247"
    website = helpline.find("a", href="https://www.nationaldahelpline.org.uk")
    assert website["rel"] == ["noreferrer"]
    assert "Last checked" in helpline.get_text() and "Not yet checked by our team" in helpline.get_text()
    assert "24 hours a day, every day" in helpline.get_text()


def test_every_link_that_leaves_the_site_has_no_referrer(seeded, client):
    page = soup(client.get("/en/support-services"))
    for link in page.find_all("a", href=True):
        if link["href"].startswith("http"):
            assert "noreferrer" in link.get("rel", []), link["href"]


def test_need_filter(seeded, client, clock):
    page = soup(client.get("/en/support-services?need=men"))
    assert names(page, "national-heading") == ["Men's Advice Line"]
    assert page.find("option", value="men").has_attr("selected")


def test_area_and_postcode_district_show_local_services_after_national_ones(seeded, client, clock):
    add_listing(seeded)
    add_listing(seeded, slug="walsall-draft", name="Unpublished draft", state="draft")
    for url in ("/en/support-services?area=walsall", "/en/support-services?district=WS3"):
        page = soup(client.get(url))
        assert names(page, "local-heading") == ["Walsall test service"], url
        assert "Local services in Walsall" in page.find(id="local-heading").get_text()
        text = page.get_text()
        assert text.index("National services") < text.index("Local services in Walsall")


def test_a_whole_postcode_is_cut_to_its_district_before_anything_is_shown(seeded, client):
    response = client.get("/en/support-services?district=ws3+1ab&need=idva")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/support-services?district=WS3&need=idva"
    assert soup(client.get("/en/support-services?district=WS3")).find(id="district")["value"] == "WS3"


def test_a_district_we_do_not_cover_says_so_and_keeps_national_help(seeded, client, clock):
    add_listing(seeded)
    page = soup(client.get("/en/support-services?district=ZE1"))
    assert "We do not list local services for ZE1 yet" in page.get_text()
    assert "National Domestic Abuse Helpline" in names(page, "national-heading")
    assert "Walsall test service" not in page.get_text()


def test_open_now_uses_uk_time_and_hides_unknown_hours(seeded, client, clock):
    add_listing(seeded)
    page = soup(client.get("/en/support-services?area=walsall&open=1"))
    assert names(page, "local-heading") == ["Walsall test service"]
    national = names(page, "national-heading")
    assert "Samaritans" in national and "Galop – National LGBT+ Domestic Abuse Helpline" not in national
    assert "not shown because we have not confirmed" in page.get_text()
    assert page.find(id="listing-samaritans").find_parent("article").select_one(".tag-open")

    clock.now = datetime(2026, 11, 23, 17, 30, tzinfo=hours.UK)  # after closing
    page = soup(client.get("/en/support-services?area=walsall&open=1"))
    assert names(page, "local-heading") == []
    assert "No local service matches what you chose." in page.get_text()
    # 08:30 UTC in July is 09:30 in London: open.
    clock.now = datetime(2026, 7, 6, 8, 30, tzinfo=timezone.utc)
    assert names(soup(client.get("/en/support-services?area=walsall&open=1")), "local-heading") == \
        ["Walsall test service"]


def test_no_results_offers_a_way_back_and_the_national_helpline(seeded, client, clock):
    page = soup(client.get("/en/support-services?need=housing"))
    text = page.get_text()
    assert "No national service matches what you chose." in text
    assert page.find("a", href="/en/support-services", string="Show all support services")
    assert page.select_one(".empty-results a[href='tel:08082000247']")


@pytest.mark.parametrize("query", ["need=astrology", "area=atlantis", "district=12345", "district=%3Cscript%3E"])
def test_bad_filters_get_a_translated_error_and_change_nothing(seeded, client, query):
    response = client.get(f"/pl/support-services?{query}")
    assert response.status_code == 400
    page = soup(response)
    summary = page.select_one(".error-summary")
    assert summary and summary.find("h2").get_text() != "There is a problem"  # in Polish
    assert "<script>" not in response.get_data(as_text=True)
    assert "National Domestic Abuse Helpline" in names(page, "national-heading")


def test_listing_text_in_the_readers_language_or_marked_as_english(seeded, client):
    add_listing(seeded, translations={"pl": {"summary": "Lokalna pomoc."}})
    page = soup(client.get("/pl/support-services?area=walsall"))
    article = page.find(id="listing-walsall-test-service").find_parent("article")
    summary = article.find("p", string=lambda s: s and "Lokalna pomoc." in s)
    assert summary is not None and not summary.has_attr("lang")
    page = soup(client.get("/ro/support-services?area=walsall"))
    article = page.find(id="listing-walsall-test-service").find_parent("article")
    english = article.find("span", string="Local help.")
    assert english["lang"] == "en" and english["dir"] == "ltr"
    assert english.find_next_sibling("span", class_="in-english").get_text() == "(în limba engleză)"


def test_hours_and_languages_are_in_the_readers_language(seeded, client):
    add_listing(seeded, languages=["en", "pl"])
    page = soup(client.get("/pl/support-services?area=walsall"))
    article = page.find(id="listing-walsall-test-service").find_parent("article")
    text = article.get_text()
    assert "poniedziałek" in text.lower() and "piątek" in text.lower() and "09:00–17:00" in text
    assert "polski" in text.lower()


def test_a_contact_with_its_own_hours_shows_them(seeded, client):
    add_listing(seeded, contacts=[{"kind": "phone", "value": "0121 496 0000"},
                                  {"kind": "chat", "value": "https://example.org/chat", "hours": "Sat 10:00-12:00"}])
    page = soup(client.get("/en/support-services?area=walsall"))
    chat = page.find("a", href="https://example.org/chat").find_parent("li")
    assert "Live chat" in chat.get_text() and "Saturday: 10:00–12:00" in chat.get_text()


def test_the_directory_is_linked_from_home_and_every_footer(seeded, client):
    for path in ("/en/", "/en/moving-home"):
        assert soup(client.get(path)).find("a", href="/en/support-services"), path


def test_residents_can_read_the_directory_while_an_editor_is_saving(seeded, client):
    """Reading never queues behind a write: on SQLite the directory's transactions begin deferred."""
    from haven.models import Listing

    with seeded.app_context():
        with db.engine().connect() as writer:
            writer.begin()
            writer.execute(Listing.__table__.update().where(Listing.slug == "samaritans").values(state="retired"))
            response = client.get("/en/support-services")  # while the write is not yet committed
            writer.rollback()
    assert response.status_code == 200
    assert "Samaritans" in names(soup(response), "national-heading")

FILTER_VALUES = st.one_of(st.text(max_size=40), st.sampled_from(
    ["WS1", "ws1 2ab", "walsall", "helpline", "1", "\x00", "%00", "<script>", "' OR 1=1 --", "\u202e", "😀" * 20]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["district", "area", "need", "open"]), FILTER_VALUES))
def test_any_filters_give_a_page_never_a_500(seeded, client, filters):
    response = client.get("/ro/support-services", query_string=filters)
    assert response.status_code in (200, 303, 400)
    if response.status_code == 400:
        assert soup(response).select_one(".error-summary a")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_make_a_stand_commitment_links_to_the_directory(client, locale):
    # The pledge's second promise is this directory: the page that states it leads to it.
    page = soup(client.get(f"/{locale}/our-commitment"))
    assert page.select_one("article a[href='support-services']")
