"""Fault drills: Haven under gunicorn, residents sending the self-referral from threads, and the
database or the process failing under them. Nothing said "sent" may be lost, nothing half-written
may be kept, and the app must come back by itself.

Both drills use databases of their own (a PostgreSQL cluster they stop or cut, a SQLite file),
whatever HAVEN_TEST_DATABASE says: the same test twice would prove nothing new, so `make test` runs
them once, in its PostgreSQL pass (marked own_databases; the SQLite pass leaves them out).
Every wait is bounded; every server binds 127.0.0.1 on a free port.
"""
from __future__ import annotations

import itertools
import random
import threading
import time
import uuid

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from haven.db import make_engine
from haven.migrations import upgrade
from haven.models import Referral
from haven.security.crypto import Keyring, new_key_entry
from haven.services import referrals
from tests.live import NOT_SENT, HavenProcess, ThrowawayPostgres, app_environment, send_self_referral

HELPLINE, EMERGENCY = 'href="tel:08082000247"', 'href="tel:999"'
pytestmark = pytest.mark.own_databases


@pytest.fixture(scope="module")
def own_postgres():
    cluster = ThrowawayPostgres()
    yield cluster
    cluster.remove()


def wait_for(condition, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {within:.0f} s waiting for {what}")
        time.sleep(0.05)


class Stream:
    """Senders on threads, each sending the self-referral again and again with a phone number and
    a code word of its own, until told to stop; every answer is kept with what was sent."""

    def __init__(self, port: int, senders: int, pause: float = 0.02):
        self.port, self.pause = port, pause
        self.answers: list[tuple[str, str, float, object]] = []  # (phone, words, started, answer)
        self.lock = threading.Lock()
        self.numbers = itertools.count()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._send, daemon=True) for _ in range(senders)]

    def _send(self) -> None:
        while not self.stopping.is_set():
            number = next(self.numbers)
            phone, words = f"07700 900 {number % 1000:03d}", f"drill code word {number:05d}"
            started = time.monotonic()
            answer = send_self_referral(self.port, phone, words)
            with self.lock:
                self.answers.append((phone, words, started, answer))
            time.sleep(self.pause)

    def __enter__(self) -> "Stream":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads), "a sender never got an answer"

    def count(self, test) -> int:
        with self.lock:
            return sum(1 for answer in self.answers if test(answer))


