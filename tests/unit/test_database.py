"""The schema comes from migrations, and concurrent writers never lose a row."""
from __future__ import annotations

import pytest

import json
import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from haven import db
from haven.db import make_engine, normalise_url
from haven.models import AuditEvent, Base, Referral
from haven.services import audit
from tests.helpers import FORM, open_form


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
    from haven.services import referrals
    from tests.helpers import intake

    keyring = app.extensions["haven_keyring"]
    submission = referrals.Submission(kind="self", locale="en", token="f" * 32, name=None,
                                      contact={"methods": ["office"]}, details={}, message=None)
    start, results, errors = threading.Barrier(2), [], []

    def send():
        with app.app_context():
            try:
                start.wait()
                referral = referrals.submit(db.session(), keyring, submission, **intake(app)).referral
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


def _referral_at_0006(connection, keyring, public_id, kind, created, contact, details, priority="standard"):
    from sqlalchemy import text

    seal = {column: keyring.encrypt(json.dumps(value), table="referral", column=column, row=public_id)
            for column, value in (("contact_enc", contact), ("details_enc", details))}
    connection.execute(text(
        "INSERT INTO referral (public_id, submission_token, kind, priority, locale, created_at, contact_enc, "
        "details_enc, notice_attempts) VALUES (:id, :id, :kind, :priority, 'en', :created, :contact, :details, 0)"),
        {"id": public_id, "kind": kind, "priority": priority, "created": created, **{
            "contact": seal["contact_enc"], "details": seal["details_enc"]}})


def test_migration_0007_fills_the_triage_columns_of_existing_referrals(app, tmp_path):
    """Referrals stored before the inbox get their flags, target, route and repeat link from
    their own answers; without the keys the migration stops and says how to run it."""
    from datetime import datetime, timezone

    from sqlalchemy import text

    from haven.migrations import upgrade
    from tests.helpers import intake

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0006")
    keyring = app.extensions["haven_keyring"]
    engine = make_engine(url)
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    with engine.begin() as connection:
        _referral_at_0006(connection, keyring, "a" * 36, "self", monday,
                          {"methods": ["call"], "phone": "+447700900982"},
                          {"danger_now": "yes", "lives_with": "yes", "abuse_kinds": ["physical", "coercive"],
                           "help_wanted": ["safer_home"]}, priority="urgent")
        _referral_at_0006(connection, keyring, "b" * 36, "self", monday.replace(day=24),
                          {"methods": ["call"], "phone": "+447700900982"}, {})
        _referral_at_0006(connection, keyring, "c" * 36, "concern", monday, {"methods": []}, {"anonymous": True})
    with pytest.raises(RuntimeError, match="flask --app haven db upgrade"):
        upgrade(url)
    upgrade(url, keyring=keyring, match_key=intake(app)["match_key"], targets=intake(app)["targets"])
    with engine.connect() as connection:
        rows = {row.public_id[0]: row for row in connection.execute(text(
            "SELECT public_id, id, reference, route, status, target_due_at, flag_danger_now, flag_lives_with, "
            "flag_repeat, repeat_of_id FROM referral"))}
        ticked = connection.execute(text(
            "SELECT question, answer FROM referral_answer ORDER BY question, answer")).all()  # 0013
    engine.dispose()
    assert [tuple(row) for row in ticked] == [("abuse_kinds", "coercive"), ("abuse_kinds", "physical"),
                                               ("help_wanted", "safer_home")]
    first, second, anonymous = rows["a"], rows["b"], rows["c"]
    assert (first.route, first.status, first.flag_danger_now, first.flag_lives_with) == ("self", "new", 1, 1)
    assert str(first.target_due_at).startswith("2026-11-23 14:00")  # urgent: 4 hours
    assert str(second.target_due_at).startswith("2026-11-25 10:00")  # standard: 1 working day
    assert (second.flag_repeat, second.repeat_of_id) == (1, first.id)
    assert (anonymous.route, anonymous.target_due_at) == ("anonymous", None)
    assert len({first.reference, second.reference, anonymous.reference}) == 3


def _drop_the_apps_connection(app, database_url) -> None:
    """End the server process behind the app's pooled connection, as a PostgreSQL restart does
    (the test client sends one request at a time, so the pool holds one connection)."""
    with app.app_context():
        with db.engine().connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    other = make_engine(database_url)
    with other.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()
    other.dispose()


def _send(client, phone, form=None):
    return client.post(FORM, data={**(form or open_form(client)), "preferred": "call", "phone": phone,
                                   "voicemail": "no", "someone_else": f"Words sent with {phone}", "consent": "y"})


def test_after_a_quiet_spell_a_dead_connection_is_replaced_before_her_send(app, client, database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to restart")
    assert _send(client, "07700 900 101").status_code == 200
    form = open_form(client)
    _drop_the_apps_connection(app, database_url)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0)  # as if the connection had been idle
    answer = _send(client, "07700 900 102", form)
    assert answer.status_code == 200 and "Your message has been sent" in answer.get_data(as_text=True)


def test_a_connection_that_dies_while_busy_fails_one_send_with_her_answers_and_the_next_connects(
        app, client, database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to restart")
    assert _send(client, "07700 900 101").status_code == 200
    form = open_form(client)
    _drop_the_apps_connection(app, database_url)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600)  # used a moment ago: not tested first
    failed = _send(client, "07700 900 102", form)
    page = failed.get_data(as_text=True)
    assert failed.status_code == 503 and "Your message has not been sent" in page
    assert "Words sent with 07700 900 102" in page  # her answers, back in the form
    assert _send(client, "07700 900 103").status_code == 200
    with app.app_context():
        assert db.session().scalar(select(func.count(Referral.id))) == 2
