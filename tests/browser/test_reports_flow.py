"""A manager produces the bi-monthly report, its printable view and its CSV, by keyboard, in real
Chromium against the live server; axe-core (and the 320 px check) on each page."""
from __future__ import annotations

import csv
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from haven.services import reports, targets
from tests.browser.keyboard import press, sign_in
from tests.helpers import assert_accessible, make_account, send_referral

pytestmark = pytest.mark.browser


def test_a_manager_produces_the_bimonthly_report_and_its_csv(page, live_server, live_app):
    period = reports.preset("bimonthly", targets.now().astimezone(targets.UK).date())
    middle = reports._utc(period.start) + timedelta(days=20)  # inside the first of the two months
    for number in range(6):
        send_referral(live_app, at=middle + timedelta(hours=number), phone=f"07700 900 2{number:02d}")
    send_referral(live_app, at=middle, kind="concern", anonymous=True)
    email, secret, _ = make_account(live_app, email="reports.e2e@example.org", roles=("manager",))
    page.goto(f"{live_server}/staff/sign-in")
    sign_in(page, email, secret)
    expect(page.locator("h1")).to_have_text("Staff home")
    press(page, page.get_by_role("link", name="Reports"))
    expect(page.locator("h1")).to_contain_text(f"Reports: {period.label()}")  # the last two months by default
    assert_accessible(page)
    first_month = period.start.strftime("%b %Y")
    route = page.locator("#table-received_route ~ .table-scroll table")
    expect(route.locator("tr", has_text="Self-referral").locator("td").first).to_have_text("6")
    expect(page.locator("figure.chart desc")).to_contain_text(f"{first_month}: 7")

    press(page, page.get_by_role("link", name="Printable report"))
    expect(page.locator(".print-note")).to_be_visible()
    expect(route.locator("tr", has_text="Anonymous concern").locator("td").first).to_have_text("fewer than 5")
    assert_accessible(page)
    page.go_back()

    with page.expect_download() as download_info:
        press(page, page.get_by_role("link", name="Download the figures (CSV)"))
    with open(download_info.value.path(), newline="") as handle:
        rows = list(csv.reader(handle))
    assert ["Self-referral", "6", "0", "6"] in rows
    assert ["Anonymous concern", "fewer than 5", "0", "fewer than 5"] in rows
    assert not any(re.search(r"HV-[A-Z0-9]{5}|07700", cell) for line in rows for cell in line)


def test_a_manager_reviews_a_sample_of_closed_cases(page, live_server, live_app):
    from tests.helpers import set_state

    now = targets.now()
    reference = send_referral(live_app, at=now - timedelta(days=10), phone="07700 900 299")
    set_state(live_app, reference, status="closed", closed_at=now - timedelta(days=2), outcome="advice",
              first_contact_at=now - timedelta(days=10) + timedelta(hours=1))
    email, secret, _ = make_account(live_app, email="reviews.e2e@example.org", roles=("manager",))
    page.goto(f"{live_server}/staff/sign-in")
    sign_in(page, email, secret)
    expect(page.locator("h1")).to_have_text("Staff home")
    press(page, page.get_by_role("link", name="Casework reviews and compliance audits"))
    expect(page.locator("h1")).to_have_text("Casework reviews and compliance audits")
    assert_accessible(page)
    today = now.astimezone(targets.UK).date()
    page.get_by_label("Cases closed from").fill((today - timedelta(days=7)).isoformat())
    page.get_by_label("To", exact=True).fill(today.isoformat())
    press(page, page.get_by_role("button", name="Draw a sample"))
    expect(page.locator(".confirmation")).to_contain_text("Sample drawn: 1 cases")
    assert_accessible(page)
    press(page, page.get_by_role("link", name=f"Review {reference}"))
    expect(page.locator("h1")).to_have_text(f"Review of {reference}")
    for fieldset in page.locator("form fieldset").all():
        press(page, fieldset.get_by_label("Met", exact=True), "Space")
    page.get_by_label("Findings (optional)").focus()
    page.keyboard.type("Contact and safety well recorded")
    assert_accessible(page)
    press(page, page.get_by_role("button", name="Record review"))
    expect(page.locator(".confirmation")).to_contain_text(f"Review of {reference} recorded")
    page.goto(f"{live_server}/staff/reviews")
    expect(page.locator("tbody tr").first.locator("td")).to_have_text("100% (1 of 1)")
