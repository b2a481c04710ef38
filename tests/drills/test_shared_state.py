"""Issue 17's fault drills for state that processes share: Redis down, and two processes on one
database and one Redis (a staff session, a sign-out, the rate limit and an editor's change hold
across both)."""
from __future__ import annotations

import re
import time

from sqlalchemy import func, select

from tests.drills.conftest import Browser, send_self_referral, staff_sign_in
from tests.helpers import load_listings, make_account

SENT = "Your message has been sent"
FALLBACK_WARNING = "Rate limit storage unreachable"


def referral_count(app) -> int:
    from haven import db
    from haven.models import Referral

    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Referral))


def test_with_redis_down_the_form_still_sends_and_one_warning_is_logged(app, redis_server, haven_process):
    redis_server.stop()  # the address is Redis's; nothing answers there any more
    haven = haven_process(HAVEN_RATELIMIT_STORAGE_URI=redis_server.url, HAVEN_REFERRAL_LIMITS="5 per 10 minutes")
    for sent in range(1, 5):
        status, page = send_self_referral(haven.port)
        assert status == 200 and SENT in page
        assert referral_count(app) == sent  # committed before "sent" was said
    # The limit still holds, counted in this process's memory.
    for _ in range(2):
        status, page = send_self_referral(haven.port)
    assert status == 429 and SENT not in page
    assert referral_count(app) == 5
    assert haven.log().count(FALLBACK_WARNING) == 1


def test_two_processes_share_staff_sessions_the_rate_limit_and_listing_changes(app, redis_server, haven_process):
    load_listings(app)
    email, secret, _ = make_account(app, email="caseworker@example.org", roles=("caseworker", "editor"))
    shared = {"HAVEN_RATELIMIT_STORAGE_URI": redis_server.url, "HAVEN_REFERRAL_LIMITS": "3 per 10 minutes"}
    one, two = haven_process(**shared), haven_process(**shared)

    # A staff session made on one process works on the other.
    staff = Browser()
    assert staff.get(two.port, "/staff/")[0] == 303  # not signed in yet
    staff_sign_in(staff, one.port, email, secret)
    assert staff.get(one.port, "/staff/")[0] == 200
    assert staff.get(two.port, "/staff/")[0] == 200

    # An editor's change on one shows on the other's directory within a second, though the other
    # had the directory rendered already.
    directory = "/en/support-services"
    assert "Samaritans" in Browser().get(two.port, directory)[2]
    _, _, dashboard = staff.get(one.port, "/editor/")
    listing = re.search(r'href="(/editor/listings/\d+)"[^>]*>\s*Samaritans', dashboard).group(1)
    status, _, _ = staff.post(one.port, f"{listing}/retire", {}, page=listing)
    assert status == 303
    changed_at, shown = time.monotonic(), True
    while time.monotonic() - changed_at < 1.0:
        shown = "Samaritans" in Browser().get(two.port, directory)[2]
        if not shown:
            break
        time.sleep(0.05)
    assert not shown, "the other process still lists the retired service a second later"

    # A sign-out on one ends the session on the other.
    status, _, _ = staff.post(two.port, "/staff/sign-out", {}, page="/staff/")
    assert status == 303
    assert staff.get(one.port, "/staff/")[0] == 303
    assert staff.get(two.port, "/staff/")[0] == 303

    # The rate limit is shared: three forms taken across both, then both refuse.
    for port in (one.port, two.port, one.port):
        status, page = send_self_referral(port)
        assert status == 200 and SENT in page
    for port in (two.port, one.port):
        status, page = send_self_referral(port)
        assert status == 429 and SENT not in page
    assert referral_count(app) == 3
    assert FALLBACK_WARNING not in one.log() + two.log()


def test_with_redis_hanging_the_form_still_sends_after_a_moment(app, haven_process):
    import socket
    import threading

    # Something that takes the connection and never answers, as a Redis stuck under load would.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held, stop = [], threading.Event()

    def hold():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        haven = haven_process(HAVEN_RATELIMIT_STORAGE_URI=url)
        started = time.monotonic()
        status, page = send_self_referral(haven.port)
        assert status == 200 and SENT in page and referral_count(app) == 1
        # The Redis time-outs (a second each) held it up, not the person's whole wait.
        assert time.monotonic() - started < 8
        assert haven.log().count(FALLBACK_WARNING) == 1
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()
