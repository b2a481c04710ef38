"""Casework in real Chromium, by keyboard, under a policy that makes every casework promise either
shipped profile does (whg's and WM's together): a checklist that crosses the high-risk threshold, a
MARAC referral, a safeguarding report, target-hardening works to completion, an emergency transfer
that passes four weeks (the live server's clock moved on) and prompts a homeless application, a
partner referral with consent, and a photo whose EXIF location is gone when it is downloaded.
axe-core on the page at each step."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from haven.services import targets
from tests.browser.keyboard import press, sign_in, type_into
from tests.helpers import WHG, WM, assert_accessible, make_account, send_referral, use_profile

pytestmark = pytest.mark.browser


def open_form(page, summary: str):
    """Open a form from its summary, by keyboard; the form's own controls, for the steps that follow."""
    press(page, page.locator("summary", has_text=summary))
    return page.locator("details[open]", has=page.locator("summary", has_text=summary))


def fill_date(form, label: str, day):
    # A date input's keys follow the browser's locale; its value is set as one ISO string.
    form.get_by_label(label, exact=True).fill(day.isoformat())


def signed_in(page, live_server, live_app, email):
    _, secret, _ = make_account(live_app, email=email, roles=("caseworker",))
    page.goto(f"{live_server}/staff/sign-in")
    sign_in(page, email, secret)
    expect(page.locator("h1")).to_have_text("Staff home")


def saved(page, message: str):
    expect(page.locator(".confirmation")).to_contain_text(message)
    assert_accessible(page)


def test_casework_from_high_risk_to_a_safer_home_a_move_and_a_partner(page, live_server, live_app, monkeypatch):
    use_profile(live_app, WHG, WM)
    now = targets.now()
    today = now.astimezone(targets.UK).date()
    reference = send_referral(live_app, at=now - timedelta(hours=1), details={"children_at_risk": "yes"})
    signed_in(page, live_server, live_app, "casework.e2e@example.org")
    page.goto(f"{live_server}/staff/referrals/{reference}")
    expect(page.locator(".due")).to_contain_text("Safeguarding decision needed")
    assert_accessible(page)

    # A checklist that crosses the threshold (12 of 19 by default).
    form = open_form(page, "New risk assessment")
    questions = form.locator("fieldset").all()
    for number, question in enumerate(questions):
        press(page, question.get_by_label("Yes" if number < 12 else "No", exact=True), "Space")
    press(page, form.get_by_role("button", name="Record assessment"))
    saved(page, "Risk assessment recorded")
    expect(page.locator("#risk-heading ~ table tbody tr").first).to_contain_text("High risk")
    expect(page.locator(".due")).to_contain_text("Meets the MARAC criteria: no MARAC referral recorded")

    form = open_form(page, "Record a MARAC referral")
    fill_date(form, "Date referred to MARAC", today)
    type_into(page, form.get_by_label("MARAC area"), "Walsall")
    type_into(page, form.get_by_label("Referred by"), "E2E Caseworker")
    press(page, form.get_by_role("button", name="Record MARAC referral"))
    saved(page, "MARAC referral recorded")
    expect(page.locator(".due")).not_to_contain_text("MARAC")

    form = open_form(page, "Record a safeguarding report")
    press(page, form.get_by_label("Children's services"), "Space")
    fill_date(form, "Date reported", today)
    type_into(page, form.get_by_label("Reported by"), "E2E Caseworker")
    press(page, form.get_by_role("button", name="Record report"))
    saved(page, "Safeguarding report recorded")
    expect(page.locator(".due")).to_have_count(0)  # nothing left to do

    # Target hardening: locks requested, booked, completed.
    form = open_form(page, "Request works")
    press(page, form.get_by_label("Locks", exact=True), "Space")
    fill_date(form, "Date requested", today)
    type_into(page, form.get_by_label("Requested by"), "E2E Caseworker")
    press(page, form.get_by_role("button", name="Request works"))
    saved(page, "Works requested")
    for stage, by in (("Booked", "Estates"), ("Completed", "Lock fitter")):
        form = open_form(page, "Record works booked or completed")
        form.get_by_label("Which works").select_option(label=f"Locks, requested {today.isoformat()}")
        press(page, form.get_by_label(stage, exact=True), "Space")
        fill_date(form, "Date booked for, or completed", today)
        type_into(page, form.get_by_label("Booked or done by"), by)
        press(page, form.get_by_role("button", name="Update works"))
        saved(page, "Works updated")
    expect(page.locator("#safer-home-heading ~ table tbody tr").first.locator("td").nth(3)).to_have_text(today.isoformat())

    # An emergency transfer asked for today; no offer by four weeks on.
    form = open_form(page, "Record a step of the emergency transfer")
    press(page, form.get_by_label("Emergency transfer requested"), "Space")
    fill_date(form, "Date", today)
    press(page, form.get_by_role("button", name="Record", exact=True))
    saved(page, "Emergency transfer updated")
    expect(page.locator("main")).not_to_contain_text("homeless application")
    later = now + timedelta(weeks=4, days=1)
    monkeypatch.setattr(targets, "now", lambda: later)  # the staff session keeps its own clock
    page.reload()
    expect(page.locator(".due")).to_contain_text("support a homeless application")
    assert_accessible(page)
    form = open_form(page, "Record a step of the emergency transfer")
    press(page, form.get_by_label("Homeless application supported"), "Space")
    fill_date(form, "Date", later.astimezone(targets.UK).date())
    press(page, form.get_by_role("button", name="Record", exact=True))
    saved(page, "Emergency transfer updated")
    expect(page.locator(".due")).to_have_count(0)
    monkeypatch.setattr(targets, "now", lambda: now)

    # A partner referral, on her consent.
    form = open_form(page, "Record their consent")
    press(page, form.get_by_label("Sharing what they told us with partner agencies"), "Space")
    press(page, form.get_by_label("Consent given"), "Space")
    fill_date(form, "Date", today)
    press(page, form.get_by_role("button", name="Record consent"))
    saved(page, "Consent recorded")
    form = open_form(page, "Record a referral to a partner")
    form.get_by_label("Partner", exact=True).select_option(label="IDVA")
    fill_date(form, "Date referred", today)
    type_into(page, form.get_by_label("What was shared"), "Safe number, risk assessment")
    press(page, form.get_by_label("With their consent"), "Space")
    press(page, form.get_by_role("button", name="Record referral"))
    saved(page, "Partner referral recorded")
    expect(page.locator(".shares")).to_contain_text("IDVA")
    expect(page.locator(".shares")).to_contain_text("With their consent")

    # A photo with a GPS location in its EXIF: kept, and downloaded without it.
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 35.0, 10.0), 3: "W", 4: (1.0, 58.0, 55.0)}  # GPSInfo: Walsall
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(photo, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(photo.getvalue())).getexif().get_ifd(0x8825)  # it is there to begin with
    page.get_by_label("Photo or PDF").set_input_files(
        files=[{"name": "bruise.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}])
    type_into(page, page.get_by_label("Caption (optional)"), "Bruise on the left arm")
    press(page, page.get_by_role("button", name="Attach", exact=True))
    saved(page, "attached")
    with page.expect_download() as download_info:
        press(page, page.get_by_role("button", name=re.compile("Download")).first)
    kept = Image.open(download_info.value.path())
    assert kept.format == "JPEG" and kept.size == (64, 48)
    assert not kept.getexif().get_ifd(0x8825) and 0x8825 not in kept.getexif()
