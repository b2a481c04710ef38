"""/staff/reviews (managers, where the policy commits to audits and casework reviews, whg 3.3-3.4):
draw a random sample of closed cases, review each against the checklist, see the share meeting
each point round by round."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .. import access, db
from ..models import CaseReview, Referral, ReviewPoint, ReviewRound
from ..services import cases, reviews
from .views import bp


class DrawForm(FlaskForm):
    start = DateField("Cases closed from", validators=[InputRequired(message="Enter 'Cases closed from' as a date, like 2026-10-01")],
                      render_kw={"type": "date"})
    end = DateField("To", validators=[InputRequired(message="Enter 'To' as a date, like 2026-11-30")], render_kw={"type": "date"})
    size = IntegerField("How many cases", default=10, validators=[
        InputRequired(message="Say how many cases to sample"),
        NumberRange(min=1, max=reviews.LARGEST_SAMPLE, message=f"Choose 1 to {reviews.LARGEST_SAMPLE} cases")],
        render_kw={"inputmode": "numeric"})

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        # WTForms' own wording ("Not a valid date value.") does not say which box or what to do.
        for field, example in ((self.start, "2026-10-01"), (self.end, "2026-11-30")):
            if field.errors:
                field.errors = [f"Enter '{field.label.text}' as a date, like {example}"]
        if self.size.errors:
            self.size.errors = [f"Choose 1 to {reviews.LARGEST_SAMPLE} cases"]
        return ok


def review_form(points, **kwargs):
    fields = {point.id: RadioField(point.text, choices=[SelectChoice(key, text) for key, text in reviews.RESULTS.items()],
                                   validators=[InputRequired(message=f"Answer: {point.text}")]) for point in points}
    fields["findings"] = TextAreaField("Findings (optional)", [Optional(), Length(max=cases.NOTE_LIMIT)],
                                       render_kw={"rows": 3, "autocomplete": "off"})
    fields["actions"] = TextAreaField("Actions agreed (optional)", [Optional(), Length(max=cases.NOTE_LIMIT)],
                                      render_kw={"rows": 3, "autocomplete": "off"})
    return type("ReviewForm", (FlaskForm,), fields)(**kwargs)


def _points():
    return reviews.load(current_app.config["CONTENT_DIR"])


def _round(round_id: int) -> ReviewRound:
    found = db.session().get(ReviewRound, round_id)
    if found is None:
        abort(404)
    return found


def _overview(form, code=200):
    session = db.session()
    rounds = list(session.query(ReviewRound).order_by(ReviewRound.drawn_at.desc()))
    return render_template("staff/reviews.html", form=form, rounds=rounds, points=_points(),
                           shares=reviews.shares(session)), code


@bp.get("/reviews")
@access.read_reports
@access.needs_commitment("audits_and_reviews")
def reviews_page():
    return _overview(DrawForm(formdata=None))


@bp.post("/reviews")
@access.read_reports
@access.needs_commitment("audits_and_reviews")
def draw_review():
    form = DrawForm()
    if not form.validate_on_submit():
        return _overview(form, 400)
    try:
        drawn = reviews.draw(db.session(), access.current_user(), start=form.start.data, end=form.end.data,
                             size=form.size.data)
    except cases.CaseError as error:
        form.end.errors = [str(error)]
        return _overview(form, 400)
    flash(f"Sample drawn: {drawn.size} cases")
    return redirect(url_for("staff.review_round", round_id=drawn.id), 303)


@bp.get("/reviews/<int:round_id>")
@access.read_reports
@access.needs_commitment("audits_and_reviews")
def review_round(round_id):
    found = _round(round_id)
    return render_template("staff/review_round.html", round=found, sample=reviews.sample(db.session(), found))


def _review(round_id: int, reference: str) -> tuple[ReviewRound, CaseReview, Referral]:
    found, session = _round(round_id), db.session()
    try:
        referral = cases.find(session, reference, access.current_user())
    except cases.Barred:
        abort(403)
    review = referral and session.query(CaseReview).filter_by(round_id=found.id, referral_id=referral.id).one_or_none()
    if review is None:
        abort(404)
    return found, review, referral


def _review_page(round_, review, referral, form, code=200):
    keyring = current_app.extensions["haven_keyring"]
    return render_template("staff/review_case.html", round=round_, review=review, referral=referral, form=form,
                           points=_points(), words=reviews.words(keyring, review) if review.reviewed_at else None,
                           results={row.point: row.result for row in db.session().query(ReviewPoint)
                                    .filter_by(review_id=review.id)}, labels=reviews.RESULTS), code


@bp.get("/reviews/<int:round_id>/<reference>")
@access.read_reports
@access.needs_commitment("audits_and_reviews")
def review_case(round_id, reference):
    return _review_page(*_review(round_id, reference), review_form(_points(), formdata=None))


@bp.post("/reviews/<int:round_id>/<reference>")
@access.read_reports
@access.needs_commitment("audits_and_reviews")
def record_review(round_id, reference):
    round_, review, referral = _review(round_id, reference)
    points = _points()
    form = review_form(points)
    if not form.validate_on_submit():
        return _review_page(round_, review, referral, form, 400)
    try:
        reviews.record(db.session(), current_app.extensions["haven_keyring"], review, access.current_user(), points,
                       results={point.id: form[point.id].data for point in points}, findings=form.findings.data,
                       actions=form.actions.data)
    except cases.CaseError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.review_case", round_id=round_id, reference=reference), 303)
    flash(f"Review of {reference} recorded")
    return redirect(url_for("staff.review_round", round_id=round_id), 303)
