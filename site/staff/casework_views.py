"""The casework sections of a referral's page: a safer home, moving, partners and consent, the
person causing harm, the handover note. Each route is one service call through case_views._act.

Features that exist only to keep one commitment (rehousing, the emergency transfer, action
against the person causing harm) are not there at all when the organisation does not make it.
"""
from __future__ import annotations

from flask import current_app

from .. import access, db
from ..services import cases, complaints, moving, partners, safer_home
from .case_views import _act, _keyring
from .views import bp


def transfer_weeks() -> int | None:
    return moving.transfer_weeks(current_app.extensions["haven_profile"].commitments)


def _timeline(referral):
    return cases.timeline(db.session(), _keyring(), referral)


@bp.post("/referrals/<reference>/advice")
@access.read_referrals
def advice(reference):
    return _act(reference, "advice", lambda referral, form: safer_home.give_advice(
        db.session(), _keyring(), referral, access.current_user(), topic=form.topic.data, on=form.on.data,
        by=form.by.data), "Advice recorded")


@bp.post("/referrals/<reference>/works")
@access.read_referrals
def works(reference):
    return _act(reference, "works", lambda referral, form: safer_home.request_works(
        db.session(), _keyring(), referral, access.current_user(), measure=form.measure.data, on=form.on.data,
        by=form.by.data), "Works requested")


@bp.post("/referrals/<reference>/works-stage")
@access.read_referrals
def works_stage(reference):
    return _act(reference, "works-stage", lambda referral, form: safer_home.advance_works(
        db.session(), _keyring(), referral, access.current_user(), _timeline(referral), request_id=form.item.data,
        stage=form.stage.data, on=form.on.data, by=form.by.data), "Works updated")


@bp.post("/referrals/<reference>/move-assessment")
@access.read_referrals
@access.needs_commitment("rehousing")
def move_assessment(reference):
    return _act(reference, "move-assessment", lambda referral, form: moving.assess_move(
        db.session(), _keyring(), referral, access.current_user(), form.how.data), "Rehousing assessment recorded")


@bp.post("/referrals/<reference>/move-decision")
@access.read_referrals
@access.needs_commitment("rehousing")
def move_decision(reference):
    return _act(reference, "move-decision", lambda referral, form: moving.decide(
        db.session(), _keyring(), referral, access.current_user(), _timeline(referral), decision=form.decision.data,
        reason=form.reason.data), "Rehousing decision recorded")


@bp.post("/referrals/<reference>/banding")
@access.read_referrals
@access.needs_commitment("rehousing_critical_need")
def banding(reference):
    return _act(reference, "banding", lambda referral, form: moving.record_banding(
        db.session(), referral, access.current_user(), _timeline(referral), on=form.on.data), "Banding recorded")


@bp.post("/referrals/<reference>/move-agreement")
@access.read_referrals
@access.needs_commitment("rehousing")
def move_agreement(reference):
    return _act(reference, "move-agreement", lambda referral, form: moving.record_agreement(
        db.session(), _keyring(), referral, access.current_user(), _timeline(referral), person=form.person.data,
        organisation=form.organisation.data), "Agreement recorded")


@bp.post("/referrals/<reference>/offer")
@access.read_referrals
@access.needs_commitment("rehousing_single_offer")
def offer(reference):
    return _act(reference, "offer", lambda referral, form: moving.record_offer(
        db.session(), referral, access.current_user(), _timeline(referral), on=form.on.data, answer=form.answer.data),
        "Offer recorded")


TRANSFER_STEPS = {"requested": moving.request_transfer, "offered": moving.offer_transfer,
                  "homeless_application": moving.support_homeless_application}


@bp.post("/referrals/<reference>/transfer")
@access.read_referrals
@access.needs_commitment("emergency_transfer")
def transfer(reference):
    def record(referral, form):
        step = TRANSFER_STEPS.get(form.step.data)
        if step is None:
            raise cases.CaseError("Choose what to record")
        step(db.session(), referral, access.current_user(), _timeline(referral), on=form.on.data, weeks=transfer_weeks())

    return _act(reference, "transfer", record, "Emergency transfer updated")


@bp.post("/referrals/<reference>/consent")
@access.read_referrals
def consent(reference):
    return _act(reference, "consent", lambda referral, form: partners.record_consent(
        db.session(), _keyring(), referral, access.current_user(), purpose=form.purpose.data, answer=form.answer.data,
        on=form.on.data, note=form.note.data), "Consent recorded")


@bp.post("/referrals/<reference>/partner-referral")
@access.read_referrals
def partner_referral(reference):
    return _act(reference, "partner-referral", lambda referral, form: partners.refer(
        db.session(), _keyring(), referral, access.current_user(), _timeline(referral), partner=form.partner.data,
        on=form.on.data, shared=form.shared.data, basis=form.basis.data, reason=form.reason.data),
        "Partner referral recorded")


@bp.post("/referrals/<reference>/share-confirm")
@access.assign_referrals
def share_confirm(reference):
    return _act(reference, "share-confirm", lambda referral, form: partners.confirm_share(
        db.session(), referral, access.current_user(), _timeline(referral), form.share.data), "Share confirmed")


@bp.post("/referrals/<reference>/wishes")
@access.read_referrals
@access.needs_commitment("action_against_perpetrator")
def wishes(reference):
    return _act(reference, "wishes", lambda referral, form: partners.record_wishes(
        db.session(), _keyring(), referral, access.current_user(), wish=form.wish.data, note=form.note.data),
        "Their wishes are recorded")


@bp.post("/referrals/<reference>/perpetrator-action")
@access.read_referrals
@access.needs_commitment("action_against_perpetrator")
def perpetrator_action(reference):
    return _act(reference, "perpetrator-action", lambda referral, form: partners.take_action(
        db.session(), _keyring(), referral, access.current_user(), _timeline(referral), action=form.action.data,
        on=form.on.data, note=form.note.data), "Action recorded")


@bp.post("/referrals/<reference>/handover")
@access.read_referrals
def handover(reference):
    return _act(reference, "handover", lambda referral, form: cases.write_handover(
        db.session(), _keyring(), referral, access.current_user(), form.text.data), "Handover note saved")


@bp.post("/referrals/<reference>/complaint")
@access.assign_referrals
def complaint(reference):
    return _act(reference, "complaint", lambda referral, form: complaints.record(
        db.session(), _keyring(), referral, access.current_user(), received_on=form.received_on.data,
        channel=form.channel.data, theme=form.theme.data, note=form.note.data), "Complaint recorded")


@bp.post("/referrals/<reference>/complaint-resolved")
@access.assign_referrals
def complaint_resolved(reference):
    return _act(reference, "complaint-resolved", lambda referral, form: complaints.resolve(
        db.session(), referral, access.current_user(), _timeline(referral), complaint_id=form.complaint.data,
        outcome=form.outcome.data, resolved_on=form.resolved_on.data), "Complaint resolved")
