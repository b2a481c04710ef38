"""The staff notice leaves the request (issue 17): each referral is committed with its notice
waiting in notice_outbox, and the worker sends it, once, whatever the mail server does."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from haven import create_app, db
from haven.db import make_engine
from haven.migrations import upgrade
from haven.models import NoticeOutbox, Referral
from tests.helpers import T0, deliver_notices, send_referral
from tests.unit.test_referrals import CONCERN, FORM, good_answers, open_form

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"Reference: (HV-[A-Z0-9]{5})")


def references(app) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(select(Referral.reference).order_by(Referral.id)))


def outbox(app) -> list[NoticeOutbox]:
    with app.app_context():
        return list(db.session().scalars(select(NoticeOutbox).order_by(NoticeOutbox.id)))


def notices_per_reference(sink) -> Counter:
    return Counter(match.group(1) for message in sink.messages for match in [REFERENCE.search(message)] if match)


def send_form(app, client, kind: str) -> float:
    """Send one form as a person does; returns the seconds until the "sent" page arrived."""
    path = FORM if kind == "self" else CONCERN
    answers = good_answers() if kind == "self" else {"who": "a neighbour", "worry": "shouting at night",
                                                     "danger_now": "no", "contact_back": "no"}
    fields = open_form(client, path)
    before = len(references(app))
    started = time.monotonic()
    response = client.post(path, data={**fields, **answers})
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and 'class="panel-confirmation' in response.get_data(as_text=True)
    assert len(references(app)) == before + 1
    return elapsed


def test_the_mail_server_down_then_hanging_then_back(app, client, runner, closed_port, hanging_smtp, smtp_sink):
    """The fault drill: referrals are saved at full speed while the mail server is down or hangs,
    and each notice is delivered once when it returns."""
    timeout = app.config["SMTP_TIMEOUT"] = 3
    client.get(FORM)  # templates compiled before anything is timed

    # Down: nothing listens. Every "sent" page arrives, each well within the SMTP time-out.
    app.config["SMTP_PORT"] = closed_port
    for kind in ("self", "concern", "self"):
        assert send_form(app, client, kind) < timeout
    assert [row.sent_at for row in outbox(app)] == [None, None, None]
    down = deliver_notices(app)
    assert (down.sent, down.failed, down.waiting) == (0, 1, 3)  # one refusal ends the pass
    assert [row.last_error for row in outbox(app)] == ["ConnectionRefusedError", None, None]

    # Hanging: it accepts and never answers. A worker is stuck on it while people send forms:
    # their requests never open a connection to it, nor wait on the worker.
    app.config["SMTP_PORT"] = hanging_smtp.port
    stuck = threading.Thread(target=deliver_notices, args=(app,))
    stuck.start()
    try:
        deadline = time.monotonic() + 5
        while hanging_smtp.accepted == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hanging_smtp.accepted == 1  # the worker's connection, now waiting for a greeting
        for kind in ("self", "concern", "self"):
            assert send_form(app, client, kind) < timeout
            assert hanging_smtp.accepted == 1  # none from the request
        assert stuck.is_alive()  # all three were saved while the worker still hung
    finally:
        stuck.join(timeout=timeout + 5)
    assert not stuck.is_alive()
    assert len(references(app)) == 6 and all(row.sent_at is None for row in outbox(app))
    # The pass on the hanging server took a notice not yet tried (fewest attempts first), and gave
    # up after the time-out.
    assert sorted((row.attempts, row.last_error or "") for row in outbox(app)) == [
        (0, ""), (0, ""), (0, ""), (0, ""), (1, "ConnectionRefusedError"), (1, "SMTPServerDisconnected")]
    assert smtp_sink.messages == []

    # Back: one pass of the worker delivers each notice once; another sends nothing more.
    app.config["SMTP_PORT"] = smtp_sink.port
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "6 sent, 0 failed, 0 waiting" in result.output
    assert runner.invoke(args=["referrals", "send-notices"]).output.strip() == "notices: 0 sent, 0 failed, 0 waiting"
    assert notices_per_reference(smtp_sink) == Counter({reference: 1 for reference in references(app)})
    assert all(row.sent_at is not None and row.last_error is None for row in outbox(app))


def test_two_workers_send_each_notice_exactly_once(app, smtp_sink):
    app.config["SMTP_PORT"] = smtp_sink.port
    smtp_sink.delay = 0.05  # each send takes a while, so the two workers overlap throughout
    made = [send_referral(app, at=T0) for _ in range(12)]
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=5)
            results.append(deliver_notices(app))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(results) == 2
    assert sorted(result.sent for result in results)[0] > 0  # both took part
    assert sum(result.sent for result in results) == 12
    assert notices_per_reference(smtp_sink) == Counter({reference: 1 for reference in made})


def _worker_environment(app, smtp_port: int, tmp_path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"],
            "HAVEN_DATA_KEYS": app.config["DATA_KEYS"], "HAVEN_MATCH_KEY": app.config["MATCH_KEY"],
            "HAVEN_INSTANCE_PATH": str(tmp_path), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port)}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_process_sends_as_referrals_arrive_and_stops_cleanly(app, smtp_sink, tmp_path, stop):
    first = send_referral(app, at=T0)
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "haven", "worker", "--interval", "0.2"],
                               env=_worker_environment(app, smtp_sink.port, tmp_path), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def wait_for(count: int) -> None:
            deadline = time.monotonic() + 30
            while len(smtp_sink.messages) < count and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.05)
            assert len(smtp_sink.messages) == count

        wait_for(1)
        second = send_referral(app, at=T0)  # arrives while the worker runs
        wait_for(2)
        process.send_signal(stop)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert output.strip().splitlines()[-1] == "worker: stopped"
    assert notices_per_reference(smtp_sink) == Counter({first: 1, second: 1})


def test_the_migration_moves_unsent_notices_into_the_outbox(app, tmp_path, smtp_sink):
    """Referrals saved before the outbox keep their unsent notices: a failed or never-tried one
    goes as new, one cleared because more answers made the referral urgent goes as urgent."""
    url = f"sqlite:///{tmp_path / 'before-outbox.sqlite3'}"
    upgrade(url, "0015")
    engine = make_engine(url)
    sent_at = datetime(2026, 11, 23, 10, 1, tzinfo=timezone.utc)
    states = {"HV-SENT1": dict(notice_sent_at=sent_at, notice_attempts=1, notice_error=None),
              "HV-NEVER": dict(notice_sent_at=None, notice_attempts=0, notice_error=None),
              "HV-FAILD": dict(notice_sent_at=None, notice_attempts=2, notice_error="ConnectionRefusedError"),
              "HV-URGNT": dict(notice_sent_at=None, notice_attempts=1, notice_error=None, priority="urgent")}
    with engine.begin() as connection:
        for number, (reference, state) in enumerate(states.items()):
            connection.execute(Referral.__table__.insert().values(
                public_id=f"{number}" * 36, submission_token=reference, kind="self", locale="en", created_at=T0,
                contact_enc="sealed", details_enc="sealed", reference=reference, route="self", status="new",
                **{"priority": "standard", **state}))
    upgrade(url)
    with engine.connect() as connection:
        moved = connection.execute(select(Referral.reference, NoticeOutbox.kind, NoticeOutbox.attempts,
                                          NoticeOutbox.last_error, NoticeOutbox.sent_at)
                                   .join(Referral, Referral.id == NoticeOutbox.referral_id)
                                   .order_by(Referral.reference)).all()
    engine.dispose()
    assert [tuple(row) for row in moved] == [("HV-FAILD", "new", 0, "ConnectionRefusedError", None),
                                             ("HV-NEVER", "new", 0, None, None),
                                             ("HV-URGNT", "urgent", 0, None, None)]

    # The worker sends them, once each, like any other.
    old = create_app({**app.config, "DATABASE_URL": url, "SMTP_PORT": smtp_sink.port})
    assert deliver_notices(old).sent == 3
    assert notices_per_reference(smtp_sink) == Counter({"HV-FAILD": 1, "HV-NEVER": 1, "HV-URGNT": 1})
    urgent = next(message for message in smtp_sink.messages if "HV-URGNT" in message)
    assert "Priority: urgent" in urgent and "made this referral urgent" in urgent
