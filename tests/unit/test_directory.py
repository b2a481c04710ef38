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
    website = helpline.find("a", href="https://www.nationaldahelpline.org.uk")  # the name is the link
    assert website["rel"] == ["noreferrer"] and website.get_text() == "National Domestic Abuse Helpline"
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


def test_area_and_postcode_district_show_local_services_before_national_ones(seeded, client, clock):
    add_listing(seeded)
    add_listing(seeded, slug="walsall-draft", name="Unpublished draft", state="draft")
    for url in ("/en/support-services?area=walsall", "/en/support-services?district=WS3"):
        page = soup(client.get(url))
        assert names(page, "local-heading") == ["Walsall test service"], url
        assert "Local services in Walsall" in page.find(id="local-heading").get_text()
        headings = [h.get("id") for h in page.find_all("h2")]
        assert headings.index("local-heading") < headings.index("national-heading"), url


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
    assert page.select_one(".directory-first a[href='tel:08082000247']")  # the helpline stays at the top


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
    english = article.find("p", lang="en")  # the whole paragraph, so it is isolated as one
    assert english["dir"] == "ltr" and english.get_text() == "Local help."
    # Said once for the page, not on every card.
    assert len(page.select(".in-english-note")) == 1
    assert "(in English)" not in article.get_text()
    assert not soup(client.get("/en/support-services?area=walsall")).select(".in-english-note")


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


# --- the directory in a crisis -------------------------------------------------------------------

def slugs(page, section_id):
    section = page.find(id=section_id).find_parent("section")
    return [h["id"].removeprefix("listing-") for h in section.select(".listing-name")]


def test_national_services_come_in_the_hand_written_order_not_by_name(seeded, client, clock):
    # Written out here by hand, not read from directory.RANKING: the 24/7 lines first.
    expected = ["national-domestic-abuse-helpline", "police-emergency", "rape-crisis", "samaritans",
                "mens-advice-line", "galop", "national-stalking-helpline", "karma-nirvana",
                "forced-marriage-unit", "nspcc-helpline", "childline", "hourglass",
                "surviving-economic-abuse", "respect-phoneline"]
    assert slugs(soup(client.get("/en/support-services")), "national-heading") == expected


def test_listings_not_in_the_ranking_come_after_the_ranked_ones_by_name(seeded, client, clock):
    add_listing(seeded, slug="zz-national", name="Aardvark national line", coverage="national")
    add_listing(seeded, slug="aa-national", name="Zebra national line", coverage="national")
    add_listing(seeded, slug="walsall-b", name="B local")
    add_listing(seeded, slug="walsall-a", name="A local")
    page = soup(client.get("/en/support-services?area=walsall"))
    national = slugs(page, "national-heading")
    assert national[0] == "national-domestic-abuse-helpline"
    assert national[-3:] == ["respect-phoneline", "zz-national", "aa-national"]
    assert slugs(page, "local-heading") == ["walsall-a", "walsall-b"]


def test_999_and_the_helpline_come_first_then_local_then_national(seeded, client, clock):
    add_listing(seeded)
    main = soup(client.get("/en/support-services?area=walsall")).find("main")
    order = [tag for tag in main.find_all(["h1", "h2", "form"])]
    names_in_order = [tag.get("id") or tag.name for tag in order]
    assert names_in_order[:3] == ["h1", "emergency-heading", "helpline-heading"]
    assert names_in_order[3:] == ["form", "local-heading", "national-heading"]
    first = main.select_one(".directory-first")
    assert first.select_one("a[href='tel:999']") and "Silent Solution" in first.get_text()
    assert first.select_one("a[href='tel:08082000247']")


@pytest.mark.parametrize("typed, district", [
    # Written by hand: a whole postcode in any spacing or case gives its district, the part
    # before the last three characters (the inward code, a digit and two letters).
    ("WS11AA", "WS1"), ("WS1 1AA", "WS1"), ("ws1 1aa", "WS1"), (" w s 1 1 a a ", "WS1"),
    ("WS111AA", "WS11"), ("ws11 1aa", "WS11"), ("B11AA", "B1"), ("B1 1AA", "B1"),
    ("SW1A 1AA", "SW1A"), ("sw1a1aa", "SW1A"), ("EC1A 1BB", "EC1A"), ("M11AE", "M1"),
    # Two to four characters are a district on their own.
    ("ws11", "WS11"), ("WS1", "WS1"), ("b1", "B1"), ("WV13", "WV13"),
    # Neither a district nor a postcode.
    ("WS11A", None), ("WS1 1A", None), ("WS1 AAA", None), ("1WS", None), ("W", None),
    ("WS11AAA", None), ("12345", None), ("", None),
])
def test_postcode_to_district(typed, district):
    from haven.services.areas import outward_code

    assert outward_code(typed) == district


@pytest.mark.parametrize("typed, district", [("WS11AA", "WS1"), ("ws1 1aa", "WS1"), ("ws11", "WS11"),
                                             ("WS3  1AB", "WS3")])
