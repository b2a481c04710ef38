"""A referral's page: safe contact first, contact details only on a reasoned and audited press,
the contact log and its rules, notes, assignment, status, closing and reopening, bars, and an
audit event for every read and every action."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from haven import db
from haven.models import AuditEvent, CaseEvent, Referral
from haven.security.crypto import Keyring
from tests.helpers import PHONE, T0, WORDS, audit_actions, html, post, send_referral

NO_VOICEMAIL = {"methods": ["call", "text"], "phone": PHONE, "email": None, "voicemail": "no",
                "someone_else": "Say you are from the GP surgery", "safe_times": "Weekdays 10 to 12"}


def referral(app, reference) -> Referral:
    with app.app_context():
        return db.session().scalar(select(Referral).where(Referral.reference == reference))


def urgent_no_voicemail(app, **changes):
    return send_referral(app, at=T0 - timedelta(hours=1), locale="ur", contact=NO_VOICEMAIL,
                         details={"danger_now": "yes", "lives_with": "yes", "address": "1 Secret Street",
                                  "interpreter": "yes", **changes}, message="میں محفوظ نہیں ہوں")


def test_opening_is_audited_and_safe_contact_comes_first_with_contact_details_hidden(app, worker):
    reference = urgent_no_voicemail(app)
    response = worker.get(f"/staff/referrals/{reference}")
    assert response.status_code == 200
    page = html(response)
    sections = [section.h2.get_text() for section in page.select("main section")]
    assert sections[0] == "How to contact them safely"
    safe = page.select_one(".safe-contact")
    assert safe.select_one(".safe-warning").get_text(strip=True) == "Do not leave a voicemail."
    text = safe.get_text(" ", strip=True)
    for expected in ("Contact them first by Phone call", "Other safe ways Text message", "Weekdays 10 to 12",
                     "Say you are from the GP surgery", "Lives with the person harming them Yes", "Wrote in Urdu",
                     "Interpreter Yes"):
        assert expected in text
    body = response.get_data(as_text=True)
    assert PHONE not in body and "1 Secret Street" not in body
    words = page.select_one(".their-words span")
    assert words["lang"] == "ur" and words["dir"] == "rtl" and words.get_text() == "میں محفوظ نہیں ہوں"
    assert audit_actions(app, reference) == [("worker@example.org", "referral.opened", None)]


def test_showing_contact_details_needs_a_reason_is_audited_and_lasts_one_response(app, worker):
    reference = urgent_no_voicemail(app)
    refused = post(worker, reference, "contact-details")
    assert refused.status_code == 400
    assert "Choose why you need the contact details" in html(refused).select_one(".error-summary").get_text()
    assert PHONE not in refused.get_data(as_text=True)
    shown = post(worker, reference, "contact-details", reason="first_contact")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert PHONE in shown.get_data(as_text=True) and "1 Secret Street" in shown.get_data(as_text=True)
    assert ("worker@example.org", "referral.contact_revealed", "first_contact") in audit_actions(app, reference)
    assert PHONE not in worker.get(f"/staff/referrals/{reference}").get_data(as_text=True)


def test_attempts_that_did_not_reach_them_keep_the_clock_running_and_a_reached_one_stops_it(app, worker, clock):
    reference = urgent_no_voicemail(app)
    assert post(worker, reference, "contact", channel="call", outcome="no_answer").status_code == 303
    row = referral(app, reference)
    assert (row.status, row.first_contact_at) == ("attempted", None)
    clock.advance(minutes=20)
    assert post(worker, reference, "contact", channel="call", outcome="spoke").status_code == 303
    row = referral(app, reference)
    assert row.status == "in_contact"
    assert row.first_contact_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(minutes=20)
    page = html(worker.get(f"/staff/referrals/{reference}"))
    assert "Contacted within target" in page.select_one(".case-facts").get_text()
    entries = [item.get_text(" ", strip=True) for item in page.select(".timeline li")]
    assert "Phone call: Spoke to the person (reached them)" in entries[0]
    assert "Phone call: No answer" in entries[1]


def test_an_attempt_earlier_today_is_logged_at_that_time(app, worker):
    # Now is 10:00 (UK time, which is UTC in November); the referral came at 07:00.
    reference = send_referral(app, at=T0 - timedelta(hours=3), contact=NO_VOICEMAIL)
    assert post(worker, reference, "contact", channel="call", outcome="spoke", when="08:15").status_code == 303
    assert referral(app, reference).first_contact_at.replace(tzinfo=T0.tzinfo) == T0 - timedelta(hours=1, minutes=45)
    for when, message in (("25:00", "Enter the time like 09:30"), ("06:00", "between when the referral arrived and now"),
                          ("11:00", "between when the referral arrived and now"), ("soon", "Enter the time like 09:30")):
        refused = post(worker, reference, "contact", channel="call", outcome="no_answer", when=when)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), when


@pytest.mark.parametrize("channel, outcome, problem", [
    ("call", "voicemail", "they said not to leave a voicemail"),
    ("email", "no_answer", "Email is not a way they chose"),
])
def test_an_attempt_against_their_wishes_needs_a_confirmation_and_a_reason_and_is_marked(app, worker, channel, outcome,
                                                                                        problem):
    reference = urgent_no_voicemail(app)
    refused = post(worker, reference, "contact", channel=channel, outcome=outcome)
    assert refused.status_code == 400 and problem in refused.get_data(as_text=True)
    refused = post(worker, reference, "contact", channel=channel, outcome=outcome, confirmed="y")
    assert refused.status_code == 400
    done = post(worker, reference, "contact", channel=channel, outcome=outcome, confirmed="y",
                reason="Police asked us to reach her today")
    assert done.status_code == 303
    with app.app_context():
        event = db.session().scalar(select(CaseEvent).where(CaseEvent.kind == "contact"))
        assert event.against_wishes and "Police" not in event.body_enc
    entry = html(worker.get(f"/staff/referrals/{reference}")).select_one(".timeline li.against-wishes")
    assert "Against what they asked" in entry.get_text() and "Police asked us to reach her today" in entry.get_text()


def test_notes_are_encrypted_bound_to_their_row_and_append_only(app, worker):
    reference = urgent_no_voicemail(app)
    assert post(worker, reference, "notes", text="Spoke briefly; she will call back").status_code == 303
    assert post(worker, reference, "notes", text="Correction: she asked us to call back").status_code == 303
    assert post(worker, reference, "notes", text="   ").status_code == 400
    with app.app_context():
        notes = db.session().scalars(select(CaseEvent).where(CaseEvent.kind == "note").order_by(CaseEvent.id)).all()
        assert len(notes) == 2 and all("call back" not in note.body_enc for note in notes)
        keyring: Keyring = app.extensions["haven_keyring"]
        with pytest.raises(Exception):  # moved to another row, a note cannot be read
            keyring.decrypt(notes[0].body_enc, table="case_event", column="body_enc", row=notes[1].public_id)
    entries = [item.get_text(" ", strip=True) for item in
               html(worker.get(f"/staff/referrals/{reference}")).select(".timeline li")]
    assert "worker@example.org" in entries[0] and "Correction" in entries[0] and "Spoke briefly" in entries[1]
    # There is no route that edits or deletes a note.
    assert not [rule for rule in app.url_map.iter_rules() if "note" in rule.rule and rule.methods & {"PUT", "DELETE"}]


def test_assign_to_me_and_a_manager_assigns_anyone_but_a_caseworker_cannot(app, worker, manager):
    reference = urgent_no_voicemail(app)
    assert post(worker, reference, "assign", assignee="me").status_code == 303
    assert referral(app, reference).assignee_id == worker.staff_id
    assert post(worker, reference, "assign", assignee=str(manager.staff_id)).status_code == 403
    assert post(manager, reference, "assign", assignee=str(manager.staff_id)).status_code == 303
    assert referral(app, reference).assignee_id == manager.staff_id
    actions = audit_actions(app, reference)
    assert ("worker@example.org", "referral.assigned", "worker@example.org") in actions
    assert ("manager@example.org", "referral.assigned", "manager@example.org") in actions


def test_a_managers_referral_page_repeats_no_id(app, manager):
    """A repeated id sends a screen reader's label, or an error summary's link, to the wrong field
    (the assign forms once both carried id="assign-csrf_token")."""
    reference = urgent_no_voicemail(app)
    page = html(manager.get(f"/staff/referrals/{reference}"))
    ids = [element["id"] for element in page.select("[id]")]
    assert len(page.select("form")) > 5  # a page full of forms, as a manager sees it
    assert sorted(name for name in set(ids) if ids.count(name) > 1) == []


def test_closing_needs_an_outcome_and_agreement_and_reopening_is_audited(app, worker):
    reference = urgent_no_voicemail(app)
    assert post(worker, reference, "close", outcome="advice").status_code == 400
    assert post(worker, reference, "close", outcome="other", agreed="yes").status_code == 400  # "other" needs a note
    assert post(worker, reference, "close", outcome="advice", agreed="yes").status_code == 303
    row = referral(app, reference)
    assert (row.status, row.outcome) == ("closed", "advice") and row.closed_at is not None
    assert post(worker, reference, "contact", channel="call", outcome="spoke").status_code == 400  # closed
    assert post(worker, reference, "reopen").status_code == 400
    assert post(worker, reference, "reopen", reason="She called back").status_code == 303
    row = referral(app, reference)
    assert (row.status, row.outcome, row.closed_at) == ("new", None, None)
    assert [action for _, action, _ in audit_actions(app, reference) if action not in ("referral.opened",)] == [
        "referral.closed", "referral.reopened"]


def test_status_moves_by_hand_but_never_to_closed(app, worker):
    reference = urgent_no_voicemail(app)
    assert post(worker, reference, "status", status="support").status_code == 303
    assert referral(app, reference).status == "support"
    assert post(worker, reference, "status", status="closed").status_code == 400


def test_a_barred_member_gets_403_and_loses_the_assignment(app, worker, manager):
    reference = urgent_no_voicemail(app)
    post(worker, reference, "assign", assignee="me")
    assert post(worker, reference, "bar", member=str(manager.staff_id)).status_code == 403  # managers only
    assert post(manager, reference, "bar", member=str(worker.staff_id)).status_code == 303
    assert worker.get(f"/staff/referrals/{reference}").status_code == 403
    assert post(manager, reference, "bar", member=str(manager.staff_id)).status_code == 400  # not oneself
    assert referral(app, reference).assignee_id is None
    assert ("manager@example.org", "referral.barred", "worker@example.org") in audit_actions(app, reference)
    assert reference not in worker.get("/staff/inbox?view=open").get_data(as_text=True)


def test_a_manager_lifts_a_bar_with_a_reason_and_the_member_sees_the_referral_again(app, worker, manager):
    reference = urgent_no_voicemail(app)
    assert post(manager, reference, "bar", member=str(worker.staff_id)).status_code == 303
    assert worker.get(f"/staff/referrals/{reference}").status_code == 403
    no_reason = post(manager, reference, "bar/lift", member=str(worker.staff_id), reason="  ")
    assert no_reason.status_code == 400 and "Say why the bar can be lifted" in no_reason.get_data(as_text=True)
    assert worker.get(f"/staff/referrals/{reference}").status_code == 403  # nothing changed
    lifted = post(manager, reference, "bar/lift", member=str(worker.staff_id), reason="Barred in error: wrong name")
    assert lifted.status_code == 303
    assert worker.get(f"/staff/referrals/{reference}").status_code == 200
    assert reference in worker.get("/staff/inbox?view=open").get_data(as_text=True)
    assert ("manager@example.org", "referral.bar_lifted", "worker@example.org") in audit_actions(app, reference)
    page = html(manager.get(f"/staff/referrals/{reference}"))
    entry = page.select_one(".timeline-bar_lifted").get_text(" ", strip=True)
    assert "worker@example.org may see this referral again" in entry and "Barred in error: wrong name" in entry
    again = post(manager, reference, "bar/lift", member=str(worker.staff_id), reason="again")
    assert again.status_code == 400  # no longer barred: nothing to lift


def test_managers_see_who_opened_it_and_caseworkers_do_not(app, worker, manager):
    reference = urgent_no_voicemail(app)
    worker.get(f"/staff/referrals/{reference}")
    post(worker, reference, "contact-details", reason="follow_up")
    page = html(manager.get(f"/staff/referrals/{reference}"))
    rows = [row.get_text(" ", strip=True) for row in page.select("#managers-heading ~ table tbody tr")]
    assert any("worker@example.org Showed contact details (Follow-up)" in row for row in rows)
    assert any("worker@example.org Opened" in row for row in rows)
    assert not html(worker.get(f"/staff/referrals/{reference}")).select("#managers-heading")


def test_a_repeat_links_to_the_earlier_referral(app, worker):
    first = send_referral(app, at=T0 - timedelta(days=30))
    second = send_referral(app, at=T0 - timedelta(hours=1))
    link = html(worker.get(f"/staff/referrals/{second}")).find("a", string=first)
    assert link and link["href"] == f"/staff/referrals/{first}"


def test_an_unknown_reference_is_404_and_nothing_personal_is_in_a_url(app, worker):
    reference = urgent_no_voicemail(app)
    assert worker.get("/staff/referrals/HV-ZZZZZ").status_code == 404
    page = worker.get(f"/staff/referrals/{reference}").get_data(as_text=True)
    for form in BeautifulSoup(page, "html.parser").select("form"):
        assert form.get("method") == "post" or "sign-out" in (form.get("class") or [])
    assert not re.search(r'(href|action)="[^"]*(447700|Secret|Canary)', page)


def test_the_notice_links_to_the_referral_and_its_subject_says_nothing(app, smtp_sink):
    from haven.services import notify

    reference = urgent_no_voicemail(app)
    message = notify.build_notice(app.config, referral(app, reference))
    assert message["Subject"] == "Haven: a new referral"
    body = message.get_content()
    assert f"/staff/referrals/{reference}" in body and "Priority: urgent" in body
    assert PHONE not in body and WORDS not in body


def test_the_notice_link_leads_through_sign_in_to_the_referral(app, client, clock):
    from tests.helpers import make_account, sign_in

    reference = urgent_no_voicemail(app)
    assert client.get(f"/staff/referrals/{reference}").headers["Location"] == "/staff/sign-in"
    email, secret, _ = make_account(app, email="late@example.org")
    done = sign_in(client, email, secret, clock.now)
    assert done.status_code == 303 and done.headers["Location"] == f"/staff/referrals/{reference}"


def test_every_action_writes_its_audit_event_with_no_personal_data(app, worker, manager):
    reference = urgent_no_voicemail(app)
    post(worker, reference, "contact-details", reason="safeguarding")
    post(worker, reference, "assign", assignee="me")
    post(worker, reference, "status", status="support")
    post(worker, reference, "contact", channel="text", outcome="spoke")
    post(worker, reference, "notes", text="She is staying with her sister at 4 Hidden Road")
    post(worker, reference, "close", outcome="specialist", agreed="yes")
    post(worker, reference, "reopen", reason="New incident reported")
    post(manager, reference, "bar", member=str(worker.staff_id))
    written = [(action, detail) for _, action, detail in audit_actions(app, reference) if action != "referral.opened"]
    # By hand, in order: what each action must leave in the log.
    assert written == [
        ("referral.contact_revealed", "safeguarding"),
        ("referral.assigned", "worker@example.org"),
        ("referral.status_changed", "support"),
        ("referral.contact_logged", "text:spoke"),
        ("referral.note_added", None),
        ("referral.closed", "specialist:yes"),
        ("referral.reopened", None),
        ("referral.barred", "worker@example.org"),
    ]
    with app.app_context():
        details = " ".join(str(event.detail) for event in db.session().scalars(select(AuditEvent)))
    assert "Hidden Road" not in details and "New incident" not in details and PHONE not in details
