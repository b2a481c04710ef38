"""Feedback after closure (WM 5.1) in real Chromium: a caseworker closes a referral and issues the
one-time link; the person opens it in Arabic on a 320 px phone (right to left, no sideways
scroll), answers by keyboard alone, sends, and the link then says kindly that it no longer works.
In English at desktop width without JavaScript, the same form shows its errors and sends. axe-core
on every page; the quick exit on each; no Referer carries the token, not even to Haven itself."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from haven.services import targets
from tests.browser.keyboard import press, sign_in
from tests.helpers import WM, assert_accessible, make_account, send_referral, use_profile

pytestmark = pytest.mark.browser

ARABIC = {"title": "أخبرنا برأيك في مساعدتنا", "thanks": "شكرًا على رأيك", "gone": "لم يعد هذا الرابط يعمل",
          "very_happy": "راضٍ جدًا", "happy": "راضٍ", "yes": "نعم", "send": "إرسال",
          "at_least_one": "أجب عن سؤال واحد على الأقل، ثم اضغط على «إرسال»"}


@pytest.fixture
def wm(live_app, monkeypatch):
    """WM's policy for this test only: the live server outlives it."""
    monkeypatch.setitem(live_app.extensions, "haven_profile", live_app.extensions["haven_profile"])
    use_profile(live_app, WM)


def issue_link(page, live_server, live_app, email: str, locale: str) -> str:
    """By keyboard on the staff side: close a referral, issue its link; the path it shows."""
    reference = send_referral(live_app, at=targets.now() - timedelta(hours=1), locale=locale)
    _, secret, _ = make_account(live_app, email=email, roles=("caseworker",))
    page.goto(f"{live_server}/staff/sign-in")
    sign_in(page, email, secret)
    expect(page.locator("h1")).to_have_text("Staff home")
    page.goto(f"{live_server}/staff/referrals/{reference}")
    press(page, page.get_by_label("Advice given"), "Space")
    press(page, page.get_by_label("Yes, they agreed"), "Space")
    press(page, page.get_by_role("button", name="Close referral"))
    expect(page.locator(".confirmation")).to_contain_text("Referral closed")
    press(page, page.get_by_role("button", name="Issue a feedback link"))
    shown = page.locator("[data-feedback-link]")
    expect(shown).to_have_count(1)
    expect(page.locator("main")).to_contain_text("Give this link to them only by the safe way they chose")
    page.locator("[data-feedback-link]").scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/feedback-staff-{locale}.png")
    assert_accessible(page)
    link = shown.inner_text().strip()
    found = re.fullmatch(r"http://127\.0\.0\.1:5000(/%s/feedback/[\w-]+)" % locale, link)
    assert found, link
    # Gone on the next load of the page (a reload would send the POST again: a new link), which says
    # only that one was issued.
    page.goto(f"{live_server}/staff/referrals/{reference}")
    expect(page.locator("[data-feedback-link]")).to_have_count(0)
    expect(page.locator(".timeline")).to_contain_text("Feedback link issued")
    return found.group(1)


