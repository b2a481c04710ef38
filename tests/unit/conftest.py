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


def _signed_in(app, clock, email, roles):
    from tests.helpers import make_account, sign_in, staff_id

    _, secret, _ = make_account(app, email=email, roles=roles)
    client = app.test_client()
    sign_in(client, email, secret, clock.now)
    client.staff_id = staff_id(app, email)
    client.email = email
    return client


@pytest.fixture
def worker(app, clock):
    """A caseworker signed in on their own test client (with .staff_id and .email)."""
    return _signed_in(app, clock, "worker@example.org", ("caseworker",))


@pytest.fixture
def manager(app, clock):
    """A manager (who also works cases) signed in on their own test client."""
    return _signed_in(app, clock, "manager@example.org", ("manager",))
