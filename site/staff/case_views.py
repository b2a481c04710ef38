"""A referral's page (/staff/referrals/<reference>) and its actions.

Opening the page decrypts the referral, so each opening is audited first; contact details show
only in the answer to "Show contact details" (a POST with a reason, audited), never in a URL.
Each action is one service call (services/cases.py) and then a redirect back to the page.
"""
from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from .. import access, choices, db
from ..i18n import LOCALES
from ..models import StaffUser
from ..services import cases, complaints, due, inbox, moving, partners, referrals, risk, safer_home, targets
from . import casework_forms as casework
from .forms import (AssignForm, BarForm, CloseForm, ContactForm, LiftBarForm, MaracForm, NoReportForm, NoteForm, ReopenForm, RevealForm,
                    SafeguardingConfirmForm, SafeguardingRaiseForm, SafeguardingReportForm, StatusForm, risk_form)
from ..services import evidence
from .evidence_forms import EvidenceForm
from .feedback_forms import FeedbackLinkForm
from ..services import retention
from .retention_forms import LegalHoldForm, LegalHoldLiftForm
from .views import bp

# The language each referral was written in, named for English-speaking staff.
LANGUAGES = {"en": "English", "pl": "Polish", "ro": "Romanian", "pa": "Punjabi", "ur": "Urdu", "ar": "Arabic"}
FORMS = {"reveal": RevealForm, "assign": AssignForm, "status": StatusForm, "contact": ContactForm,
         "note": NoteForm, "close": CloseForm, "reopen": ReopenForm, "bar": BarForm, "lift-bar": LiftBarForm, "marac": MaracForm,
         "risk": lambda **kwargs: risk_form(_checklist(), **kwargs),
         "safeguarding-raise": SafeguardingRaiseForm, "safeguarding-report": SafeguardingReportForm,
         "safeguarding-no-report": NoReportForm, "safeguarding-confirm": SafeguardingConfirmForm,
         "advice": casework.AdviceForm, "works": casework.WorksForm, "works-stage": casework.WorksStageForm,
         "move-assessment": casework.MoveAssessmentForm, "move-decision": casework.MoveDecisionForm,
         "banding": casework.BandingForm, "move-agreement": casework.MoveAgreementForm, "offer": casework.OfferForm,
         "transfer": casework.TransferForm, "consent": casework.ConsentForm,
         "partner-referral": casework.PartnerReferralForm, "share-confirm": casework.ShareConfirmForm,
         "wishes": casework.WishesForm, "perpetrator-action": casework.PerpetratorActionForm,
         "handover": casework.HandoverForm, "complaint": casework.ComplaintForm,
         "complaint-resolved": casework.ComplaintResolvedForm}
FORMS["evidence"] = EvidenceForm  # its actions are in evidence_views.py
FORMS["feedback-link"] = FeedbackLinkForm  # its action is in feedback_views.py
FORMS["legal-hold"] = LegalHoldForm  # its actions, and the lift's, are in retention_views.py
FORMS["legal-hold-lift"] = LegalHoldLiftForm


def _checklist():
    return risk.load(current_app.config["CONTENT_DIR"])


@bp.app_template_filter("fromjson")
def _fromjson(text: str):
    # Timeline entries whose words are a small JSON record (a MARAC referral's area and actions);
    # none once retention has removed them.
    return json.loads(text) if text else {}


def _staff() -> list[tuple[str, str]]:
    """(id, email) choices of everyone who may read referrals."""
    return [(str(user_id), email) for user_id, email in
            inbox.assignable(db.session(), access.PERMISSIONS["read_referrals"])]


def _keyring():
    return current_app.extensions["haven_keyring"]


def _referral(reference: str):
    try:
        referral = cases.find(db.session(), reference, access.current_user())
    except cases.Barred:
        abort(403)
    if referral is None:
        abort(404)
    return referral


