"""The self-referral and the concern form: thin views over services.intake and services.referrals.

A sent form is answered with its confirmation page directly, not by a redirect: the page that
says "sent" must know what was sent (danger now, the next optional page and its one-time token),
and none of that may sit in a cookie or a URL. Opened directly, the "sent" addresses show a
neutral page.
"""
from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, session as cookie_session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..extensions import csrf, derived_key, limiter
from ..services import intake, referrals
from . import kept_forms
from .forms import MORE_STEPS, ConcernForm, SelfReferralForm
from .views import bp

STEP_NAMES = list(MORE_STEPS)


def _referral_limit() -> str:
    return current_app.config["REFERRAL_LIMITS"]


def _accepted(response) -> bool:
    # Only a form that was taken counts against the limit: a person shown her errors five times
    # can still send.
    return g.get("referral_accepted", False)


def _targets():
    return current_app.extensions["haven_profile"].targets


FORMS = {"public.self_referral": (SelfReferralForm, "public/self_referral.html"),
         "public.concern": (ConcernForm, "public/concern.html")}


def _too_many(limit):
    """Over the limit: her answers back, with the helplines, as when a save fails."""
    form_class, template = FORMS[request.endpoint]
    return current_app.make_response((render_template(template, form=form_class(), failed="limit"), 429))


def _first_shown(form_class, template: str, key: str):
    """The empty form, as kept (public/kept_forms.py) with this person's CSRF token and stamp."""
    def render(markers):
        form = form_class()
        form.csrf_token.current_token, form.token.data = markers["csrf"], markers["stamp"]
        return render_template(template, form=form)

    return kept_forms.page((template, request.view_args["locale"]), render,
                           {"csrf": generate_csrf(), "stamp": intake.issue(key)})


def _step_form(name: str, token: str, formdata=None):
    form = MORE_STEPS[name](formdata=formdata)
    form.more_token.data, form.step.data = token, name
    return form


def _sent(kind: str, *, danger: bool = False, step: str | None = None, form=None, next_token: str | None = None,
          saved: bool = False, status: int = 200, failed: bool = False, expired: bool = False):
    """The "sent" page. `form` is an optional page shown again with her answers (rendered in
    full); `next_token` asks for `step` as first shown, with its token (kept: public/kept_forms.py)."""
    # Once she has sent, no cookie of Haven's outlives it: the session held only the first page's
    # CSRF token, and the optional pages carry their own one-time token.
    cookie_session.clear()

    def render(markers):
        shown = _step_form(step, markers["next"]) if "next" in markers else form
        return render_template("public/sent.html", kind=kind, danger=danger, step=step, form=shown, saved=saved,
                               failed=failed, expired=expired,
                               step_number=STEP_NAMES.index(step) + 1 if step else None, step_count=len(STEP_NAMES))

    if form is not None:
        return render({}), status
    key = ("public/sent.html", request.view_args["locale"], kind, danger, step, saved, failed, expired)
    return kept_forms.page(key, render, {"next": next_token} if next_token else {}), status


