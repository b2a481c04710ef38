"""Safeguarding: a decision is owed while children are said to be at risk (by the form or by a
caseworker), until a report is recorded, or a no-report decision with its reason is confirmed by
another member who is a manager."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from haven import db
from haven.models import CaseEvent
from tests.helpers import T0, audit_actions, html, post, send_referral


def owed(client, reference) -> bool:
    return "Safeguarding decision needed" in html(client.get(f"/staff/referrals/{reference}")).get_text()


def test_children_at_risk_owes_a_decision_until_a_report_is_recorded(app, worker):
    reference = send_referral(app, at=T0 - timedelta(hours=1), details={"children_at_risk": "yes"})
    page = html(worker.get(f"/staff/referrals/{reference}"))
    assert "Safeguarding decision needed" in page.get_text()
    assert "concerns about a child's safety are always reported" in page.get_text()  # whg 2.4
    assert post(worker, reference, "safeguarding-report", to="childrens_services", on="2026-11-23").status_code == 400
    assert post(worker, reference, "safeguarding-report", to="childrens_services", on="2026-11-23",
                their_reference="CS-1234", by="Worker").status_code == 303
    assert not owed(worker, reference)
    entry = html(worker.get(f"/staff/referrals/{reference}")).select_one(".timeline li.timeline-safeguarding_report")
    assert "Children's services" in entry.get_text() and "CS-1234" in entry.get_text()
    with app.app_context():
        assert "CS-1234" not in db.session().scalar(select(CaseEvent.body_enc).where(CaseEvent.kind == "safeguarding_report"))
    assert ("worker@example.org", "referral.safeguarding_reported", "childrens_services") in audit_actions(app, reference)


def test_a_caseworker_can_raise_it_and_no_report_needs_another_managers_confirmation(app, worker, manager):
    reference = send_referral(app, at=T0 - timedelta(hours=1))
    assert not owed(worker, reference)
    assert post(worker, reference, "safeguarding-raise").status_code == 303
    assert owed(worker, reference)
    assert post(worker, reference, "safeguarding-no-report").status_code == 400  # needs a reason
    assert post(worker, reference, "safeguarding-no-report", reason="The children live with their father").status_code == 303
    assert owed(worker, reference)  # still: a manager must confirm
    assert post(worker, reference, "safeguarding-confirm").status_code == 403  # caseworkers cannot
    assert post(manager, reference, "safeguarding-confirm").status_code == 303
    assert not owed(worker, reference)


def test_a_manager_cannot_confirm_their_own_decision(app, manager):
    reference = send_referral(app, at=T0 - timedelta(hours=1), details={"children_at_risk": "yes"})
    post(manager, reference, "safeguarding-no-report", reason="Reported already by the school")
    refused = manager.post(f"/staff/referrals/{reference}/safeguarding-confirm", data={
        "safeguarding-confirm-csrf_token": html(manager.get(f"/staff/referrals/{reference}")).select_one(
            'input[name="safeguarding-confirm-csrf_token"]')["value"]}, follow_redirects=True)
    assert "Another manager must confirm your own decision" in refused.get_data(as_text=True)
    assert owed(manager, reference)


def test_every_word_casework_records_is_encrypted_and_in_no_log(app, worker, manager, caplog, database_url):
    """The canary goes into every free-text answer casework keeps; it is read back on the page and
    found nowhere in the database's bytes (file and WAL, or pg_dump) or the logs."""
    import io
    import logging

    from PIL import Image

    from tests.helpers import WHG, WM, raw_database, risk_answers as answers, use_profile

    use_profile(app, WHG, WM)  # every casework feature either policy makes, on one case
    caplog.set_level(logging.INFO)
    canary = "canary-casework-91d2 Ottoline Vanstraaten"
    reference = send_referral(app, at=T0 - timedelta(hours=2), details={"children_at_risk": "yes"})
    post(worker, reference, "notes", text=canary)
    post(worker, reference, "risk", **answers(3), judgement=canary)
    post(worker, reference, "marac", referred_on="2026-11-23", area=canary, referred_by=canary, actions=canary)
    post(worker, reference, "safeguarding-no-report", reason=canary)
    post(worker, reference, "safeguarding-report", to="police", on="2026-11-23", their_reference=canary[:30], by=canary)
    post(worker, reference, "contact", channel="email", outcome="no_answer", confirmed="y", reason=canary)
    post(worker, reference, "close", outcome="other", agreed="could_not_ask", note=canary)
    post(worker, reference, "reopen", reason=canary)
    on = "2026-11-23"
    post(worker, reference, "advice", topic="online_safety", on=on, by=canary)
    post(worker, reference, "works", measure="locks", on=on, by=canary)
    post(worker, reference, "move-assessment", how=canary)
    post(worker, reference, "move-decision", decision="agreed", reason=canary)
    post(worker, reference, "move-agreement", person=canary, organisation=canary)
    post(worker, reference, "consent", purpose="share_with_partners", answer="given", on=on, note=canary)
    post(worker, reference, "partner-referral", partner="police", on=on, shared=canary, basis="safeguarding",
         reason=canary)
    post(worker, reference, "wishes", wish="wants_action", note=canary)
    post(worker, reference, "perpetrator-action", action="injunction", on=on, note=canary)
    post(worker, reference, "handover", text=canary)
    photo = io.BytesIO()
    Image.new("RGB", (8, 8)).save(photo, "JPEG")
    worker.post(f"/staff/referrals/{reference}/evidence", content_type="multipart/form-data", data={
        "evidence-csrf_token": html(worker.get(f"/staff/referrals/{reference}")).select_one(
            'input[name="evidence-csrf_token"]')["value"],
        "evidence-caption": canary, "evidence-file": (io.BytesIO(photo.getvalue()), f"{canary}.jpg", "image/jpeg")})
    page = worker.get(f"/staff/referrals/{reference}").get_data(as_text=True)
    assert page.count(canary) >= 23  # kept, and readable on the case (the photo's caption and name too)
    raw = raw_database(database_url)
    assert canary.encode() not in raw and canary[:30].encode() not in raw
    assert canary not in "\n".join(record.getMessage() for record in caplog.records)
