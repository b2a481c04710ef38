"""The directory and its editor in real Chromium: an editor creates, previews and publishes a
listing, a resident finds it, the editor retires it and it is gone; the directory's filters work
without JavaScript; axe-core on every editor page; screenshots at desktop, 320 px and in Arabic."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from haven import db
from haven.services import staff
from tests.helpers import axe_results, load_listings

pytestmark = pytest.mark.browser
PASSWORD = "a long and unusual passphrase"


def assert_accessible(page):
    results = axe_results(page)
    assert results.violations_count == 0, results.generate_report()


def editor_account(app, email):
    """A set-up editor account; returns its TOTP secret (set up two minutes ago)."""
    with app.app_context():
        session = db.session()
        user, _ = staff.create_account(session, email, ["editor"], actor="test", link_hours=1)
        keyring = app.extensions["haven_keyring"]
        secret = staff.begin_enrolment(session, keyring, user)
        moment = staff.utcnow() - timedelta(minutes=2)
        staff.complete_setup(session, keyring, user, PASSWORD, pyotp.TOTP(secret).at(moment), now=moment)
    return secret


def sign_in(page, live_server, email, secret):
    page.goto(f"{live_server}/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Staff home")


def test_an_editor_publishes_a_listing_residents_find_it_and_retiring_removes_it(
        page, context, live_server, live_app, artifacts):
    load_listings(live_app)
    secret = editor_account(live_app, "editor.browser@example.org")
    sign_in(page, live_server, "editor.browser@example.org", secret)
    page.get_by_role("link", name="Support service listings").click()
    expect(page.locator("h1")).to_have_text("Support service listings")
    assert_accessible(page)
    page.screenshot(path=artifacts / "editor-dashboard-desktop.png", full_page=True)

    page.get_by_role("link", name="Add a listing").click()
    expect(page.locator("h1")).to_have_text("Add a listing")
    assert_accessible(page)
    page.get_by_role("button", name="Save as draft").click()  # nothing filled in
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Walsall Browser Refuge")
    page.get_by_label("Summary", exact=True).fill("Safe accommodation for women and children.")
    page.get_by_label("Description (optional)").fill("Call us **any time**.\n\n<script>alert(1)</script>")
    page.get_by_label("Refuges and safe accommodation").check()
    page.get_by_label("In the local areas below").check()
    page.get_by_label("Walsall").check()
    page.locator("#contacts-0-kind").select_option("phone")
    page.locator("#contacts-0-value").fill("0121 496 0000")
    page.get_by_role("textbox", name="Opening hours").fill("24/7")
    page.get_by_label("Checked against").fill("https://example.org/refuge")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".preview .listing")
    expect(preview).to_contain_text("Walsall Browser Refuge")
    expect(preview.locator("strong")).to_have_text("any time")
    expect(preview.locator("script")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=artifacts / "editor-preview-desktop.png", full_page=True)

    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".confirmation")).to_contain_text("saved as a draft")
    assert_accessible(page)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".confirmation")).to_contain_text("Published")
    listing_url = page.url.split("?")[0]

    resident = context.new_page()
    resident.goto(f"{live_server}/en/support-services?area=walsall")
    expect(resident.locator("section:has(#local-heading) .listing-name")
           .filter(has_text="Walsall Browser Refuge")).to_have_count(1)
    expect(resident.get_by_role("link", name="0121 496 0000")).to_have_attribute("href", "tel:01214960000")

    page.get_by_role("link", name="Version 2").click()
    expect(page.locator("h1")).to_have_text("Version 2")
    assert_accessible(page)
    page.goto(listing_url + "/edit")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Walsall Browser Refuge")
    assert_accessible(page)
    page.goto(listing_url)
    page.get_by_role("button", name="Retire").click()
    expect(page.locator(".confirmation")).to_contain_text("Retired")
    resident.reload()
    expect(resident.get_by_text("Walsall Browser Refuge")).to_have_count(0)

    # The editor in Arabic, right to left, at phone width.
    arabic = context.browser.new_context(viewport={"width": 320, "height": 800}, locale="ar",
                                         extra_http_headers={"Accept-Language": "ar"})
    arabic.add_cookies(context.cookies())
    arabic_page = arabic.new_page()
    arabic_page.goto(listing_url)
    expect(arabic_page.locator("html")).to_have_attribute("dir", "rtl")
    assert_accessible(arabic_page)
    arabic_page.screenshot(path=artifacts / "editor-listing-ar-320.png", full_page=True)
    overflow = arabic_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    arabic_page.screenshot(path=artifacts / "editor-listing-ar-320.png", full_page=True)
    arabic.close()


def test_the_directory_filters_without_javascript_and_keep_them_in_the_url(no_js_context, live_server, live_app, artifacts):
    load_listings(live_app)
    page = no_js_context.new_page()
    page.goto(f"{live_server}/en/support-services")
    page.get_by_label("Postcode (optional)").fill("WS1")
    page.get_by_label("Kind of help").select_option("helpline")
    page.get_by_role("button", name="Show services").click()
    assert page.url.endswith("/en/support-services?district=WS1&area=&need=helpline")
    expect(page.locator("#local-heading")).to_have_text("Local services in Walsall")
    expect(page.locator("#listing-national-domestic-abuse-helpline")).to_be_visible()
    expect(page.locator("#listing-forced-marriage-unit")).to_have_count(0)  # not a helpline
    page.screenshot(path=artifacts / "directory-desktop.png", full_page=True)


@pytest.mark.parametrize("locale, width", [("en", 320), ("ar", 320), ("ur", 1280)])
def test_directory_screenshots(open_context, live_server, live_app, artifacts, locale, width):
    load_listings(live_app)
    page = open_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{live_server}/{locale}/support-services?district=WS1")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    phone = page.locator("a[href='tel:08082000247']").first
    expect(phone).to_have_attribute("dir", "ltr")
    page.screenshot(path=artifacts / f"directory-{locale}-{width}.png", full_page=True)
