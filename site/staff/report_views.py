"""/staff/reports (managers): a period's figures on screen, printable for panel and board papers,
and as a CSV of aggregates. Nothing here is a row or decrypts anything (services/reports.py);
exports and printed reports show any count from 1 to 4 as "fewer than 5"."""
from __future__ import annotations

import csv
import io

from flask import Response, current_app, render_template, request
from wtforms import DateField, Form, RadioField, SelectChoice
from wtforms.validators import Optional

from .. import access, db
from ..services import moving, reports, targets
from .views import bp

LONGEST = 5 * 366  # days: a longer period is a mistake, and a slow one


class PeriodForm(Form):
    """A GET form (it changes nothing): no CSRF token, and no value is personal data."""

    period = RadioField("Period", choices=[SelectChoice(key, text) for key, text in reports.PERIODS.items()],
                        default="bimonthly", validators=[Optional()])
    start = DateField("From", validators=[Optional()], render_kw={"type": "date"})
    end = DateField("To", validators=[Optional()], render_kw={"type": "date"})

    def chosen(self, today) -> reports.Period | None:
        """The period asked for, or None with the errors set on the fields."""
        self.validate()
        name = self.period.data or "bimonthly"
        if self.period.errors or name not in reports.PERIODS:
            self.period.errors = ["Choose a period from the list"]
            return None
        if name != "custom":
            return reports.preset(name, today)
        for field in (self.start, self.end):
            if field.errors or field.data is None:
                field.errors = [f"Enter '{field.label.text}' as a date, like 2026-12-01"]
        if self.start.errors or self.end.errors:
            return None
        if self.start.data > self.end.data:
            self.end.errors = ["'To' must be on or after 'From'"]
        elif self.end.data > today:
            self.end.errors = ["'To' cannot be in the future"]
        elif (self.end.data - self.start.data).days > LONGEST:
            self.end.errors = ["Choose a period of five years or less"]
        return None if self.end.errors else reports.Period(self.start.data, self.end.data)


def _report():
    form = PeriodForm(request.args)
    now = targets.now()
    period = form.chosen(now.astimezone(targets.UK).date())
    if period is None:
        return form, None
    commitments = current_app.extensions["haven_profile"].commitments
    feedback = None
    if commitments.makes("feedback_after_closure"):
        try:
            from ..services.feedback import summary as feedback
        except ImportError:  # until feedback after closure exists
            feedback = None
    return form, reports.build(db.session(), period, now, transfer_weeks=moving.transfer_weeks(commitments),
                               feedback=feedback)


@bp.get("/reports")
@access.read_reports
def reports_page():
    form, report = _report()
    return render_template("staff/reports.html", form=form, report=report, args=request.args,
                           printed=False, show=lambda value: value), 200 if report else 400


@bp.get("/reports/print")
@access.read_reports
def reports_print():
    form, report = _report()
    return render_template("staff/reports.html", form=form, report=report, args=request.args, printed=True,
                           show=reports.suppress), 200 if report else 400


@bp.get("/reports.csv")
@access.read_reports
def reports_csv():
    form, report = _report()
    if report is None:
        return render_template("staff/reports.html", form=form, report=None, args=request.args, printed=False,
                               show=lambda value: value), 400
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Haven report", report.period.label()])
    writer.writerow(["Response target", "Within target", "Exceptions", "Median hours to first contact",
                     "90th percentile hours"])
    writer.writerow(["First contact", reports.suppress(report.within_target), reports.suppress(report.exceptions_count),
                     *(f"{hours:.1f}" if hours is not None and report.contacted >= 5 else reports.SMALL
                       if hours is not None else "" for hours in (report.median_hours, report.p90_hours))])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title, *table.columns])
        for label, values in table.rows:
            writer.writerow([label, *(reports.suppress(value) for value in values)])
        if table.note:
            writer.writerow([table.note])
    name = f"haven-report-{report.period.start.isoformat()}-{report.period.end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