def _forms(referral, given: dict) -> dict:
    session = db.session()
    # Each form has its own prefix, so the fields of eight forms on one page never share an id.
    forms = {name: given.get(name) or form(prefix=name, formdata=None) for name, form in FORMS.items()}
    staff = _staff()
    barred = set(cases.bars(session, referral))
    forms["assign"].assignee.choices = [("", "Choose someone")] + [
        (user_id, email) for user_id, email in staff if email not in barred]
    me = access.current_user()
    forms["bar"].member.choices = [("", "Choose someone")] + [
        (user_id, email) for user_id, email in staff if user_id != str(me.id) and email not in barred]
    forms["lift-bar"].member.choices = [("", "Choose someone")] + [
        (user_id, email) for user_id, email in staff if email in barred]
    if "status" not in given:
        forms["status"].status.data = referral.status
    return forms


def _casework(referral, entries: list, forms: dict, checklist) -> dict:
    """What the casework sections show, each derived from the timeline (nothing decrypted again)."""
    profile = current_app.extensions["haven_profile"]
    on = targets.now().astimezone(targets.UK).date()
    weeks, within = moving.transfer_weeks(profile.commitments), current_app.config["WORKS_WITHIN_DAYS"]
    works = safer_home.works(entries, within)
    forms["works-stage"].item.choices = [SelectChoice("", "Choose the works")] + [
        SelectChoice(item.request.public_id, f"{safer_home.MEASURES[item.measure]}, requested {item.requested_on.isoformat()}")
        for item in works if not item.completed_on]
    found = complaints.complaints(entries)
    forms["complaint-resolved"].complaint.choices = [SelectChoice("", "Choose the complaint")] + [
        SelectChoice(item.entry.event.public_id, f"Received {item.entry.event.on_date.isoformat()}: "
                     f"{complaints.THEMES[item.entry.event.outcome]}") for item in found if item.resolved is None]
    return {
        "complaints": found, "complaint_labels": complaints,
        "on": on, "works": works, "works_within": within,
        "advice_given": [entry for entry in entries if entry.event.kind == "advice"],
        "rehousing": moving.rehousing(entries), "transfer": moving.transfer(entries, weeks) if weeks else None,
        "transfer_weeks": weeks, "ledger": partners.ledger(entries), "shares": partners.shares(entries),
        "wishes": partners.wishes(entries), "handover": cases.handover(entries),
        "due": due.items(referral, entries, checklist=checklist, on=on, works_within_days=within, transfer_weeks=weeks),
        "safer_home": safer_home, "moving": moving, "partners": partners,
    }


def _page(referral, *, code: int = 200, revealed: str | None = None, **given):
    """The page, after auditing that it was opened (it shows what the person wrote)."""
    session = db.session()
    viewer = access.current_user()
    cases.opened(session, referral, viewer)
    now = targets.now()
    entries = cases.timeline(session, _keyring(), referral)
    # Past its retention period the referral keeps only its plain facts: nothing of hers to read.
    purged = retention.purged_on(entries)
    submission = retention.nothing_kept(referral) if purged else referrals.read(_keyring(), referral)
    risks = cases.assessments(entries)
    checklist = _checklist()
    forms = _forms(referral, given)
    context = {
        **_casework(referral, entries, forms, checklist),
        "assessments": risks, "checklist": checklist, "safeguarding": cases.safeguarding(referral, entries),
        "criteria": cases.marac_criteria(referral, risks[0] if risks else None, checklist),
        "referral": referral, "submission": submission, "forms": forms, "revealed": revealed,
        "purged": purged, "retention": retention,
        "timeline": entries, "earlier": cases.earlier(session, referral, viewer),
        "assignee": session.get(StaffUser, referral.assignee_id) if referral.assignee_id else None,
        "openings": cases.openings(session, referral) if access.can("assign_referrals") else None,
        "bars": cases.bars(session, referral) if access.can("assign_referrals") else None,
        "overdue": targets.is_overdue(referral.target_due_at, referral.first_contact_at, now) and referral.status != "closed",
        "left": targets.describe_left(referral.target_due_at, referral.first_contact_at, now),
        "now": now, "can": access.can, "me": viewer,
        "evidence": evidence.listing(session, referral, _keyring()) if access.commits("visual_evidence") else [],
        "labels": inbox, "cases": cases, "choices": choices, "locale": referral.locale,
        "direction": LOCALES[referral.locale].direction if referral.locale in LOCALES else "ltr",
        "language": LANGUAGES.get(referral.locale, referral.locale),
    }
    return render_template("staff/referral.html", **context), code


