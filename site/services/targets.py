"""The response clock: when a referral must first be contacted by, and how that stands now.

Urgent targets run in elapsed hours, day and night. Standard targets run in working days: only
the time inside Monday to Friday, bank holidays in England excluded, counts, in UK time. So a
standard referral sent on Friday at 15:00 with a one-working-day target is due on Monday at 15:00,
and one sent on Saturday is due at the end of Monday. Nothing else lives here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Targets:
    urgent_hours: int
    standard_working_days: int
    confirmed: bool  # False while they are development defaults the organisation has not agreed


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def now() -> datetime:
    """The one clock the inbox reads (tests move it by patching this)."""
    return datetime.now(timezone.utc)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every time Haven stores is UTC."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment when `days` whole working days of time have passed since `start`."""
    local = aware(start).astimezone(UK)
    day, left = local.date(), timedelta(days=days)
    # The part of the first day still to run, when that day counts; midnight is the day's end.
    position = local.replace(tzinfo=None) - datetime.combine(day, time())
    while True:
        if is_working_day(day):
            remaining_today = DAY - position
            if left <= remaining_today:
                wall = datetime.combine(day, time()) + position + left
                return wall.replace(tzinfo=UK).astimezone(timezone.utc)
            left -= remaining_today
        day, position = day + DAY, timedelta(0)


def due(received: datetime, priority: str, targets: Targets) -> datetime:
    if priority == "urgent":
        return aware(received) + timedelta(hours=targets.urgent_hours)
    return add_working_days(received, targets.standard_working_days)


def is_overdue(due_at: datetime | None, first_contact_at: datetime | None, now: datetime) -> bool:
    """Past the target with no successful contact yet (attempts that did not reach her do not count)."""
    return due_at is not None and first_contact_at is None and aware(due_at) < now


def describe_left(due_at: datetime | None, first_contact_at: datetime | None, now: datetime) -> str:
    """"3 h 20 min left", "overdue by 3 h", or how the clock stopped, for staff pages (English)."""
    if due_at is None:
        return "no target"
    due_at = aware(due_at)
    if first_contact_at is not None:
        return "contacted within target" if aware(first_contact_at) <= due_at else "contacted late"
    if due_at < now:
        return f"overdue by {span(now - due_at)}"
    return f"{span(due_at - now)} left"


def span(length: timedelta) -> str:
    """A length of time as staff say it: "40 min", "3 h 5 min", "2 days 4 h"."""
    minutes = int(length.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"
