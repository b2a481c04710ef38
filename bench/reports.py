"""The annual report over 100,000 referrals: how long a manager waits for /staff/reports (every
figure, the chart and the tables) and for its CSV, on SQLite and (with BENCH_DATABASE_URL, which
`make bench` points at a throwaway PostgreSQL) on PostgreSQL.

Seeds the inbox benchmark's referrals, plus the ticked boxes reports count and the casework
entries they read (MARAC referrals, safeguarding reports, target-hardening works, transfers,
complaints). Every figure is an SQL aggregate, so the time must not grow with rows in Python.
Target: median under 1 s for the page and the CSV. Exits 1 when it is missed.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inbox import ROOT, fresh_database, seed  # noqa: E402  (the inbox benchmark's 100,000 referrals)

from haven import create_app, db  # noqa: E402
from haven.models import CaseEvent, Referral, ReferralAnswer, StaffUser  # noqa: E402
from haven.services import staff  # noqa: E402
from result import report  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REPORT_REQUESTS", "7"))
TARGET = 1.0
PATHS = {"annual report (page)": "/staff/reports?period=annual", "annual report (CSV)": "/staff/reports.csv?period=annual"}
KINDS = [("marac", None, None), ("safeguarding_report", None, "police"), ("works", "completed", "locks"),
         ("transfer_requested", None, None), ("complaint", None, "contact"), ("rehousing_decision", None, "agreed")]


def seed_casework(app, now: datetime) -> None:
    rng = random.Random(29)
    with app.app_context():
        session = db.session()
        rows = session.execute(select(Referral.id, Referral.created_at)).all()
        answers, events = [], []
        for referral_id, created in rows:
            for question, choices in (("abuse_kinds", ["physical", "emotional", "coercive", "financial"]),
                                      ("help_wanted", ["advice", "safer_home", "moving"])):
                for answer in rng.sample(choices, rng.randint(0, 2)):
                    answers.append({"referral_id": referral_id, "created_at": created, "question": question,
                                    "answer": answer})
            if rng.random() < 0.3:
                kind, status, outcome = rng.choice(KINDS)
                at = created + timedelta(days=rng.randint(0, 20))
                events.append({"public_id": str(uuid.uuid4()), "referral_id": referral_id, "kind": kind, "at": at,
                               "recorded_at": at, "status": status, "outcome": outcome, "on_date": at.date(),
                               "against_wishes": False})
        for table, batch in ((ReferralAnswer, answers), (CaseEvent, events)):
            for start in range(0, len(batch), 5000):
                session.execute(insert(table), batch[start:start + 5000])
                session.commit()
        session.add(StaffUser(email="manager@example.org", roles="manager", active=True))
        session.commit()
        # As autovacuum would have done on a running database: statistics, and on PostgreSQL the
        # visibility map that lets a covering index answer without visiting the rows.
        with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"))
        print(f"  and {len(answers):,} ticked boxes, {len(events):,} casework entries")


def manager_client(app):
    with app.app_context():
        session = db.session()
        token = staff.start_session(session, session.scalar(select(StaffUser).where(StaffUser.email == "manager@example.org")))
    client = app.test_client()
    client.set_cookie("haven_staff", token, domain="localhost")
    return client


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine_name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        fresh_database(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-that-is-long-enough-01234",
                          "INSTANCE_PATH": folder, "CONTENT_DIR": ROOT / "content"})
        now = datetime.now(timezone.utc)
        started = time.perf_counter()
        seed(app, now)
        print(f"reports on {engine_name}: seeded the inbox's referrals in {time.perf_counter() - started:.0f} s")
        seed_casework(app, now)
        client = manager_client(app)
        ok = True
        for label, path in PATHS.items():
            assert client.get(path).status_code == 200  # warm up
            times = []
            for _ in range(REQUESTS):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            median = statistics.median(times)
            hit = median < TARGET
            ok = ok and hit
            report(f"reports on {engine_name}: {label}", f"median {median * 1000:.0f} ms",
                   f"< {TARGET * 1000:.0f} ms", hit)
            print(f"  {label}: median {median * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms "
                  f"(target < {TARGET * 1000:.0f} ms) {'ok' if hit else 'MISSED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