def test_a_whole_postcode_is_sent_to_its_district_and_never_kept_in_the_url(seeded, client, typed, district):
    response = client.get("/en/support-services", query_string={"district": typed})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/en/support-services?district={district}"


def test_the_postcode_box_takes_a_whole_postcode_and_says_what_happens_to_it(seeded, client):
    page = soup(client.get("/en/support-services"))
    box = page.find(id="district")
    assert int(box["maxlength"]) >= 8 and box["autocomplete"] == "off"
    hint = page.find(id="district-hint").get_text()
    assert "first half" in hint and "browser history" in hint and "not kept" not in hint


def test_compact_cards_leave_out_what_is_not_known_and_the_page_says_so_once(seeded, client, clock):
    page = soup(client.get("/en/support-services"))
    text = page.find("main").get_text()
    for unknown in ("Not confirmed yet", "Not yet checked by our team", "Last checked", "Opening hours"):
        assert unknown not in text, unknown
    assert text.count("We are still checking some details") == 1
    galop = page.find(id="listing-galop").find_parent("article")  # hours not known yet
    assert [li.get_text(strip=True) for li in galop.select(".contacts li")] == ["0800 999 5428"]
    assert not galop.select(".listing-hours, .listing-more, dl")
    police = page.find(id="listing-police-emergency").find_parent("article")  # hours and access known
    assert "24 hours a day, every day" in police.select_one(".listing-hours").get_text()
    assert "Relay UK" in police.select_one(".listing-more").get_text()
    assert "Emergency: 999" in police.select_one(".contacts").get_text(" ", strip=True).replace(" :", ":")


def test_the_line_about_checking_goes_when_everything_shown_is_checked(seeded, client, clock):
    add_listing(seeded, last_verified="2026-11-01")
    page = soup(client.get("/en/support-services?area=walsall&need=idva"))
    assert names(page, "local-heading") == ["Walsall test service"] and names(page, "national-heading") == []
    assert "We are still checking some details" not in page.get_text()


def test_the_helpline_is_not_said_to_be_for_anyone(seeded, client, clock):
    page = soup(client.get("/en/support-services?district=ZE1"))
    helpline = page.find(id="listing-national-domestic-abuse-helpline").find_parent("article").get_text()
    assert "anyone" not in helpline
    assert "help everyone" not in page.get_text()


def visible_text(page) -> str:
    """What the page shows: a closed list shows only its chosen (or first) option."""
    main = page.find("main")
    for select in main.find_all("select"):
        options = select.find_all("option")
        shown = next((o for o in options if o.has_attr("selected")), options[0] if options else None)
        for option in options:
            if option is not shown:
                option.decompose()
    for hidden in main.select(".visually-hidden"):
        hidden.decompose()
    return main.get_text(" ", strip=True)


def test_the_directory_is_plain_words(seeded, client, clock):
    import textstat

    text = visible_text(soup(client.get("/en/support-services")))
    score = textstat.flesch_reading_ease(text)
    assert score >= 60, f"the directory scores {score:.0f} on Flesch reading ease"


@pytest.mark.parametrize("path", ["/en/", "/en/help-for-myself", "/ar/", "/ar/help-for-myself"])
def test_men_and_lgbt_people_see_their_lines_under_the_helpline(seeded, client, path):
    box = soup(client.get(path)).select_one(".helpline")
    line = box.select_one(".also-call")
    assert line is not None, path
    phones = [(a["href"], a["dir"], a.get_text()) for a in line.select("a.phone")]
    assert phones == [("tel:08088010327", "ltr", "0808 801 0327"), ("tel:08009995428", "ltr", "0800 999 5428")]
    if path.startswith("/ar/"):
        assert [span["lang"] for span in line.select("span[dir=ltr]")] == ["en", "en"]


def test_the_other_lines_come_from_the_listings(seeded, client):
    from haven.models import Listing

    with seeded.app_context():
        session = db.session()
        galop = listing_store.by_slug(session, "galop")
        doc = listing_store.document(galop)
        doc["contacts"] = [{"kind": "phone", "value": "0800 999 0000"}]
        listing_store.update(session, galop, doc, "test")
        session.execute(Listing.__table__.update().where(Listing.slug == "mens-advice-line").values(state="retired"))
        session.commit()
    line = soup(client.get("/en/")).select_one(".helpline .also-call")
    assert [a.get_text() for a in line.select("a.phone")] == ["0800 999 0000"]
    assert "Men's Advice Line" not in line.get_text()


def test_no_line_without_listings_and_beside_the_helpline_wherever_it_stands_alone(app, client):
    assert soup(client.get("/en/")).select_one(".also-call") is None
    runner = app.test_cli_runner()
    runner.invoke(args=["content", "load"])
    # whg 4.1: the policy is for all genders, so the women's helpline never stands alone.
    for path in ("/en/", "/en/moving-home", "/en/ask-for-help", "/en/tell-us-about-someone/sent"):
        assert soup(client.get(path)).select_one(".also-call") is not None, path
    # The directory lists both services itself.
    assert soup(client.get("/en/support-services")).select_one(".also-call") is None
