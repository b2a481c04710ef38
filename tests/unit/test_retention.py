"""Retention (issue 16; whg 3.1, UK GDPR storage limitation): `referrals purge` removes the personal
content of referrals closed more than HAVEN_RETENTION_MONTHS (24) ago and keeps the plain figures
reports count; a legal hold, placed and lifted by managers with a reason, stops it; each run is
audited; the audit log's own period is counted, never deleted from.

Expected values come from the rules, counted by hand: T0 is 2026-11-23 10:00 UTC, so the 24-month
cut-off is 2024-11-23 10:00 UTC."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, inspect, select

from haven import config, db
from haven.models import AuditEvent, CaseEvent, Evidence, Referral
from tests.helpers import (NAME, PHONE, WHG, WM, WORDS, audit_actions, html, post, raw_database, send_referral,
                           set_state, use_profile)

UTC = timezone.utc
CUT_OFF = "2024-11-23"  # T0 less 24 months
RECEIVED = datetime(2024, 9, 2, 9, 0, tzinfo=UTC)
CLOSED_25_MONTHS_AGO = datetime(2024, 10, 23, 10, 0, tzinfo=UTC)
CLOSED_23_MONTHS_AGO = datetime(2024, 12, 23, 10, 0, tzinfo=UTC)
EMAIL = "samira.canarywood@example.org"
NOTE, CLOSING = "canary note about the stairwell 5531", "canary closing words 7720"
CAPTION, FILENAME = "canary-caption-3389", "Samira-Canarywood-3390.jpg"
HOLD_REASON, LIFT_REASON = "canary hold: county court case 4471", "canary lift: the case has ended 4472"
CANARIES = (NAME, PHONE, EMAIL, WORDS, NOTE, CLOSING, CAPTION, FILENAME, HOLD_REASON, LIFT_REASON)
# What retention removes from the referral row; every other column is kept as it was.
PERSONAL = {"name_enc", "contact_enc", "details_enc", "message_enc", "continue_hash", "continue_expires_at",
            "phone_match", "email_match"}
PURGE_LINE = f"referrals: 1 closed before {CUT_OFF} (24 months) lost their personal content"


@pytest.fixture
def wm(app):
    """WM Housing Group's policy (with whg's casework too): evidence can be attached."""
    use_profile(app, WHG, WM)
    return app


def attach(client, reference):
    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (8, 8)).save(photo, "JPEG")
    token = html(client.get(f"/staff/referrals/{reference}")).select_one('input[name="evidence-csrf_token"]')["value"]
    return client.post(f"/staff/referrals/{reference}/evidence", content_type="multipart/form-data", data={
        "evidence-csrf_token": token, "evidence-caption": CAPTION,
        "evidence-file": (io.BytesIO(photo.getvalue()), FILENAME, "image/jpeg")})


def worked_case(app, client, closed_at=None, **details) -> str:
    """A self-referral received 2024-09-02 with a note, a photo and (unless closed_at is None) a
    closure with its words, closed at `closed_at`."""
    reference = send_referral(app, at=RECEIVED, email=EMAIL,
                              details={"danger_now": "yes", "children_in_home": "yes", **details})
    set_state(app, reference, continue_hash=reference.ljust(64, "c"), continue_expires_at=RECEIVED)
    assert post(client, reference, "notes", text=NOTE).status_code == 303
    assert attach(client, reference).status_code == 303
    if closed_at is not None:
        assert post(client, reference, "close", outcome="advice", agreed="yes", note=CLOSING).status_code == 303
        set_state(app, reference, closed_at=closed_at)
    return reference


def columns(row) -> dict:
    return {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}


def snapshot(app, reference) -> dict:
    """Every stored column of the referral, its timeline and its evidence."""
    with app.app_context():
        session = db.session()
        referral = session.scalar(select(Referral).where(Referral.reference == reference))
        events = session.scalars(select(CaseEvent).where(CaseEvent.referral_id == referral.id).order_by(CaseEvent.id))
        items = session.scalars(select(Evidence).where(Evidence.referral_id == referral.id).order_by(Evidence.id))
        return {"referral": columns(referral), "events": [columns(event) for event in events],
                "evidence": [columns(item) for item in items]}


def purge(runner, *options):
    result = runner.invoke(args=["referrals", "purge", *options])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def page_text(client, reference) -> str:
    response = client.get(f"/staff/referrals/{reference}")
    assert response.status_code == 200
    return " ".join(html(response).get_text().split())


# --- the purge ------------------------------------------------------------------------------------

def test_a_referral_closed_25_months_ago_loses_its_personal_content_and_keeps_its_figures(
        wm, worker, clock, runner, database_url):
    reference = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    before = snapshot(wm, reference)
    assert before["referral"]["name_enc"] and before["referral"]["message_enc"] and before["referral"]["phone_match"]
    assert before["referral"]["email_match"] and len(before["evidence"]) == 1
    assert sum(1 for event in before["events"] if event["body_enc"]) == 2  # the note and the closing words
    sealed = {value for value in (before["referral"][c] for c in PERSONAL) if isinstance(value, str)} | {
        event["body_enc"] for event in before["events"] if event["body_enc"]} | {
        before["evidence"][0][c] for c in ("data_enc", "name_enc", "caption_enc")}

    assert purge(runner) == PURGE_LINE

    after = snapshot(wm, reference)
    kept = {column: value for column, value in before["referral"].items() if column not in PERSONAL}
    assert {column: value for column, value in after["referral"].items() if column not in PERSONAL} == kept
    assert kept["status"] == "closed" and kept["outcome"] == "advice" and kept["priority"] == "urgent"
    assert kept["route"] == "self" and kept["flag_danger_now"] and kept["flag_children_in_home"]
    for column in ("name_enc", "message_enc", "continue_hash", "continue_expires_at", "phone_match", "email_match"):
        assert after["referral"][column] is None, column
    keyring = wm.extensions["haven_keyring"]
    for column in ("contact_enc", "details_enc"):  # NOT NULL: an empty record, encrypted under the newest key
        value = after["referral"][column]
        assert value.startswith(f"v1.{keyring.newest_id}.")
        assert keyring.decrypt(value, table="referral", column=column, row=kept["public_id"]) == "{}"
    # The timeline keeps every entry and its plain columns, without its words, and says what happened.
    *earlier, last = after["events"]
    assert [{**event, "body_enc": None} for event in before["events"]] == earlier
    assert all(event["body_enc"] is None for event in after["events"])
    assert last["kind"] == "purged" and last["actor_id"] is None and last["body_enc"] is None
    assert after["evidence"] == []  # attachments and notes go with the content
    with wm.app_context():
        stored = set(db.session().scalars(select(Referral.name_enc))) | set(db.session().scalars(
            select(CaseEvent.body_enc))) | set(db.session().scalars(select(Evidence.data_enc)))
    assert not sealed & stored  # none of the values that held her words is kept anywhere
    raw = raw_database(database_url)
    for canary in CANARIES:
        assert canary.encode() not in raw


def test_one_closed_23_months_ago_and_an_open_one_are_untouched(wm, worker, clock, runner):
    recent = worked_case(wm, worker, CLOSED_23_MONTHS_AGO)
    still_open = worked_case(wm, worker)
    old = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    set_state(wm, still_open, created_at=datetime(2020, 1, 6, 9, 0, tzinfo=UTC))  # old, but never closed
    before = {reference: snapshot(wm, reference) for reference in (recent, still_open)}
    assert purge(runner) == PURGE_LINE  # the 25-month one only
    assert {reference: snapshot(wm, reference) for reference in (recent, still_open)} == before
    assert snapshot(wm, old)["referral"]["name_enc"] is None


def test_the_configured_period_moves_the_cut_off(wm, worker, clock, runner):
    reference = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    before = snapshot(wm, reference)
    wm.config["RETENTION_MONTHS"] = 36
    assert purge(runner) == "referrals: 0 closed before 2023-11-23 (36 months) lost their personal content"
    assert snapshot(wm, reference) == before
    wm.config["RETENTION_MONTHS"] = 23
    assert purge(runner) == ("referrals: 1 closed before 2024-12-23 (23 months) lost their personal content")


def test_a_dry_run_changes_nothing_and_says_what_would_go(wm, worker, clock, runner):
    reference = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    before = snapshot(wm, reference)
    assert purge(runner, "--dry-run") == (f"referrals: dry run: 1 closed before {CUT_OFF} (24 months) would lose "
                                          "their personal content; nothing changed")
    assert snapshot(wm, reference) == before
    with wm.app_context():  # not audited: it reads plain columns only and changes nothing
        assert db.session().scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.in_(("referrals.purged", "referral.purged")))) == 0


def test_each_run_is_audited_with_how_many_and_which_period(wm, worker, clock, runner):
    reference = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    purge(runner)
    purge(runner)
    with wm.app_context():
        runs = [(event.actor, event.detail) for event in db.session().scalars(
            select(AuditEvent).where(AuditEvent.action == "referrals.purged").order_by(AuditEvent.id))]
    assert runs == [("cli", f"1 closed before {CUT_OFF}"), ("cli", f"0 closed before {CUT_OFF}")]
    assert ("cli", "referral.purged", None) in audit_actions(wm, reference)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_running_the_purge_twice_is_harmless(wm, worker, clock, runner):
    reference = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    assert purge(runner) == PURGE_LINE
    once = snapshot(wm, reference)
    assert purge(runner) == f"referrals: 0 closed before {CUT_OFF} (24 months) lost their personal content"
    assert snapshot(wm, reference) == once
    assert [event["kind"] for event in once["events"]].count("purged") == 1


# --- legal holds ----------------------------------------------------------------------------------

def test_a_legal_hold_stops_the_purge_and_lifting_it_lets_the_next_run_go_ahead(wm, manager, clock, runner):
    reference = worked_case(wm, manager, CLOSED_25_MONTHS_AGO)
    assert "Not on legal hold." in page_text(manager, reference)
    assert post(manager, reference, "legal-hold", reason=HOLD_REASON).status_code == 303
    text = page_text(manager, reference)
    assert f"On legal hold since 2026-11-23 (manager@example.org): {HOLD_REASON}" in text
    before = snapshot(wm, reference)
    assert purge(runner) == f"referrals: 0 closed before {CUT_OFF} (24 months) lost their personal content"
    assert snapshot(wm, reference) == before

    assert post(manager, reference, "legal-hold-lift", reason=LIFT_REASON).status_code == 303
    assert "Not on legal hold." in page_text(manager, reference)
    assert purge(runner) == PURGE_LINE
    after = snapshot(wm, reference)
    kinds = [event["kind"] for event in after["events"]]
    assert kinds[-3:] == ["legal_hold", "legal_hold_lifted", "purged"]
    assert all(event["body_enc"] is None for event in after["events"])  # the reasons went with the rest
    assert [(actor, action) for actor, action, _ in audit_actions(wm, reference) if "legal_hold" in action] == [
        ("manager@example.org", "referral.legal_hold_placed"), ("manager@example.org", "referral.legal_hold_lifted")]


def test_only_managers_place_or_lift_a_hold(wm, worker, manager, clock):
    reference = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    page = html(worker.get(f"/staff/referrals/{reference}"))
    assert page.select_one("#records-heading") is not None and "Not on legal hold." in page.get_text()
    assert page.select_one('form[action$="/legal-hold"]') is None
    token = page.select_one('input[name$="csrf_token"]')["value"]
    for action in ("legal-hold", "legal-hold-lift"):
        response = worker.post(f"/staff/referrals/{reference}/{action}",
                               data={f"{action}-csrf_token": token, f"{action}-reason": "I want to keep it"})
        assert response.status_code == 403, action
    assert html(manager.get(f"/staff/referrals/{reference}")).select_one('form[action$="/legal-hold"]') is not None
    assert not any("legal_hold" in action for _, action, _ in audit_actions(wm, reference))


def test_a_hold_and_its_lifting_each_need_a_reason(wm, manager, clock):
    reference = worked_case(wm, manager, CLOSED_25_MONTHS_AGO)
    response = post(manager, reference, "legal-hold", reason="  ")
    assert response.status_code == 400 and "Say why the records must be kept" in response.get_data(as_text=True)
    response = post(manager, reference, "legal-hold-lift", reason="over")
    assert response.status_code == 400 and "This referral is not on legal hold" in response.get_data(as_text=True)
    assert post(manager, reference, "legal-hold", reason=HOLD_REASON).status_code == 303
    response = post(manager, reference, "legal-hold", reason="again")
    assert response.status_code == 400 and "already on legal hold" in response.get_data(as_text=True)
    response = post(manager, reference, "legal-hold-lift", reason="")
    assert response.status_code == 400 and "Say why the hold can end" in response.get_data(as_text=True)
    kinds = [event["kind"] for event in snapshot(wm, reference)["events"]]
    assert kinds.count("legal_hold") == 1 and "legal_hold_lifted" not in kinds


# --- the purged referral's page -------------------------------------------------------------------

def test_a_purged_referrals_page_opens_with_its_facts_and_says_the_content_was_removed(wm, worker, clock, runner):
    reference = worked_case(wm, worker, CLOSED_25_MONTHS_AGO)
    # Entries whose words are a small record the page reads (advice, an agreement, a share).
    for action, fields in (
            ("reopen", {"reason": "they called back"}),
            ("advice", {"topic": "online_safety", "on": "2026-11-23", "by": "Worker"}),
            ("move-assessment", {"how": "closer to family"}),
            ("move-decision", {"decision": "agreed", "reason": "significant risk at home"}),
            ("move-agreement", {"person": "look for a flat", "organisation": "support the bid"}),
            ("consent", {"purpose": "share_with_partners", "answer": "given", "on": "2026-11-23", "note": "ok"}),
            ("partner-referral", {"partner": "police", "on": "2026-11-23", "shared": "the note", "basis": "consent"})):
        assert post(worker, reference, action, **fields).status_code == 303, action
    assert post(worker, reference, "close", outcome="advice", agreed="yes", note=CLOSING).status_code == 303
    set_state(wm, reference, closed_at=CLOSED_25_MONTHS_AGO)
    assert purge(runner) == PURGE_LINE

    text = page_text(worker, reference)
    assert "Personal content removed on 2026-11-23 under the retention policy." in text
    for canary in CANARIES:
        assert canary not in text
    for gone in ("What they told us", "How to contact them safely", "Show contact details"):
        assert gone not in text
    assert "Urgent" in text and "Status: Closed" in text and f"Referral {reference}" in text
    timeline = html(worker.get(f"/staff/referrals/{reference}")).select_one(".timeline li.timeline-purged")
    assert "Personal content removed under the retention policy" in timeline.get_text()
    assert "the retention policy" in timeline.select_one(".timeline-meta").get_text()
    # Showing contact details that are no longer kept: back to the page, and nothing recorded as shown.
    response = post(worker, reference, "contact-details", reason="follow_up")
    assert response.status_code == 303
    assert not any(action == "referral.contact_revealed" for _, action, _ in audit_actions(wm, reference))
    assert worker.get("/staff/inbox").status_code == 200


# --- settings and the audit log's period ----------------------------------------------------------

def test_the_retention_periods_are_read_from_the_environment(tmp_path):
    defaults = config.load(tmp_path, environ={})
    assert (defaults["RETENTION_MONTHS"], defaults["AUDIT_RETENTION_MONTHS"]) == (24, 72)
    chosen = config.load(tmp_path, environ={"HAVEN_RETENTION_MONTHS": "36", "HAVEN_AUDIT_RETENTION_MONTHS": "84"})
    assert (chosen["RETENTION_MONTHS"], chosen["AUDIT_RETENTION_MONTHS"]) == (36, 84)
    for name in ("HAVEN_RETENTION_MONTHS", "HAVEN_AUDIT_RETENTION_MONTHS"):
        for value in ("0", "two years", "-1"):
            with pytest.raises(config.ConfigError, match=name):
                config.load(tmp_path, environ={name: value})


def test_audit_expired_counts_the_events_past_their_period_and_deletes_none(app, clock, runner):
    # 72 months before T0 is 2020-11-23 10:00 UTC: two events before it, one after.
    with app.app_context():
        session = db.session()
        for moment in (datetime(2019, 5, 1, tzinfo=UTC), datetime(2020, 11, 23, 9, 59, tzinfo=UTC),
                       datetime(2020, 11, 23, 10, 1, tzinfo=UTC)):
            session.add(AuditEvent(at=moment, actor="test", action="test.old"))
        session.commit()
        total = session.scalar(select(func.count(AuditEvent.id)))
    result = runner.invoke(args=["audit", "expired"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("audit: 2 events before 2020-11-23 are past 72 months "
                                     "(the log is append-only: none deleted)")
    with app.app_context():
        assert db.session().scalar(select(func.count(AuditEvent.id))) == total
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_months_are_calendar_months_and_a_month_end_stays_in_its_month():
    from haven.services import retention

    assert retention.months_before(datetime(2026, 11, 23, 10, tzinfo=UTC), 24) == datetime(2024, 11, 23, 10, tzinfo=UTC)
    assert retention.months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert retention.months_after(datetime(2023, 12, 31, tzinfo=UTC), 2) == datetime(2024, 2, 29, tzinfo=UTC)