def stored(database_url: str, keyring: Keyring) -> dict[str, list]:
    """Every referral, opened: its code word -> (row, what was sent). Opening each one is the check
    that none is half-written: every encrypted column decrypts with the row it is bound to."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            found: dict[str, list] = {}
            for referral in session.scalars(select(Referral)):
                sent = referrals.read(keyring, referral)
                found.setdefault(sent.contact["someone_else"], []).append((referral, sent, list(referral.answers)))
            return found
    finally:
        engine.dispose()


def assert_complete(referral: Referral, sent, answers) -> None:
    """A referral as the form makes it: triage set, target due, ticked boxes as its answers say."""
    assert referral.kind == "self" and referral.route == "self" and referral.status == "new"
    assert referral.reference and referral.priority in ("standard", "urgent") and referral.created_at
    assert referral.target_due_at is not None and referral.submission_token == sent.token
    assert sent.contact["phone"].startswith("+4477009") and sent.contact["methods"] == ["call"]
    assert sorted((row.question, row.answer) for row in answers) == referrals.counted_answers(sent.details)


def test_postgresql_stopped_mid_stream_loses_no_sent_referral_and_the_app_recovers(own_postgres, tmp_path):
    url = own_postgres.create_database(f"stopped_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    keys = new_key_entry("drill")
    with HavenProcess(app_environment(url, tmp_path, keys), workers=2, threads=4) as haven:
        with Stream(haven.port, senders=4) as stream:
            wait_for(lambda: stream.count(lambda a: a[3].sent) >= 10, 60, "ten referrals sent")
            own_postgres.stop_immediately()
            stopped = time.monotonic()
            wait_for(lambda: stream.count(lambda a: a[2] > stopped and a[3].status == 503) >= 5, 60,
                     "five answers while PostgreSQL is down")
            own_postgres.start()
            restarted = time.monotonic()
            # Without a restart of Haven: its pooled connections died with the server.
            wait_for(lambda: stream.count(lambda a: a[2] > restarted and a[3].sent) >= 5, 60,
                     "five referrals sent after PostgreSQL came back")
        answers = list(stream.answers)

    rows = stored(url, Keyring.parse(keys))
    statuses = {answer.status for *_, answer in answers}
    assert statuses <= {200, 503}, f"answers other than 'sent' and the 503 page: {statuses}"
    for phone, words, _started, answer in answers:
        if answer.sent:
            assert len(rows.get(words, [])) == 1, "told 'sent', but no referral (or two) in the database"
            assert_complete(*rows[words][0])
        else:
            # Her answers are back in the form, with the helplines, so she can send again or call.
            page = answer.body
            assert answer.status == 503 and NOT_SENT in page
            as_stored = "+44" + phone.replace(" ", "")[1:]  # 07700 900 013 -> +447700900013
            assert f'value="{as_stored}"' in page and f'value="{words}"' in page
            assert HELPLINE in page and EMERGENCY in page
    # A Send that failed after its row was committed may have a row; none has two.
    assert all(len(found) == 1 for found in rows.values())


def referral_lock_waiters(url: str) -> int:
    # A Send's INSERT INTO referral is inside its statement's WITH (the notice is inserted with it).
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        return connection.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND query LIKE '%INSERT INTO referral %'").fetchone()[0]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_process_killed_mid_request_leaves_no_half_written_referral(engine, own_postgres, tmp_path):
    url = (f"sqlite:///{tmp_path / 'killed.sqlite3'}" if engine == "sqlite"
           else own_postgres.create_database(f"killed_{uuid.uuid4().hex[:8]}"))
    upgrade(url)
    keys = new_key_entry("drill")
    env = app_environment(url, tmp_path, keys)
    cut_inside_transaction: list[str] = []
    with HavenProcess(env, workers=1, threads=8) as haven:
        if engine == "postgresql":
            # Certainly inside a transaction: the test holds the referral table, so four Sends
            # wait at their INSERT, having read what they need; then their process is killed.
            holder = psycopg.connect(url.replace("+psycopg", ""))
            holder.execute("LOCK TABLE referral IN EXCLUSIVE MODE")
            blocked: list = []
            threads = [threading.Thread(target=lambda n=n: blocked.append(
                (f"drill blocked {n}", send_self_referral(haven.port, "07700 900 111", f"drill blocked {n}"))))
                for n in range(4)]
            for thread in threads:
                thread.start()
            wait_for(lambda: referral_lock_waiters(url) == 4, 60, "four Sends waiting inside their transactions")
            haven.kill_workers()
            for thread in threads:
                thread.join(timeout=60)
            holder.rollback()
            holder.close()
            assert [answer.status for _, answer in blocked] == [None] * 4
            cut_inside_transaction = [words for words, _ in blocked]
            haven.wait_until_serving()
        # Then at random moments of a stream: some kills land mid-request, some between requests.
        rng = random.Random()
        with Stream(haven.port, senders=6, pause=0) as stream:
            for _ in range(5):
                wait_for(lambda: stream.count(lambda a: True) > 0, 60, "an answer")
                time.sleep(rng.uniform(0.05, 0.4))
                haven.kill_workers()
                haven.wait_until_serving()
            wait_for(lambda: stream.count(lambda a: a[3].sent) >= 5, 60, "five referrals sent")
        answers = list(stream.answers)

    # A new process on the same database: it opens, and takes a referral.
    with HavenProcess(env, workers=1, threads=2) as haven:
        assert send_self_referral(haven.port, "07700 900 222", "drill after restart").sent

    rows = stored(url, Keyring.parse(keys))
    assert all(len(found) == 1 for found in rows.values()), "one Send made two referrals"
    for found in rows.values():
        assert_complete(*found[0])
    for words in cut_inside_transaction:
        assert words not in rows, "a transaction cut by the kill left its referral behind"
    sent = {words for _, words, _, answer in answers if answer.sent}
    cut = {words for _, words, _, answer in answers if answer.status is None}
    assert answers and {answer.status for *_, answer in answers} <= {200, None}
    assert sent <= rows.keys(), "told 'sent', but no referral in the database"
    # Besides those told "sent", a referral may exist only for a Send whose answer the kill cut off.
    assert rows.keys() - sent - {"drill after restart"} <= cut
    assert len(rows) - 1 >= len(sent)
