"""Risk and MARAC: the checklist file, scoring, several assessments kept, professional judgement
with its reason, the MARAC criteria on the case, the MARAC referral record, the inbox's flag."""
from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select

from haven import db
from haven.models import CaseEvent, Referral
from haven.services import risk
from haven.services.content_check import check
from tests.helpers import CONTENT_DIR, T0, audit_actions, html, post, risk_answers as answers, send_referral

# By hand, from the issue: the recognised risk factors the default checklist must cover.
FACTORS = ["injur", "frightened", "cut off", "depressed", "separated", "contact with children", "pregnant",
           "more often", "strangled", "kill", "weapon", "follow", "sexual", "jealous", "pets", "money",
           "alcohol or drugs", "criminal record", "court order"]


def test_the_default_checklist_covers_the_recognised_risk_factors():
    checklist = risk.load(CONTENT_DIR)
    text = " ".join(question.text for question in checklist.questions).lower()
    for factor in FACTORS:
        assert factor.lower() in text, factor
    assert checklist.high_risk_at == 12 and all(question.weight == 1 for question in checklist.questions)


@pytest.mark.parametrize("change, problem", [
    (lambda data: data.update(answers=["yes", "no"]), "answers must be"),
    (lambda data: data["questions"][0].update(weight=0), "weight from 1 to 10"),
    (lambda data: data.update(high_risk_at=500), "high_risk_at"),
    (lambda data: data["questions"].append(dict(data["questions"][0])), "used twice"),
    (lambda data: data["questions"][0].update(id="escalation"), "a name the form uses"),
])
def test_content_check_refuses_a_broken_checklist(tmp_path, change, problem):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    data = yaml.safe_load((content / "risk_checklist.yaml").read_text())
    change(data)
    (content / "risk_checklist.yaml").write_text(yaml.safe_dump(data))
    passes, lines = check(content, production=False)
    assert not passes and any(problem in line and "risk_checklist.yaml line " in line for line in lines)


# Written by hand, so the line each problem is on is counted here, never worked out by the code
# under test. Both styles a question can take are in it: one line each, and one key a line.
SMALL = """\
# A small checklist for these tests.
answers:
  - "yes"
  - "no"
  - "not_known"
high_risk_at: 3
questions:
  - {id: injuries, weight: 1, text: "Is the person injured now?"}
  - {id: threats_to_kill, weight: 2, text: "Has the abuser threatened to kill?"}
  - id: weapons
    weight: 3
    text: "Has the abuser used a weapon?"
"""


