"""Performance reports for a period (WM 5.1: cases answered within the local timescales and the
exceptions, bi-monthly to the panels, annually to the board; whg 3.2-3.4: benchmarking, audits).

Every figure is an aggregate over plain columns, computed in SQL: nothing here decrypts, and no
figure is a row. Months follow UK time, so a referral at 00:30 on 1 June (BST) counts in June.
Medians and 90th percentiles are nearest-rank (the value at rank ceil(p * n)), computed by the
database with ORDER BY ... LIMIT 1 OFFSET, which SQLite and PostgreSQL share.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import Session, aliased

from ..choices import ABUSE_KINDS, EQUALITY_QUESTIONS, HELP_WANTED
from ..models import CaseEvent, EqualityResponse, Referral, ReferralAnswer
from . import targets

PERIODS = {"bimonthly": "The last two months", "annual": "The last 12 months", "custom": "Dates of your choice"}
SMALL = "fewer than 5"
EXCEPTIONS_LISTED = 200


@dataclass(frozen=True)
class Period:
    start: date  # the first day, UK time
    end: date  # the last day, inclusive

    @property
    def months(self) -> list[date]:
        """The first day of each month the period touches."""
        first, found = self.start.replace(day=1), []
        while first <= self.end:
            found.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return found

    def bounds(self) -> list[datetime]:
        """UTC instants: the period's start, each later month's start inside it, and its end."""
        edges = [self.start] + [month for month in self.months[1:]] + [self.end + timedelta(days=1)]
        return [_utc(day) for day in edges]

    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def _utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=targets.UK).astimezone(timezone.utc)


def preset(name: str, today: date) -> Period:
    """Bi-monthly: the two whole calendar months before this one; annual: the twelve."""
    this_month = today.replace(day=1)
    end = this_month - timedelta(days=1)
    start = this_month
    for _ in range(2 if name == "bimonthly" else 12):
        start = (start - timedelta(days=1)).replace(day=1)
    return Period(start, end)


@dataclass
class Table:
    """One figure: rows of counts by month (a Total column after them), or one value per row."""

    key: str
    title: str
    columns: list[str]  # month labels, then "Total"; or a single heading
    rows: list[tuple[str, list]] = field(default_factory=list)
    note: str | None = None
    by_month: bool = True


def _edges(period: Period, dates: bool) -> list:
    return [period.start, *period.months[1:], period.end + timedelta(days=1)] if dates else period.bounds()


def _month_bucket(column, period: Period, dates: bool = False):
    """0 for the period's first month, 1 for the next, ... as one SQL CASE (UK month edges)."""
    edges = _edges(period, dates)[1:-1]
    if not edges:
        return literal(0)
    return case(*((column < edge, number) for number, edge in enumerate(edges)), else_=len(edges))


def _in(column, period: Period, dates: bool = False):
    start, *_, end = _edges(period, dates)
    return and_(column >= start, column < end)


def _counts(session: Session, period: Period, moment, label, *where, dates: bool = False) -> dict:
    """{(label, month number): count} for rows whose `moment` (a time, or with `dates` a day the
    record is about: a completion, a report) falls in the period."""
    bucket = _month_bucket(moment, period, dates)
    query = select(label, bucket, func.count()).where(_in(moment, period, dates), *where).group_by(label, bucket)
    return {(row[0], row[1]): row[2] for row in session.execute(query)}


def _rows(found: dict, labels: dict, months: int) -> list[tuple[str, list]]:
    rows = []
    for key, text in labels.items():
        values = [found.get((key, month), 0) for month in range(months)]
        rows.append((text, values + [sum(values)]))
    return rows


def _month_names(period: Period) -> list[str]:
    return [month.strftime("%b %Y") for month in period.months] + ["Total"]


