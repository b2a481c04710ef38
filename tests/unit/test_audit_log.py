"""The audit log: the database refuses changes, and a hash chain shows any that got past it."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from haven import db
from haven.db import make_engine
from haven.migrations import upgrade
from haven.models import AuditEvent
from haven.models.audit import append_only_ddl
from haven.services import audit


def write(app, n=3):
    with app.app_context():
        for i in range(n):
            audit.record(db.session(), actor="test", action="test.event", record_id=str(i), detail=f"d{i}")
        db.session().commit()
        return [e.id for e in db.session().scalars(select(AuditEvent).order_by(AuditEvent.id))]


def behind_the_triggers(app, statement: str, **params):
    """What someone with the database's owner rights could do: lift the triggers and change a row."""
    with app.app_context():
        with db.engine().begin() as connection:
            dialect = connection.dialect.name
            for ddl in append_only_ddl(dialect, create=False):
                connection.exec_driver_sql(ddl)
            connection.execute(text(statement), params)
            for ddl in append_only_ddl(dialect):
                connection.exec_driver_sql(ddl)


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET detail = 'changed'",
                                       "DELETE FROM audit_event"])
def test_the_database_refuses_to_change_or_delete_an_event(app, statement):
    write(app, 1)
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine().begin() as connection:
                connection.execute(text(statement))
        assert db.session().scalar(select(sa.func.count(AuditEvent.id))) == 1


def test_postgresql_refuses_truncate_too(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused above)")
    write(app, 1)
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine().begin() as connection:
                connection.execute(text("TRUNCATE audit_event"))


def test_the_orm_cannot_change_an_event_either(app):
    write(app, 1)
    with app.app_context():
        session = db.session()
        event = session.scalars(select(AuditEvent)).one()
        event.detail = "rewritten"
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()
        session.rollback()


def test_verify_passes_on_an_intact_chain(app, runner):
    write(app, 3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 events, chain intact" in result.output


def test_verify_reports_the_first_changed_event(app, runner):
    ids = write(app, 4)
    behind_the_triggers(app, "UPDATE audit_event SET detail = 'nothing to see' WHERE id = :id", id=ids[1])
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain broken at event {ids[1]}" in result.output


def test_verify_reports_where_an_event_was_removed(app, runner):
    ids = write(app, 4)
    behind_the_triggers(app, "DELETE FROM audit_event WHERE id = :id", id=ids[2])
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain broken at event {ids[3]}" in result.output


def test_concurrent_writers_keep_one_unbroken_chain(app):
    writers, rows_each = 6, 10
    errors = []
    with app.app_context():
        make_session = app.extensions["haven_db"]

    def work(n):
        try:
            for i in range(rows_each):
                with make_session() as session:
                    audit.record(session, actor=f"w{n}", action="test.write", record_id=str(i))
                    if i % 3 == 0:  # two events in one flush
                        audit.record(session, actor=f"w{n}", action="test.write", record_id=f"{i}b")
                    session.commit()
        except Exception as error:  # collected so the test names the failure
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        verdict = audit.verify(db.session())
    assert verdict.broken_at is None and verdict.events == writers * (rows_each + 4)


def test_the_migration_chains_the_events_already_there(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0005")
    engine = make_engine(url)
    old = sa.table("audit_event", sa.column("at", sa.DateTime(timezone=True)), sa.column("actor"),
                   sa.column("action"), sa.column("detail"))
    with engine.begin() as connection:
        for i in range(3):
            connection.execute(old.insert().values(at=datetime(2026, 11, 23, 10, i, tzinfo=timezone.utc),
                                                   actor="cli", action="content.loaded", detail=f"v{i}"))
    upgrade(url)
    with Session(engine) as session:
        verdict = audit.verify(session)
        assert verdict.broken_at is None and verdict.events == 3
        audit.record(session, actor="cli", action="after.upgrade")
        session.commit()
        assert audit.verify(session).events == 4
    with engine.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("DELETE FROM audit_event"))
    engine.dispose()
