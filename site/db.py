"""The database engine and the per-request session.

SQLite runs in WAL mode with a busy timeout and takes its write lock at BEGIN (IMMEDIATE): with
SQLite's default deferred transactions, two writers that both read first deadlock and one loses
its insert. PostgreSQL is reached through psycopg 3.
"""
from __future__ import annotations

import time

from flask import current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    # Operators paste libpq-style URLs; SQLAlchemy would pick psycopg2, which Haven does not ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# A pooled connection idle for longer than this is tested before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        engine = create_engine(url)
        _ping_when_idle(engine)
        return engine

    engine = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin_immediate).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        # A reader (see reader()) never writes, so it need not queue for the write lock: in WAL
        # mode it reads while a writer writes.
        if connection.get_execution_options().get("haven_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use when it has been idle, as pool_pre_ping does before
    every use: PostgreSQL restarted in a quiet spell leaves every pooled connection dead, and the
    first person to press Send would be told her referral was not sent. A connection used within
    the last second needs no test: on a busy site the test is one more round trip on every
    request, and should the server go while busy, the first statement to fail drops the whole
    pool (SQLAlchemy's disconnect handling) so the next request connects afresh."""

    @event.listens_for(engine, "connect")
    def _new(_dbapi_connection, record):
        record.info["last_used"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            record.info["last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("last_used", 0.0) <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool throws this connection away and checks out a fresh one (PoolEvents.checkout).
            raise DisconnectionError() from error


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["haven_db"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc):
        for name in ("db_session", "db_reader"):
            session = g.pop(name, None)
            if session is not None:
                try:
                    session.close()
                except SQLAlchemyError:
                    # The database went away under an open transaction (PostgreSQL restarting):
                    # the connection is already dropped from the pool, which opens a new one
                    # (_ping_when_idle), and the answer already given must stand.
                    pass


def engine() -> Engine:
    return current_app.extensions["haven_db"].kw["bind"]


def session() -> Session:
    """The session for this request or CLI command, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["haven_db"]()
    return g.db_session


def reader() -> Session:
    """A session for a request that only reads (the public directory). Nothing is written
    through it; on SQLite its transactions begin deferred, so busy readers never wait on each other."""
    if "db_reader" not in g:
        g.db_reader = Session(bind=engine().execution_options(haven_read_only=True), expire_on_commit=False)
    return g.db_reader