def _seconds(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _days(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return later - earlier  # date - date is a whole number of days
    return func.julianday(later) - func.julianday(earlier)


def nearest_ranks(session: Session, expression, where, shares: tuple[float, ...], n: int) -> list[float | None]:
    """Several nearest-rank values from one sort (a window over the rows `where` selects)."""
    if not n:
        return [None] * len(shares)
    ranks = [max(math.ceil(share * n), 1) for share in shares]
    ranked = select(expression.label("value"), func.row_number().over(order_by=expression).label("rank")) \
        .where(*where).subquery()
    found = dict(session.execute(select(ranked.c.rank, ranked.c.value).where(ranked.c.rank.in_(set(ranks)))).all())
    return [found.get(rank) for rank in ranks]


def nearest_rank(session: Session, expression, where, share: float, n: int | None = None) -> float | None:
    """The value at rank ceil(share * n) of `expression` over the rows `where` selects (`n`: their
    number, when the caller has counted them already)."""
    if n is None:
        n = session.scalar(select(func.count()).where(*where))
    if not n:
        return None
    offset = max(math.ceil(share * n) - 1, 0)
    return session.scalar(select(expression).where(*where).order_by(expression).limit(1).offset(offset))


@dataclass
class Report:
    period: Period
    tables: list[Table]
    exceptions: list[str]  # references answered late or not yet answered, past their target
    within_target: int
    answered_late: int
    waiting_past_target: int
    median_hours: float | None
    p90_hours: float | None
    contacted: int

    @property
    def exceptions_count(self) -> int:
        return self.answered_late + self.waiting_past_target

    @property
    def measured(self) -> int:
        return self.within_target + self.exceptions_count

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)

    @property
    def received_by_month(self) -> list[int]:
        """All routes together, month by month (the chart of referrals received)."""
        return [sum(values[month] for _, values in self.table("received_route").rows)
                for month in range(len(self.period.months))]


def build(session: Session, period: Period, now: datetime, *, transfer_weeks: int | None = None,
          feedback=None) -> Report:
    """Every figure for the period. `feedback`: a function (session, start, end) -> summary dict,
    when the organisation asks for feedback after closure."""
    months = len(period.months)
    names = _month_names(period)
    tables = []

    from .inbox import PRIORITIES, ROUTES, STATUSES

    # One pass over the period's referrals (ix_referral_report covers it): route, priority and
    # flags by month, and the response target's figures, grouped by the database.
    bucket = _month_bucket(Referral.created_at, period)
    late_ = Referral.first_contact_at > Referral.target_due_at
    waiting_ = and_(Referral.first_contact_at.is_(None), Referral.target_due_at < now)
    grouped = session.execute(
        select(bucket, Referral.route, Referral.priority, Referral.flag_repeat, Referral.flag_high_risk, func.count(),
               func.sum(case((Referral.first_contact_at <= Referral.target_due_at, 1), else_=0)),
               func.sum(case((late_, 1), else_=0)), func.sum(case((waiting_, 1), else_=0)),
               func.sum(case((Referral.first_contact_at.is_not(None), 1), else_=0)))
        .where(_in(Referral.created_at, period))
        .group_by(bucket, Referral.route, Referral.priority, Referral.flag_repeat, Referral.flag_high_risk)).all()
    received, by_priority, repeat, high = {}, {}, {}, {}
    within = late = waiting = contacted_count = 0
    for month, route, priority, is_repeat, is_high, count, *target in grouped:
        for found, key in ((received, route), (by_priority, priority)):
            found[(key, month)] = found.get((key, month), 0) + count
        if is_repeat:
            repeat[(True, month)] = repeat.get((True, month), 0) + count
        if is_high:
            high[(True, month)] = high.get((True, month), 0) + count
        if route != "anonymous":  # no target to measure against
            within, late, waiting = within + (target[0] or 0), late + (target[1] or 0), waiting + (target[2] or 0)
        contacted_count += target[3] or 0
    tables.append(Table("received_route", "Referrals received, by route", names, _rows(received, ROUTES, months)))
    tables.append(Table("received_priority", "Referrals received, by priority", names,
                        _rows(by_priority, PRIORITIES, months)))
    marac = _counts(session, period, CaseEvent.at, CaseEvent.kind, CaseEvent.kind == "marac")
    tables.append(Table("risk", "Repeat referrals, high risk and MARAC", names, [
        ("Repeat referrals (within 12 months)", _month_values(repeat, True, months)),
        ("Referrals assessed as high risk", _month_values(high, True, months)),
        ("MARAC referrals made", _month_values(marac, "marac", months))]))

    measured = [_in(Referral.created_at, period), Referral.target_due_at.is_not(None)]
    # The oldest first, and only so many: the count above is the figure, this is where to start looking.
    exceptions = list(session.scalars(select(Referral.reference).where(*measured, or_(late_, waiting_))
                                      .order_by(Referral.created_at).limit(EXCEPTIONS_LISTED)))
    contacted = [_in(Referral.created_at, period), Referral.first_contact_at.is_not(None)]
    wait = _seconds(session, Referral.first_contact_at, Referral.created_at)
    median, p90 = nearest_ranks(session, wait, contacted, (0.5, 0.9), n=contacted_count)

    # Open cases now, among those received in the period, by status and how long they have been open.
    bands = [("Under a week", timedelta(weeks=1)), ("1 to 4 weeks", timedelta(weeks=4)),
             ("1 to 3 months", timedelta(days=91)), ("Over 3 months", None)]
    age = case(*((Referral.created_at > now - limit, number) for number, (_, limit) in enumerate(bands) if limit),
               else_=len(bands) - 1)
    open_rows = dict(((row[0], row[1]), row[2]) for row in session.execute(
        select(Referral.status, age, func.count()).where(_in(Referral.created_at, period), Referral.status != "closed")
        .group_by(Referral.status, age)))
    tables.append(Table("open", "Open cases now, by status and time open (received in the period)",
                        [label for label, _ in bands] + ["Total"],
                        _rows(open_rows, {key: text for key, text in STATUSES.items() if key != "closed"}, len(bands)),
                        by_month=False))

    from .cases import CLOSING_OUTCOMES, SAFEGUARDING_TO

    outcomes = _counts(session, period, Referral.closed_at, Referral.outcome, Referral.status == "closed")
    tables.append(Table("outcomes", "Outcomes at closure (closed in the period)", names,
                        _rows(outcomes, CLOSING_OUTCOMES, months)))
    for question, choices, title in (("abuse_kinds", ABUSE_KINDS, "Kinds of abuse described"),
                                     ("help_wanted", HELP_WANTED, "Help asked for")):
        found = _counts(session, period, ReferralAnswer.created_at, ReferralAnswer.answer,
                        ReferralAnswer.question == question)
        tables.append(Table(question, title, names, _rows(found, {c.value: str(c.label) for c in choices}, months)))
    reports = _counts(session, period, CaseEvent.on_date, CaseEvent.outcome, CaseEvent.kind == "safeguarding_report",
                      dates=True)
    tables.append(Table("safeguarding", "Safeguarding reports, by who they went to", names,
                        _rows(reports, SAFEGUARDING_TO, months)))

    tables.append(_safer_home(session, period, names, months))
    tables.append(_moving(session, period, names, months, now, transfer_weeks))
    tables.append(_complaints(session, period, names, months))
    if feedback is not None:
        start, *_, end = period.bounds()
        tables.append(_feedback_table(feedback(session, start, end)))
    tables.extend(_equality(session, period, names, months))
    return Report(period, tables, exceptions, within, late, waiting, median / 3600 if median is not None else None,
                  p90 / 3600 if p90 is not None else None, contacted_count)


def _month_values(found: dict, key, months: int) -> list:
    values = [found.get((key, month), 0) for month in range(months)]
    return values + [sum(values)]


def _safer_home(session: Session, period: Period, names, months) -> Table:
    from .safer_home import MEASURES

    completed = aliased(CaseEvent)
    request = aliased(CaseEvent)
    done = _counts(session, period, completed.on_date, completed.outcome, completed.kind == "works",
                   completed.status == "completed", dates=True)
    joined = [completed.kind == "works", completed.status == "completed", _in(completed.on_date, period, True),
              request.id == completed.item_id]
    median = nearest_rank(session, _days(session, completed.on_date, request.on_date), joined, 0.5)
    return Table("works", "Target-hardening works completed", names, _rows(done, MEASURES, months),
                 note=None if median is None else f"Median time from request to completion: {median:.0f} days")


def _moving(session: Session, period: Period, names, months, now: datetime, weeks: int | None) -> Table:
    agreed = _counts(session, period, CaseEvent.at, CaseEvent.outcome, CaseEvent.kind == "rehousing_decision")
    offers = _counts(session, period, CaseEvent.on_date, CaseEvent.kind, CaseEvent.kind == "rehousing_offer", dates=True)
    requested = _counts(session, period, CaseEvent.on_date, CaseEvent.kind, CaseEvent.kind == "transfer_requested",
                        dates=True)
    rows = [("Rehousing agreed", _month_values(agreed, "agreed", months)),
            ("Rehousing not agreed", _month_values(agreed, "not_agreed", months)),
            ("Rehousing offers made", _month_values(offers, "rehousing_offer", months)),
            ("Emergency transfers requested", _month_values(requested, "transfer_requested", months))]
    if weeks:
        # Past the policy's weeks with no offer: by the request's date, an offer later than the
        # deadline (or none yet, with the deadline gone) counts.
        request, offer = aliased(CaseEvent), aliased(CaseEvent)
        offered_in_time = select(offer.id).where(
            offer.referral_id == request.referral_id, offer.kind == "transfer_offered",
            _days(session, offer.on_date, request.on_date) <= weeks * 7).exists()
        today = now.astimezone(targets.UK).date()
        late = _counts(session, period, request.on_date, request.kind, request.kind == "transfer_requested",
                       not_(offered_in_time), _days(session, literal(today), request.on_date) > weeks * 7, dates=True)
        rows.append((f"Transfers past {weeks} weeks without an offer", _month_values(late, "transfer_requested", months)))
    return Table("moving", "Rehousing and emergency transfers", names, rows)


def _complaints(session: Session, period: Period, names, months) -> Table:
    from .complaints import OUTCOMES, THEMES

    received = _counts(session, period, CaseEvent.at, CaseEvent.outcome, CaseEvent.kind == "complaint")
    resolved = _counts(session, period, CaseEvent.at, CaseEvent.status, CaseEvent.kind == "complaint_resolved")
    return Table("complaints", "Complaints about the handling of DA cases: received by theme, resolved by outcome",
                 names, _rows(received, THEMES, months) + [(f"Resolved: {text.lower()}", values) for text, values
                                                            in _rows(resolved, OUTCOMES, months)])


EQUALITY_TITLES = {
    "gender": "Equality monitoring: gender",
    "age_band": "Equality monitoring: age",
    "disability": "Equality monitoring: disability or long-term health condition",
    "ethnic_group": "Equality monitoring: ethnic group",
    "sexual_orientation": "Equality monitoring: sexual orientation",
}


def _equality(session: Session, period: Period, names, months) -> list[Table]:
    """The optional equality answers (whg 4.1), each question on its own: never crossed with one
    another or with any referral's figures, so no table narrows down to a person."""
    bucket = _month_bucket(EqualityResponse.received_on, period, True)
    answered = dict(session.execute(select(bucket, func.count()).where(_in(EqualityResponse.received_on, period, True))
                                    .group_by(bucket)).all())
    tables = [Table("equality_answered", "Equality monitoring: people who answered (optional questions)", names,
                    [("Answered one or more of the questions", _month_values(
                        {("all", month): count for month, count in answered.items()}, "all", months))])]
    for question, choices in EQUALITY_QUESTIONS.items():
        column = getattr(EqualityResponse, question)
        found = _counts(session, period, EqualityResponse.received_on, column, dates=True)
        labels = {choice.value: str(choice.label) for choice in choices}
        labels[None] = "Not answered"
        tables.append(Table(f"equality_{question}", EQUALITY_TITLES[question], names, _rows(found, labels, months)))
    return tables


def _feedback_table(summary: dict) -> Table:
    scores = summary.get("satisfaction", {})
    safe = summary.get("felt_safe", {})
    rows = [(f"Satisfaction {score} of 5", [scores.get(score, 0)]) for score in range(5, 0, -1)]
    rows += [(f"Felt safe contacting us: {text}", [safe.get(key, 0)])
             for key, text in (("yes", "yes"), ("no", "no"), ("prefer_not", "prefer not to say"))]
    mean = summary.get("mean_satisfaction")
    return Table("feedback", "Feedback after closure", ["Answers"], rows, by_month=False,
                 note=None if mean is None else f"Mean satisfaction: {mean:.1f} of 5")


def suppress(value):
    """For exports and printed reports: a count from 1 to 4 could point at a person."""
    return SMALL if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4 else value
