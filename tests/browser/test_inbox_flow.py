"""A referral's whole way through Haven, in real Chromium against the live server and a mail sink:
a resident asks for help, the notice arrives, a caseworker signs in with TOTP, finds the referral
first in "needs first contact", reads how to contact her safely, shows her number with a reason,
logs attempts, adds a note and closes it. Keys only (focus, type, Space, Enter), and axe-core on
every staff page of the flow at 1280 and 320 px."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from haven import db
from haven.models import AuditEvent, Referral
from tests.browser.keyboard import press, sign_in, type_into
from tests.helpers import assert_accessible, deliver_notices, make_account

pytestmark = pytest.mark.browser
PHONE = "07700 900 982"


def audit_for(app, reference):
    with app.app_context():
        return [(event.action, event.detail) for event in db.session().scalars(
            select(AuditEvent).where(AuditEvent.record_id == reference).order_by(AuditEvent.id))]


def test_a_referral_from_the_form_to_its_closing(app, page, live_server, live_app, smtp_sink, monkeypatch):
    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp_sink.port)
    # The resident: an urgent request, by phone, no voicemail.
    page.goto(f"{live_server}/en/ask-for-help/form")
    press(page, "#preferred-0", "Space")
    type_into(page, page.locator("#phone"), PHONE)
    press(page, "#voicemail-1", "Space")
    press(page, "#consent", "Space")
    press(page, "button[type=submit]")
    expect(page.locator(".panel-confirmation")).to_be_visible()
    press(page, "#danger_now-0", "Space")
    press(page, page.locator(".more button[type=submit]:not([name])"))
    expect(page.get_by_text("Your extra answers have been saved too")).to_be_visible()
    page.context.clear_cookies()

    # The notice, sent by the worker: no personal data, a link to the referral.
    deliver_notices(live_app)
    assert len(smtp_sink.messages) == 2  # the new referral, and again once it became urgent
    link = re.search(r"(/staff/referrals/HV-[A-Z0-9]{5})", smtp_sink.messages[-1]).group(1)
    reference = link.rsplit("/", 1)[1]
    assert "07700" not in smtp_sink.messages[-1] and "+44" not in smtp_sink.messages[-1]

    # The caseworker follows the link: sign-in first, then the referral itself... but first the inbox.
    email, secret, _ = make_account(live_app, email="e2e.worker@example.org", roles=("caseworker",))
    page.goto(f"{live_server}/staff/inbox")
    expect(page.locator("h1")).to_have_text("Sign in")
    sign_in(page, email, secret)
    expect(page.locator("h1")).to_have_text("Staff home")
    press(page, page.get_by_role("link", name=re.compile("Needs first contact")))
    expect(page.locator("h1")).to_have_text("Referral inbox")
    first = page.locator("table.inbox tbody tr").first
    expect(first.locator("td.reference")).to_have_text(reference)
    expect(first).to_contain_text("Urgent")
    expect(first.locator(".flags")).to_contain_text("Danger now")
    expect(first).not_to_contain_text("07700")
    assert_accessible(page)

    press(page, first.locator("td.reference a"))
    expect(page.locator("h1")).to_contain_text(reference)
    assert audit_for(live_app, reference)[-1] == ("referral.opened", None)
    # "Do not leave a voicemail" is the first thing under the heading.
    first_section = page.locator("main section").first
    expect(first_section.locator(".safe-warning")).to_have_text("Do not leave a voicemail.")
    expect(page.locator("main")).not_to_contain_text("+447700900982")
    assert_accessible(page)

    press(page, page.get_by_label("First contact"), "Space")
    press(page, page.get_by_role("button", name="Show contact details"))
    expect(page.locator(".contact-details")).to_contain_text("+447700900982")
    assert ("referral.contact_revealed", "first_contact") in audit_for(live_app, reference)
    assert_accessible(page)

    # No answer: the clock keeps running.
    press(page, page.get_by_label("No answer", exact=True), "Space")
    press(page, page.get_by_role("button", name="Record attempt"))
    expect(page.locator(".confirmation")).to_contain_text("Contact attempt recorded")
    expect(page.locator(".case-facts")).to_contain_text("left")
    expect(page.locator("main")).not_to_contain_text("+447700900982")  # hidden again
    # Then she answers: the clock stops, within the target.
    press(page, page.get_by_label("Spoke to the person"), "Space")
    press(page, page.get_by_role("button", name="Record attempt"))
    expect(page.locator(".case-facts")).to_contain_text("Contacted within target")
    expect(page.locator(".case-facts")).to_contain_text("Status: In contact")

    type_into(page, page.get_by_label("Add a note"), "Talked through the safety plan")
    press(page, page.get_by_role("button", name="Add note"))
    expect(page.locator(".timeline li").first).to_contain_text("Talked through the safety plan")

    # A risk assessment: the form opens from its summary, by keyboard.
    press(page, page.locator("summary", has_text="New risk assessment"))
    for question in page.locator("#risk-heading ~ details form fieldset").all():
        press(page, question.get_by_label("No", exact=True), "Space")
    press(page, page.get_by_role("button", name="Record assessment"))
    expect(page.locator("#risk-heading ~ table")).to_contain_text("Not high risk")
    press(page, page.locator("summary", has_text="New risk assessment"))
    assert_accessible(page)

    # Safeguarding: raised by the caseworker, then a decision is owed until it is recorded.
    press(page, page.get_by_role("button", name="Raise a safeguarding concern"))
    expect(page.locator("#safeguarding-heading ~ .safe-warning")).to_contain_text("Safeguarding decision needed")
    press(page, page.locator("summary", has_text="Record a safeguarding report"))
    assert_accessible(page)
    press(page, page.get_by_label("Children's services"), "Space")
    # A date input's keys follow the browser's locale; its value is set as one ISO string.
    page.get_by_label("Date reported").fill(date.today().isoformat())
    type_into(page, page.get_by_label("Reported by"), "E2E Worker")
    press(page, page.get_by_role("button", name="Record report"))
    expect(page.locator(".confirmation")).to_contain_text("Safeguarding report recorded")

    press(page, page.get_by_label("Advice given"), "Space")
    press(page, page.get_by_label("Yes, they agreed"), "Space")
    press(page, page.get_by_role("button", name="Close referral"))
    expect(page.locator(".case-facts")).to_contain_text("Status: Closed")
    assert_accessible(page)
    with live_app.app_context():
        row = db.session().scalar(select(Referral).where(Referral.reference == reference))
        assert (row.status, row.outcome) == ("closed", "advice") and row.first_contact_at is not None
    assert [action for action, _ in audit_for(live_app, reference)].count("referral.contact_logged") == 2
