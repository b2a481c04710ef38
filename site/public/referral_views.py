"""The self-referral and the concern form: thin views over services.intake and services.referrals."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..extensions import csrf, limiter
from ..services import intake, notify, referrals
from .forms import ConcernForm, SelfReferralForm
from .views import bp


def _referral_limit() -> str:
    return current_app.config["REFERRAL_LIMITS"]


def _handle(form_class, kind: str, template: str, sent_endpoint: str):
    config = current_app.config
    form = form_class()
    if request.method == "GET":
        form.token.data = intake.new_token()
        form.started.data = intake.started_stamp(config["SECRET_KEY"])
        return render_template(template, form=form)

    if form.website.data:
        # Only scripts fill the hidden field: tell them it worked, keep nothing.
        return redirect(url_for(sent_endpoint), 303)
    if not intake.valid_token(form.token.data):
        form.token.data = intake.new_token()
    notice = None
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            notice = _("This form was open for a long time. Your answers are still here: check them, then send the form again.")
    elif intake.filled_too_fast(config["SECRET_KEY"], form.started.data, config["MIN_FILL_SECONDS"]):
        # Checked only once the answers are valid: a person who presses Send at once to see what
        # is needed gets the error summary, not a puzzling request to send again.
        notice = _("Please check your answers, then send the form again.")
    else:
        name, contact, details, message = form.answers()
        submission = referrals.Submission(kind=kind, locale=request.view_args["locale"], token=form.token.data,
                                          name=name, contact=contact, details=details, message=message)
        session = db.session()
        try:
            referral, created = referrals.submit(session, current_app.extensions["haven_keyring"], submission)
        except SQLAlchemyError:
            session.rollback()
            current_app.logger.error("a referral could not be saved (database error)")
            return render_template(template, form=form, failed=True), 503
        if created:
            notify.notify(session, config, referral)
        return redirect(url_for(sent_endpoint), 303)
    form.started.data = intake.started_stamp(config["SECRET_KEY"])
    return render_template(template, form=form, notice=notice)


@bp.get("/<locale:locale>/ask-for-help")
def ask_for_help(locale):
    return render_template("public/ask_for_help.html")


@bp.route("/<locale:locale>/ask-for-help/form", methods=["GET", "POST"])
@csrf.exempt  # FlaskForm checks the token itself, so a failure can keep the person's answers
@limiter.limit(_referral_limit, methods=["POST"])
def self_referral(locale):
    return _handle(SelfReferralForm, "self", "public/self_referral.html", "public.self_referral_sent")


@bp.get("/<locale:locale>/ask-for-help/sent")
def self_referral_sent(locale):
    return render_template("public/sent.html", kind="self")


@bp.route("/<locale:locale>/tell-us-about-someone", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_referral_limit, methods=["POST"])
def concern(locale):
    return _handle(ConcernForm, "concern", "public/concern.html", "public.concern_sent")


@bp.get("/<locale:locale>/tell-us-about-someone/sent")
def concern_sent(locale):
    return render_template("public/sent.html", kind="concern")
