"""Fixtures the unit test modules share."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import T0


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves by hand: what every staff function (staff.utcnow) and the response
    clock (targets.now) read."""
    from haven.services import staff, targets

    class Clock:
        now = T0

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(staff, "utcnow", lambda: clock.now)
    monkeypatch.setattr(targets, "now", lambda: clock.now)
    return clock
