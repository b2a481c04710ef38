"""The inbox: its views, filters, order and counts, as SQL over the referral's plain columns.

Nothing here selects an encrypted column, so nothing here can decrypt: a list shows flags and
times, never a name, a contact detail or a word the person wrote. A member barred from a
referral (a conflict of interest) never meets it in a list or a count.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..models import Referral, ReferralBar, StaffUser
from . import targets
from .targets import UK

PAGE_SIZE = 50

# In the order the navigation shows them; the first is the default.
VIEWS = {
    "needs-contact": "Needs first contact",
    "mine": "Mine",
    "open": "All open",
    "overdue": "Overdue",
    "anonymous": "Anonymous concerns",
    "closed": "Closed",
}
STATUSES = {
    "new": "New",
    "attempted": "Contact attempted",
    "in_contact": "In contact",
    "support": "Support in progress",
    "closed": "Closed",
}
PRIORITIES = {"urgent": "Urgent", "standard": "Standard"}
ROUTES = {"self": "Self-referral", "concern": "Concern about someone", "anonymous": "Anonymous concern"}
FLAGS = {
    "danger_now": "Danger now",
    "children_in_home": "Children in the home",
    "children_at_risk": "Children at risk",
    "lives_with": "Lives with the person harming them",
    "language": "Interpreter or language",
    "access": "Access needs",
    "repeat": "Repeat referral",
    "high_risk": "High risk",
}


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    priority: str | None = None
    assignee: int | str | None = None  # a staff id, or "none" for unassigned
    route: str | None = None
    flag: str | None = None
    received_from: date | None = None
    received_to: date | None = None


@dataclass(frozen=True)
class Row:
    reference: str
    route: str
    priority: str
    status: str
    created_at: datetime
    target_due_at: datetime | None
    first_contact_at: datetime | None
    assignee: str | None
    flags: tuple[str, ...]
    overdue: bool


@dataclass
class InboxPage:
    view: str
    rows: list[Row]
    total: int
    number: int
    has_more: bool
    counts: dict[str, int] = field(default_factory=dict)



def _open():
    return Referral.status != "closed"


def _overdue(now: datetime):
    return and_(_open(), Referral.first_contact_at.is_(None), Referral.target_due_at < now)


def _view_condition(view: str, viewer_id: int, now: datetime):
    return {
        "needs-contact": and_(_open(), Referral.first_contact_at.is_(None), Referral.route != "anonymous"),
        "mine": and_(_open(), Referral.assignee_id == viewer_id),
        "open": _open(),
        "overdue": _overdue(now),
        "anonymous": and_(_open(), Referral.route == "anonymous"),
        "closed": Referral.status == "closed",
    }[view]


def visible_to(viewer_id: int):
    """Every referral but those the viewer is barred from. An uncorrelated NOT IN: the viewer's few
    bars are read once, not looked up again for each of 100,000 rows."""
    return Referral.id.not_in(select(ReferralBar.referral_id).where(ReferralBar.staff_id == viewer_id))


def _start_of(day: date) -> datetime:
    # Staff think in UK dates; the database holds UTC.
    return datetime.combine(day, time(), tzinfo=UK).astimezone(timezone.utc)


def _filter_conditions(filters: Filters) -> list:
    found = []
    if filters.status:
        found.append(Referral.status == filters.status)
    if filters.priority:
        found.append(Referral.priority == filters.priority)
    if filters.assignee == "none":
        found.append(Referral.assignee_id.is_(None))
    elif filters.assignee is not None:
        found.append(Referral.assignee_id == filters.assignee)
    if filters.route:
        found.append(Referral.route == filters.route)
    if filters.flag:
        found.append(getattr(Referral, f"flag_{filters.flag}").is_(True))
    if filters.received_from:
        found.append(Referral.created_at >= _start_of(filters.received_from))
    if filters.received_to:
        found.append(Referral.created_at < _start_of(filters.received_to + timedelta(days=1)))
    return found


def counts(session: Session, viewer_id: int, now: datetime) -> dict[str, int]:
    """How many referrals each view holds for this viewer, in one query."""
    columns = [func.coalesce(func.sum(case((_view_condition(view, viewer_id, now), 1), else_=0)), 0).label(view)
               for view in VIEWS]
    row = session.execute(select(*columns).where(visible_to(viewer_id))).one()
    return {view: int(row._mapping[view]) for view in VIEWS}


def _order(view: str, now: datetime) -> list:
    if view == "closed":
        return [Referral.closed_at.desc().nulls_last(), Referral.id.desc()]
    clock_running = and_(Referral.first_contact_at.is_(None), Referral.target_due_at.is_not(None))
    # Those still waiting for a first contact come before those already reached, whatever
    # their priority: the inbox is for who needs contact first.
    return [
        case((_overdue(now), 0), else_=1),
        case((clock_running, 0), else_=1),
        case((Referral.priority == "urgent", 0), else_=1),
        Referral.target_due_at.asc().nulls_last(),
        Referral.created_at.asc(),
        Referral.id.asc(),
    ]


def page(session: Session, *, viewer_id: int, view: str = "needs-contact", filters: Filters = Filters(),
         number: int = 1, now: datetime | None = None) -> InboxPage:
    """One page of a view: two or three queries whatever the page holds (rows, the counts, and a
    filtered view's total)."""
    now = now or targets.now()
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}")
    number = max(1, number)
    conditions = [visible_to(viewer_id), _view_condition(view, viewer_id, now), *_filter_conditions(filters)]
    flag_columns = [getattr(Referral, f"flag_{name}") for name in FLAGS]
    query = (select(Referral.reference, Referral.route, Referral.priority, Referral.status, Referral.created_at,
                    Referral.target_due_at, Referral.first_contact_at, StaffUser.email, *flag_columns)
             .outerjoin(StaffUser, StaffUser.id == Referral.assignee_id)
             .where(*conditions).order_by(*_order(view, now))
             .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    rows = []
    for record in session.execute(query).all():
        due, contacted = targets.aware(record.target_due_at), targets.aware(record.first_contact_at)
        flags = tuple(name for name, value in zip(FLAGS, record[8:]) if value)
        rows.append(Row(reference=record.reference, route=record.route, priority=record.priority,
                        status=record.status, created_at=targets.aware(record.created_at), target_due_at=due,
                        first_contact_at=contacted, assignee=record.email, flags=flags,
                        overdue=record.status != "closed" and contacted is None and due is not None and due < now))
    view_counts = counts(session, viewer_id, now)
    filtered = filters != Filters()
    # Unfiltered, the view's total is its count in the navigation: no second scan for it.
    total = session.scalar(select(func.count(Referral.id)).where(*conditions)) if filtered else view_counts[view]
    return InboxPage(view=view, rows=rows[:PAGE_SIZE], total=total, number=number,
                     has_more=len(rows) > PAGE_SIZE, counts=view_counts)


def assignable(session: Session, roles) -> list[tuple[int, str]]:
    """(id, email) of every active member with one of `roles` (those who may read referrals)."""
    users = session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.email))
    return [(user.id, user.email) for user in users if user.role_set & set(roles)]
