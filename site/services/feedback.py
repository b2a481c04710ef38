"""Feedback after closure (WM 5.1): a one-time link for the person, their anonymous answers, and
the figures reports count.

`issue` gives a caseworker a link for a closed referral (its token is returned once and only its
SHA-256 is kept; a newer link replaces the older one); `find_link` finds the link a token opens,
if it still works; `answer` records what the person said and spends the link; `summary` counts
the answers of a period in SQL, for reports.

The answers are anonymous to staff: `feedback.referral_id` exists so that reports can count by
period and route, and nothing shows an answer beside the referral it is about. The comment is
encrypted with the field keys (table "feedback", column "comment_enc", the row's public_id).
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from ..models import Feedback, FeedbackLink, Referral, StaffUser
from ..security.crypto import Keyring
from . import cases, targets

TABLE = "feedback"
LINK_DAYS = 30
VALID_FOR = timedelta(days=LINK_DAYS)
COMMENT_LIMIT = 2000
SATISFACTION = (1, 2, 3, 4, 5)  # 1 very unhappy, 5 very happy
FELT_SAFE = ("yes", "no", "prefer_not")


class FeedbackError(ValueError):
    """Answers that cannot be recorded as given (the form layer stops these first)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every time Haven stores is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def issue(session: Session, referral: Referral, actor: StaffUser, now: datetime | None = None) -> str:
    """A new one-time feedback link's token for a closed referral, committed: audited, a timeline
    entry, and any earlier link of the referral stops working. The token is returned only here."""
    if referral.status != "closed":
        raise cases.CaseError("Close the referral before asking for feedback")
    now = now or targets.now()
    session.execute(update(FeedbackLink).where(FeedbackLink.referral_id == referral.id,
                                               FeedbackLink.used_at.is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    session.add(FeedbackLink(referral_id=referral.id, token_hash=_hash(token), issued_at=now,
                             expires_at=now + VALID_FOR, issued_by_id=actor.id))
    cases._event(session, None, referral, actor, "feedback_link")
    cases._audit(session, actor, "feedback_link_issued", referral)
    session.commit()
    return token


def find_link(session: Session, token: str | None, now: datetime | None = None) -> FeedbackLink | None:
    """The link this token opens, or None when it is unknown, used, replaced or expired."""
    if not token or len(token) > 100:
        return None
    link = session.scalar(select(FeedbackLink).where(FeedbackLink.token_hash == _hash(token)))
    now = now or targets.now()
    if link is None or link.used_at is not None or _aware(link.expires_at) <= now:
        return None
    return link


def was_issued(session: Session, token: str | None) -> bool:
    """Whether this token was ever a link's (used, replaced or expired ones included): a 410, not a 404."""
    if not token or len(token) > 100:
        return False
    return session.scalar(select(FeedbackLink.id).where(FeedbackLink.token_hash == _hash(token))) is not None


def answer(session: Session, keyring: Keyring, link: FeedbackLink, satisfaction: int | None,
           felt_safe: str | None, comment: str | None, now: datetime | None = None) -> Feedback | None:
    """Record the answers and spend the link, in one commit. None when the link was spent in the
    meantime (a second Send of the same page): nothing more is recorded."""
    comment = (comment or "").strip() or None
    if satisfaction is not None and satisfaction not in SATISFACTION:
        raise FeedbackError("satisfaction must be 1 to 5")
    if felt_safe is not None and felt_safe not in FELT_SAFE:
        raise FeedbackError("felt_safe must be one of " + ", ".join(FELT_SAFE))
    if comment is not None and len(comment) > COMMENT_LIMIT:
        raise FeedbackError(f"the comment is over {COMMENT_LIMIT} characters")
    if satisfaction is None and felt_safe is None and comment is None:
        raise FeedbackError("at least one answer is needed")
    now = now or targets.now()
    # Spent only if still unspent: of two Sends at once, one records and the other finds it used.
    spent = session.execute(update(FeedbackLink).where(FeedbackLink.id == link.id, FeedbackLink.used_at.is_(None))
                            .values(used_at=now))
    if spent.rowcount != 1:
        session.rollback()
        return None
    item = Feedback(public_id=str(uuid.uuid4()), referral_id=link.referral_id, at=now,
                    satisfaction=satisfaction, felt_safe=felt_safe)
    if comment:
        item.comment_enc = keyring.encrypt(comment, table=TABLE, column="comment_enc", row=item.public_id)
    session.add(item)
    session.commit()
    return item


def summary(session: Session, start: datetime, end: datetime, route: str | None = None) -> dict:
    """The feedback answered from `start` up to (not including) `end`, counted in SQL.

    Returns {"answers": how many people answered, "satisfaction": {1: n, ..., 5: n},
    "felt_safe": {"yes": n, "no": n, "prefer_not": n}, "mean_satisfaction": the mean of the
    satisfaction scores given (a float), or None when nobody gave one}. Each count includes
    zeros; an answer that left a question blank counts in "answers" but not under that question.
    `route`: only feedback about referrals of that route ("self", "concern", "anonymous").
    Nothing is decrypted: comments are never counted or read here.
    """
    where = [Feedback.at >= start, Feedback.at < end]
    if route is not None:
        where += [Feedback.referral_id == Referral.id, Referral.route == route]
    columns = [func.count(Feedback.id).label("answers"), func.avg(Feedback.satisfaction).label("mean")]
    columns += [func.sum(case((Feedback.satisfaction == score, 1), else_=0)).label(f"s{score}")
                for score in SATISFACTION]
    columns += [func.sum(case((Feedback.felt_safe == key, 1), else_=0)).label(f"f_{key}") for key in FELT_SAFE]
    row = session.execute(select(*columns).where(*where)).one()
    mean = row.mean
    return {
        "answers": row.answers,
        "satisfaction": {score: int(getattr(row, f"s{score}") or 0) for score in SATISFACTION},
        "felt_safe": {key: int(getattr(row, f"f_{key}") or 0) for key in FELT_SAFE},
        "mean_satisfaction": float(mean) if mean is not None else None,
    }
