"""Casework reviews and compliance audits (whg 3.3-3.4): a random sample of the cases closed in a
period, each reviewed once against content/casework_review.yaml, and the share meeting each point
round by round (not applicable counts for neither)."""
from __future__ import annotations

import random
import shutil
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from haven import db
from haven.models import CaseReview, ReviewRound
from tests.helpers import CONTENT_DIR, WM, html, send_referral, set_state, use_profile

POINTS = ["contact_within_target", "safe_contact_respected", "risk_assessed", "safeguarding_decided",
          "outcome_recorded", "feedback_offered"]  # the shipped checklist, by hand


def closed(app, day: int, month: int = 10) -> str:
    reference = send_referral(app, at=datetime(2026, 9, 1, 9, tzinfo=timezone.utc), phone=f"07700 900 3{day:02d}")
    set_state(app, reference, status="closed", closed_at=datetime(2026, month, day, 12, tzinfo=timezone.utc),
              outcome="advice")
    return reference


def form_token(client, path) -> str:
    return html(client.get(path)).select_one('input[name="csrf_token"]')["value"]


def draw(client, **fields):
    return client.post("/staff/reviews", data={"csrf_token": form_token(client, "/staff/reviews"), **fields})


def test_the_shipped_checklist_has_the_points_the_issue_names():
    from haven.services import reviews

    assert [point.id for point in reviews.load(CONTENT_DIR)] == POINTS


def test_a_sample_is_drawn_from_the_cases_closed_in_the_period_only(app, manager):
    inside = {closed(app, day) for day in (1, 5, 9, 13, 17)}
    closed(app, 2, month=11)  # closed after the period
    open_one = send_referral(app, at=datetime(2026, 10, 3, tzinfo=timezone.utc), phone="07700 900 399")
    response = draw(manager, start="2026-10-01", end="2026-10-31", size="3")
    assert response.status_code == 303
    page = html(manager.get(response.headers["Location"]))
    drawn = {link.get_text() for link in page.select("td[data-label=Reference] a")}
    assert len(drawn) == 3 and drawn <= inside and open_one not in drawn
    everything = draw(manager, start="2026-10-01", end="2026-10-31", size="50")  # more than there are
    assert {link.get_text() for link in html(manager.get(everything.headers["Location"])).select(
        "td[data-label=Reference] a")} == inside


def test_the_sample_is_random(app):
    from haven.services import reviews
    from tests.helpers import make_account, staff_id

    for day in range(1, 21):
        closed(app, day)
    make_account(app, email="m@example.org", roles=("manager",))
    with app.app_context():
        from haven.models import StaffUser

        manager = db.session().get(StaffUser, staff_id(app, "m@example.org"))
        samples = [reviews.draw(db.session(), manager, start=date(2026, 10, 1), end=date(2026, 10, 31), size=5,
                                rng=random.Random(seed)) for seed in (1, 2)]
        chosen = [set(db.session().scalars(select(CaseReview.referral_id).where(CaseReview.round_id == sample.id)))
                  for sample in samples]
    assert chosen[0] != chosen[1]


@pytest.mark.parametrize("fields, message", [
    ({"start": "2026-10-31", "end": "2026-10-01", "size": "3"}, "'To' must be on or after 'From'"),
    ({"start": "2026-10-01", "end": "2026-10-31", "size": "0"}, "Choose 1 to 50 cases"),
    ({"start": "2026-10-01", "end": "2026-10-31", "size": "many"}, "Choose 1 to 50 cases"),
    ({"start": "2025-01-01", "end": "2025-01-31", "size": "3"}, "No cases were closed in that period"),
    ({"start": "soon", "end": "2026-10-31", "size": "3"}, "Enter 'Cases closed from' as a date"),
])
def test_a_bad_draw_is_a_clear_error_and_draws_nothing(app, manager, fields, message):
    closed(app, 5)
    response = draw(manager, **fields)
    assert response.status_code == 400 and message in html(response).get_text()
    with app.app_context():
        assert db.session().scalar(select(ReviewRound.id)) is None


