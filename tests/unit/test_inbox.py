"""The inbox list: views and their counts, the order of who needs contact first, filters, pages,
repeat referrals, conflict-of-interest bars, and that no list ever decrypts."""
from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import select

from haven import db
from haven.models import Referral, ReferralBar
from haven.security.crypto import Keyring
from haven.services import referrals
from tests.helpers import NAME, PHONE, T0, WORDS, intake, send_referral as send, set_state


def page(client, **args):
    response = client.get("/staff/inbox", query_string=args)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def references(html) -> list[str]:
    return [cell.get_text(strip=True) for cell in html.select("table.inbox tbody td.reference")]


def counts(html) -> dict[str, int]:
    return {link["href"].split("view=")[1]: int(link.select_one(".count").get_text())
            for link in html.select("#view-nav a")}


def test_the_default_view_puts_overdue_first_then_urgent_then_least_time_left(app, worker):
    # "Now" is T0, Monday 23 November 2026 at 10:00; each is received some time before.
    standard_old = send(app, at=T0 - timedelta(days=4), phone=None)                 # due Friday: overdue
    urgent_overdue = send(app, at=T0 - timedelta(hours=5), details={"danger_now": "yes"}, phone=None)  # due 09:00
    urgent_fresh = send(app, at=T0 - timedelta(hours=1), details={"children_at_risk": "yes"}, phone=None)  # 13:00
    urgent_fresher = send(app, at=T0 - timedelta(minutes=30), details={"danger_now": "yes"}, phone=None)  # 13:30
    standard_new = send(app, at=T0 - timedelta(hours=2), phone=None)                # due Tuesday 08:00
    contacted = send(app, at=T0 - timedelta(hours=3), details={"danger_now": "yes"}, phone=None)
    set_state(app, contacted, first_contact_at=T0 - timedelta(hours=2), status="in_contact")
    closed = send(app, at=T0 - timedelta(days=1), phone=None)
    set_state(app, closed, status="closed", closed_at=T0 - timedelta(hours=1))

    html = page(worker)
    # Overdue first, urgent before standard among them; then urgent by least time left; then standard.
    assert references(html) == [urgent_overdue, standard_old, urgent_fresh, urgent_fresher, standard_new]
    assert counts(html) == {"needs-contact": 5, "mine": 0, "open": 6, "overdue": 2, "anonymous": 0, "closed": 1}
    assert references(page(worker, view="overdue")) == [urgent_overdue, standard_old]
    assert references(page(worker, view="closed")) == [closed]
    assert references(page(worker, view="open"))[-1] == contacted  # the clock stopped: after every running one


