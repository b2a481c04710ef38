"""What a case still owes, in one list at the top of its page: each rule is a plain function of
the case's timeline, so a test can call it with a patched clock.
"""
from __future__ import annotations

from datetime import date

from ..models import Referral
from . import cases, moving, partners, safer_home


def items(referral: Referral, entries: list[cases.Entry], *, checklist, on: date, works_within_days: int,
          transfer_weeks: int | None) -> list[str]:
    """`transfer_weeks` is None when the organisation makes no emergency-transfer commitment."""
    due = []
    safeguarding = cases.safeguarding(referral, entries)
    if safeguarding.needed:
        due.append("Safeguarding decision needed" + (": a manager must confirm the no-report decision"
                                                     if safeguarding.waiting_for_manager else ""))
    assessments = cases.assessments(entries)
    if not assessments and referral.status != "closed" and referral.first_contact_at is not None:
        due.append("No risk assessment yet")
    criteria = cases.marac_criteria(referral, assessments[0] if assessments else None, checklist)
    if criteria.met and not any(entry.event.kind == "marac" for entry in entries):
        due.append("Meets the MARAC criteria: no MARAC referral recorded")
    for works in safer_home.works(entries, works_within_days):
        if works.overdue(on):
            due.append(f"{safer_home.MEASURES[works.measure]} requested {works.requested_on.isoformat()}: "
                       f"not completed within {works_within_days} days")
    rehousing = moving.rehousing(entries)
    if rehousing.agreed:
        if rehousing.banding is None:
            due.append("Rehousing agreed: record 'critical need' and 'gold' banding")
        if rehousing.agreement is None:
            due.append("Rehousing agreed: record what they and we agreed to do")
        if rehousing.offer is None:
            due.append("Rehousing agreed: the one like-for-like offer is still to be made")
    if transfer_weeks is not None:
        transfer = moving.transfer(entries, transfer_weeks)
        if transfer.homeless_application_due(on):
            due.append(f"No emergency transfer offered within {transfer_weeks} weeks of the request "
                       f"({transfer.requested_on.isoformat()}): support a homeless application")
    for share in partners.shares(entries):
        if share.awaiting_confirmation:
            due.append(f"A share with {partners.PARTNERS[share.entry.event.outcome]} without consent awaits "
                       "a manager's confirmation")
    return due