@bp.get("/referrals/<reference>")
@access.read_referrals
def referral(reference):
    return _page(_referral(reference))


@bp.post("/referrals/<reference>/contact-details")
@access.read_referrals
def reveal(reference):
    referral = _referral(reference)
    if retention.is_purged(db.session(), referral):
        return _done(reference, "Personal content removed under the retention policy: no contact details are kept")
    form = RevealForm(prefix="reveal")
    if not form.validate_on_submit():
        return _page(referral, code=400, reveal=form)
    cases.reveal(db.session(), referral, access.current_user(), form.reason.data)
    # Shown in this answer only: the next load of the page hides them again.
    return _page(referral, revealed=form.reason.data)


def _done(reference, message: str):
    flash(message)
    return redirect(url_for("staff.referral", reference=reference), 303)


@bp.post("/referrals/<reference>/assign")
@access.read_referrals
def assign(reference):
    """Caseworkers take a referral themselves ("assign to me"); managers give it to anyone."""
    referral, me, session = _referral(reference), access.current_user(), db.session()
    form = AssignForm(prefix="assign")
    form.assignee.choices = [("me", "me"), *_staff()]
    if not form.validate_on_submit():
        return _page(referral, code=400, assign=form)
    if form.assignee.data == "me":
        target = me
    elif access.can("assign_referrals"):
        target = session.get(StaffUser, int(form.assignee.data))
    else:
        abort(403)
    try:
        cases.assign(session, referral, me, target, may_read=access.PERMISSIONS["read_referrals"])
    except cases.CaseError as error:
        form.assignee.errors = [str(error)]
        return _page(referral, code=400, assign=form)
    return _done(reference, f"Assigned to {target.email}")


def _act(reference, form_name: str, action, message: str):
    """Validate the action's form, run it, and go back to the page (or show its errors there)."""
    referral = _referral(reference)
    form = FORMS[form_name](prefix=form_name)
    if form.validate_on_submit():
        try:
            action(referral, form)
        except cases.CaseError as error:
            first = next((field for field in form if field.type not in ("CSRFTokenField", "HiddenField")), None)
            if first is None:
                # A form that is only a button: its refusal is said at the top of the page.
                flash(str(error), "error")
                return redirect(url_for("staff.referral", reference=reference), 303)
            first.errors = [*first.errors, str(error)]
        else:
            return _done(reference, message)
    return _page(referral, code=400, **{form_name: form})


@bp.post("/referrals/<reference>/status")
@access.read_referrals
def status(reference):
    return _act(reference, "status", lambda referral, form: cases.set_status(
        db.session(), referral, access.current_user(), form.status.data), "Status changed")


@bp.post("/referrals/<reference>/contact")
@access.read_referrals
def contact(reference):
    def log(referral, form):
        moment = form.moment(targets.now())
        if moment is None:
            raise cases.CaseError("Enter the time like 09:30")
        cases.log_contact(db.session(), _keyring(), referral, access.current_user(), channel=form.channel.data,
                          outcome=form.outcome.data, at=moment, confirmed=form.confirmed.data, reason=form.reason.data)

    return _act(reference, "contact", log, "Contact attempt recorded")


@bp.post("/referrals/<reference>/notes")
@access.read_referrals
def note(reference):
    return _act(reference, "note", lambda referral, form: cases.add_note(
        db.session(), _keyring(), referral, access.current_user(), form.text.data), "Note added")