def review(client, round_url, reference, answers, **words):
    path = f"{round_url}/{reference}"
    return client.post(path, data={"csrf_token": form_token(client, path), **answers, **words})


def test_each_case_is_reviewed_once_and_the_shares_count_met_against_answered(app, manager, database_url):
    from tests.helpers import raw_database

    references = sorted(closed(app, day) for day in (1, 2, 3))
    round_url = draw(manager, start="2026-10-01", end="2026-10-31", size="3").headers["Location"]
    all_met = {point: "met" for point in POINTS}
    assert review(manager, round_url, references[0], {**all_met, "risk_assessed": ""}).status_code == 400
    assert review(manager, round_url, references[0], all_met, findings="canary-review-77 finding").status_code == 303
    assert review(manager, round_url, references[1], {**all_met, "risk_assessed": "not_met",
                                                      "feedback_offered": "na"}).status_code == 303
    assert review(manager, round_url, references[0], all_met).status_code == 303  # refused: already reviewed
    assert "reviewed already" in html(manager.get(f"{round_url}/{references[0]}")).get_text()
    page = html(manager.get("/staff/reviews"))
    cells = {row.select_one("th").get_text(): row.select_one("td").get_text() for row in page.select("tbody tr")}
    assert cells["The risk was assessed, and MARAC considered where it was high"] == "50% (1 of 2)"
    assert cells["They were offered a way to give feedback after closing"] == "100% (1 of 1)"
    assert cells["First contact was made within the response target"] == "100% (2 of 2)"
    assert "canary-review-77" in html(manager.get(f"{round_url}/{references[0]}")).get_text()
    assert b"canary-review-77" not in raw_database(database_url)


def test_reviews_are_for_managers_and_only_where_the_policy_commits_to_them(app, worker, manager):
    assert worker.get("/staff/reviews").status_code == 403
    use_profile(app, WM)
    assert manager.get("/staff/reviews").status_code == 404
    assert "Casework reviews" not in html(manager.get("/staff/")).get_text()


def test_a_barred_manager_never_draws_the_case(app, manager):
    from haven.services import reviews
    from tests.helpers import make_account, post, staff_id

    reference = closed(app, 5)
    make_account(app, email="other.manager@example.org", roles=("manager",))
    post(manager, reference, "bar", member=str(staff_id(app, "other.manager@example.org")))
    with app.app_context():
        from haven.models import StaffUser

        other = db.session().get(StaffUser, staff_id(app, "other.manager@example.org"))
        with pytest.raises(reviews.CaseError, match="No cases were closed"):
            reviews.draw(db.session(), other, start=date(2026, 10, 1), end=date(2026, 10, 31), size=5)


@pytest.mark.parametrize("text, problem", [
    ("points: []\n", "points must be a list"),
    ("points:\n  - id: a\n    text: A\n  - id: a\n    text: B\n", "point id a is used twice"),
    ("points:\n  - id: not an id\n    text: A\n", "point 1 needs an id"),
])
def test_content_check_refuses_a_broken_review_checklist(tmp_path, text, problem):
    from haven.services.content_check import check

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / "casework_review.yaml").write_text(text)
    passes, lines = check(content, production=False)
    assert not passes and any(problem in line for line in lines)


def test_a_purge_takes_the_findings_and_keeps_the_points(app, manager):
    from haven.models import ReviewPoint
    from haven.services import retention

    reference = closed(app, 5)
    round_url = draw(manager, start="2026-10-01", end="2026-10-31", size="1").headers["Location"]
    review(manager, round_url, reference, {point: "met" for point in POINTS}, findings="Named the neighbour",
           actions="Talk to the caseworker")
    with app.app_context():
        retention.purge(db.session(), datetime(2029, 1, 1, tzinfo=timezone.utc), 24,
                        keyring=app.extensions["haven_keyring"])
        kept = db.session().scalar(select(CaseReview))
        assert (kept.findings_enc, kept.actions_enc) == (None, None)
        assert len(db.session().scalars(select(ReviewPoint)).all()) == len(POINTS)
