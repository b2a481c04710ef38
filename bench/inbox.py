"""The inbox over 100,000 referrals: how long its default view and a filtered view take, and how
many SQL queries a page costs.

Seeds a fresh database (SQLite in a temporary folder, or BENCH_DATABASE_URL, which `make bench`
points at a throwaway PostgreSQL) with referrals of mixed priority, route, status, assignee, age
and flags, signs a caseworker in, and requests each view through the whole app (guard, queries,
template). Prints median and 95th percentile against the targets (150 ms and 300 ms) and the
queries per page, which must not grow with the rows shown. Exits 1 when a target is missed.
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

from sqlalchemy import event, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from haven import create_app, db  # noqa: E402
from haven.db import make_engine  # noqa: E402
from haven.migrations import upgrade  # noqa: E402
from haven.models import Referral, StaffUser  # noqa: E402
from haven.services import referrals, staff, targets  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from result import report  # noqa: E402

ROWS = int(os.environ.get("BENCH_INBOX_ROWS", "100000"))
REQUESTS = int(os.environ.get("BENCH_INBOX_REQUESTS", "40"))
MEDIAN_TARGET, P95_TARGET = 0.150, 0.300
VIEWS = {
    "default view (needs first contact)": "/staff/inbox",
    "filtered (all open, urgent, children at risk, page 2)": "/staff/inbox?view=open&priority=urgent&flag=children_at_risk&page=2",
}
STATUSES = ["new"] * 15 + ["attempted"] * 10 + ["in_contact"] * 10 + ["support"] * 15 + ["closed"] * 50


def fresh_database(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def seed(app, now: datetime) -> None:
    rules = app.extensions["haven_profile"].targets
    rng = random.Random(13)
    with app.app_context():
        session = db.session()
        staff_ids = []
        for number in range(12):
            user = StaffUser(email=f"worker{number}@example.org", roles="caseworker", active=True)
            session.add(user)
            session.flush()
            staff_ids.append(user.id)
        session.commit()
        # Lists never decrypt, so one sealed value stands in for every referral's words, as long
        # as a real one (a table scan pays for every byte of them).
        sealed = "v1.bench." + "A" * 900
        batch, references = [], set()
        for number in range(ROWS):
            created = now - timedelta(minutes=rng.randint(1, 2 * 365 * 24 * 60))
            priority = "urgent" if rng.random() < 0.2 else "standard"
            route = rng.choices(["self", "concern", "anonymous"], [80, 15, 5])[0]
            status = rng.choice(STATUSES)
            due = None if route == "anonymous" else targets.due(created, priority, rules)
            contacted = None if status in ("new", "attempted") or route == "anonymous" else \
                created + timedelta(hours=rng.randint(1, 48))
            while (reference := referrals.random_reference()) in references:
                pass
            references.add(reference)
            batch.append({
                "public_id": str(uuid.uuid4()), "submission_token": uuid.uuid4().hex, "kind": "concern" if route != "self" else "self",
                "priority": priority, "locale": rng.choice(["en"] * 6 + ["pl", "ro", "pa", "ur", "ar"]),
                "created_at": created, "contact_enc": sealed, "details_enc": sealed, "notice_attempts": 1,
                "notice_sent_at": created, "reference": reference, "route": route, "status": status,
                "assignee_id": rng.choice([None, *staff_ids]), "target_due_at": due, "first_contact_at": contacted,
                "closed_at": contacted + timedelta(days=3) if status == "closed" and contacted else
                (created + timedelta(days=3) if status == "closed" else None),
                "outcome": "advice" if status == "closed" else None,
                **{f"flag_{name}": rng.random() < chance for name, chance in (
                    ("danger_now", 0.1), ("children_in_home", 0.4), ("children_at_risk", 0.1), ("lives_with", 0.3),
                    ("language", 0.2), ("access", 0.1), ("repeat", 0.15))},
            })
            if len(batch) == 5000:
                session.execute(insert(Referral), batch)
                session.commit()
                batch = []
        if batch:
            session.execute(insert(Referral), batch)
            session.commit()
        # As a running database would have: the planner's statistics for these tables.
        session.execute(text("ANALYZE"))
        session.commit()


def signed_in_client(app):
    with app.app_context():
        session = db.session()
        user = session.scalar(select(StaffUser).where(StaffUser.email == "worker0@example.org"))
        token = staff.start_session(session, user)
    client = app.test_client()
    client.set_cookie("haven_staff", token, domain="localhost")
    return client


def measure(app, client, path: str) -> tuple[float, float, int, int]:
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    with app.app_context():
        engine = db.engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(3):  # warm up: templates compiled, caches filled
            assert client.get(path).status_code == 200
        times, queries = [], []
        for _ in range(REQUESTS):
            counted.clear()
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
            queries.append(len(counted))
        rows = response.get_data(as_text=True).count('<td role="cell" class="reference"')
    finally:
        event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], max(queries), rows


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
        print(f"inbox on {engine_name}: seeded {ROWS:,} referrals in {time.perf_counter() - started:.0f} s")
        client = signed_in_client(app)
        ok = True
        for label, path in VIEWS.items():
            median, p95, queries, rows = measure(app, client, path)
            hit = median < MEDIAN_TARGET and p95 < P95_TARGET
            ok = ok and hit
            report(f"inbox on {engine_name}, {ROWS:,} referrals: {label}",
                   f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, {queries} queries",
                   f"median < {MEDIAN_TARGET * 1000:.0f} ms, p95 < {P95_TARGET * 1000:.0f} ms", hit)
            print(f"  {label}: median {median * 1000:.0f} ms (target < {MEDIAN_TARGET * 1000:.0f}), "
                  f"p95 {p95 * 1000:.0f} ms (target < {P95_TARGET * 1000:.0f}), {queries} queries for {rows} rows"
                  f" {'ok' if hit else 'MISSED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