@bp.post("/referrals/<reference>/close")
@access.read_referrals
def close(reference):
    return _act(reference, "close", lambda referral, form: cases.close(
        db.session(), _keyring(), referral, access.current_user(), outcome=form.outcome.data,
        agreed=form.agreed.data, note=form.note.data), "Referral closed")


@bp.post("/referrals/<reference>/reopen")
@access.read_referrals
def reopen(reference):
    return _act(reference, "reopen", lambda referral, form: cases.reopen(
        db.session(), _keyring(), referral, access.current_user(), form.reason.data), "Referral reopened")


def _about_member(reference, name: str, act, done: str):
    """A manager's action about one member of staff (bar, lift a bar): `act(session, referral,
    member, form)` may raise CaseError, shown against the member chosen; `done` names them."""
    referral, session = _referral(reference), db.session()
    form = FORMS[name](prefix=name)
    form.member.choices = _staff()
    if not form.validate_on_submit():
        return _page(referral, code=400, **{name: form})
    member = session.scalar(select(StaffUser).where(StaffUser.id == int(form.member.data)))
    try:
        act(session, referral, member, form)
    except cases.CaseError as error:
        form.member.errors = [str(error)]
        return _page(referral, code=400, **{name: form})
    return _done(reference, done.format(email=member.email))


@bp.post("/referrals/<reference>/bar")
@access.assign_referrals
def bar(reference):
    return _about_member(reference, "bar", lambda session, referral, member, form: cases.bar(
        session, referral, access.current_user(), member), "{email} is barred from this referral")


@bp.post("/referrals/<reference>/bar/lift")
@access.assign_referrals
def lift_bar(reference):
    return _about_member(reference, "lift-bar", lambda session, referral, member, form: cases.lift_bar(
        session, _keyring(), referral, access.current_user(), member, form.reason.data),
        "{email} may see this referral again")


@bp.post("/referrals/<reference>/risk")
@access.read_referrals
def assess(reference):
    def record(referral, form):
        answers = {question.id: form[question.id].data for question in _checklist().questions}
        cases.assess_risk(db.session(), _keyring(), referral, access.current_user(), _checklist(), answers=answers,
                          judgement=form.judgement.data, escalation=form.escalation.data)

    return _act(reference, "risk", record, "Risk assessment recorded")


@bp.post("/referrals/<reference>/marac")
@access.read_referrals
def marac(reference):
    return _act(reference, "marac", lambda referral, form: cases.refer_to_marac(
        db.session(), _keyring(), referral, access.current_user(), referred_on=form.referred_on.data,
        area=form.area.data, referred_by=form.referred_by.data, meeting_on=form.meeting_on.data,
        actions=form.actions.data), "MARAC referral recorded")


@bp.post("/referrals/<reference>/safeguarding-raise")
@access.read_referrals
def safeguarding_raise(reference):
    return _act(reference, "safeguarding-raise", lambda referral, form: cases.raise_safeguarding(
        db.session(), referral, access.current_user()), "Safeguarding decision needed")


@bp.post("/referrals/<reference>/safeguarding-report")
@access.read_referrals
def safeguarding_report(reference):
    return _act(reference, "safeguarding-report", lambda referral, form: cases.report_safeguarding(
        db.session(), _keyring(), referral, access.current_user(), to=form.to.data, on=form.on.data,
        their_reference=form.their_reference.data, by=form.by.data), "Safeguarding report recorded")


@bp.post("/referrals/<reference>/safeguarding-no-report")
@access.read_referrals
def safeguarding_no_report(reference):
    return _act(reference, "safeguarding-no-report", lambda referral, form: cases.decide_no_report(
        db.session(), _keyring(), referral, access.current_user(), form.reason.data),
        "Decision recorded: a manager must confirm it")


@bp.post("/referrals/<reference>/safeguarding-confirm")
@access.assign_referrals
def safeguarding_confirm(reference):
    return _act(reference, "safeguarding-confirm", lambda referral, form: cases.confirm_no_report(
        db.session(), referral, access.current_user(), cases.timeline(db.session(), _keyring(), referral)),
        "Decision confirmed")
