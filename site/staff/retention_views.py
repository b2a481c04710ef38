"""A referral's legal hold (retention, whg 3.1): placed and lifted by managers, each with a
reason, through case_views._act. The purge itself is `flask --app haven referrals purge`."""
from __future__ import annotations

from .. import access, db
from ..services import retention
from .case_views import _act, _keyring
from .views import bp


@bp.post("/referrals/<reference>/legal-hold")
@access.assign_referrals
def legal_hold(reference):
    return _act(reference, "legal-hold", lambda referral, form: retention.hold(
        db.session(), _keyring(), referral, access.current_user(), form.reason.data), "Legal hold placed")


@bp.post("/referrals/<reference>/legal-hold-lift")
@access.assign_referrals
def legal_hold_lift(reference):
    return _act(reference, "legal-hold-lift", lambda referral, form: retention.lift(
        db.session(), _keyring(), referral, access.current_user(), form.reason.data), "Legal hold lifted")
