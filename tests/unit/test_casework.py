"""Casework the policies promise beyond contact: target hardening (whg 2.5-2.6), rehousing (whg
2.7-2.10), the emergency transfer (WM 3.1), consent and partner referrals (whg 2.3, 2.4, 2.12),
action against the person causing harm only on the victim's wishes (WM 3.1), the handover note,
and the "Still to do" list each of them feeds."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import T0, WHG, WM, audit_actions, html, post, send_referral, use_profile

# T0 is 2026-11-23 10:00 UTC: dates below are counted from it by hand.
TODAY = "2026-11-23"


def page_text(client, reference) -> str:
    return " ".join(html(client.get(f"/staff/referrals/{reference}")).get_text().split())


def still_to_do(client, reference) -> list[str]:
    section = html(client.get(f"/staff/referrals/{reference}")).select_one("section.due")
    return [" ".join(item.get_text().split()) for item in section.select("li")] if section else []


def works_id(client, reference, label_start: str) -> str:
    options = html(client.get(f"/staff/referrals/{reference}")).select('select[name="works-stage-item"] option')
    return next(option["value"] for option in options if option.get_text().startswith(label_start))


@pytest.fixture
def reference(app):
    return send_referral(app, at=T0 - timedelta(hours=1))


# --- target hardening ---------------------------------------------------------------------------

def test_works_go_from_request_to_completion_with_dates_and_who_did_it(app, worker, reference):
    assert post(worker, reference, "works", measure="locks", on="2026-11-20", by="Sam Fitter").status_code == 303
    locks = works_id(worker, reference, "Locks")
    assert post(worker, reference, "works-stage", item=locks, stage="booked", on="2026-11-27",
                by="Estates team").status_code == 303  # a booking may be for a day to come
    assert post(worker, reference, "works-stage", item=locks, stage="completed", on="2026-11-24",
                by="Sam Fitter").status_code == 400  # a completion has happened
    assert post(worker, reference, "works-stage", item=locks, stage="completed", on="2026-11-19",
                by="Sam Fitter").status_code == 400  # and not before the request
    assert post(worker, reference, "works-stage", item=locks, stage="completed", on=TODAY,
                by="Sam Fitter").status_code == 303
    row = html(worker.get(f"/staff/referrals/{reference}")).select_one("#safer-home-heading ~ table tbody tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
    assert cells[:4] == ["Locks", "2026-11-20", "2026-11-27", TODAY]
    assert "Estates team" in cells[4] and "Sam Fitter" in cells[4]
    assert post(worker, reference, "works-stage", item=locks, stage="booked", on=TODAY,
                by="x").status_code == 400  # completed works take no more stages
    assert [action for _, action, _ in audit_actions(app, reference) if action.startswith("referral.works")] == [
        "referral.works_requested", "referral.works_booked", "referral.works_completed"]


def test_works_not_completed_within_the_configured_days_are_flagged(app, worker, reference):
    # 28 days by default: requested 2026-10-26 is due by 2026-11-23 (today), 2026-10-25 is late.
    post(worker, reference, "works", measure="cctv", on="2026-10-26", by="A")
    assert not any("CCTV" in item for item in still_to_do(worker, reference))
    post(worker, reference, "works", measure="lighting", on="2026-10-25", by="A")
    assert "Lighting requested 2026-10-25: not completed within 28 days" in still_to_do(worker, reference)
    app.config["WORKS_WITHIN_DAYS"] = 60
    assert not any("Lighting" in item for item in still_to_do(worker, reference))
    app.config["WORKS_WITHIN_DAYS"] = 28
    post(worker, reference, "works-stage", item=works_id(worker, reference, "Lighting"), stage="completed",
         on=TODAY, by="A")
    assert not any("Lighting" in item for item in still_to_do(worker, reference))


def test_advice_given_is_recorded_with_its_topic_date_and_who_gave_it(worker, reference):
    assert post(worker, reference, "advice", topic="online_safety", on="2026-11-22", by="").status_code == 400
    assert post(worker, reference, "advice", topic="online_safety", on="2026-11-22", by="Worker").status_code == 303
    assert "Online safety, 2026-11-22, by Worker" in page_text(worker, reference)


# --- rehousing (whg) ----------------------------------------------------------------------------

def test_rehousing_runs_assessment_decision_banding_agreement_and_one_offer(app, worker, reference):
    assert post(worker, reference, "move-decision", decision="agreed", reason="Risk").status_code == 400  # no assessment
    assert post(worker, reference, "move-assessment", how="He knows the address; a move out of the area ends that"
                ).status_code == 303
    assert post(worker, reference, "move-decision", decision="agreed", reason="Significant risk at home").status_code == 303
    assert still_to_do(worker, reference) == [
        "Rehousing agreed: record 'critical need' and 'gold' banding",
        "Rehousing agreed: record what they and we agreed to do",
        "Rehousing agreed: the one like-for-like offer is still to be made"]
    assert post(worker, reference, "banding", on=TODAY).status_code == 303
    assert post(worker, reference, "move-agreement", person="Keep the new address private",
                organisation="Fit new locks before the move").status_code == 303
    assert post(worker, reference, "offer", on=TODAY, answer="accepted").status_code == 303
    assert still_to_do(worker, reference) == []
    assert post(worker, reference, "offer", on=TODAY, answer="refused").status_code == 400  # one offer only (whg 2.9)
    text = page_text(worker, reference)
    assert "'Critical need' and 'gold' banding from 2026-11-23" in text and "2026-11-23: Accepted" in text


def test_rehousing_is_not_there_for_an_organisation_that_does_not_promise_it(app, worker, reference):
    use_profile(app, WM)
    assert "how a move would reduce the risk" not in page_text(worker, reference).lower()
    assert post(worker, reference, "move-assessment", how="A move would help").status_code == 404


# --- the emergency transfer (WM 3.1) -------------------------------------------------------------

def test_no_transfer_within_four_weeks_prompts_a_homeless_application(app, worker, reference):
    use_profile(app, WM)
    # Requested 2026-10-25: four weeks end 2026-11-22, so today (2026-11-23) is past them.
    assert post(worker, reference, "transfer", step="offered", on=TODAY).status_code == 400  # nothing requested
    assert post(worker, reference, "transfer", step="requested", on="2026-10-25").status_code == 303
    prompt = "No emergency transfer offered within 4 weeks of the request (2026-10-25): support a homeless application"
    assert prompt in still_to_do(worker, reference)
    assert post(worker, reference, "transfer", step="homeless_application", on=TODAY).status_code == 303
    assert prompt not in still_to_do(worker, reference)
    assert "Homeless application supported 2026-11-23" in page_text(worker, reference)


def test_a_transfer_offered_in_time_or_still_inside_four_weeks_prompts_nothing(app, worker, reference):
    use_profile(app, WM)
    post(worker, reference, "transfer", step="requested", on="2026-10-26")  # four weeks end today
    assert not any("homeless" in item for item in still_to_do(worker, reference))


def test_the_transfer_rule_counts_the_policys_weeks():
    from haven.services.moving import Transfer

    waiting = Transfer(date(2026, 11, 1), None, None, date(2026, 11, 29))
    assert not waiting.homeless_application_due(date(2026, 11, 29))
    assert waiting.homeless_application_due(date(2026, 11, 30))
    assert not Transfer(date(2026, 11, 1), date(2026, 11, 10), None, date(2026, 11, 29)).homeless_application_due(
        date(2026, 12, 30))
    assert not Transfer(None, None, None, None).homeless_application_due(date(2026, 12, 30))


def test_the_transfer_clock_is_not_there_under_whg(app, worker, reference):
    use_profile(app, WHG)
    assert "Emergency transfer" not in page_text(worker, reference)
    assert post(worker, reference, "transfer", step="requested", on=TODAY).status_code == 404


# --- consent and partners -------------------------------------------------------------------------

def test_a_share_by_consent_needs_consent_on_the_ledger_and_withdrawal_ends_it(app, worker, reference):
    share = dict(partner="idva", on=TODAY, shared="Name, safe number, risk score", basis="consent")
    assert post(worker, reference, "partner-referral", **share).status_code == 400
    assert post(worker, reference, "consent", purpose="share_with_partners", answer="given", on="2026-11-22",
                note="Said yes on the phone").status_code == 303
    assert post(worker, reference, "partner-referral", **share).status_code == 303
    post(worker, reference, "consent", purpose="share_with_partners", answer="withdrawn", on=TODAY)
    assert post(worker, reference, "partner-referral", **share).status_code == 400
    row = next(row for row in html(worker.get(f"/staff/referrals/{reference}")).select("#partners-heading ~ table tr")
               if "partner agencies" in row.get_text())
    assert "Consent withdrawn" in row.select("td")[1].get_text()
    assert "Consent given 2026-11-22; Consent withdrawn 2026-11-23" in row.select("td")[2].get_text()
    assert "IDVA, 2026-11-23: With their consent." in page_text(worker, reference)
    assert ("worker@example.org", "referral.partner_referred", "idva:consent") in audit_actions(app, reference)


def test_sharing_without_consent_needs_its_lawful_reason_and_another_managers_confirmation(
        app, worker, manager, reference):
    share = dict(partner="police", on=TODAY, shared="Address and risk", basis="serious_risk")
    assert post(worker, reference, "partner-referral", **share).status_code == 400  # no reason
    assert post(worker, reference, "partner-referral", **share, reason="Threats to kill; he has a knife").status_code == 303
    assert "A share with Police without consent awaits a manager's confirmation" in still_to_do(worker, reference)
    share_id = html(manager.get(f"/staff/referrals/{reference}")).select_one(
        'input[name="share-confirm-share"]')["value"]
    assert post(worker, reference, "share-confirm", share=share_id).status_code == 403  # caseworkers cannot
    assert post(manager, reference, "share-confirm", share=share_id).status_code == 303
    assert still_to_do(worker, reference) == []
    assert "Confirmed by manager@example.org" in page_text(worker, reference)


def test_a_manager_cannot_confirm_their_own_share(app, manager, reference):
    from sqlalchemy import select

    from haven import db
    from haven.models import CaseEvent

    post(manager, reference, "partner-referral", partner="health", on=TODAY, shared="Risk", basis="marac",
         reason="MARAC agreed to share")
    assert html(manager.get(f"/staff/referrals/{reference}")).select_one('input[name="share-confirm-share"]') is None
    with app.app_context():
        share_id = db.session().scalar(select(CaseEvent.public_id).where(CaseEvent.kind == "partner_referral"))
    refused = post(manager, reference, "share-confirm", share=share_id)
    assert refused.status_code == 303  # back to the page, which says why
    assert "Another manager must confirm a share you made" in page_text(manager, reference)
    assert any("awaits a manager's confirmation" in item for item in still_to_do(manager, reference))


# --- the person causing harm (WM 3.1) ----------------------------------------------------------

def test_action_against_the_person_causing_harm_only_on_the_victims_wishes(app, worker, reference):
    use_profile(app, WM)
    action = dict(action="injunction", on=TODAY)
    assert post(worker, reference, "perpetrator-action", **action).status_code == 400  # wishes first
    post(worker, reference, "wishes", wish="no_action", note="Not now: she fears it would make him worse")
    assert post(worker, reference, "perpetrator-action", **action).status_code == 400
    post(worker, reference, "wishes", wish="wants_action")
    assert post(worker, reference, "perpetrator-action", **action).status_code == 303
    assert "Action against the person causing harm: injunction, 2026-11-23" in page_text(worker, reference)


def test_action_against_the_person_causing_harm_is_not_there_under_whg(app, worker, reference):
    use_profile(app, WHG)
    assert "Action against the person causing harm" not in page_text(worker, reference)
    assert post(worker, reference, "wishes", wish="wants_action").status_code == 404
    assert post(worker, reference, "perpetrator-action", action="eviction", on=TODAY).status_code == 404


def test_a_barred_member_reaches_no_casework_action(app, worker, manager, reference):
    from tests.helpers import token

    use_profile(app, WHG, WM)
    csrf_token = token(html(worker.get(f"/staff/referrals/{reference}")))  # while they still may
    post(manager, reference, "bar", member=str(worker.staff_id))
    for action in ("works", "advice", "move-assessment", "transfer", "consent", "partner-referral", "wishes",
                   "perpetrator-action", "handover"):
        response = worker.post(f"/staff/referrals/{reference}/{action}", data={f"{action}-csrf_token": csrf_token})
        assert response.status_code == 403, action


# --- handover -----------------------------------------------------------------------------------

def test_the_newest_handover_note_shows_at_the_top_for_the_assignee(app, worker, manager, reference):
    assert post(manager, reference, "handover", text="").status_code == 400
    post(manager, reference, "handover", text="Calls only after 6pm; she is on nights this week")
    post(manager, reference, "handover", text="Only text first; call after she replies")
    assert html(worker.get(f"/staff/referrals/{reference}")).select_one("section.handover") is None  # not hers yet
    post(worker, reference, "assign", assignee="me")
    note = html(worker.get(f"/staff/referrals/{reference}")).select_one("section.handover")
    assert "Only text first; call after she replies" in note.get_text() and "6pm" not in note.get_text()
    assert ("manager@example.org", "referral.handover_written", None) in audit_actions(app, reference)


# --- what is still to do -------------------------------------------------------------------------

def test_a_case_in_contact_owes_a_risk_assessment_and_a_high_one_a_marac_referral(app, worker, reference):
    from tests.helpers import risk_answers

    assert still_to_do(worker, reference) == []  # nobody has spoken to them yet
    post(worker, reference, "contact", channel="call", outcome="spoke")
    assert still_to_do(worker, reference) == ["No risk assessment yet"]
    post(worker, reference, "risk", **risk_answers(12))  # the default threshold
    assert still_to_do(worker, reference) == ["Meets the MARAC criteria: no MARAC referral recorded"]
    post(worker, reference, "marac", referred_on=TODAY, area="Walsall", referred_by="Worker")
    assert still_to_do(worker, reference) == []
