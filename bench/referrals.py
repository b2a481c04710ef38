"""Referrals under load: 32 residents sending the self-referral at once for 20 seconds, against
Haven under gunicorn as gunicorn.conf.py runs it on this host (its default processes, one more than
the cores, each serving one request at a time) on 127.0.0.1, on SQLite (a temporary file) or, with
BENCH_DATABASE_URL (which `make bench` points at a throwaway cluster), on PostgreSQL.

Each sender opens the form (its CSRF cookie and signed stamp), sends the first page, and starts
again. The same load runs for 3 seconds first, not timed (WARM_UP_SECONDS): each server process's
first pages, connections and statement caches, and the senders' own start, are not a Send's time.
The app runs with no minimum fill time and a rate limit no sender reaches (every sender is
127.0.0.1). Prints referrals accepted per second, the 95th percentile of the Send's latency
(target on PostgreSQL: under 100 ms), that every "sent" answer has its row (counted after), and
that no answer was a 5xx. Exits 1 when a target is missed.

Each sender is a process of its own (a thread would time its waits for the interpreter lock too),
but they share the server's cores, so the latency still includes some of their own work: the
figure is an upper bound. On PostgreSQL the same senders then load two floors, reported beside
Haven's figures, under the same gunicorn settings:
- a bare Flask app that commits one row per Send (bench/bare_referral_app.py): what this machine
  allows a form that saves;
- the chosen stack with nothing of Haven's (bench/stack_referral_app.py): a Flask-WTF form with its
  CSRF session, Talisman, a Flask-Limiter limit and an ORM insert. Haven's cost above it is its own.

Then the same senders send in an open loop: 50 Sends a second between them (PACED_RATE), each on
time whatever the answers' speed, for the same time; the p95 of those Sends is reported (no
target). Flat out, a closed loop's latency is the senders' number over the throughput (Little's
law), so it says how fast Haven goes; the open loop says how long a Send takes while a given
number of people send. Options: --senders, --seconds, --paced-rate.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from haven.config import DEFAULT_THREADS, process_count  # noqa: E402
from haven.db import make_engine  # noqa: E402
from haven.models import Referral  # noqa: E402
from haven.security.crypto import new_key_entry  # noqa: E402
from inbox import fresh_database  # noqa: E402
from result import report  # noqa: E402
from tests.live import HavenProcess, app_environment, send_self_referral  # noqa: E402

P95_TARGET_MS = 100
# As gunicorn.conf.py serves on this host when WEB_CONCURRENCY and HAVEN_THREADS are not set.
WORKERS, THREADS = process_count({}), DEFAULT_THREADS
# Seconds of the same load before each closed loop's timed seconds, not counted.
WARM_UP_SECONDS = 3
# Sends a second in the open-loop run: far above any housing provider's day (over 4 million a day).
PACED_RATE = 50


def _sender(port: int, first: int, step: int, deadline: float) -> list[tuple[int | None, bool, float]]:
    """One resident after another, until the deadline: (status, told "sent", the Send's seconds)."""
    answers, number = [], first
    while time.monotonic() < deadline:
        answer = send_self_referral(port, f"07700 900 {number % 1000:03d}", f"bench {number}")
        answers.append((answer.status, answer.sent, answer.seconds))
        number += step
    return answers


def load(port: int, senders: int, seconds: float) -> tuple[list[tuple[int | None, bool, float]], float, int]:
    """The closed loop: (the answers, the seconds they took, how many warm-up Sends were "sent")."""
    # A process per sender, not a thread: a thread's clock would also run while it waits for the
    # others to let go of the interpreter lock, and that wait is the load generator's, not Haven's.
    with multiprocessing.get_context("fork").Pool(senders) as pool:
        # The same load first, not counted: every server process's first pages, its connections
        # and its statement caches, and the senders' own start, would otherwise be timed as Sends.
        deadline = time.monotonic() + WARM_UP_SECONDS  # CLOCK_MONOTONIC: the same clock in every process
        warm = pool.starmap(_sender, [(port, 500 + first, senders, deadline) for first in range(senders)])
        started = time.monotonic()
        deadline = started + seconds
        runs = pool.starmap(_sender, [(port, first, senders, deadline) for first in range(senders)])
        elapsed = time.monotonic() - started
    warmed = sum(sent for run in warm for _status, sent, _seconds in run)
    return [answer for run in runs for answer in run], elapsed, warmed


def _paced_sender(port: int, first: int, every: float, start: float, deadline: float) -> list[tuple[int | None, bool, float]]:
    """One resident every `every` seconds from `start` (on time, however long the last one took)."""
    answers, number, due = [], first, start
    while due < deadline:
        time.sleep(max(0.0, due - time.monotonic()))
        answer = send_self_referral(port, f"07700 900 {number % 1000:03d}", f"paced {number}")
        answers.append((answer.status, answer.sent, answer.seconds))
        number, due = number + 1000, due + every
    return answers


def paced(port: int, senders: int, rate: float, seconds: float) -> list[tuple[int | None, bool, float]]:
    """An open loop: `rate` Sends a second, whatever the answers' speed, spread over `senders`
    processes. The closed loop (load) measures how fast Haven can go flat out; this, how long a
    Send takes while a given number of people send."""
    start = time.monotonic() + 0.5
    every = senders / rate
    with multiprocessing.get_context("fork").Pool(senders) as pool:
        runs = pool.starmap(_paced_sender, [(port, first, every, start + first * every / senders, start + seconds)
                                            for first in range(senders)])
    return [answer for run in runs for answer in run]


def figures(answers: list, elapsed: float) -> tuple[list[float], float, float, float]:
    """(latencies of the answers that said "sent", in ms; sent per second; median; p95)."""
    latencies = sorted(seconds * 1000 for _status, was_sent, seconds in answers if was_sent)
    if not latencies:
        return latencies, 0.0, float("inf"), float("inf")
    return (latencies, len(latencies) / elapsed, latencies[len(latencies) // 2],
            latencies[max(0, int(len(latencies) * 0.95) - 1)])


def floor(name: str, app: str, env: dict[str, str], senders: int, seconds: float) -> None:
    """The same load on a floor app of bench/ (reported only)."""
    with HavenProcess({**os.environ, **env}, workers=WORKERS, threads=THREADS, app=app, cwd=str(ROOT / "bench")) as server:
        answers, elapsed, _warmed = load(server.port, senders, seconds)
    _latencies, per_second, median, p95 = figures(answers, elapsed)
    name = f"{name} (PostgreSQL, {senders} senders)"
    print(f"{name}: {per_second:.1f} sent/s, median {median:.0f} ms, p95 {p95:.0f} ms")
    report(name, f"{per_second:.1f} sent/s, p95 {p95:.0f} ms", "reported (a floor on this machine)", None)


def floors(url: str, senders: int, seconds: float) -> None:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        # Made here, before the floors' processes start: several making them at once would collide.
        connection.execute("CREATE TABLE bare_referral (id serial PRIMARY KEY, token text UNIQUE, phone text, words text)")
        connection.execute("CREATE TABLE stack_referral (id serial PRIMARY KEY, token varchar(64) UNIQUE, "
                           "phone varchar(40), words text)")
    floor("bare Flask app saving one row", "bare_referral_app:app", {"BARE_DATABASE_URL": plain}, senders, seconds)
    floor("the chosen stack saving one row", "stack_referral_app:app",
          {"STACK_DATABASE_URL": url, "STACK_SECRET_KEY": secrets.token_hex(32)}, senders, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_REFERRAL_SECONDS", "20")))
    parser.add_argument("--paced-rate", type=float, default=PACED_RATE)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="haven-bench-") as folder:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine_name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        fresh_database(url)
        with HavenProcess(app_environment(url, Path(folder), new_key_entry("bench")), workers=WORKERS,
                          threads=THREADS) as haven:
            answers, elapsed, warmed = load(haven.port, options.senders, options.seconds)
            at_pace = paced(haven.port, options.senders, options.paced_rate, options.seconds)
        engine = make_engine(url)
        with engine.connect() as connection:
            # Less the warm-up's and the open loop's Sends (each "sent" of those a row too).
            rows = connection.scalar(select(func.count(Referral.id))) - warmed - sum(sent for _s, sent, _t in at_pace)
        engine.dispose()
        if engine_name == "PostgreSQL":
            floors(url, options.senders, options.seconds)

    latencies, per_second, median, p95 = figures(answers, elapsed)
    errors = [status for status, _sent, _seconds in answers if status is None or status >= 500]
    others = len(answers) - len(latencies) - len(errors)
    rows_ok, errors_ok = rows == len(latencies) and others == 0, not errors
    p95_ok = p95 < P95_TARGET_MS if engine_name == "PostgreSQL" else None
    name = f"referrals ({engine_name}, {options.senders} senders, {options.seconds:.0f} s)"
    print(f"{name}: {per_second:.1f} accepted/s, median {median:.0f} ms, p95 {p95:.0f} ms, {len(latencies)} sent, "
          f"{rows} rows, {len(errors)} 5xx or cut, {others} other answers")
    report(name, f"{per_second:.1f} referrals accepted/s", "reported", None)
    report(name, f"p95 Send latency {p95:.0f} ms",
           f"< {P95_TARGET_MS} ms" if engine_name == "PostgreSQL" else "reported (target is PostgreSQL's)", p95_ok)
    report(name, f"{rows} rows for {len(latencies)} 'sent' ({others} other answers)", "every 'sent' a row", rows_ok)
    report(name, f"{len(errors)} 5xx or broken answers", "0", errors_ok)
    paced_latencies, _rate, paced_median, paced_p95 = figures(at_pace, options.seconds)
    paced_name = f"referrals ({engine_name}, {options.paced_rate:.0f} Sends/s offered, open loop)"
    print(f"{paced_name}: {len(paced_latencies)} sent of {len(at_pace)}, median {paced_median:.0f} ms, p95 {paced_p95:.0f} ms")
    report(paced_name, f"p95 Send latency {paced_p95:.0f} ms ({len(paced_latencies)} sent of {len(at_pace)})",
           "reported", None)
    return 0 if rows_ok and errors_ok and p95_ok is not False else 1


if __name__ == "__main__":
    sys.exit(main())