def test_a_row_shows_its_flags_and_time_but_never_a_name_contact_or_words(app, worker):
    reference = send(app, at=T0 - timedelta(hours=5), locale="ur",
                     details={"danger_now": "yes", "children_in_home": "yes", "children_at_risk": "yes",
                              "lives_with": "yes", "access_needs": ["bsl"]})
    response = worker.get("/staff/inbox")
    text = response.get_data(as_text=True)
    for secret in (NAME, PHONE, "07700", WORDS, "Canarywood"):
        assert secret not in text
    row = BeautifulSoup(text, "html.parser").select_one("table.inbox tbody tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
    assert cells[0] == reference and reference.startswith("HV-") and len(reference) == 8
    assert cells[1:4] == ["Self-referral", "Urgent", "5 h ago"]
    assert cells[4] == "overdue by 1 h"
    assert cells[5:7] == ["No one yet", "New"]
    assert [flag.get_text() for flag in row.select(".flags li")] == [
        "Danger now", "Children in the home", "Children at risk", "Lives with the person harming them",
        "Interpreter or language", "Access needs"]


def test_no_list_or_count_ever_decrypts(app, worker, monkeypatch):
    send(app, details={"danger_now": "yes"})
    send(app, kind="concern", anonymous=True)

    def refuse(*args, **kwargs):
        raise AssertionError("a list decrypted a referral")

    monkeypatch.setattr(Keyring, "decrypt", refuse)
    for view in ("needs-contact", "mine", "open", "overdue", "anonymous", "closed"):
        page(worker, view=view, status="new", priority="urgent", flag="danger_now", received_from="2026-11-01")
    assert worker.get("/staff/").status_code == 200


def test_anonymous_concerns_have_their_own_view_and_no_target(app, worker):
    anonymous = send(app, kind="concern", anonymous=True, phone=None)
    concern = send(app, kind="concern", anonymous=False)
    assert references(page(worker)) == [concern]
    html = page(worker, view="anonymous")
    assert references(html) == [anonymous]
    assert "no target" in html.select_one("table.inbox tbody tr").get_text()


def test_filters_narrow_the_view_and_a_bad_value_is_a_clear_error_that_changes_nothing(app, worker):
    urgent = send(app, details={"danger_now": "yes"})
    standard = send(app, at=T0 - timedelta(days=2), details={"lives_with": "yes"})
    mine = send(app, at=T0 - timedelta(hours=1))
    set_state(app, mine, assignee_id=worker.staff_id, status="attempted")
    assert set(references(page(worker, priority="urgent"))) == {urgent}
    assert set(references(page(worker, flag="lives_with"))) == {standard}
    assert set(references(page(worker, assignee=str(worker.staff_id)))) == {mine}
    assert set(references(page(worker, assignee="none"))) == {urgent, standard}
    assert set(references(page(worker, status="attempted"))) == {mine}
    assert set(references(page(worker, received_from="2026-11-23", received_to="2026-11-23"))) == {urgent, mine}
    assert references(page(worker, view="mine")) == [mine]

    for args, message in [({"priority": "huge"}, "Choose a priority from the list"),
                          ({"received_from": "yesterday"}, "Enter 'received from' as a date"),
                          ({"received_from": "2026-11-23", "received_to": "2026-11-01"}, "on or after"),
                          ({"assignee": "99999"}, "Choose who it is assigned to from the list"),
                          ({"view": "everything"}, "That view does not exist")]:
        html = page(worker, **args)
        assert message in html.select_one(".error-summary").get_text()
        assert html.title.get_text().startswith("Error:")
        assert len(references(html)) == 3, args


def test_fifty_rows_a_page(app, worker):
    for minute in range(51):
        send(app, at=T0 - timedelta(minutes=minute), phone=None)
    first = page(worker)
    assert len(references(first)) == 50
    assert "51 referrals, page 1" in first.select_one("caption").get_text()
    second = page(worker, page="2")
    assert len(references(second)) == 1
    assert set(references(second)).isdisjoint(references(first))
    assert second.select_one(".pager a").get_text() == "Previous page"


def test_staff_home_shows_my_views_and_overdue(app, worker):
    mine = send(app, at=T0 - timedelta(days=4))
    set_state(app, mine, assignee_id=worker.staff_id)
    send(app)
    home = BeautifulSoup(worker.get("/staff/").get_data(as_text=True), "html.parser")
    shown = {link.get_text(" ", strip=True) for link in home.select(".home-counts a")}
    assert shown == {"Assigned to you 1", "Needs first contact 2", "Overdue 1"}


def test_a_barred_member_never_sees_the_referral_in_a_list_or_count(app, worker):
    hidden = send(app)
    seen = send(app, phone="+447700900111")
    with app.app_context():
        session = db.session()
        referral_id = session.scalar(select(Referral.id).where(Referral.reference == hidden))
        session.add(ReferralBar(referral_id=referral_id, staff_id=worker.staff_id, barred_by_id=worker.staff_id))
        session.commit()
    html = page(worker, view="open")
    assert references(html) == [seen]
    assert counts(html)["open"] == 1 and counts(html)["needs-contact"] == 1


# --- repeat referrals --------------------------------------------------------------------------

def repeat_of(app, reference):
    with app.app_context():
        session = db.session()
        referral = session.scalar(select(Referral).where(Referral.reference == reference))
        earlier = session.get(Referral, referral.repeat_of_id) if referral.repeat_of_id else None
        return referral.flag_repeat, earlier.reference if earlier else None


def test_a_referral_from_the_same_phone_or_email_within_12_months_is_a_repeat(app):
    first = send(app, at=T0 - timedelta(days=300), phone="+447700900001", email="a@example.org")
    by_phone = send(app, at=T0, phone="+447700900001")
    by_email = send(app, at=T0 + timedelta(minutes=1), phone=None, email="A@Example.org ")
    assert repeat_of(app, first) == (False, None)
    assert repeat_of(app, by_phone) == (True, first)
    assert repeat_of(app, by_email) == (True, first)


def test_older_than_12_months_or_a_concern_is_not_a_repeat(app):
    send(app, at=T0 - timedelta(days=400), phone="+447700900002")
    assert repeat_of(app, send(app, at=T0, phone="+447700900002")) == (False, None)
    send(app, kind="concern", at=T0 - timedelta(days=10), phone="+447700900003")
    assert repeat_of(app, send(app, at=T0, phone="+447700900003")) == (False, None)


def test_referrals_without_a_phone_or_email_are_never_repeats_of_each_other(app):
    # Two people reached by a home visit share nothing: no number or address means no match.
    contact = {"methods": ["home"], "phone": None, "email": None, "voicemail": "no"}
    send(app, at=T0 - timedelta(days=1), contact=contact)
    assert repeat_of(app, send(app, at=T0, contact=contact)) == (False, None)


def test_the_match_is_a_keyed_hash_not_the_number(app):
    reference = send(app, phone="+447700900004")
    with app.app_context():
        stored = db.session().scalar(select(Referral).where(Referral.reference == reference))
        assert "447700900004" not in (stored.phone_match or "") and len(stored.phone_match) == 64


# --- the flags follow the answers ---------------------------------------------------------------

def test_the_optional_pages_update_the_flags_and_an_escalation_moves_the_target(app):
    with app.app_context():
        session, keyring = db.session(), app.extensions["haven_keyring"]
        submission = referrals.Submission(kind="self", locale="en", token="m" * 32, name=None,
                                          contact={"methods": ["call"], "phone": PHONE}, details={}, message=None)
        referral = referrals.submit(session, keyring, submission, **intake(app), now=T0).referral
        assert referral.target_due_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(days=1)  # Monday: Tuesday
        token = referrals.issue_continuation(session, referral, now=T0)
        referrals.add_more(session, keyring, token, {"details": {"danger_now": "yes", "lives_with": "yes",
                                                                 "children_in_home": "yes"}},
                           targets=intake(app)["targets"], now=T0)
        referral = session.get(Referral, referral.id)
        assert (referral.flag_danger_now, referral.flag_lives_with, referral.flag_children_in_home) == (True, True, True)
        assert referral.priority == "urgent"
        assert referral.target_due_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(hours=4)


def test_the_targets_are_the_numbers_in_site_yaml(app, test_config, tmp_path):
    import shutil

    import yaml

    from haven import create_app
    from tests.helpers import CONTENT_DIR

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    profile = yaml.safe_load((content / "site.yaml").read_text())
    profile["response_targets"].update(urgent_hours=2, standard_working_days=3)
    (content / "site.yaml").write_text(yaml.safe_dump(profile))
    other = create_app({**test_config, "CONTENT_DIR": content})
    urgent, standard = send(other, details={"danger_now": "yes"}), send(other, phone=None)
    with other.app_context():
        due = dict(db.session().execute(select(Referral.reference, Referral.target_due_at)).all())
    assert due[urgent].replace(tzinfo=T0.tzinfo) == T0 + timedelta(hours=2)
    assert due[standard].replace(tzinfo=T0.tzinfo) == T0 + timedelta(days=3)  # Monday: Thursday
    english = BeautifulSoup(other.test_client().get("/en/what-happens-next").get_data(as_text=True), "html.parser")
    assert "within 2 hours" in english.get_text() and "within 3 working days" in english.get_text()