def _handle(form_class, kind: str, template: str, sent_endpoint: str):
    config = current_app.config
    key = derived_key("intake-stamp")
    if request.method == "GET":
        return _first_shown(form_class, template, key)
    form = form_class()

    if form.website.data:
        # Only scripts fill the hidden field: tell them it worked, keep nothing (and count it).
        g.referral_accepted = True
        return redirect(url_for(sent_endpoint), 303)
    stamp = intake.read(key, form.token.data)
    long_open = _("This form was open for a long time. Your answers are still here: check them, then send the form again.")
    if stamp is None:
        # A stamp the server never issued, or one too old: her answers come back with a new one.
        form.token.data = intake.issue(key)
        return render_template(template, form=form, notice=long_open)
    notice = None
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            notice = long_open
    elif intake.filled_too_fast(stamp, config["MIN_FILL_SECONDS"]):
        # Checked only once the answers are valid: a person who presses Send at once to see what
        # is needed gets the error summary, not a puzzling request to send again.
        notice = _("Please check your answers, then send the form again.")
    else:
        name, contact, details, message = form.answers()
        submission = referrals.Submission(kind=kind, locale=request.view_args["locale"], token=stamp.token,
                                          name=name, contact=contact, details=details, message=message)
        session = db.session()
        try:
            token = referrals.submit(session, current_app.extensions["haven_keyring"], submission,
                                     targets=_targets(), match_key=config["MATCH_KEY"].encode(),
                                     more=kind == "self").more_token
        except SQLAlchemyError:
            session.rollback()
            current_app.logger.error("a referral could not be saved (database error)")
            return render_template(template, form=form, failed=True), 503
        # Its staff notice was committed with it (notice_outbox): the worker sends it, so a mail
        # server that hangs never holds this answer.
        g.referral_accepted = True
        if token is None:
            return _sent(kind, danger=details.get("danger_now") == "yes")
        return _sent(kind, step=STEP_NAMES[0], next_token=token)
    # Shown again: the same token (so a later Send still makes one referral), timed from now.
    form.token.data = intake.issue(key, stamp.token)
    return render_template(template, form=form, notice=notice)


@bp.get("/<locale:locale>/ask-for-help")
def ask_for_help(locale):
    return render_template("public/ask_for_help.html")


@bp.route("/<locale:locale>/ask-for-help/form", methods=["GET", "POST"])
@csrf.exempt  # FlaskForm checks the token itself, so a failure can keep the person's answers
@limiter.limit(_referral_limit, methods=["POST"], deduct_when=_accepted, on_breach=_too_many)
def self_referral(locale):
    return _handle(SelfReferralForm, "self", "public/self_referral.html", "public.self_referral_sent")


@bp.post("/<locale:locale>/ask-for-help/more")
@csrf.exempt
@limiter.limit(_referral_limit, methods=["POST"], deduct_when=lambda response: g.get("token_refused", False))
def self_referral_more(locale):
    """One optional page's Send (or Finish): adds to the referral already committed."""
    name = request.form.get("step")
    if name not in MORE_STEPS:
        return _sent("self", expired=True, status=400)
    form = _step_form(name, request.form.get("more_token", ""), formdata=request.form)
    token = form.more_token.data
    session = db.session()
    keyring = current_app.extensions["haven_keyring"]
    finishing = "finish" in request.form
    if not finishing and not form.validate_on_submit():
        return _sent("self", step=name, form=form, status=400 if form.errors else 200)
    following = STEP_NAMES.index(name) + 1
    last = finishing or following == len(STEP_NAMES)
    try:
        if finishing:
            referral = referrals.finish(session, token)
            continued = referrals.Continued(referral=referral, token=None, escalated=False)
        else:
            continued = referrals.add_more(session, keyring, token, form.changes(), last=last, targets=_targets())
    except referrals.ContinuationExpired:
        session.rollback()
        g.token_refused = True
        return _sent("self", expired=True)
    except referrals.MissingContact:
        form.also_ok.errors = [*form.also_ok.errors,
                               _("We have no phone number, email or address for one of these: choose only ways you have told us about")]
        return _sent("self", step=name, form=form, status=400)
    except SQLAlchemyError:
        session.rollback()
        current_app.logger.error("a referral could not be updated (database error)")
        return _sent("self", step=name, form=form, status=503, failed=True)
    danger = continued.danger
    if last:
        return _sent("self", danger=danger, saved=not finishing)
    return _sent("self", danger=danger, step=STEP_NAMES[following], saved=True, next_token=continued.token)


@bp.get("/<locale:locale>/ask-for-help/sent")
def self_referral_sent(locale):
    return render_template("public/not_sent.html", kind="self")


@bp.route("/<locale:locale>/tell-us-about-someone", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_referral_limit, methods=["POST"], deduct_when=_accepted, on_breach=_too_many)
def concern(locale):
    return _handle(ConcernForm, "concern", "public/concern.html", "public.concern_sent")


@bp.get("/<locale:locale>/tell-us-about-someone/sent")
def concern_sent(locale):
    return render_template("public/not_sent.html", kind="concern")
