"""The directory as someone in danger meets it, on a small phone: 999 and the National Domestic
Abuse Helpline on the first screen, a page half as long as before, and a whole postcode that
finds its district without staying in the URL. Screenshots at 1280 px, and 320 px in English and
Arabic, go to test-artifacts/."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.helpers import load_listings

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 568}  # a small phone's first screen
# Measured before the compact directory: /en/support-services with no filters, at 320 x 568 px,
# was 11,129 px high, 19.6 screens (the helpline's listing was 8.8 screens down, the 999 box 17.6).
SCREENS_BEFORE = 19.6


def bottom(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["y"] + box["height"]


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_999_and_the_helpline_are_on_the_first_screen_and_the_page_is_half_as_long(
        open_context, live_server, live_app, artifacts, locale):
    load_listings(live_app)
    page = open_context(viewport=PHONE).new_page()
    page.goto(f"{live_server}/{locale}/support-services")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    emergency = page.locator("main .emergency")
    helpline = page.locator("main .directory-first a[href='tel:08082000247']")
    expect(emergency.locator("a[href='tel:999']").first).to_be_visible()
    assert bottom(emergency) <= PHONE["height"], "the whole 999 box is on the first screen"
    assert bottom(helpline) <= PHONE["height"], "the helpline's number is on the first screen"
    expect(helpline).to_have_attribute("dir", "ltr")
    page.screenshot(path=artifacts / f"directory-crisis-{locale}-320-first-screen.png")
    screens = page.evaluate("document.documentElement.scrollHeight") / PHONE["height"]
    assert screens <= SCREENS_BEFORE / 2, f"{screens:.1f} screens"
    page.screenshot(path=artifacts / f"directory-crisis-{locale}-320.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_directory_at_desktop_width(open_context, live_server, live_app, artifacts):
    load_listings(live_app)
    page = open_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server}/en/support-services?area=walsall")
    expect(page.locator("main .directory-first .emergency")).to_be_in_viewport()
    expect(page.locator("main .directory-first a[href='tel:08082000247']")).to_be_in_viewport()
    page.screenshot(path=artifacts / "directory-crisis-en-1280.png", full_page=True)


@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize("typed, district", [("WS1 1AA", "WS1"), ("ws11aa", "WS1"), ("WS11", "WS11")])
def test_a_whole_postcode_finds_its_district_and_is_not_kept_in_the_url(
        open_context, live_server, live_app, javascript, typed, district):
    load_listings(live_app)
    page = open_context(viewport=PHONE, java_script_enabled=javascript).new_page()
    page.goto(f"{live_server}/en/support-services")
    page.get_by_label("Postcode (optional)").fill(typed)
    expect(page.get_by_label("Postcode (optional)")).to_have_value(typed)  # nothing cut off
    page.get_by_role("button", name="Show services").click()
    expect(page.locator("#district")).to_have_value(district)
    query = parse_qs(urlsplit(page.url).query)
    assert query["district"] == [district]
    assert "1AA" not in page.url.upper()
    if district == "WS1":
        expect(page.locator("#local-heading")).to_have_text("Local services in Walsall")
    # Back goes to the empty form, not to a page with the whole postcode in its address.
    page.go_back()
    assert "district" not in page.url


def test_home_shows_the_mens_and_lgbt_lines_under_the_helpline(open_context, live_server, live_app, artifacts):
    load_listings(live_app)  # raises the listings version: pages rendered before are not served again
    for locale in ("en", "ar"):
        page = open_context(viewport=PHONE).new_page()
        page.goto(f"{live_server}/{locale}/")
        line = page.locator(".helpline .also-call")
        expect(line.locator("a.phone")).to_have_count(2)
        expect(line.locator("a[href='tel:08088010327']")).to_have_attribute("dir", "ltr")
        line.scroll_into_view_if_needed()
        page.locator(".helpline").screenshot(path=artifacts / f"home-helpline-{locale}-320.png")
