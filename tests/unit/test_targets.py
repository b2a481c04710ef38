"""The response clock: urgent in elapsed hours, standard in working days without weekends or
bank holidays in England. Every expected moment below was worked out by hand from a calendar."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from haven.services import targets
from haven.services.targets import Targets

DEFAULTS = Targets(urgent_hours=4, standard_working_days=1, confirmed=False)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("received, priority, rules, expected", [
    # Urgent runs day and night: Monday 22:30 plus 4 hours is Tuesday 02:30.
    (utc(2026, 11, 23, 22, 30), "urgent", DEFAULTS, utc(2026, 11, 24, 2, 30)),
    # ...and through a weekend: Saturday 23:00 plus 4 hours is Sunday 03:00.
    (utc(2026, 11, 28, 23, 0), "urgent", DEFAULTS, utc(2026, 11, 29, 3, 0)),
    # Standard, Monday 10:00: Tuesday 10:00.
    (utc(2026, 11, 23, 10, 0), "standard", DEFAULTS, utc(2026, 11, 24, 10, 0)),
    # Friday 15:00: the weekend does not count, so Monday 15:00.
    (utc(2026, 11, 27, 15, 0), "standard", DEFAULTS, utc(2026, 11, 30, 15, 0)),
    # Saturday 10:00: the clock starts on Monday, so the end of Monday (Tuesday 00:00).
    (utc(2026, 11, 28, 10, 0), "standard", DEFAULTS, utc(2026, 12, 1, 0, 0)),
    # Thursday 24 December 15:00: Christmas Day (Friday), the weekend and Boxing Day observed
    # (Monday 28th) do not count, so Tuesday 29th 15:00.
    (utc(2026, 12, 24, 15, 0), "standard", DEFAULTS, utc(2026, 12, 29, 15, 0)),
    # Thursday 2 April 2026 12:00 BST (11:00 UTC), 2 working days: Good Friday and Easter Monday
    # are bank holidays, so Wednesday 8 April 12:00 BST.
    (utc(2026, 4, 2, 11, 0), "standard", Targets(4, 2, False), utc(2026, 4, 8, 11, 0)),
    # Across the clocks going back (Sunday 25 October 2026): Friday 23rd 12:00 BST plus 3 working
    # days is Wednesday 28th 12:00 GMT, which is 12:00 UTC.
    (utc(2026, 10, 23, 11, 0), "standard", Targets(4, 3, False), utc(2026, 10, 28, 12, 0)),
])
def test_due(received, priority, rules, expected):
    assert targets.due(received, priority, rules) == expected


def test_working_days_know_the_bank_holidays_in_england():
    assert not targets.is_working_day(datetime(2026, 8, 31).date())  # Summer bank holiday
    assert targets.is_working_day(datetime(2026, 8, 3).date())  # Scotland's, not England's
    assert not targets.is_working_day(datetime(2027, 1, 1).date())


def test_the_clock_stops_at_the_first_contact_and_only_then():
    due = utc(2026, 11, 23, 14, 0)
    assert not targets.is_overdue(due, None, utc(2026, 11, 23, 13, 59))
    assert targets.is_overdue(due, None, utc(2026, 11, 23, 14, 1))
    assert not targets.is_overdue(due, utc(2026, 11, 23, 15, 0), utc(2026, 11, 23, 16, 0))
    assert targets.describe_left(due, None, utc(2026, 11, 23, 17, 0)) == "overdue by 3 h"
    assert targets.describe_left(due, None, utc(2026, 11, 23, 10, 40)) == "3 h 20 min left"
    assert targets.describe_left(due, utc(2026, 11, 23, 13, 0), utc(2026, 11, 24)) == "contacted within target"
    assert targets.describe_left(due, utc(2026, 11, 23, 15, 0), utc(2026, 11, 24)) == "contacted late"