def write_checklist(tmp_path, text):
    (tmp_path / "risk_checklist.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_small_checklist_loads_and_scores_only_the_yes_answers(tmp_path):
    checklist = risk.load(write_checklist(tmp_path, SMALL))
    assert [(question.id, question.weight) for question in checklist.questions] == [
        ("injuries", 1), ("threats_to_kill", 2), ("weapons", 3)]
    assert checklist.questions[2].text == "Has the abuser used a weapon?"
    assert checklist.score({"injuries": "yes", "threats_to_kill": "not_known", "weapons": "yes"}) == 4
    assert checklist.score({"injuries": "no", "threats_to_kill": "yes", "weapons": "not_known"}) == 2
    assert checklist.score({}) == 0
    assert not checklist.is_high(2) and checklist.is_high(3) and checklist.is_high(6)


@pytest.mark.parametrize("old, new, line, problem", [
    ("weight: 2", "weight: 0", 9, "question threats_to_kill needs a weight from 1 to 10"),
    ("weight: 2", "weight: 11", 9, "question threats_to_kill needs a weight from 1 to 10"),
    ("    weight: 3", "    weight: 0", 11, "question weapons needs a weight from 1 to 10"),
    ("    weight: 3", "    # weight to come", 10, "question weapons needs a weight from 1 to 10"),
    ("id: threats_to_kill", "id: injuries", 9, "question id injuries is used twice"),
    ("id: weapons", "id: injuries", 10, "question id injuries is used twice"),
    ("id: threats_to_kill", "id: escalation", 9, "question id escalation is a name the form uses itself"),
    (', text: "Has the abuser threatened to kill?"', "", 9, "question threats_to_kill needs a text"),
    ('    text: "Has the abuser used a weapon?"', "    # text to come", 10, "question weapons needs a text"),
    ("id: weapons", "name: weapons", 10, "question 3 needs an id"),
    ("  - {id: threats_to_kill", "\t- {id: threats_to_kill", 9,
     "the file is not valid YAML (found character '\\t' that cannot start any token)"),
    ("high_risk_at: 3", "high_risk_at: 7", 6, "high_risk_at must be a whole number from 1 to 6"),
    ("high_risk_at: 3", "high_risk_at: 0", 6, "high_risk_at must be a whole number from 1 to 6"),
    ('  - "not_known"', '  - "maybe"', 2, "answers must be ['yes', 'no', 'not_known']"),
    ('  - "no"', "  - no", 4, "put it in quotes"),
    ('text: "Has the abuser used a weapon?"', "text: yes", 12, "question weapons needs a text (put it in quotes"),
    ("high_risk_at: 3", "high_risk_at: 3\nhigh_risk_at: 4", 7, "high_risk_at appears twice here"),
])
def test_a_broken_checklist_names_the_line_of_the_problem(tmp_path, old, new, line, problem):
    assert SMALL.count(old) == 1
    broken = SMALL.replace(old, new)
    if "twice here" not in problem:  # every other change keeps each line where it was counted
        assert broken.count("\n") == SMALL.count("\n")
    with pytest.raises(risk.ChecklistError) as raised:
        risk.load(write_checklist(tmp_path, broken))
    assert str(raised.value).startswith(f"risk_checklist.yaml line {line}: "), str(raised.value)
    assert problem in str(raised.value)


@pytest.mark.parametrize("text, line, problem", [
    ("# Not a mapping.\n- injuries\n- weapons\n", 2, "the file must be a mapping"),
    ("", 1, "the file must be a mapping"),
    ('answers: ["yes", "no", "not_known"]\nhigh_risk_at: 1\nquestions: injuries, weapons\n', 3,
     "questions must be a list"),
    ('answers: ["yes", "no", "not_known"]\nhigh_risk_at: 1\nquestions:\n  - injuries\n', 4,
     "question 1 must be a mapping of id, weight and text"),
    ('answers: [yes, no, not_known]\nhigh_risk_at: 1\nquestions: []\n', 1, "put it in quotes"),
])
def test_a_checklist_of_the_wrong_shape_names_the_line(tmp_path, text, line, problem):
    with pytest.raises(risk.ChecklistError) as raised:
        risk.load(write_checklist(tmp_path, text))
    assert str(raised.value).startswith(f"risk_checklist.yaml line {line}: "), str(raised.value)
    assert problem in str(raised.value)


def test_content_check_reports_the_line_of_a_broken_checklist(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    write_checklist(content, SMALL.replace("weight: 2", "weight: 0"))
    passes, lines = check(content, production=False)
    assert not passes
    assert "error: risk_checklist.yaml line 9: question threats_to_kill needs a weight from 1 to 10" in lines
    write_checklist(content, SMALL.replace("  - {id: threats_to_kill", "\t- {id: threats_to_kill"))
    passes, lines = check(content, production=False)
    assert not passes and any(line.startswith("error: risk_checklist.yaml line 9: the file is not valid YAML")
                              for line in lines)


def test_assessments_are_scored_kept_and_flag_the_referral(app, worker):
    reference = send_referral(app, at=T0 - timedelta(hours=1))
    assert post(worker, reference, "risk", **answers(5)).status_code == 303
    row = lambda: db.session().scalar(select(Referral).where(Referral.reference == reference))  # noqa: E731
    with app.app_context():
        assert row().flag_high_risk is False
    assert post(worker, reference, "risk", **answers(12)).status_code == 303  # the threshold
    with app.app_context():
        assert row().flag_high_risk is True
        events = db.session().scalars(select(CaseEvent).where(CaseEvent.kind == "risk").order_by(CaseEvent.id)).all()
        assert [(event.score, event.high_risk) for event in events] == [(5, False), (12, True)]
        assert all("not_known" not in event.body_enc for event in events)  # answers are encrypted
    page = html(worker.get(f"/staff/referrals/{reference}"))
    rows = [row.get_text(" ", strip=True) for row in page.select("#risk-heading ~ table tbody tr")]
    assert "12 of 19" in rows[0] and "High risk" in rows[0] and "5 of 19" in rows[1]
    assert "Met: a high score" in page.select_one(".criteria").get_text()
    inbox = worker.get("/staff/inbox?flag=high_risk").get_data(as_text=True)
    assert reference in inbox and "High risk" in inbox
    assert [detail for _, action, detail in audit_actions(app, reference) if action == "referral.risk_assessed"] == [
        "5:not_high", "12:high"]


def test_every_question_must_be_answered_and_judgement_makes_it_high_risk(app, worker):
    reference = send_referral(app, at=T0 - timedelta(hours=1))
    partial = answers(0)
    partial.pop("weapons")
    refused = post(worker, reference, "risk", **partial)
    assert refused.status_code == 400 and "weapon" in html(refused).select_one(".error-summary").get_text()
    assert post(worker, reference, "risk", **answers(2), judgement="He has just been released from prison",
                escalation="y").status_code == 303
    page = html(worker.get(f"/staff/referrals/{reference}"))
    criteria = page.select_one(".criteria").get_text()
    assert "Met: professional judgement" in criteria
    assert "Met: potential escalation" in criteria and "Not met: a high score" in criteria
    assert "meets the MARAC referral criteria" in page.get_text()


def test_a_repeat_referral_meets_the_criteria_and_a_marac_referral_is_recorded(app, worker):
    send_referral(app, at=T0 - timedelta(days=60))
    reference = send_referral(app, at=T0 - timedelta(hours=2))
    page = html(worker.get(f"/staff/referrals/{reference}"))
    assert "Met: a repeat referral within 12 months" in page.select_one(".criteria").get_text()
    refused = post(worker, reference, "marac", referred_on="2026-11-23", area="", referred_by="")
    assert refused.status_code == 400
    future = post(worker, reference, "marac", referred_on="2026-12-30", area="Walsall", referred_by="Police")
    assert future.status_code == 400 and "future" in future.get_data(as_text=True)
    done = post(worker, reference, "marac", referred_on="2026-11-23", area="Walsall", referred_by="Our DA team",
                meeting_on="2026-11-30", actions="Police to fit a panic alarm")
    assert done.status_code == 303
    entry = html(worker.get(f"/staff/referrals/{reference}")).select_one(".timeline li.timeline-marac")
    text = entry.get_text(" ", strip=True)
    assert "meeting 2026-11-30" in text and "Walsall" in text and "Police to fit a panic alarm" in text
    with app.app_context():
        event = db.session().scalar(select(CaseEvent).where(CaseEvent.kind == "marac"))
        assert "panic alarm" not in event.body_enc