def referers(requests, token: str) -> list[str]:
    return [request.all_headers().get("referer", "") for request in requests
            if token in request.all_headers().get("referer", "")]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_an_arabic_phone_answers_by_keyboard_and_the_link_then_no_longer_works(
        page, live_server, live_app, wm, open_context):
    path = issue_link(page, live_server, live_app, "feedback.ar@example.org", "ar")
    token = path.rsplit("/", 1)[1]

    phone = open_context(viewport={"width": 320, "height": 740}).new_page()
    phone.set_viewport_size({"width": 320, "height": 740})
    requests = []
    phone.on("request", lambda request: requests.append(request))
    response = phone.goto(live_server + path)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    expect(phone.locator("html")).to_have_attribute("lang", "ar")
    expect(phone.locator("h1")).to_have_text(ARABIC["title"])
    expect(phone.locator("a.exit-button")).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.screenshot(path="/tmp/feedback-ar-320.png", full_page=True)
    assert_accessible(phone)
    assert phone.context.cookies() == []  # not even a session cookie

    # Send with nothing chosen: the error, in Arabic, and the error summary takes the focus.
    press(phone, phone.get_by_role("button", name=ARABIC["send"]))
    expect(phone.locator(".error-summary")).to_contain_text(ARABIC["at_least_one"])
    expect(phone.locator(".error-summary")).to_be_focused()
    phone.screenshot(path="/tmp/feedback-ar-320-error.png", full_page=True)
    assert_accessible(phone)

    # By keyboard alone: the error's link to the first question, then arrows, Tab and typing.
    press(phone, phone.locator(".error-summary a"))
    first = phone.get_by_label(ARABIC["very_happy"], exact=True)
    expect(first).to_be_focused()
    phone.keyboard.press("Space")
    phone.keyboard.press("ArrowDown")  # a radio group moves its choice with the arrows
    expect(phone.get_by_label(ARABIC["happy"], exact=True)).to_be_checked()
    phone.keyboard.press("Tab")
    expect(phone.get_by_label(ARABIC["yes"], exact=True)).to_be_focused()
    phone.keyboard.press("Space")
    phone.keyboard.press("Tab")
    expect(phone.locator("textarea")).to_be_focused()
    phone.keyboard.type("شكرًا لكم")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("button", name=ARABIC["send"])).to_be_focused()
    phone.keyboard.press("Enter")

    expect(phone.locator("h1")).to_have_text(ARABIC["thanks"])
    expect(phone.locator("a.exit-button")).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.screenshot(path="/tmp/feedback-ar-320-sent.png", full_page=True)
    assert_accessible(phone)

    again = phone.goto(live_server + path)
    assert again.status == 410
    expect(phone.locator("h1")).to_have_text(ARABIC["gone"])
    expect(phone.locator("section.helpline")).to_contain_text("0808 2000 247")
    expect(phone.locator("a.exit-button")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    assert no_sideways_scroll(phone)
    phone.screenshot(path="/tmp/feedback-ar-320-gone.png", full_page=True)
    assert_accessible(phone)

    # Every request these pages made (stylesheets, scripts, the Send itself) went without a Referer.
    assert len(requests) >= 6
    assert referers(requests, token) == []


def test_in_english_at_desktop_width_and_without_javascript(page, live_server, live_app, wm, context,
                                                             no_js_context):
    path = issue_link(page, live_server, live_app, "feedback.en@example.org", "en")
    person = context.new_page()  # her own tab, at desktop width
    assert person.goto(live_server + path).status == 200
    expect(person.locator("h1")).to_have_text("Tell us how we did")
    expect(person.locator("a.exit-button")).to_be_visible()
    person.screenshot(path="/tmp/feedback-en-desktop.png", full_page=True)
    assert_accessible(person)

    # Without JavaScript (axe needs it, so only the behaviour here): the server's own errors, then Send.
    bare = no_js_context.new_page()
    assert bare.goto(live_server + path).status == 200
    expect(bare.locator("a.exit-button")).to_have_attribute("href", "/exit")
    bare.get_by_role("button", name="Send").click()
    expect(bare.locator(".error-summary")).to_contain_text("Answer at least one question, then press Send")
    bare.get_by_label("Very unhappy").check()
    bare.get_by_label("Is there anything else you would like to tell us? (optional)").fill("x" * 2000)
    bare.get_by_role("button", name="Send").click()
    expect(bare.locator("h1")).to_have_text("Thank you for your feedback")

    # Her first tab, still open on the form: its Send now meets the spent link.
    person.get_by_label("Happy", exact=True).check()
    person.get_by_role("button", name="Send").click()
    expect(person.locator("h1")).to_have_text("This link no longer works")
    person.screenshot(path="/tmp/feedback-en-desktop-gone.png", full_page=True)
    assert_accessible(person)
