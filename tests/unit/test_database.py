"""The schema comes from migrations, and concurrent writers never lose a row."""
from __future__ import annotations

import pytest

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from haven import db
from haven.db import make_engine, normalise_url
from haven.models import AuditEvent, Base
from haven.services import audit


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_command_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output


def test_concurrent_writers_lose_no_rows(app):
    """Each writer reads, then inserts: the pattern that loses rows under SQLite's default locking."""
    writers, rows_each = 8, 15
    errors = []

    with app.app_context():
        make_session = app.extensions["haven_db"]

    def write(n):
        try:
            for i in range(rows_each):
                with make_session() as session:
                    session.scalar(select(func.count(AuditEvent.id)))
                    audit.record(session, actor=f"writer-{n}", action="test.write", record_id=str(i))
                    session.commit()
        except Exception as error:  # collected so the test names the failure
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with app.app_context():
        count = db.session().scalar(select(func.count()).where(AuditEvent.action == "test.write"))
    assert count == writers * rows_each


def test_two_simultaneous_sends_of_one_form_make_one_referral(app):
    """A double click on two workers: both commit the same token at once; the database's unique
    constraint (PostgreSQL's row lock, SQLite's write lock) leaves one row and both answers name it."""
    from haven.models import Referral
    from haven.services import referrals

    keyring = app.extensions["haven_keyring"]
    submission = referrals.Submission(kind="self", locale="en", token="f" * 32, name=None,
                                      contact={"methods": ["office"]}, details={}, message=None)
    start, results, errors = threading.Barrier(2), [], []

    def send():
        with app.app_context():
            try:
                start.wait()
                referral, _ = referrals.submit(db.session(), keyring, submission)
                results.append(referral.public_id)
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                errors.append(repr(error))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    with app.app_context():
        assert db.session().scalar(select(func.count(Referral.id))) == 1


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL has no journal mode or busy timeout to check")
    with app.app_context():
        with db.engine().connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_libpq_style_urls_use_psycopg3():
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x") == "sqlite:///x"
