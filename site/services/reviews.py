"""Casework reviews and compliance audits (whg 3.3-3.4): a manager draws a random sample of the
cases closed in a period, reviews each against content/casework_review.yaml, and records findings
and actions; the share of reviewed cases meeting each point is counted round by round, in SQL.

A point's result is plain (met, not_met, na); findings and actions describe the case, so they
are encrypted. A manager barred from a case never draws or reviews it.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import CaseReview, Referral, ReferralBar, ReviewPoint, ReviewRound, StaffUser
from ..security.crypto import Keyring
from . import audit, targets
from .cases import CaseError, _words

FILE = "casework_review.yaml"
RESULTS = {"met": "Met", "not_met": "Not met", "na": "Not applicable"}
LARGEST_SAMPLE = 50


class ReviewChecklistError(ValueError):
    pass


@dataclass(frozen=True)
class Point:
    id: str
    text: str


def load(content_dir: Path) -> tuple[Point, ...]:
    data = yaml.safe_load((Path(content_dir) / FILE).read_text(encoding="utf-8")) or {}
    items = data.get("points") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ReviewChecklistError(f"{FILE}: points must be a list of at least one point")
    points, seen = [], set()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not str(item.get("id") or "").isidentifier() or \
                not isinstance(item.get("text"), str) or not item["text"].strip():
            raise ReviewChecklistError(f"{FILE}: point {number} needs an id (letters, digits, _) and a text")
        if len(item["id"]) > 40:
            raise ReviewChecklistError(f"{FILE}: point {number}'s id is longer than 40 characters")
        if item["id"] in seen:
            raise ReviewChecklistError(f"{FILE}: point id {item['id']} is used twice")
        seen.add(item["id"])
        points.append(Point(item["id"], item["text"].strip()))
    return tuple(points)


def _utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=targets.UK).astimezone(timezone.utc)


def draw(session: Session, manager: StaffUser, *, start: date, end: date, size: int,
         rng: random.Random | None = None) -> ReviewRound:
    """A random sample of the cases closed from `start` to `end` (UK days, inclusive)."""
    if start > end:
        raise CaseError("'To' must be on or after 'From'")
    if not 1 <= size <= LARGEST_SAMPLE:
        raise CaseError(f"Choose a sample of 1 to {LARGEST_SAMPLE} cases")
    barred = select(ReferralBar.referral_id).where(ReferralBar.staff_id == manager.id)
    closed = list(session.scalars(select(Referral.id).where(
        Referral.status == "closed", Referral.closed_at >= _utc(start), Referral.closed_at < _utc(end + timedelta(days=1)),
        Referral.id.not_in(barred)).order_by(Referral.id)))
    if not closed:
        raise CaseError("No cases were closed in that period")
    chosen = (rng or random.SystemRandom()).sample(closed, min(size, len(closed)))
    round_ = ReviewRound(drawn_by_id=manager.id, period_start=start, period_end=end, size=len(chosen),
                         drawn_at=targets.now())
    session.add(round_)
    session.flush()
    session.add_all(CaseReview(public_id=str(uuid.uuid4()), round_id=round_.id, referral_id=referral_id)
                    for referral_id in sorted(chosen))
    audit.record(session, actor=manager.email, action="review.drawn", record_type="review_round",
                 record_id=str(round_.id), detail=f"{len(chosen)} of {len(closed)} closed {start}..{end}")
    session.commit()
    return round_


@dataclass(frozen=True)
class Sampled:
    review: CaseReview
    reference: str
    outcome: str | None
    within_target: bool | None  # from plain columns: a hint for the first point


def sample(session: Session, round_: ReviewRound) -> list[Sampled]:
    rows = session.execute(select(CaseReview, Referral.reference, Referral.outcome, Referral.first_contact_at,
                                  Referral.target_due_at).join(Referral, Referral.id == CaseReview.referral_id)
                           .where(CaseReview.round_id == round_.id).order_by(Referral.reference)).all()
    return [Sampled(review, reference, outcome, None if due is None or contacted is None else contacted <= due)
            for review, reference, outcome, contacted, due in rows]


def record(session: Session, keyring: Keyring, review: CaseReview, reviewer: StaffUser, points, *,
           results: dict[str, str], findings: str | None, actions: str | None) -> None:
    if review.reviewed_at is not None:
        raise CaseError("This case has been reviewed already")
    if any(results.get(point.id) not in RESULTS for point in points):
        raise CaseError("Answer every point: met, not met or not applicable")
    findings, actions = _words(findings, what="findings") or None, _words(actions, what="actions") or None
    review.reviewed_at, review.reviewer_id = targets.now(), reviewer.id
    for column, value in (("findings_enc", findings), ("actions_enc", actions)):
        setattr(review, column, keyring.encrypt(value, table="case_review", column=column, row=review.public_id)
                if value else None)
    session.add_all(ReviewPoint(review_id=review.id, point=point.id, result=results[point.id]) for point in points)
    audit.record(session, actor=reviewer.email, action="review.recorded", record_type="case_review",
                 record_id=review.public_id)
    session.commit()


def words(keyring: Keyring, review: CaseReview) -> dict[str, str | None]:
    return {column: keyring.decrypt(getattr(review, column), table="case_review", column=column, row=review.public_id)
            if getattr(review, column) else None for column in ("findings_enc", "actions_enc")}


def shares(session: Session) -> dict[tuple[int, str], tuple[int, int]]:
    """{(round id, point): (met, met + not met)}: not applicable counts for neither."""
    rows = session.execute(select(CaseReview.round_id, ReviewPoint.point, ReviewPoint.result, func.count())
                           .join(CaseReview, CaseReview.id == ReviewPoint.review_id)
                           .where(ReviewPoint.result != "na")
                           .group_by(CaseReview.round_id, ReviewPoint.point, ReviewPoint.result)).all()
    found: dict[tuple[int, str], list[int]] = {}
    for round_id, point, result, count in rows:
        met, answered = found.setdefault((round_id, point), [0, 0])
        found[(round_id, point)] = [met + (count if result == "met" else 0), answered + count]
    return {key: (met, answered) for key, (met, answered) in found.items()}
