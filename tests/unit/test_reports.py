"""Reports for a period: every figure checked against a hand-built set of referrals whose answers
are counted here by hand (including a response target that runs over the August bank holiday),
small numbers suppressed in exports and print, and no personal field in any export."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest

from tests.helpers import NAME, WORDS, html, post, send_referral, set_state

PERIOD = {"period": "custom", "start": "2026-08-01", "end": "2026-11-23"}  # Aug to today (Nov)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def seeded(app, manager):
    """By hand (now is Monday 23 November 2026 10:00 UTC; targets: urgent 4 h, standard 1 working day):
    E  Fri 28 Aug 10:00, standard; the target skips the bank holiday (Mon 31 Aug) to Tue 1 Sep 10:00;
       first contact Tue 1 Sep 09:00: within (95 h). Closed 10 Sep, "safer_home".
    A  Mon 5 Oct 09:00, standard, target Tue 6 Oct 09:00; contact 15:00 the same day: within (6 h).
       Physical and coercive abuse; wants a safer home. Closed 20 Oct, "advice". Works: locks
       requested 6 Oct, completed 16 Oct (10 days).
    B  Sat 10 Oct 12:00, urgent, target 16:00; contact 14:00: within (2 h). High risk; MARAC 11 Oct;
       safeguarding report to the police 12 Oct. Physical abuse.
    F  Tue 20 Oct, an anonymous concern: no target, not measured.
    C  Mon 2 Nov 09:00, a concern, standard, target Tue 3 Nov 09:00; contact Wed 4 Nov 09:00: late (48 h).
    D  Fri 20 Nov 08:00, standard, target Mon 23 Nov 08:00; not contacted: waiting past its target.
       Same phone as A: a repeat.
    G  15 Jul: outside the period."""
    refs = {}
    refs["G"] = send_referral(app, at=utc(2026, 7, 15, 9), phone="07700 900 100")
    refs["E"] = send_referral(app, at=utc(2026, 8, 28, 10), phone="07700 900 101")
    refs["A"] = send_referral(app, at=utc(2026, 10, 5, 9), phone="07700 900 102",
                              details={"abuse_kinds": ["physical", "coercive"], "help_wanted": ["safer_home"]})
    refs["B"] = send_referral(app, at=utc(2026, 10, 10, 12), phone="07700 900 103",
                              details={"danger_now": "yes", "abuse_kinds": ["physical"]})
    refs["F"] = send_referral(app, at=utc(2026, 10, 20, 9), kind="concern", anonymous=True)
    refs["C"] = send_referral(app, at=utc(2026, 11, 2, 9), kind="concern", phone="07700 900 104")
    refs["D"] = send_referral(app, at=utc(2026, 11, 20, 8), phone="07700 900 102")
    set_state(app, refs["E"], first_contact_at=utc(2026, 9, 1, 9), status="closed", closed_at=utc(2026, 9, 10, 12),
              outcome="safer_home")
    set_state(app, refs["A"], first_contact_at=utc(2026, 10, 5, 15), status="closed", closed_at=utc(2026, 10, 20, 12),
              outcome="advice")
    set_state(app, refs["B"], first_contact_at=utc(2026, 10, 10, 14), status="in_contact", flag_high_risk=True)
    set_state(app, refs["C"], first_contact_at=utc(2026, 11, 4, 9), status="in_contact")
    post(manager, refs["B"], "marac", referred_on="2026-10-11", area="Walsall", referred_by="Manager")
    post(manager, refs["B"], "safeguarding-report", to="police", on="2026-10-12", by="Manager")
    post(manager, refs["A"], "works", measure="locks", on="2026-10-06", by="Estates")
    item = html(manager.get(f"/staff/referrals/{refs['A']}")).select('select[name="works-stage-item"] option')[1]["value"]
    post(manager, refs["A"], "works-stage", item=item, stage="completed", on="2026-10-16", by="Fitter")
    post(manager, refs["C"], "complaint", received_on="2026-11-05", channel="phone", theme="contact")
    return refs


def report(app):
    from haven import db
    from haven.services import reports

    with app.app_context():
        return reports.build(db.session(), reports.Period(date(2026, 8, 1), date(2026, 11, 30)),
                             utc(2026, 11, 23, 10))


def row(table, label):
    return next(values for text, values in table.rows if text == label)


def test_every_figure_matches_the_hand_count(app, seeded):
    found = report(app)
    assert (found.within_target, found.answered_late, found.waiting_past_target) == (3, 1, 1)
    assert found.exceptions == [seeded["C"], seeded["D"]]
    assert (found.median_hours, found.p90_hours) == pytest.approx((6.0, 95.0))  # of 2, 6, 48, 95 hours
    route = found.table("received_route")
    assert row(route, "Self-referral") == [1, 0, 2, 1, 4]
    assert row(route, "Concern about someone") == [0, 0, 0, 1, 1]
    assert row(route, "Anonymous concern") == [0, 0, 1, 0, 1]
    assert row(found.table("received_priority"), "Urgent") == [0, 0, 1, 0, 1]
    risk = found.table("risk")
    assert row(risk, "Repeat referrals (within 12 months)") == [0, 0, 0, 1, 1]
    assert row(risk, "Referrals assessed as high risk") == [0, 0, 1, 0, 1]
    assert row(risk, "MARAC referrals made") == [0, 0, 1, 0, 1]
    outcomes = found.table("outcomes")
    assert row(outcomes, "Home made safer") == [0, 1, 0, 0, 1] and row(outcomes, "Advice given") == [0, 0, 1, 0, 1]
    assert row(found.table("abuse_kinds"), "Physical") == [0, 0, 2, 0, 2]
    assert row(found.table("abuse_kinds"), "Coercive control") == [0, 0, 1, 0, 1]
    assert row(found.table("help_wanted"), "Making my home safer") == [0, 0, 1, 0, 1]
    assert row(found.table("safeguarding"), "Police") == [0, 0, 1, 0, 1]
    works = found.table("works")
    assert row(works, "Locks") == [0, 0, 1, 0, 1] and works.note == "Median time from request to completion: 10 days"
    assert row(found.table("complaints"), "How or when we made contact") == [0, 0, 0, 1, 1]
    open_now = found.table("open")  # B (6 weeks open), C (3 weeks), D (3 days), F (5 weeks)
    assert row(open_now, "New") == [1, 0, 1, 0, 2]
    assert row(open_now, "In contact") == [0, 1, 1, 0, 2]
    assert found.received_by_month == [1, 0, 3, 2]


def test_the_presets_are_the_whole_months_before_this_one():
    from haven.services.reports import Period, preset

    assert preset("bimonthly", date(2026, 12, 2)) == Period(date(2026, 10, 1), date(2026, 11, 30))
    assert preset("annual", date(2026, 12, 2)) == Period(date(2025, 12, 1), date(2026, 11, 30))
    assert preset("bimonthly", date(2026, 1, 31)) == Period(date(2025, 11, 1), date(2025, 12, 31))


def test_a_month_follows_uk_time():
    """00:30 on 1 June in London is 23:30 on 31 May in UTC: it counts in June."""
    from haven.services.reports import Period

    edges = Period(date(2026, 5, 1), date(2026, 6, 30)).bounds()
    assert edges == [utc(2026, 4, 30, 23), utc(2026, 5, 31, 23), utc(2026, 6, 30, 23)]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_suppresses_small_numbers_and_holds_no_personal_field(app, seeded, manager):
    response = manager.get("/staff/reports.csv", query_string=PERIOD)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = csv_rows(response)
    assert ["First contact", "fewer than 5", "fewer than 5", "fewer than 5", "fewer than 5"] in rows
    assert ["Self-referral", "fewer than 5", "0", "fewer than 5", "fewer than 5", "fewer than 5"] in rows
    for personal in (NAME, WORDS, "07700", "+447700", *seeded.values()):
        assert personal not in text
    numbers = {cell for line in rows for cell in line[1:] if cell.isdigit()}
    assert numbers <= {"0"} | {str(n) for n in range(5, 1000)}


def test_the_printed_report_suppresses_small_numbers_and_lists_no_reference(app, seeded, manager):
    page = html(manager.get("/staff/reports/print", query_string=PERIOD))
    text = page.get_text(" ")
    assert "fewer than 5" in text
    assert not any(reference in text for reference in seeded.values())
    cells = [cell.get_text(strip=True) for cell in page.select("td.number")]
    assert cells and all(cell == "0" or cell == "fewer than 5" or int(cell) >= 5 for cell in cells)


def test_the_screen_report_shows_exact_figures_a_chart_and_the_exceptions(app, seeded, manager):
    page = html(manager.get("/staff/reports", query_string=PERIOD))
    assert "3 of 5 (60%)" in " ".join(page.get_text(" ").split())
    chart = page.select_one("figure.chart svg[role=img]")
    assert chart.select_one("title").get_text() == "Referrals received each month"
    assert chart.select_one("desc").get_text() == "Aug 2026: 1; Sep 2026: 0; Oct 2026: 3; Nov 2026: 2."
    assert len(chart.select("rect.chart-bar")) == 4
    assert [link.get_text() for link in page.select(".references a")] == [seeded["C"], seeded["D"]]


@pytest.mark.parametrize("query, message", [
    ({"period": "weekly"}, "Choose a period from the list"),
    ({"period": "custom", "start": "2026-11-30", "end": "2026-08-01"}, "'To' must be on or after 'From'"),
    ({"period": "custom", "start": "2026-08-01", "end": "2027-01-01"}, "'To' cannot be in the future"),
    ({"period": "custom", "start": "yesterday", "end": "2026-11-01"}, "Enter 'From' as a date"),
    ({"period": "custom", "start": "2010-01-01", "end": "2026-11-01"}, "five years or less"),
])
def test_a_bad_period_is_a_clear_error(manager, query, message):
    response = manager.get("/staff/reports", query_string=query)
    assert response.status_code == 400 and message in html(response).get_text()


def test_caseworkers_have_no_reports(worker):
    assert worker.get("/staff/reports").status_code == 403
    assert worker.get("/staff/reports.csv").status_code == 403


def test_a_complaint_is_recorded_and_resolved_by_a_manager(app, seeded, manager, worker):
    reference = seeded["C"]
    assert post(worker, reference, "complaint", received_on="2026-11-05", channel="email", theme="safety").status_code == 403
    page = html(manager.get(f"/staff/referrals/{reference}"))
    complaint = page.select('select[name="complaint-resolved-complaint"] option')[1]["value"]
    assert post(manager, reference, "complaint-resolved", complaint=complaint, outcome="upheld",
                resolved_on="2026-11-04").status_code == 400  # before it came
    assert post(manager, reference, "complaint-resolved", complaint=complaint, outcome="upheld",
                resolved_on="2026-11-10").status_code == 303
    text = " ".join(html(manager.get(f"/staff/referrals/{reference}")).get_text(" ").split())
    assert "How or when we made contact. Upheld, resolved 2026-11-10." in text
    assert row(report(app).table("complaints"), "Resolved: upheld") == [0, 0, 0, 1, 1]


def test_a_purge_leaves_every_figure_as_it_was(app, seeded):
    """Personal content goes after the retention period; the figures a report reads stay."""
    from haven import db
    from haven.services import retention

    before = report(app)
    with app.app_context():
        run = retention.purge(db.session(), utc(2029, 1, 1), 24, keyring=app.extensions["haven_keyring"])
    assert run.count == 2  # A and E: closed in 2026, more than 24 months before 2029
    after = report(app)
    assert [(table.key, table.rows, table.note) for table in after.tables] == \
        [(table.key, table.rows, table.note) for table in before.tables]
    assert (after.within_target, after.answered_late, after.waiting_past_target, after.median_hours, after.p90_hours,
            after.exceptions) == (before.within_target, before.answered_late, before.waiting_past_target,
                                  before.median_hours, before.p90_hours, before.exceptions)


# ---- equality monitoring (whg 4.1) ------------------------------------------------------------

EQUALITY_SEED = [  # (received on, gender, age band, disability, ethnic group, sexual orientation), by hand
    (date(2026, 7, 31), "woman", None, None, None, None),  # before the period
    (date(2026, 8, 3), "woman", "25_34", "yes", "white", "straight"),
    (date(2026, 10, 5), "woman", "35_44", "prefer_not", "asian", None),
    (date(2026, 10, 31), "man", None, None, "black", "gay_lesbian"),
    (date(2026, 11, 20), "non_binary", "18_24", "no", "mixed", "bisexual"),
    (date(2026, 11, 30), "prefer_not", None, None, None, None),
]


@pytest.fixture
def equality_seeded(app):
    from haven import db
    from haven.models import EqualityResponse

    with app.app_context():
        for day, gender, age, disability, ethnic, orientation in EQUALITY_SEED:
            db.session().add(EqualityResponse(received_on=day, gender=gender, age_band=age, disability=disability,
                                              ethnic_group=ethnic, sexual_orientation=orientation))
        db.session().commit()


def test_equality_answers_are_counted_question_by_question(app, equality_seeded):
    found = report(app)  # August to November 2026
    assert row(found.table("equality_answered"), "Answered one or more of the questions") == [1, 0, 2, 2, 5]
    gender = found.table("equality_gender")
    assert row(gender, "Woman") == [1, 0, 1, 0, 2]
    assert row(gender, "Man") == [0, 0, 1, 0, 1]
    assert row(gender, "Non-binary") == [0, 0, 0, 1, 1]
    assert row(gender, "I prefer not to say") == [0, 0, 0, 1, 1]
    assert row(gender, "Not answered") == [0, 0, 0, 0, 0]
    age = found.table("equality_age_band")
    assert row(age, "25 to 34") == [1, 0, 0, 0, 1] and row(age, "18 to 24") == [0, 0, 0, 1, 1]
    assert row(age, "Not answered") == [0, 0, 1, 1, 2]
    assert row(found.table("equality_disability"), "I prefer not to say") == [0, 0, 1, 0, 1]
    assert row(found.table("equality_ethnic_group"), "Black, Black British, Caribbean or African") == [0, 0, 1, 0, 1]
    orientation = found.table("equality_sexual_orientation")
    assert row(orientation, "Gay or lesbian") == [0, 0, 1, 0, 1]
    assert row(orientation, "Not answered") == [0, 0, 1, 1, 2]


def test_equality_figures_are_suppressed_in_the_csv(app, equality_seeded, manager):
    rows = csv_rows(manager.get("/staff/reports.csv", query_string={**PERIOD, "end": "2026-11-23"}))
    assert ["Equality monitoring: gender", "Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026", "Total"] in rows
    assert ["Woman", "fewer than 5", "0", "fewer than 5", "0", "fewer than 5"] in rows
    # 1 to 4 in every month, but 4 in all until 23 November (the one of 30 November is after it).
    assert ["Answered one or more of the questions", "fewer than 5", "0", "fewer than 5", "fewer than 5",
            "fewer than 5"] in rows


def test_equality_answers_are_on_the_managers_report_page(app, equality_seeded, manager):
    page = html(manager.get("/staff/reports", query_string=PERIOD))
    headings = [heading.get_text(strip=True) for heading in page.select("h2")]
    assert "Equality monitoring: sexual orientation" in headings
    table = page.find(id="table-equality_gender").find_parent("section").find("table")
    woman = next(tr for tr in table.select("tbody tr") if tr.th.get_text(strip=True) == "Woman")
    assert [td.get_text(strip=True) for td in woman.select("td")] == ["1", "0", "1", "0", "2"]
